"""Print links for the host statements: made for one staff member, period and host, for ten minutes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from api.domain.operations.money.print_links import check_print_token, print_url
from api.errors import NotFound

KEY = "a test secret key of the service"
NOW = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)  # a clock passed in, compared with nothing else
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def test_a_link_opens_for_its_user_period_and_host_until_it_expires() -> None:
    user = uuid.uuid4()
    url = print_url(KEY, user, *MARCH, "Harbour Estates", NOW)
    token = token_of(url)
    assert parse_qs(urlsplit(url).query)["host"] == ["Harbour Estates"]
    assert check_print_token(KEY, token, *MARCH, "Harbour Estates", NOW + timedelta(minutes=9)) == user
    with pytest.raises(NotFound, match="expired"):
        check_print_token(KEY, token, *MARCH, "Harbour Estates", NOW + timedelta(minutes=11))
    for first, last, host in [
        (date(2026, 2, 1), MARCH[1], "Harbour Estates"),  # another period
        (*MARCH, None),  # every host instead of one
        (*MARCH, "Mill Lane Garage"),
    ]:
        with pytest.raises(NotFound):
            check_print_token(KEY, token, first, last, host, NOW)
    with pytest.raises(NotFound):
        check_print_token("another key", token, *MARCH, "Harbour Estates", NOW)


@pytest.mark.parametrize("token", ["", "x", "not-a-uuid.123.abc", f"{uuid.uuid4()}.soon.abc", f"{uuid.uuid4()}.1.abc"])
def test_a_made_up_token_is_not_found(token: str) -> None:
    with pytest.raises(NotFound):
        check_print_token(KEY, token, *MARCH, None, NOW)
