"""The driver's charging session from start to bill.

Start: checks, the session row (one open session per EVSE, enforced by the database), the payment hold, and
the remote start through the bridge. Stop: the remote stop, retried through the command relay until the charger
ends the transaction. The charger's transaction then drives the session (see `observer.py`):
meter values update a live meter whose result is published at once; the end of the transaction bills the
session from the stored samples with the price that was shown before the start. A reconciliation job fails
starts that never happened, bills ended transactions that were not billed (a restart in between) and closes
sessions whose charger never reported an end.

The parts live in their own modules: `starting`, `stopping`, `live`, `billing`, `reconciliation` and `reading`, on the
shared state of `core`; the app's view of a session is in `views`.
"""

from __future__ import annotations

from api.domain.sessions.billing import SessionBilling
from api.domain.sessions.live import SessionLive
from api.domain.sessions.reading import SessionReading
from api.domain.sessions.reconciliation import SessionReconciliation
from api.domain.sessions.starting import SessionStart
from api.domain.sessions.stopping import SessionStop
from api.domain.sessions.views import from_minor, to_minor, view_of


class SessionService(SessionStart, SessionStop, SessionLive, SessionBilling, SessionReconciliation, SessionReading):
    """The driver's charging session from start to bill: every part of the lifecycle on one shared state."""


__all__ = ["SessionService", "from_minor", "to_minor", "view_of"]
