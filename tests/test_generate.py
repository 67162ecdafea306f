"""The seeded world generator."""

from __future__ import annotations

import pandas as pd

import matching
from matching.generate import PRESETS, generate_world


def test_same_seed_same_world():
    """Same spec and seed: identical tables; another seed: different ones."""
    a = generate_world(PRESETS["minle"], seed=4)
    b = generate_world(PRESETS["minle"], seed=4)
    c = generate_world(PRESETS["minle"], seed=5)
    pd.testing.assert_frame_equal(a.elders, b.elders)
    pd.testing.assert_frame_equal(a.relations, b.relations)
    assert not a.elders.equals(c.elders)


def test_county_world_is_realistic():
    """County preset: sizes, ages, the share of 90+, the town's box, and valid input."""
    spec = PRESETS["county"]
    world = generate_world(spec, seed=1)
    assert len(world.volunteers) == 1776 and len(world.elders) == 661
    ages = world.elders["age"].astype(int)
    assert ages.min() >= 80
    assert 0.05 < (ages >= 90).mean() < 0.13
    vages = world.volunteers["age"].astype(int)
    assert vages.between(60, 69).all()
    lat = world.elders["lat"].astype(float)
    assert lat.between(*spec.lat_range).all()
    kinds = set(world.relations["relation"])
    assert kinds == {"kin", "familiar", "refuses"}
    parsed = matching.read_world(world.volunteers, world.elders, world.relations)
    assert len(parsed.elders) == 661


def test_sizes_can_be_overridden():
    """Any size works, including none at all."""
    world = generate_world(PRESETS["minle"].replace(volunteers=5, elders=0), seed=0)
    assert len(world.volunteers) == 5 and len(world.elders) == 0
