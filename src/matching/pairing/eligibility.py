"""Who may serve whom: the one place the eligibility rules live.

Pairing, backups, monthly services, birthday greetings and any visitor standing in all ask
:class:`Eligibility` the same question, each with its own distance limit:

* the two live no further apart than the limit (kin may have a longer one);
* the elder does not refuse the volunteer (a refusal holds at every distance and for every
  activity);
* the elder's gender preference, if any, is the volunteer's gender;
* they share at least one available day.

The answer is a reason code per pair (``ELIGIBLE`` or the first rule that fails, in the
order above), computed vectorised over arrays of pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matching.world.model import World

#: Why a pair may not serve, in the order the rules are tested; ``ELIGIBLE`` when none fails.
ELIGIBLE, TOO_FAR, REFUSES, GENDER, NO_SHARED_DAY = 0, 1, 2, 3, 4

#: Slack on distance limits, so that a pair exactly at the limit (after floating-point
#: round-off) is inside it.
LIMIT_SLACK_KM = 1e-9


def gender_codes(column: npt.ArrayLike) -> np.ndarray:
    """``""``, ``F``, ``M`` as 0, 1, 2 (comparing small integers beats comparing strings)."""
    text = np.asarray(column, dtype=object)
    return np.where(text == "F", 1, np.where(text == "M", 2, 0)).astype(np.int8)


@dataclass(frozen=True)
class Eligibility:
    """The eligibility rules over one world, as arrays built once.

    Attributes
    ----------
    gender
        Per volunteer: 0 unknown, 1 F, 2 M.
    wants
        Per elder: the preferred gender's code, 0 for none.
    volunteer_days, elder_days
        Available days as bit masks (bit 0 = Monday).
    kin_keys, familiar_keys, refuses_keys
        Sorted pair keys ``volunteer * num_elders + elder`` of each relation.
    num_elders
        Number of elders (the key's base).
    """

    gender: np.ndarray
    wants: np.ndarray
    volunteer_days: np.ndarray
    elder_days: np.ndarray
    kin_keys: np.ndarray
    familiar_keys: np.ndarray
    refuses_keys: np.ndarray
    num_elders: int

    @classmethod
    def from_world(cls, world: World) -> Eligibility:
        """Build from a validated world (see :func:`matching.world.read.read_world`)."""
        volunteers, elders, relations = world.volunteers, world.elders, world.relations
        rel_v = volunteers.rows(relations.volunteer_id)
        rel_e = elders.rows(relations.elder_id)
        known = (rel_v >= 0) & (rel_e >= 0)
        kind = relations.relation
        keys = rel_v * len(elders) + rel_e

        def of(relation: str) -> np.ndarray:
            return np.unique(keys[known & (kind == relation)])

        return cls(gender=gender_codes(volunteers.gender),
                   wants=gender_codes(elders.gender_preference),
                   volunteer_days=volunteers.day_mask, elder_days=elders.day_mask,
                   kin_keys=of("kin"), familiar_keys=of("familiar"),
                   refuses_keys=of("refuses"), num_elders=len(elders))

    def keys(self, v: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Pair keys ``v * num_elders + e``."""
        return np.asarray(v, dtype=np.int64) * self.num_elders + np.asarray(e, dtype=np.int64)

    def kin(self, v: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Whether each pair is kin."""
        return np.isin(self.keys(v, e), self.kin_keys)

    def familiar(self, v: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Whether each pair is familiar."""
        return np.isin(self.keys(v, e), self.familiar_keys)

    def refuses(self, v: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Whether the elder refuses the volunteer, at any distance."""
        return np.isin(self.keys(v, e), self.refuses_keys)

    def shared_days(self, v: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Bit mask of the days both can do."""
        return self.volunteer_days[v] & self.elder_days[e]

    def codes(self, v: np.ndarray, e: np.ndarray, km: np.ndarray,
              limit_km: np.ndarray | float) -> np.ndarray:
        """The first rule each pair breaks (``ELIGIBLE`` if none), for a distance limit.

        Parameters
        ----------
        v, e
            Volunteer and elder indices of the pairs.
        km
            Their distances.
        limit_km
            The activity's distance limit (one number, or one per pair).
        """
        v = np.asarray(v, dtype=np.int64)
        e = np.asarray(e, dtype=np.int64)
        code = np.full(len(v), ELIGIBLE, dtype=np.int8)
        code[self.shared_days(v, e) == 0] = NO_SHARED_DAY
        want = self.wants[e]
        code[(want != 0) & (self.gender[v] != want)] = GENDER
        code[self.refuses(v, e)] = REFUSES
        code[~(np.asarray(km) <= np.asarray(limit_km) + LIMIT_SLACK_KM)] = TOO_FAR
        return code

    def pairing_limit(self, v: np.ndarray, e: np.ndarray, max_km: float,
                      max_kin_km: float) -> np.ndarray:
        """The pairing's distance limit of each pair: ``max_kin_km`` for kin, else ``max_km``."""
        return np.where(self.kin(v, e), max_kin_km, max_km)


def measured_pairs(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs pairs.csv measures: sorted keys ``v * num_elders + e``, with the distance
    and weekly minutes it gives (NaN where it gives none); a pair listed twice keeps its
    first row."""
    measured = world.pairs
    if measured is None or not len(measured):
        return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)
    keys = world.volunteers.rows(measured.volunteer_id) * len(world.elders) \
        + world.elders.rows(measured.elder_id)
    keys, first = np.unique(keys, return_index=True)
    return keys, measured.distance_km[first], measured.weekly_minutes[first]


def nearby_pairs(world: World, km: float, *, volunteers: np.ndarray | None = None,
                 elders: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every pair worth testing for a distance limit of ``km``, with its distance.

    The pairs are those within ``km`` in a straight line, every pair named in the
    relations (kin may live further away), and every measured pair. Each has the world's
    distance (:attr:`World.distances`: walked, estimated or straight), which may be more
    than ``km`` (a river between two homes): the eligibility codes say so. A measured
    distance replaces the computed one; pairs with no distance at all (no coordinates, not
    measured) are left out.

    Parameters
    ----------
    volunteers, elders
        Only pairs of these volunteers and elders (indices); everyone when ``None``. A
        schedule asks for one skill's providers this way, without the pairs of everyone
        within reach.

    Returns
    -------
    v, e, distance_km, given_minutes
        Sorted by pair key; ``given_minutes`` is NaN unless pairs.csv gives the weekly minutes.
    """
    vols, elds, relations = world.volunteers, world.elders, world.relations
    ne = len(elds)
    some_v = np.arange(len(vols)) if volunteers is None else np.asarray(volunteers, np.int64)
    some_e = np.arange(ne) if elders is None else np.asarray(elders, np.int64)
    in_v = np.zeros(len(vols), dtype=bool)
    in_v[some_v] = True
    in_e = np.zeros(ne, dtype=bool)
    in_e[some_e] = True
    vlat, vlon, elat, elon = vols.lat, vols.lon, elds.lat, elds.lon
    distances = world.distances
    gi, gj, gd, _ = distances.near(vlat[some_v], vlon[some_v], elat[some_e], elon[some_e], km)
    gi, gj = some_v[gi], some_e[gj]
    rel_v = vols.rows(relations.volunteer_id)
    rel_e = elds.rows(relations.elder_id)
    inside = in_v[rel_v] & in_e[rel_e]
    rel_v, rel_e = rel_v[inside], rel_e[inside]
    # kin may live farther away: their walks are searched as far as kin may live
    reach = max(km, world.rules.max_kin_km)
    rel_d = np.empty(len(rel_v))
    # a pair that is kin by any of its rows is searched as kin
    rel_key = rel_v.astype(np.int64) * ne + rel_e
    is_kin = np.isin(rel_key, rel_key[(relations.relation == "kin")[inside]])
    for which, limit in ((is_kin, reach), (~is_kin, km)):
        if which.any():
            rel_d[which] = distances.between(vlat[rel_v[which]], vlon[rel_v[which]],
                                             elat[rel_e[which]], elon[rel_e[which]], limit)
    # the pairs within reach: each once, sorted by key (a plain sort of millions of keys is
    # several times faster than a stable de-duplicating one)
    near_key = gi.astype(np.int64) * ne + gj
    order = np.argsort(near_key)
    near_key, near_d = near_key[order], gd[order]
    # the few others: measured pairs first, so that they win over the same pair found near
    # or named in the relations
    keys = [rel_v.astype(np.int64) * ne + rel_e]
    dists = [rel_d]
    minutes = [np.full(len(rel_v), np.nan)]
    measured_keys, given_km, given_minutes = measured_pairs(world)
    if len(measured_keys):
        pv, pe = measured_keys // ne, measured_keys % ne
        inside = in_v[pv] & in_e[pe]
        pv, pe = pv[inside], pe[inside]
        computed = distances.between(vlat[pv], vlon[pv], elat[pe], elon[pe], reach)
        keys.insert(0, measured_keys[inside])
        dists.insert(0, np.where(np.isnan(given_km[inside]), computed, given_km[inside]))
        minutes.insert(0, given_minutes[inside])
    n_measured = len(keys[0]) if len(keys) == 2 else 0
    extra_all = np.concatenate(keys)
    extra_key, first = np.unique(extra_all, return_index=True)
    extra_d, extra_m = np.concatenate(dists)[first], np.concatenate(minutes)[first]
    measured = first < n_measured
    # a pair both near and measured keeps the measured figures; near and named in the
    # relations, the computed distance (the same) from the search
    known = _sorted_member(extra_key, near_key)
    keep_near = ~_sorted_member(near_key, extra_key[measured])
    extra = measured | ~known
    near_key, near_d = near_key[keep_near], near_d[keep_near]
    extra_key, extra_d, extra_m = extra_key[extra], extra_d[extra], extra_m[extra]
    at = np.searchsorted(near_key, extra_key)
    key = np.insert(near_key, at, extra_key)
    dist = np.insert(near_d, at, extra_d)
    given = np.insert(np.full(len(near_key), np.nan), at, extra_m)
    ok = ~np.isnan(dist)
    key, dist, given = key[ok], dist[ok], given[ok]
    return key // ne, key % ne, dist, given


def _sorted_member(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in ``sorted_keys`` (sorted, without repeats)."""
    if not len(sorted_keys):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[at] == values
