"""The exchange: hours banked are spent on services members ask for.

A member (a volunteer now in need, an elder holding hours, a relative holding hours given
them), or the coordinator for an elder, asks for a service on a date or within a window
(:mod:`matching.exchange.requests`). The volunteers who may give it are ranked by the
pairing's own rules (:mod:`matching.exchange.ranking`) and the best few are offered it on
their phone links; the first to accept takes it. Once done, confirmed and approved as the
programme sets, the requester's hours pay the server's in one balanced ledger entry.
"""

from matching.exchange.payer import payer_of
from matching.exchange.ranking import Candidate, Ranking, rank_volunteers
from matching.exchange.requests import (
    RequestState,
    accept,
    approve,
    assign,
    cancel,
    confirm,
    held_minutes,
    mark_done,
    post_request,
    request_states,
)
from matching.rules.exchange import SERVICES, skill_of

__all__ = ["SERVICES", "Candidate", "Ranking", "RequestState", "accept", "approve",
           "assign", "cancel", "confirm", "held_minutes", "mark_done", "payer_of",
           "post_request", "rank_volunteers", "request_states", "skill_of"]
