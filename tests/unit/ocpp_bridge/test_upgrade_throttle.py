"""Password-guess throttling decisions on a fake clock: per address, per identity, and what the right password does."""

from __future__ import annotations

from ocpp_bridge.upgrade_throttle import FailureBudget, UpgradeThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: Clock) -> UpgradeThrottle:
    return UpgradeThrottle(
        address_burst=10, address_refill_seconds=6.0, charger_burst=5, charger_refill_seconds=2.0, clock=clock
    )


def test_guesses_from_many_addresses_get_one_check_per_refill_and_the_right_password_resets() -> None:
    clock = Clock()
    gate = throttle(clock)
    for n in range(5):
        assert gate.admit(f"10.0.0.{n}", "CP-1") == 0
        gate.failed(f"10.0.0.{n}")
    assert gate.admit("10.0.1.1", "CP-1") == 2
    clock.now += 2.0
    assert gate.admit("10.0.1.2", "CP-1") == 0  # one check per refill
    assert gate.admit("10.0.1.3", "CP-1") == 2
    clock.now += 2.0
    assert gate.admit("10.9.9.9", "CP-1") == 0
    gate.succeeded("CP-1")  # the real charger's right password
    assert all(gate.admit("10.9.9.9", "CP-1") == 0 for _ in range(5))
    assert gate.admit("10.0.0.0", "CP-2") == 0  # other identities are untouched


def test_an_address_that_keeps_guessing_is_refused_for_all_identities() -> None:
    clock = Clock()
    gate = throttle(clock)
    refused = 0
    for n in range(300):
        if gate.admit("10.0.0.1", f"CP-{n % 3}"):
            refused += 1
        else:
            gate.failed("10.0.0.1")
    assert refused == 290
    assert gate.admit("10.0.0.1", "CP-NEW") == 6
    clock.now += 6.0
    assert gate.admit("10.0.0.1", "CP-NEW") == 0


def test_successful_checks_cost_an_address_nothing() -> None:
    gate = throttle(Clock())
    for n in range(1_000):
        assert gate.admit("10.0.0.1", f"CP-{n}") == 0
        gate.succeeded(f"CP-{n}")


def test_tracking_is_bounded() -> None:
    clock = Clock()
    budget = FailureBudget(5, 2.0, max_tracked=100, clock=clock)
    for n in range(10_000):
        budget.take(f"CP-{n}")
    assert len(budget) <= 100
