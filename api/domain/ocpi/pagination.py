"""OCPI pagination (transport_and_format.asciidoc): offset/limit, the date_from/date_to window on last_updated, and
the `Link: <...>; rel="next"`, `X-Total-Count` and `X-Limit` headers.

Modules count and fetch in the database with the page's `offset`, `limit`, `date_from` (inclusive) and `date_to`
(exclusive; `date_window` turns them into SQL conditions on a `last_updated` column); `paginated_response` adds the
headers. The next link keeps every query parameter of the request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response
from litestar.di import NamedDependency
from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

from api.domain.ocpi.envelope import OcpiError, OcpiStatus, ocpi_response
from api.domain.ocpi.schemas import parse_datetime

DEFAULT_PAGE_LIMIT = 1000


class PageRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One page asked for: `limit` is already capped at the server's maximum."""

    offset: int = 0
    limit: int = DEFAULT_PAGE_LIMIT
    date_from: datetime | None = None
    date_to: datetime | None = None

    @classmethod
    def parse(cls, query: Any, max_limit: int = DEFAULT_PAGE_LIMIT) -> PageRequest:
        """From query parameters (a mapping); bad values are OCPI 2001."""
        offset = _whole(query.get("offset"), "offset", 0)
        limit = min(_whole(query.get("limit"), "limit", max_limit), max_limit)
        date_from = _moment(query.get("date_from"), "date_from")
        date_to = _moment(query.get("date_to"), "date_to")
        if date_from is not None and date_to is not None and date_to < date_from:
            raise OcpiError(OcpiStatus.INVALID_PARAMETERS, "date_to must not be before date_from")
        return cls(offset=offset, limit=limit, date_from=date_from, date_to=date_to)


Page = NamedDependency[PageRequest]  # a handler's `page: Page` parameter


def date_window(
    column: ColumnElement[datetime] | InstrumentedAttribute[datetime], page: PageRequest
) -> list[ColumnElement[bool]]:
    """The page's `last_updated` window as SQL conditions: `date_from <= column < date_to` (either side optional)."""
    conditions: list[ColumnElement[bool]] = []
    if page.date_from is not None:
        conditions.append(column >= page.date_from)
    if page.date_to is not None:
        conditions.append(column < page.date_to)
    return conditions


def _whole(raw: object, name: str, default: int) -> int:
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"{name} must be a whole number, got {text!r}") from None
    if value < 0:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"{name} must not be negative, got {value}")
    return value


def _moment(raw: object, name: str) -> datetime | None:
    text = str(raw).strip() if raw is not None else ""
    if not text:
        return None
    try:
        return parse_datetime(text)
    except ValueError:
        raise OcpiError(
            OcpiStatus.INVALID_PARAMETERS, f"{name} must be a date and time such as 2026-01-01T00:00:00Z, got {text!r}"
        ) from None


def page_limit(request: Request[Any, Any, Any]) -> int:
    settings = getattr(request.app.state, "settings", None)
    return int(getattr(settings, "ocpi_page_limit", DEFAULT_PAGE_LIMIT))


def provide_page(request: Request[Any, Any, Any]) -> PageRequest:
    """Dependency `page`: the request's page, capped at VOLTWAY_OCPI_PAGE_LIMIT."""
    return PageRequest.parse(request.query_params, page_limit(request))


def public_url(request: Request[Any, Any, Any], path: str) -> str:
    """`path` as partners reach it: under VOLTWAY_OCPI_BASE_URL when set, else the request's own scheme and host."""
    settings = getattr(request.app.state, "settings", None)
    base = str(getattr(settings, "ocpi_base_url", "") or "").rstrip("/")
    if not base:
        base = str(request.base_url).rstrip("/")
    return base + path


def next_link(request: Request[Any, Any, Any], page: PageRequest) -> str:
    """The next page's URL: the same path and every query parameter, offset moved on by one page."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in {"offset", "limit"}]
    params = [("offset", str(page.offset + page.limit)), ("limit", str(page.limit)), *params]
    return public_url(request, request.url.path) + "?" + urlencode(params)


def paginated_response(
    request: Request[Any, Any, Any], items: list[Any], total: int, page: PageRequest
) -> Response[bytes]:
    """The envelope around one page, with Link (when more follow), X-Total-Count and X-Limit."""
    headers = {"X-Total-Count": str(total), "X-Limit": str(page.limit)}
    if page.limit > 0 and page.offset + len(items) < total:
        headers["Link"] = f'<{next_link(request, page)}>; rel="next"'
    return ocpi_response(items, headers=headers)
