"""Who pays for a requested service: the member who asks, the elder's own hours, or the
programme's pool (for elders without hours, and every elder of ``free_from_age`` or more)."""

from __future__ import annotations

from matching.exchange.requests import held_minutes
from matching.ledger.book import POOL, Ledger
from matching.ledger.feedback import elder_accounts
from matching.rules.errors import InputError
from matching.world.model import World


def payer_of(ledger: Ledger, world: World, row: int, member: str, minutes: int) -> str:
    """Who pays for a request for the elder in ``row`` of ``minutes``: the ``member`` who
    asks (known to the ledger, and old enough when the rules say from what age hours are
    spent); else the elder's own account when it holds the hours (less what its open
    requests hold); the pool for an elder of ``free_from_age`` or more, and for one
    without hours.

    Raises
    ------
    InputError
        For a member the ledger does not know, or one too young to spend (or of no known
        age when the rules ask it).
    """
    rules = ledger.rules
    if member:
        known = ledger.conn.execute("SELECT 1 FROM accounts WHERE account_id = ? AND "
                                    "kind = 'member'", (member,)).fetchone()
        if known is None:
            raise InputError.one("member_id", "exchange.unknown_member", who=member)
        if rules.spend_from_age:
            age = _age_of(world, member)
            if age is None:
                raise InputError.one("member_id", "input.age_needed_to_spend", who=member,
                                     least=rules.spend_from_age)
            if age < rules.spend_from_age:
                raise InputError.one("member_id", "input.too_young_to_spend", who=member,
                                     age=age, least=rules.spend_from_age)
        return member
    age = float(world.elders.age[row])
    if rules.free_from_age and age == age and age >= rules.free_from_age:
        return POOL
    account = elder_accounts(world).get(str(world.elders.elder_id[row]))
    if account and ledger._balance(account) - held_minutes(ledger, account) >= minutes:
        return account
    return POOL


def _age_of(world: World, member: str) -> float | None:
    for people in (world.volunteers, world.elders):
        row = int(people.rows([member])[0])
        if row >= 0:
            age = float(people.age[row])
            return age if age == age else None
    return None
