"""The exchange's caps, checked under the ledger's write lock: a daily cap on what a member
banks, the balance cap, and spends of the same hours at once (issue 35's first rules)."""

from __future__ import annotations

import threading

import pytest

from matching.ledger import POOL, TimebankRules
from matching.rules.errors import InputError
from tests.ledger.test_book import served


def test_a_day_banks_at_most_the_daily_cap(ledgers):
    # a cap of 2 h a day: 90 + 60 minutes on one day is 2.5 h, refused as a whole (the
    # second row named); 90 then, later, 30 more is 2 h exactly; 1 minute more is refused;
    # another day starts again
    rules = TimebankRules(daily_cap_hours=2)
    with ledgers.open("L", rules) as ledger:
        with pytest.raises(InputError) as caught:
            ledger.record(served(("2026-04-01", "V1", "E1", 90, None),
                                 ("2026-04-01", "V1", "E2", 60, None)))
        [problem] = caught.value.problems
        assert problem.code == "input.daily_over_cap" and problem.row == 1
        assert "would bank 2.5 h for V1 on 2026-04-01, above the daily cap of 2 h" in \
            problem.words("en")
        assert ledger.balances_minutes() == {}
        ledger.record(served(("2026-04-01", "V1", "E1", 90, None)))
        ledger.record(served(("2026-04-01", "V1", "E2", 30, None)))
        with pytest.raises(InputError, match="daily cap"):
            ledger.record(served(("2026-04-01", "V1", "E3", 1, None)))
        ledger.record(served(("2026-04-02", "V1", "E3", 120, None)))
        assert ledger.balances_minutes() == {"V1": 240, POOL: -240}


def test_no_daily_cap_by_default():
    assert TimebankRules().daily_cap_hours == 0


def _at_once(work: list, count: int = 2) -> list[BaseException | None]:
    """Run each of ``work`` in its own thread, released together; what each raised."""
    barrier = threading.Barrier(count)
    outcome: list[BaseException | None] = [None] * count

    def run(k: int) -> None:
        barrier.wait()
        try:
            work[k]()
        except BaseException as exc:
            outcome[k] = exc

    threads = [threading.Thread(target=run, args=(k,)) for k in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


@pytest.mark.parametrize("attempt", range(5))
def test_two_spends_of_the_same_hours_at_once_one_is_refused(ledgers, attempt):
    # V1 has 60 minutes; two connections spend 40 each at the same moment: one succeeds,
    # the other finds 20 left and is refused; the balance never goes below zero
    with ledgers.open("L") as ledger:
        ledger.record(served(("2026-04-01", "V1", "E1", 60, None)))

    def spend() -> None:
        with ledgers.open("L") as ledger:
            ledger.redeem("V1", 40, "2026-04-02", "haircut")
    outcome = _at_once([spend, spend])
    refused = [e for e in outcome if e is not None]
    assert len(refused) == 1 and isinstance(refused[0], InputError)
    assert "would overdraw" in str(refused[0].problems[0].words("en"))
    with ledgers.open("L") as ledger:
        assert ledger.balances_minutes()["V1"] == 20
        assert ledger.verify()[0] == []


@pytest.mark.parametrize("attempt", range(5))
def test_two_recordings_at_once_cannot_both_pass_the_balance_cap(ledgers, attempt):
    # a cap of 1.5 h: two recordings of an hour each for V1 at the same moment: one is
    # recorded, the other sees 60 minutes already there (120 > 90) and is refused
    with ledgers.open("L", TimebankRules(balance_cap_hours=1.5)):
        pass

    def bank(elder: str) -> None:
        with ledgers.open("L") as ledger:
            ledger.record(served(("2026-04-01", "V1", elder, 60, None)))
    outcome = _at_once([lambda: bank("E1"), lambda: bank("E2")])
    refused = [e for e in outcome if e is not None]
    assert len(refused) == 1 and "above the cap" in refused[0].problems[0].words("en")
    with ledgers.open("L") as ledger:
        assert ledger.balances_minutes()["V1"] == 60
