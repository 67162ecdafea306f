"""The exchange's rules: the services a member may ask for, and the skill each needs.

A visit needs no skill; every other service needs a volunteer whose ``skills`` hold its
name (the same tags an elder's ``needs`` name for the monthly professional service).
"""

from __future__ import annotations

#: The services that may be requested, in the order the phone and the console list them.
#: (A skill is one of the tags the volunteers' ``skills`` and the elders' ``needs`` use:
#: meals are ``meal_delivery``, medicine ``medicine_delivery``.)
SERVICES = ("visit", "haircut", "meal_delivery", "cleaning", "medicine_delivery",
            "smartphone")

#: The planned activities an elder or family confirms (a visit at home and the monthly
#: professional service); calls and community events are not confirmed one by one.
CONFIRMED_ACTIVITIES = ("visit", "service")

#: The services any volunteer may give (no skill needed).
UNSKILLED = frozenset({"visit"})


def service_words(service: str) -> str:
    """The catalogue code that names a service (上门探访, 理发...)."""
    return "activity.visit" if service in UNSKILLED else f"service.{service}"


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
