"""`/v1/support/duty`: whether the signed-in agent is on duty, which decides who is mailed support alerts."""

from __future__ import annotations

from litestar import Controller, get, put
from litestar.params import JSONBody
from sqlalchemy import select, update

from api.db.models import User
from api.deps import CurrentPrincipal, DbSession
from api.schema import AppStruct
from api.security.guards import staff_only


class Duty(AppStruct):
    """`onDuty`: urgent tickets and SLA warnings are mailed to the agents on duty (to every agent and admin when
    nobody is)."""

    on_duty: bool


class SupportDutyController(Controller):
    path = "/v1/support/duty"
    tags = ["Support"]
    guards = [staff_only]
    security = [{"BearerToken": []}]

    @get("", summary="Whether I am on duty for support alerts")
    async def show(self, db_session: DbSession, principal: CurrentPrincipal) -> Duty:
        on_duty = await db_session.scalar(select(User.on_duty).where(User.id == principal.user_id))
        return Duty(on_duty=bool(on_duty))

    @put("", summary="Go on or off duty for support alerts")
    async def change(self, data: JSONBody[Duty], db_session: DbSession, principal: CurrentPrincipal) -> Duty:
        await db_session.execute(update(User).where(User.id == principal.user_id).values(on_duty=data.on_duty))
        await db_session.commit()
        return Duty(on_duty=data.on_duty)
