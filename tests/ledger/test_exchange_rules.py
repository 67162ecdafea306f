"""The exchange's rules in ``[timebank]``: the age from which hours may be spent, and who
may receive a transfer, each refusing with a sentence (issue 35's first rules)."""

from __future__ import annotations

import pytest

from matching.cli import main
from matching.ledger import POOL, TimebankRules, open_ledger
from matching.rules.errors import InputError, RuleError
from matching.workflows.scenario import load_scenario
from tests.ledger.test_book import served


def test_hours_are_spent_from_the_age_the_rules_say(ledgers):
    # from 60: a member of 58 is refused, one whose age is not given too; at 60, 30 of
    # the 60 minutes are spent
    with ledgers.open("L", TimebankRules(spend_from_age=60)) as ledger:
        ledger.record(served(("2026-04-01", "V1", "E1", 60, None)))
        with pytest.raises(InputError, match="V1 is 58: hours may be spent from 60"):
            ledger.redeem("V1", 30, "2026-04-02", "haircut", age=58)
        with pytest.raises(InputError, match="V1's age is needed"):
            ledger.redeem("V1", 30, "2026-04-02", "haircut")
        ledger.redeem("V1", 30, "2026-04-02", "haircut", age=60)
        assert ledger.balances_minutes() == {"V1": 30, POOL: -30}


def test_any_age_by_default(tmp_path):
    with open_ledger(tmp_path / "L.sqlite") as ledger:
        ledger.record(served(("2026-04-01", "V1", "E1", 60, None)))
        ledger.redeem("V1", 60, "2026-04-02")
        assert ledger.balances_minutes()["V1"] == 0


def test_transfers_to_family_only_when_the_rules_say(ledgers):
    rules = TimebankRules(transfer_to="family")
    with ledgers.open("L", rules) as ledger:
        ledger.record(served(("2026-04-01", "V1", "E1", 60, None)))
        with pytest.raises(InputError, match="hours go to family only: say that M2 is V1's"):
            ledger.transfer("V1", "M2", 30, "2026-04-02")
        ledger.transfer("V1", "M2", 30, "2026-04-02", family=True)
        assert ledger.balances_minutes() == {"V1": 30, "M2": 30, POOL: -60}


def test_the_command_line_says_age_and_family(tmp_path, capsys):
    db = tmp_path / "L.sqlite"
    scenario = tmp_path / "s.toml"
    for name in ("v.csv", "e.csv"):
        (tmp_path / name).write_text("id\n", encoding="utf-8")
    scenario.write_text('name = "s"\n[inputs]\nvolunteers = "v.csv"\nelders = "e.csv"\n'
                        '[timebank]\nspend_from_age = 60\ntransfer_to = "family"\n',
                        encoding="utf-8")
    sc = load_scenario(scenario)
    assert (sc.timebank_rules.spend_from_age, sc.timebank_rules.transfer_to) == (60, "family")
    with open_ledger(db, sc.timebank_rules) as ledger:
        ledger.record(served(("2026-04-01", "V1", "E1", 120, None)))
    common = ["--db", str(db), "--member", "V1", "--hours", "0.5", "--date", "2026-04-02"]
    assert main(["ledger", "redeem", *common, "--age", "59"]) == 2
    assert "V1 is 59: hours may be spent from 60" in capsys.readouterr().err
    assert main(["ledger", "redeem", *common, "--age", "61"]) == 0
    assert main(["ledger", "transfer", *common, "--to", "M2"]) == 2
    assert "family only" in capsys.readouterr().err
    assert main(["ledger", "transfer", *common, "--to", "M2", "--family"]) == 0
    with open_ledger(db) as ledger:
        assert ledger.balances_minutes() == {"V1": 60, "M2": 30, POOL: -90}


def test_a_recipient_rule_must_be_known():
    with pytest.raises(RuleError):
        TimebankRules(transfer_to="friends")
