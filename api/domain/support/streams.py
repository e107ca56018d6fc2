"""Server-sent event streams of the ticket feed, for the agents' queue and for a driver's conversation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Final

from litestar.response import ServerSentEvent, ServerSentEventMessage

from api.domain.support.feed import FeedQueue

KEEPALIVE_SECONDS: Final = 15.0


def event_stream(subscription: contextlib.AbstractAsyncContextManager[FeedQueue]) -> ServerSentEvent:
    """A `listening` comment once subscribed (events from then on reach the reader), then each event under its
    name, and a keep-alive comment whenever nothing happened for a while."""

    async def messages() -> AsyncGenerator[ServerSentEventMessage, None]:
        async with subscription as queue:
            yield ServerSentEventMessage(comment="listening")
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ServerSentEventMessage(comment="keep-alive")
                    continue
                if item is None:
                    return
                yield ServerSentEventMessage(data=item.data.decode(), event=item.kind)

    return ServerSentEvent(messages())
