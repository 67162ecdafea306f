"""The time bank: hours served, balances, ratings, and "today I serve, tomorrow I am served".

* :mod:`~matching.ledger.schema`: the SQLite tables (double entry) and their migrations.
* :mod:`~matching.ledger.done`: a marked rota (``DONE.csv``) checked against its schedule.
* :mod:`~matching.ledger.book`: :class:`Ledger`, recording, redeeming, transferring,
  donating, expiring, balances and histories.
* :mod:`~matching.ledger.feedback`: what happened feeds the next plan.
* :mod:`~matching.ledger.statement`: a member's printable statement.
* :mod:`~matching.ledger.simulate`: a seeded marked rota, for trying it out.
"""

from matching.ledger.book import POOL, Ledger, hours, open_ledger
from matching.ledger.done import Recording, read_done
from matching.ledger.feedback import (
    Feedback,
    apply_feedback,
    even_out,
    member_accounts,
    read_members,
)
from matching.ledger.simulate import simulate_done
from matching.ledger.statement import statement_html
from matching.rules.timebank import TimebankRules

__all__ = [
    "POOL",
    "Feedback",
    "Ledger",
    "Recording",
    "TimebankRules",
    "apply_feedback",
    "even_out",
    "hours",
    "member_accounts",
    "open_ledger",
    "read_done",
    "read_members",
    "simulate_done",
    "statement_html",
]
