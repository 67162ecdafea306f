"""The services a member may ask for, and the skill each needs.

A visit needs no skill; every other service needs a volunteer whose ``skills`` hold its
name (the same tags an elder's ``needs`` name for the monthly professional service).
"""

from __future__ import annotations

#: The services that may be requested, in the order the phone and the console list them.
SERVICES = ("visit", "haircut", "meals", "cleaning", "medicine", "smartphone")

#: The services any volunteer may give (no skill needed).
UNSKILLED = frozenset({"visit"})


def skill_of(service: str) -> str | None:
    """The skill a service needs (``None`` for a visit).

    Raises
    ------
    KeyError
        For a service that is not one of :data:`SERVICES`.
    """
    if service not in SERVICES:
        raise KeyError(service)
    return None if service in UNSKILLED else service
