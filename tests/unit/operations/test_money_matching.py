"""The reconciliation's matching rules, without a database or a provider: each planted mismatch is found once,
clean bills match, and money stays Decimal with the currency's decimals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from api.domain.operations.money.reconciliation import Bill, Dispute, Given, Totals, match, summarise
from api.domain.operations.money.schemas import Mismatch, ReconciliationLine
from api.domain.payments.ledger import ProviderCharge, ProviderRefund, charge_from_stripe

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # compared with nothing but itself


def bill(
    due: int, reference: str | None = None, *, provider: str = "stripe", debt: int = 0, currency: str = "EUR"
) -> Bill:
    return Bill(
        session_id=uuid.uuid4(),
        location_name="Harbour",
        billed_at=NOW,
        currency=currency,
        provider=provider,
        source="app",
        payment_reference=reference,
        due_minor=due,
        debt_minor=debt,
    )


def charge(
    reference: str | None, amount: int, *, hint: str | None = None, refunds: tuple[ProviderRefund, ...] = ()
) -> ProviderCharge:
    return ProviderCharge(
        id=f"ch_{uuid.uuid4().hex[:10]}",
        payment_reference=reference,
        amount_captured_minor=amount,
        currency="EUR",
        created=NOW,
        session_hint=hint,
        refunds=refunds,
    )


def run(
    bills: list[Bill],
    charges: list[ProviderCharge],
    given: list[Given] | None = None,
    disputes: list[Dispute] | None = None,
) -> tuple[list[ReconciliationLine], list[Mismatch], dict[str, Totals]]:
    return match(
        bills,
        charges,
        given or [],
        disputes or [],
        provider="stripe",
        include_unclaimed=True,
        unclaimed_since=NOW - timedelta(days=1),
    )


def test_a_clean_bill_matches_and_totals_are_decimal() -> None:
    clean = bill(1234, "pi_clean")
    lines, mismatches, totals = run([clean], [charge("pi_clean", 1234)])
    assert mismatches == []
    assert [line.status for line in lines] == ["matched"]
    (eur,) = summarise(totals)
    assert eur.billed == eur.captured == eur.net == Decimal("12.34")
    assert isinstance(eur.net, Decimal)
    assert str(eur.refunded) == "0.00"


def test_each_kind_of_mismatch_is_found() -> None:
    never = bill(800, "pi_never")
    twice = bill(1000, "pi_twice")
    short = bill(1500, "pi_short")
    refunded = bill(2000, "pi_refunded")
    disputed = bill(900, "pi_disputed")
    outside = bill(700, None, provider="none")
    refund = ProviderRefund(id="re_dash", amount_minor=500, currency="EUR", created=NOW)
    charges = [
        charge("pi_twice", 1000),
        charge("pi_other", 1000, hint=str(twice.session_id)[:8]),  # a second payment naming the same session
        charge("pi_short", 1200),
        charge("pi_refunded", 2000, refunds=(refund,)),
        charge("pi_disputed", 900),
        charge("pi_stranger", 450),
    ]
    dispute = Dispute(
        id="du_1",
        payment_reference="pi_disputed",
        amount_minor=900,
        currency="EUR",
        status="needs_response",
        reason="fraudulent",
        at=NOW,
    )
    lines, mismatches, totals = run([never, twice, short, refunded, disputed, outside], charges, disputes=[dispute])
    kinds = {(m.kind, m.session_id) for m in mismatches}
    assert kinds == {
        ("billed_not_captured", never.session_id),
        ("captured_twice", twice.session_id),
        ("amount_mismatch", short.session_id),
        ("refund_without_reason", refunded.session_id),
        ("dispute_open", disputed.session_id),
        ("captured_without_session", None),
    }
    by_kind = {m.kind: m for m in mismatches}
    assert by_kind["captured_twice"].amount == Decimal("10.00")
    assert by_kind["amount_mismatch"].amount == Decimal("3.00")
    assert by_kind["refund_without_reason"].provider_id == "re_dash"
    assert by_kind["captured_without_session"].provider_id == charges[-1].id
    assert {line.session_id: line.status for line in lines}[outside.session_id] == "outside"
    (eur,) = summarise(totals)
    assert eur.billed == Decimal("69.00")
    assert eur.billed_outside == Decimal("7.00")
    assert eur.captured == Decimal("65.50")  # 10 + 10 + 12 + 20 + 9 + 4.50 unclaimed
    assert eur.refunded == Decimal("5.00")
    assert eur.disputed == Decimal("9.00")
    assert eur.lost_in_disputes == Decimal("0.00")
    assert eur.net == Decimal("60.50")


def test_a_refund_support_issued_from_a_ticket_is_not_a_mismatch() -> None:
    paid = bill(2000, "pi_paid")
    refund = ProviderRefund(id="re_ok", amount_minor=500, currency="EUR", created=NOW, reason="charger_fault: T-000001")
    given = Given(
        session_id=paid.session_id,
        kind="refund",
        amount_minor=500,
        reason_code="charger_fault",
        ticket_id=1,
        provider_reference="re_ok",
    )
    _, mismatches, _ = run([paid], [charge("pi_paid", 2000, refunds=(refund,))], given=[given])
    assert mismatches == []


def test_a_lost_dispute_counts_against_net_and_a_won_one_is_not_listed() -> None:
    lost, won = bill(1000, "pi_lost"), bill(1000, "pi_won")
    disputes = [
        Dispute(
            id="du_l",
            payment_reference="pi_lost",
            amount_minor=1000,
            currency="EUR",
            status="lost",
            reason=None,
            at=NOW,
        ),
        Dispute(
            id="du_w", payment_reference="pi_won", amount_minor=1000, currency="EUR", status="won", reason=None, at=NOW
        ),
    ]
    _, mismatches, totals = run([lost, won], [charge("pi_lost", 1000), charge("pi_won", 1000)], disputes=disputes)
    assert [(m.kind, m.session_id) for m in mismatches] == [("dispute_lost", lost.session_id)]
    (eur,) = summarise(totals)
    assert eur.net == Decimal("10.00")


def test_debt_is_billed_not_captured_and_a_released_hold_matches() -> None:
    debt = bill(1500, "pi_debt", debt=1500)
    nothing_due = bill(0, "pi_released")
    _, mismatches, _ = run([debt, nothing_due], [])
    assert [(m.kind, m.session_id) for m in mismatches] == [("billed_not_captured", debt.session_id)]
    assert "debt" in mismatches[0].detail


def test_payments_of_sessions_outside_the_report_are_not_strangers() -> None:
    _, mismatches, _ = match(
        [], [charge("pi_elsewhere", 300)], [], [], provider="stripe", include_unclaimed=True,
        unclaimed_since=NOW - timedelta(days=1), elsewhere=frozenset({"pi_elsewhere"}),
    )  # fmt: skip
    assert mismatches == []


def test_an_operator_is_not_shown_payments_that_belong_to_no_session() -> None:
    _, mismatches, _ = match(
        [], [charge("pi_stranger", 300)], [], [], provider="stripe", include_unclaimed=False, unclaimed_since=NOW
    )
    assert mismatches == []


def test_stripe_charges_are_read_with_their_captured_part_and_refunds() -> None:
    created = int(NOW.timestamp())
    partly = {
        "id": "ch_1", "captured": True, "status": "succeeded", "amount": 2428, "currency": "eur",
        "payment_intent": "pi_1", "created": created,
        "metadata": {"description": "Charging session 1a2b3c4d: 3.10 kWh"},
    }  # fmt: skip
    released = {"id": "re_rest", "amount": 1428, "payment_intent": None, "metadata": {}, "created": created}
    dashboard = {"id": "re_dash", "amount": 100, "payment_intent": "pi_1", "metadata": {}, "created": created + 5}
    read = charge_from_stripe(partly, [released, dashboard])
    assert read is not None
    assert read.amount_captured_minor == 1000  # the uncaptured rest a Stripe-compatible server refunds is no refund
    assert [refund.id for refund in read.refunds] == ["re_dash"]
    assert read.session_hint == "1a2b3c4d"
    assert read.currency == "EUR"
    stripe_shape = {**partly, "amount_captured": 1000}
    read = charge_from_stripe(stripe_shape, [dashboard])
    assert read is not None
    assert read.amount_captured_minor == 1000
    assert charge_from_stripe({**partly, "captured": False}, []) is None


def test_a_hold_captured_and_the_rest_charged_off_session_match_the_bill() -> None:
    """A session dearer than its hold: 24.28 captured on the hold, 5.72 charged off-session naming the session."""
    dear = bill(3000, "pi_hold")
    rest = charge("pi_rest", 572, hint=str(dear.session_id)[:8])
    lines, mismatches, _ = run([dear], [charge("pi_hold", 2428), rest])
    assert mismatches == []
    assert lines[0].captured == Decimal("30.00")
