"""Who pays for a request: the member who asks, else the elder's own hours, else the pool;
the 90+ are served free whatever they hold."""

from __future__ import annotations

import pytest

from matching.exchange import payer_of
from matching.ledger import POOL, TimebankRules
from matching.rules.errors import InputError
from matching.world.read import read_world
from tests.conftest import elders, volunteers
from tests.ledger.test_book import served


def _world():
    # V1 (member M1) banked hours years ago and is now E1 (85); E2 is 92 and also a member
    # (M2 = V2); E3 (81) never volunteered
    vols = volunteers({"x": 0.1, "member_id": "M1", "age": 70},
                      {"x": 0.2, "member_id": "M2", "age": 58}, {"x": 0.3, "age": 66})
    elds = elders({"x": 0.0, "member_id": "M1", "age": 85},
                  {"x": 0.0, "member_id": "M2", "age": 92}, {"x": 0.0, "age": 81})
    return read_world(vols, elds)


def test_the_elder_s_hours_pay_until_they_run_short_and_the_90_plus_are_free(ledgers):
    with ledgers.open("L", TimebankRules()) as ledger:
        # V1 banked 2 h, V2 5 h
        ledger.record(served(("2026-11-02", "V1", "E9", 120, None),
                             ("2026-11-02", "V2", "E9", 300, None)))
        world = _world()
        assert payer_of(ledger, world, 0, "", 60) == "V1"       # 85, 2 h: their own
        assert payer_of(ledger, world, 0, "", 180) == POOL      # 3 h is more than they hold
        assert payer_of(ledger, world, 1, "", 60) == POOL       # 92: free, 5 h untouched
        assert payer_of(ledger, world, 2, "", 60) == POOL       # no hours at all
        assert payer_of(ledger, world, 2, "V2", 60) == "V2"     # a member pays for E3


def test_a_member_spends_from_the_age_the_rules_say(ledgers):
    with ledgers.open("L", TimebankRules(spend_from_age=60)) as ledger:
        ledger.record(served(("2026-11-02", "V2", "E9", 300, None),
                             ("2026-11-02", "V3", "E9", 60, None)))
        world = _world()
        with pytest.raises(InputError, match="58"):  # V2 is 58: too young to spend
            payer_of(ledger, world, 2, "V2", 60)
        assert payer_of(ledger, world, 2, "V3", 60) == "V3"     # 66
        with pytest.raises(InputError, match="no member"):
            payer_of(ledger, world, 2, "M-unknown", 60)
