"""The seeded world generator."""

from __future__ import annotations

import pandas as pd
import pytest

import matching
from matching.world.generate import JISHAN_SEAT, JISHAN_TOWNS, PRESETS, generate_world


def test_same_seed_same_world():
    """Same spec and seed: identical tables; another seed: different ones."""
    a = generate_world(PRESETS["minle"], seed=4)
    b = generate_world(PRESETS["minle"], seed=4)
    c = generate_world(PRESETS["minle"], seed=5)
    pd.testing.assert_frame_equal(a.elders, b.elders)
    pd.testing.assert_frame_equal(a.relations, b.relations)
    assert not a.elders.equals(c.elders)


def test_county_world_is_realistic():
    """County preset: sizes, ages, the share of 90+, a seat, towns and villages over the
    county's plain, and valid input."""
    spec = PRESETS["county"]
    world = generate_world(spec, seed=1)
    assert len(world.volunteers) == 1776 and len(world.elders) == 661
    ages = world.elders["age"].astype(int)
    assert ages.min() >= 80
    assert 0.05 < (ages >= 90).mean() < 0.13
    vages = world.volunteers["age"].astype(int)
    assert vages.between(60, 69).all()
    # the plain is about 22 km north to south and 26 km east to west (686 km² county)
    for people in (world.volunteers, world.elders):
        lat, lon = people["lat"].astype(float), people["lon"].astype(float)
        assert lat.min() > 35.49 and lat.max() < 35.71
        assert lon.min() > 110.81 and lon.max() < 111.14
    places = world.elders["community"].value_counts()
    seat = places[[p.name for p in JISHAN_SEAT]].sum()
    towns = places[[p.name for p in JISHAN_TOWNS]].sum()
    villages = places[places.index.str.endswith("村")]
    # the seat about half the people (46%), towns 31%, 24 villages 23%
    assert 0.38 < seat / 661 < 0.54 and 0.23 < towns / 661 < 0.39
    assert len(villages) >= 20 and 0.15 < villages.sum() / 661 < 0.31
    kinds = set(world.relations["relation"])
    assert kinds == {"kin", "familiar", "refuses"}
    parsed = matching.read_world(world.volunteers, world.elders, world.relations)
    assert len(parsed.elders) == 661


@pytest.mark.parametrize("preset", ["minle", "county", "city"])
def test_nobody_piles_up_on_an_edge(preset):
    """No clipping: the most northern, southern, eastern and western homes are each one
    person, not a row of people on the boundary, and no home lies on the box's edge."""
    spec = PRESETS[preset]
    if preset == "city":
        spec = spec.replace(volunteers=4000, elders=1600)
    world = generate_world(spec, seed=3)
    for people in (world.volunteers, world.elders):
        for column, edges in (("lat", spec.lat_range), ("lon", spec.lon_range)):
            values = people[column].astype(float)
            assert (values == values.max()).sum() == 1
            assert (values == values.min()).sum() == 1
            assert not values.isin(edges).any()


def test_sizes_can_be_overridden():
    """Any size works, including none at all."""
    world = generate_world(PRESETS["minle"].replace(volunteers=5, elders=0), seed=0)
    assert len(world.volunteers) == 5 and len(world.elders) == 0


def test_every_preset_can_be_asked_for_on_the_command_line():
    """The CLI's --preset choices are the presets the generator has, no more, no fewer."""
    from matching.cli import command_parser

    parser, _ = command_parser("generate")
    gen = next(a for a in parser._actions if a.dest == "preset")
    assert sorted(gen.choices) == sorted(PRESETS)


def test_province_towns_are_fixed_and_spread_over_the_province():
    """117 county towns (a 9 x 13 grid, jittered by a fixed seed) inside Shanxi's extent."""
    from matching.world.generate import PROVINCE_TOWNS

    assert len(PROVINCE_TOWNS) == 9 * 13 == 117
    lat = [t[0] for t in PROVINCE_TOWNS]
    lon = [t[1] for t in PROVINCE_TOWNS]
    assert min(lat) >= 34.6 and max(lat) <= 40.7
    assert min(lon) >= 110.2 and max(lon) <= 114.6
    assert len(set(PROVINCE_TOWNS)) == 117
