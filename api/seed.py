"""Demo data for a fresh database: accounts for each role (the charging network joins it as it grows)."""

from __future__ import annotations

from api.security.tokens import Role
from api.services import open_services
from api.settings import Settings

DEMO_PASSWORD = "voltway-demo"
DEMO_ACCOUNTS: tuple[tuple[str, str, Role], ...] = (
    ("driver@example.com", "Dana Driver", "driver"),
    ("agent@example.com", "Avery Agent", "agent"),
    ("admin@example.com", "Alex Admin", "admin"),
)


async def seed_demo(settings: Settings, *, only_if_empty: bool) -> str:
    """Create the demo accounts; with `only_if_empty`, leave a database that has accounts alone."""
    async with open_services(settings) as services, services.session_factory() as session:
        if only_if_empty and await services.accounts.count_users(session) > 0:
            return "database already has data; demo data not loaded"
        created = []
        for email, name, role in DEMO_ACCOUNTS:
            if await services.accounts.find_user(session, email) is not None:
                continue
            await services.accounts.create_user(
                session, email=email, password=DEMO_PASSWORD, name=name, role=role, verified=True
            )
            created.append(f"  {role:<6} {email}")
        await session.commit()
    if not created:
        return "demo accounts already present"
    return "demo accounts (password: " + DEMO_PASSWORD + "):\n" + "\n".join(created)
