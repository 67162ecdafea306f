"""A seeded generator of realistic worlds, modelled on the county town of Jishan (稷山县).

People live around community centres: each person's home is drawn from a normal distribution
around their community's centre (the box only says where centres are drawn; homes are never
clipped to it, so that nobody piles up on an edge). A county (:data:`JISHAN`) is a seat of
several communities, market towns and villages, each with its own spread and share of the
people. The figures below follow
what programmes of this kind report:

* volunteers are healthy retirees aged 60-75 (60-69 in the county preset), a little more
  often women; most take 2-4 elders and give 3-7 hours a week; three in five have one to
  three trades to offer (haircut, foot massage, repairs...) and set aside two more hours a
  week for them;
* elders are 80 or older, about 9% of them 90+; many live alone or have a low income; most
  need one to three professional services a month; a few want a volunteer of one gender;
* about 8% of elders have a relative among the volunteers (anywhere within 8 km), most have
  one or two familiar volunteers nearby, and about 3% refuse a particular neighbour.

The same spec and seed always give the same files.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matching.world import geo
from matching.world.columns import ELDER_ID, TOWNSHIP, VOLUNTEER_ID
from matching.world.parse import DAY_NAMES

SKILLS = ("haircut", "shave", "foot_massage", "meal_delivery", "cleaning", "laundry",
          "medicine_delivery", "repair", "smartphone")
_COMMUNITY_NAMES = ("民乐社区", "城关社区", "稷峰社区", "新民社区", "东关社区", "西关社区",
                    "南关社区", "北关社区", "翟店社区", "化峪社区", "蔡村社区", "太阳社区")
_SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩"
             "唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎")
_GIVEN = "秀英桂兰玉凤淑珍华明国建平志强文军德福海云芳荣春梅金红丽霞永胜忠林"
_KM_PER_DEG_LAT = 111.195


@dataclass(frozen=True)
class Settlement:
    """A place people live around: a seat's community, a town or a village.

    Attributes
    ----------
    name
        The community name its people get.
    lat, lon
        Its centre, in degrees.
    spread_km
        Standard deviation of homes around the centre.
    weight
        Its share of the people (relative to the other settlements').
    """

    name: str
    lat: float
    lon: float
    spread_km: float
    weight: float
    township: str = ""


@dataclass(frozen=True)
class WorldSpec:
    """Size and geography of a generated world.

    Attributes
    ----------
    lat_range, lon_range
        Bounding box of the town, in degrees.
    communities
        Number of communities (centres drawn inside the box).
    spread_km
        Standard deviation of homes around their community centre.
    volunteer_ages
        Inclusive age range of volunteers.
    towns, town_km
        Town centres (lat, lon): when given, the communities are spread among them, each
        within about ``town_km`` of its town's centre, instead of across the box.
    settlements
        When given, the communities are these places (names, centres, spreads and shares of
        the people), and ``communities``, the box and ``spread_km`` are not used.
    """

    volunteers: int
    elders: int
    lat_range: tuple[float, float] = (35.585, 35.620)
    lon_range: tuple[float, float] = (110.950, 111.005)
    communities: int = 8
    spread_km: float = 0.8
    volunteer_ages: tuple[int, int] = (60, 75)
    share_90_plus: float = 0.09
    share_kin: float = 0.08
    familiar_per_elder: float = 1.5
    share_refuses: float = 0.03
    towns: tuple[tuple[float, float], ...] = ()
    town_km: float = 3.0
    settlements: tuple[Settlement, ...] = ()

    def replace(self, **changes: Any) -> WorldSpec:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


#: Yuncheng's city seat (Yanhu, 35.03 N 111.01 E) and the county seats around it.
YUNCHENG_SEATS: tuple[tuple[float, float], ...] = (
    (35.03, 111.01), (35.14, 110.77), (35.42, 110.84), (35.36, 111.22), (35.60, 110.98),
    (35.61, 111.22), (35.49, 111.57), (35.30, 111.67), (35.14, 111.22), (34.84, 111.19),
    (34.69, 110.69), (34.87, 110.45), (35.60, 110.71))

def _province_towns(rows: int = 9, columns: int = 13, seed: int = 2026
                    ) -> tuple[tuple[float, float], ...]:
    """County towns of a generated province: a jittered grid over Shanxi's extent
    (34.6-40.7 N, 110.2-114.6 E), 117 towns as Shanxi has 117 county-level divisions. Fixed
    by its own seed, so every province world has the same towns."""
    rng = np.random.default_rng(seed)
    lat = np.linspace(34.9, 40.4, rows)[:, None] + rng.uniform(-0.2, 0.2, (rows, columns))
    lon = np.linspace(110.5, 114.3, columns)[None, :] + rng.uniform(-0.1, 0.1, (rows, columns))
    return tuple((round(float(a), 3), round(float(b), 3))
                 for a, b in zip(lat.ravel(), lon.ravel(), strict=True))


#: A province's county towns (see :func:`_province_towns`).
PROVINCE_TOWNS = _province_towns()

#: Jishan county (稷山县, about 686 km²): the seat's communities around 35.60 N 110.98 E,
#: six market towns, and villages scattered over the plain between them. Homes spread
#: about 0.6 km in the seat, 0.5 km in a town and 0.25 km in a village.
JISHAN_SEAT_TOWN = "稷峰镇"
JISHAN_SEAT = (Settlement("民乐社区", 35.601, 110.968, 0.5, 0.10, JISHAN_SEAT_TOWN),
               Settlement("城关社区", 35.596, 110.985, 0.6, 0.11, JISHAN_SEAT_TOWN),
               Settlement("稷峰社区", 35.612, 110.978, 0.6, 0.10, JISHAN_SEAT_TOWN),
               Settlement("东关社区", 35.603, 111.002, 0.5, 0.08, JISHAN_SEAT_TOWN),
               Settlement("西关社区", 35.592, 110.952, 0.5, 0.07, JISHAN_SEAT_TOWN))
JISHAN_TOWNS = (Settlement("翟店镇", 35.571, 110.874, 0.5, 0.07, "翟店镇"),
                Settlement("化峪镇", 35.633, 110.904, 0.5, 0.06, "化峪镇"),
                Settlement("西社镇", 35.648, 111.058, 0.5, 0.05, "西社镇"),
                Settlement("清河镇", 35.556, 111.062, 0.5, 0.05, "清河镇"),
                Settlement("蔡村乡", 35.527, 110.982, 0.4, 0.04, "蔡村乡"),
                Settlement("太阳乡", 35.672, 110.985, 0.4, 0.04, "太阳乡"))


def _villages(count: int = 24, seed: int = 2026) -> tuple[Settlement, ...]:
    """Villages of the county: spread over its plain (35.50-35.70 N, 110.83-111.12 E), at
    least 3 km from the seat, fixed by their own seed, each in the township (乡镇) of the
    nearest town or of the seat. Together a fifth of the people."""
    hubs = [(JISHAN_SEAT_TOWN, 35.601, 110.975)] + [(t.township, t.lat, t.lon)
                                                   for t in JISHAN_TOWNS]
    rng = np.random.default_rng(seed)
    out: list[Settlement] = []
    while len(out) < count:
        lat, lon = rng.uniform(35.50, 35.70), rng.uniform(110.83, 111.12)
        if geo.haversine_km(np.array([lat]), np.array([lon]), 35.601, 110.975)[0] < 3.0:
            continue
        near = min(hubs, key=lambda h: geo.haversine_km(np.array([lat]), np.array([lon]),
                                                        h[1], h[2])[0])
        out.append(Settlement(f"{_VILLAGE_NAMES[len(out)]}村", round(float(lat), 4),
                              round(float(lon), 4), 0.25, 0.23 / count, near[0]))
    return tuple(out)


_VILLAGE_NAMES = ("南阳", "北阳", "东渠", "西渠", "杨史", "吴城", "上费", "下费", "高渠",
                  "仁义", "坊堆", "荆平", "马家", "白家", "姚村", "勾家", "新庄", "柳村",
                  "贾峪", "陈家", "小阳", "汾南", "姚家", "平陇")

#: The county: its seat, towns and villages (see :data:`JISHAN_SEAT`).
JISHAN = JISHAN_SEAT + JISHAN_TOWNS + _villages()

#: Minle: one community of the county town, as in the programme we design for.
#: County: the county town of Jishan. City: a prefecture-sized city of twelve-odd towns' worth.
PRESETS: dict[str, WorldSpec] = {
    "minle": WorldSpec(63, 155, lat_range=(35.596, 35.606), lon_range=(110.962, 110.975),
                       communities=1, spread_km=0.35),
    "county": WorldSpec(1776, 661, volunteer_ages=(60, 69), settlements=JISHAN),
    "city": WorldSpec(20_000, 8_000, lat_range=(35.50, 35.70), lon_range=(110.85, 111.10),
                      communities=40, spread_km=1.2),
    "yuncheng": WorldSpec(50_000, 20_000, lat_range=(34.5, 35.8), lon_range=(110.3, 111.8),
                          communities=130, spread_km=0.8, towns=YUNCHENG_SEATS),
    "province": WorldSpec(500_000, 200_000, lat_range=(34.5, 40.8), lon_range=(110.1, 114.7),
                          communities=468, spread_km=0.8, towns=PROVINCE_TOWNS),
}


@dataclass(frozen=True)
class GeneratedWorld:
    """Input tables in the contract's format (text cells, as they would be written)."""

    volunteers: pd.DataFrame
    elders: pd.DataFrame
    relations: pd.DataFrame


def generate_world(spec: WorldSpec, seed: int = 0) -> GeneratedWorld:
    """Generate volunteers, elders and relations for ``spec``, reproducibly from ``seed``."""
    rng = np.random.default_rng(seed)
    if spec.settlements:
        centres = np.array([(p.lat, p.lon) for p in spec.settlements], dtype=float)
        names = [p.name for p in spec.settlements]
    else:
        centres = _centres(spec, rng)
        names = [(_COMMUNITY_NAMES[i] if i < len(_COMMUNITY_NAMES) else f"第{i + 1}社区")
                 for i in range(spec.communities)]
    vols = _volunteers(spec, rng, centres, names)
    elds = _elders(spec, rng, centres, names)
    rels = _relations(spec, rng, vols, elds)
    townships = {p.name: p.township for p in spec.settlements if p.township}
    if townships:  # the township (乡镇) beside the community, drawing nothing more
        for frame in (vols, elds):
            frame.insert(frame.columns.get_loc("community") + 1, TOWNSHIP,
                         frame["community"].map(townships).fillna(""))
    return GeneratedWorld(vols, elds, rels)


def _centres(spec: WorldSpec, rng: np.random.Generator) -> np.ndarray:
    (la0, la1), (lo0, lo1) = spec.lat_range, spec.lon_range
    if spec.towns:
        town = np.arange(spec.communities) % len(spec.towns)
        seats = np.array(spec.towns, dtype=float)[town]
        km_per_deg_lon = _KM_PER_DEG_LAT * np.cos(np.radians(seats[:, 0]))
        lat = seats[:, 0] + rng.normal(0, spec.town_km, spec.communities) / _KM_PER_DEG_LAT
        lon = seats[:, 1] + rng.normal(0, spec.town_km, spec.communities) / km_per_deg_lon
        return np.column_stack((lat, lon))
    if spec.communities == 1:
        return np.array([[(la0 + la1) / 2, (lo0 + lo1) / 2]])
    lat = rng.uniform(la0 + 0.15 * (la1 - la0), la1 - 0.15 * (la1 - la0), spec.communities)
    lon = rng.uniform(lo0 + 0.15 * (lo1 - lo0), lo1 - 0.15 * (lo1 - lo0), spec.communities)
    return np.column_stack((lat, lon))


def _homes(spec: WorldSpec, rng: np.random.Generator, centres: np.ndarray,
           n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    km_per_deg_lon = _KM_PER_DEG_LAT * np.cos(np.radians(centres[:, 0].mean()))
    if spec.settlements:
        weights = np.array([p.weight for p in spec.settlements], dtype=float)
        community = rng.choice(len(centres), size=n, p=weights / weights.sum())
        spread = np.array([p.spread_km for p in spec.settlements])[community]
    else:
        community = rng.integers(0, len(centres), n)
        spread = np.full(n, spec.spread_km)
    lat = centres[community, 0] + rng.normal(0, 1, n) * spread / _KM_PER_DEG_LAT
    lon = centres[community, 1] + rng.normal(0, 1, n) * spread / km_per_deg_lon
    return community, np.round(lat, 6), np.round(lon, 6)


def _person_names(rng: np.random.Generator, n: int) -> list[str]:
    sur = rng.integers(0, len(_SURNAMES), n)
    g1 = rng.integers(0, len(_GIVEN), n)
    g2 = rng.integers(0, len(_GIVEN), n)
    two = rng.random(n) < 0.6
    return [_SURNAMES[s] + _GIVEN[a] + (_GIVEN[b] if t else "")
            for s, a, b, t in zip(sur, g1, g2, two, strict=True)]


def _days(rng: np.random.Generator, n: int, share_all: float) -> list[str]:
    out = []
    every = rng.random(n) < share_all
    counts = rng.integers(3, 7, n)
    for all_days, k in zip(every, counts, strict=True):
        if all_days:
            out.append(" ".join(DAY_NAMES))
        else:
            pick = np.sort(rng.choice(7, size=k, replace=False))
            out.append(" ".join(DAY_NAMES[i] for i in pick))
    return out


def _tags(rng: np.random.Generator, n: int, share: float, most: int) -> list[str]:
    out = []
    has = rng.random(n) < share
    counts = rng.integers(1, most + 1, n)
    for h, k in zip(has, counts, strict=True):
        out.append(";".join(rng.choice(SKILLS, size=k, replace=False)) if h else "")
    return out


def _ids(prefix: str, n: int) -> list[str]:
    width = max(5, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(n)]


def _volunteers(spec: WorldSpec, rng: np.random.Generator, centres: np.ndarray,
                names: list[str]) -> pd.DataFrame:
    n = spec.volunteers
    community, lat, lon = _homes(spec, rng, centres, n)
    lo, hi = spec.volunteer_ages
    weekly = rng.choice([180, 240, 300, 300, 360, 420], n)
    skills = _tags(rng, n, 0.6, 3)
    # those who offer a trade set aside two more hours a week for it
    weekly = weekly + np.where([bool(s) for s in skills], 120, 0)
    return pd.DataFrame({
        VOLUNTEER_ID: _ids("V", n),
        "name": _person_names(rng, n),
        "age": rng.integers(lo, hi + 1, n).astype(str),
        "gender": np.where(rng.random(n) < 0.55, "F", "M"),
        "community": [names[c] for c in community],
        "phone": [f"139{x:08d}" for x in rng.integers(0, 10**8, n)],
        "lat": lat.astype(str),
        "lon": lon.astype(str),
        "max_elders": rng.choice([2, 3, 3, 3, 4], n).astype(str),
        "weekly_minutes": weekly.astype(str),
        "available_days": _days(rng, n, 0.6),
        "skills": skills,
    })


def _elders(spec: WorldSpec, rng: np.random.Generator, centres: np.ndarray,
            names: list[str]) -> pd.DataFrame:
    n = spec.elders
    community, lat, lon = _homes(spec, rng, centres, n)
    old = rng.random(n) < spec.share_90_plus
    age = np.where(old, rng.integers(90, 100, n), rng.integers(80, 90, n))
    year = 2026 - age
    doy = rng.integers(0, 366, n)
    birthdays = []
    for y, d in zip(year, doy, strict=True):
        day = pd.Timestamp(year=int(y), month=1, day=1) + pd.Timedelta(days=int(d))
        if day.year != y:  # day 366 in a common year
            day = pd.Timestamp(year=int(y), month=12, day=31)
        birthdays.append(day.strftime("%Y-%m-%d"))
    gender = np.where(rng.random(n) < 0.6, "F", "M")
    pref_draw = rng.random(n)
    preference = np.where((gender == "F") & (pref_draw < 0.15), "F",
                          np.where((gender == "M") & (pref_draw < 0.05), "M", ""))
    return pd.DataFrame({
        ELDER_ID: _ids("E", n),
        "name": _person_names(rng, n),
        "age": age.astype(str),
        "gender": gender,
        "community": [names[c] for c in community],
        "phone": [f"0359{x:07d}" for x in rng.integers(0, 10**7, n)],
        "address": [f"{names[c]}{rng.integers(1, 60)}号楼{rng.integers(1, 6)}单元"
                    for c in community],
        "lat": lat.astype(str),
        "lon": lon.astype(str),
        "birthday": birthdays,
        "lives_alone": np.where(rng.random(n) < 0.4, "true", "false"),
        "low_income": np.where(rng.random(n) < 0.25, "true", "false"),
        "visit_minutes": rng.choice([45, 60, 60, 60, 90], n).astype(str),
        "needs": _tags(rng, n, 0.7, 3),
        "available_days": _days(rng, n, 0.7),
        "gender_preference": preference,
    })


def _relations(spec: WorldSpec, rng: np.random.Generator, vols: pd.DataFrame,
               elds: pd.DataFrame) -> pd.DataFrame:
    vlat, vlon = vols["lat"].astype(float).to_numpy(), vols["lon"].astype(float).to_numpy()
    elat, elon = elds["lat"].astype(float).to_numpy(), elds["lon"].astype(float).to_numpy()
    nv, ne = len(vols), len(elds)
    rows: list[tuple[int, int, str]] = []
    # familiar: neighbours within 1 km, about familiar_per_elder of them per elder
    vi, ej, _ = geo.pairs_within(vlat, vlon, elat, elon, 1.0)
    if len(vi):
        rate = min(1.0, spec.familiar_per_elder * ne / len(vi))
        pick = rng.random(len(vi)) < rate
        rows += [(int(v), int(e), "familiar") for v, e in zip(vi[pick], ej[pick], strict=True)]
    # kin: a relative among the volunteers anywhere within 8 km
    kin_elders = np.flatnonzero(rng.random(ne) < spec.share_kin)
    if nv:
        tries = rng.integers(0, nv, (len(kin_elders), 20))
        for e, options in zip(kin_elders, tries, strict=True):
            d = geo.haversine_km(vlat[options], vlon[options], elat[e], elon[e])
            ok = np.flatnonzero(d <= 8.0)
            if len(ok):
                rows.append((int(options[ok[0]]), int(e), "kin"))
    # refuses: a neighbour within 2 km the elder will not have
    near_v, near_e, _ = geo.pairs_within(vlat, vlon, elat, elon, 2.0)
    refusing = np.flatnonzero(rng.random(ne) < spec.share_refuses)
    if len(near_v):
        start = np.searchsorted(near_e[np.argsort(near_e, kind="stable")], np.arange(ne + 1))
        by_e = np.argsort(near_e, kind="stable")
        taken = {(v, e) for v, e, _ in rows}
        for elder in map(int, refusing):
            options = by_e[start[elder]:start[elder + 1]]
            if len(options):
                v = int(near_v[options[rng.integers(0, len(options))]])
                if (v, elder) not in taken:
                    rows.append((v, elder, "refuses"))
    rows.sort(key=lambda r: (r[1], r[0], r[2]))
    return pd.DataFrame({
        VOLUNTEER_ID: [vols[VOLUNTEER_ID].iat[v] for v, _, _ in rows],
        ELDER_ID: [elds[ELDER_ID].iat[e] for _, e, _ in rows],
        "relation": [r for _, _, r in rows],
    }, columns=[VOLUNTEER_ID, ELDER_ID, "relation"])
