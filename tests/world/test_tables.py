"""The world's typed tables: read-only typed columns, the file's other columns kept in
their place, and DataFrames only at the edges."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

import matching
from matching.world.model import without_volunteers
from matching.world.tables import Relations, Volunteers


@pytest.fixture
def world(tmp_path):
    (tmp_path / "v.csv").write_text(
        "note,volunteer_id,name,lat,lon,skills\n"
        "a,V1,张云,35.6,110.9,理发\n"
        "b,V2,李雷,35.601,110.9,\n"
        "c,V3,,35.602,110.9,\n", encoding="utf-8")
    (tmp_path / "e.csv").write_text(
        "elder_id,name,age,lat,lon\nE1,王奶奶,91,35.6,110.9\nE2,赵爷爷,82,35.6,110.91\n",
        encoding="utf-8")
    (tmp_path / "r.csv").write_text(
        "volunteer_id,elder_id,relation\nV1,E1,kin\nV2,E2,refuses\nV3,E2,familiar\n",
        encoding="utf-8")
    return matching.read_world(tmp_path / "v.csv", tmp_path / "e.csv", tmp_path / "r.csv")


def test_columns_are_typed_and_read_only(world):
    vols, elds = world.volunteers, world.elders
    assert isinstance(vols, matching.Volunteers) and isinstance(elds, matching.Elders)
    assert vols.lat.dtype == np.float64 and vols.max_elders.dtype == np.int64
    assert elds.priority.tolist() == [3, 2]  # 91 is top tier, 82 the middle (defaults)
    assert elds.lives_alone.dtype == np.bool_
    assert vols.skills.tolist() == [("理发",), (), ()]
    with pytest.raises(ValueError, match="read-only"):
        vols.lat[0] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        vols.lat = np.zeros(3)  # type: ignore[misc]  # the point of the test


def test_the_file_s_other_columns_keep_their_place_at_the_edge(world):
    vols = world.volunteers
    assert vols.column("note").tolist() == ["a", "b", "c"]
    assert vols.has("note") and not vols.has("address")
    frame = vols.frame()
    assert list(frame.columns[:6]) == ["note", "volunteer_id", "name", "lat", "lon", "skills"]
    back = Volunteers.of(frame)  # and read back in, unchanged
    assert back.order == vols.order
    assert back.volunteer_id.tolist() == ["V1", "V2", "V3"]
    assert back.column("note").tolist() == ["a", "b", "c"]


def test_rows_take_and_without_volunteers(world):
    vols = world.volunteers
    assert vols.rows(["V3", "nobody", "V1"]).tolist() == [2, -1, 0]
    some = vols.take([2, 0])
    assert some.volunteer_id.tolist() == ["V3", "V1"]
    assert some.column("note").tolist() == ["c", "a"]
    # V2 leaves: their row and their refusal go; the kin and familiar ties stay (3 - 1 = 2)
    left = without_volunteers(world, {"V2"})
    assert left.volunteers.volunteer_id.tolist() == ["V1", "V3"]
    assert list(left.relations.triples()) == [("V1", "E1", "kin"), ("V3", "E2", "familiar")]


def test_plus_adds_each_relation_once(world):
    more = world.relations.plus(np.array(["V1", "V3"], dtype=object),
                                np.array(["E1", "E1"], dtype=object), "familiar")
    # V1-E1 familiar is new (kin is another relation); V3-E1 is new: 3 + 2 = 5
    assert len(more) == 5
    again = more.plus(np.array(["V3"], dtype=object), np.array(["E1"], dtype=object),
                      "familiar")
    assert len(again) == 5
    assert len(world.relations) == 3  # the table added to is unchanged


def test_unequal_columns_are_refused():
    with pytest.raises(ValueError, match="unequal length"):
        Relations(volunteer_id=np.array(["V1"], dtype=object),
                  elder_id=np.array([], dtype=object), relation=np.array(["kin"], dtype=object))


def test_an_empty_table_has_every_column():
    empty = Relations.empty()
    assert len(empty) == 0
    assert list(empty.frame().columns) == ["volunteer_id", "elder_id", "relation"]
    assert isinstance(empty.frame(), pd.DataFrame)


def test_the_problem_built_from_a_world_is_read_only_too(world):
    """A stage cannot change the pairs or capacities another stage reads."""
    problem = matching.build_problem(world)
    for values in (problem.arc_cost, problem.cap_count, problem.priority, problem.elder_ids):
        with pytest.raises(ValueError, match="read-only"):
            values[0] = values[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.arc_cost = problem.arc_cost  # type: ignore[misc]  # the point of the test
