"""Operations API for the live network view: the grouped, filtered network, and its live changes as server-sent
events, each for the caller's sites only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator
from typing import Annotated, Final

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from api.db.types import utc_now
from api.deps import DbSession
from api.domain.operations.network.feed import NetworkFeed
from api.domain.operations.network.queries import NetworkFilters, network_view
from api.domain.operations.network.schemas import Connectivity, NetworkStatus, NetworkView
from api.domain.operations.scope import CallerScope, SiteScope
from api.openapi_contract import problems
from api.security.guards import operations

KEEPALIVE_SECONDS: Final = 15.0
BATCH_SECONDS: Final = 0.25  # a stream sends at most about four batches a second, each the newest per object


def _feed(state: State) -> NetworkFeed:
    feed: NetworkFeed = state.network_feed
    return feed


class NetworkController(Controller):
    path = "/v1/admin/network"
    tags = ["Operations"]
    guards = [operations]
    security = [{"BearerToken": []}]

    @get(
        "",
        summary="The live network: chargers and EVSEs by location, region and business unit",
        responses=problems(422),
    )
    async def network(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        region: Annotated[uuid.UUID | None, QueryParameter(required=False, description="region id")] = None,
        business_unit: Annotated[
            uuid.UUID | None, QueryParameter(name="businessUnit", required=False, description="business unit id")
        ] = None,
        location: Annotated[uuid.UUID | None, QueryParameter(required=False, description="location id")] = None,
        status: Annotated[
            NetworkStatus | None,
            QueryParameter(required=False, description="chargers that are offline, or have an EVSE in this status"),
        ] = None,
        connectivity: Annotated[Connectivity | None, QueryParameter(required=False)] = None,
        model: Annotated[
            str | None, QueryParameter(required=False, max_length=50, description="charger model, exact")
        ] = None,
        q: Annotated[
            str | None,
            QueryParameter(
                required=False, max_length=100, description="part of a charger id, location name, city or EVSE id"
            ),
        ] = None,
        offset: Annotated[int, QueryParameter(ge=0, description="locations to skip")] = 0,
        limit: Annotated[
            int, QueryParameter(ge=0, le=1000, description="locations to list with their chargers; 0: totals only")
        ] = 100,
    ) -> NetworkView:
        """Every charger of the caller's sites (an operator's regions and business units; everything for an admin)
        with its connection, firmware and model, and each EVSE's status with the session running on it: energy,
        power, duration and how the driver authenticated. Totals for the whole view, per region, business unit
        and location count everything the filters kept; `limit` locations from `offset` on come with their chargers
        (`locationsTotal` says how many there are)."""
        filters = NetworkFilters(
            region_id=region,
            business_unit_id=business_unit,
            location_id=location,
            status=status,
            connectivity=connectivity,
            model=model,
            q=q,
        )
        return await network_view(db_session, site_scope, filters, utc_now(), offset=offset, limit=limit)

    @get("/events", summary="Live changes of the network as server-sent events")
    async def events(self, state: State, site_scope: CallerScope) -> ServerSentEvent:
        """`event: charger` (connected or not, the process holding it), `event: evse` (status, error) and
        `event: session` (energy, power, state of a running session; `final` when it ended), only for the caller's
        sites, from any process. A `listening` comment once subscribed; a comment every 15 s keeps it open. When
        events come faster than they are read, only the newest per charger, EVSE or session is sent."""
        return ServerSentEvent(_messages(_feed(state), site_scope))


async def _messages(feed: NetworkFeed, scope: SiteScope) -> AsyncGenerator[ServerSentEventMessage, None]:
    async with feed.subscribe(scope) as queue:
        yield ServerSentEventMessage(comment="listening")
        while True:
            try:
                batch = await asyncio.wait_for(queue.take(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive")
                continue
            if batch is None:
                return
            for event in batch:
                yield ServerSentEventMessage(data=event.data.decode(), event=event.kind)
            await asyncio.sleep(BATCH_SECONDS)
