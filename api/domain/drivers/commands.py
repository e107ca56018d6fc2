"""Account tasks run from the command line by operators."""

from __future__ import annotations

from sqlalchemy import select

from api.db.models import User
from api.security.tokens import Role
from api.services import open_services
from api.settings import Settings


async def add_user(settings: Settings, *, email: str, password: str, role: Role, name: str) -> str:
    """Create an account (staff accounts start with a verified address); returns its id."""
    async with open_services(settings) as services, services.session_factory() as session:
        user = await services.accounts.create_user(
            session,
            email=email,
            password=password,
            name=name or email.split("@", 1)[0],
            role=role,
            verified=True,
        )
        await session.commit()
        return str(user.id)


async def list_users(settings: Settings) -> str:
    async with open_services(settings) as services, services.session_factory() as session:
        users = (
            await session.execute(select(User).where(User.erased_at.is_(None)).order_by(User.created_at))
        ).scalars()
        lines = [f"{'ROLE':<7} {'VERIFIED':<8} EMAIL"]
        lines += [f"{u.role:<7} {'yes' if u.email_verified_at else 'no':<8} {u.email}" for u in users]
        return "\n".join(lines)
