"""``python -m api serve`` as the HTTP benchmarks run it: its own process pinned to core 0 (the load generator
takes core 1), configured only through the VOLTWAY_* variables given here, none inherited from the caller."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

SECRET_KEY = "bench-secret-key-that-is-long-enough-1234"


def serve_pinned(
    url: str, data_dir: Path, port: int, *, stderr: IO[bytes] | int = subprocess.DEVNULL, **variables: str
) -> subprocess.Popen[bytes]:
    """Start the server on `url` without rate limits or INFO logs; `variables` add or override VOLTWAY_* ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOLTWAY_")}
    env.update(
        {
            "VOLTWAY_DATABASE_URL": url,
            "VOLTWAY_DATA_DIR": str(data_dir),
            "VOLTWAY_SECRET_KEY": SECRET_KEY,
            "VOLTWAY_RATE_LIMIT_PER_MINUTE": "0",
            "VOLTWAY_LOG_LEVEL": "WARNING",
            **variables,
        }
    )
    return subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, "-m", "api", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
