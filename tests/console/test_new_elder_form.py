"""The new-elder form: an address the programme knows gives the coordinates (so does one in a
building it knows), a new one is refused until the map is clicked, and gender, living alone,
days and needs are choices."""

from __future__ import annotations

import pandas as pd
import pytest

from matching.console import create_app
from matching.world.places import KnownPlaces, building_of
from tests.console.test_app import form_token, local, minle_files

#: Minle's E00000 lives at 民乐社区5号楼1单元, at (35.601374, 110.967462): the only home in
#: building 5 the roster gives.
KNOWN = "民乐社区5号楼1单元"


def test_places_of_addresses():
    people = pd.DataFrame({"address": ["民乐社区5号楼1单元", "民乐社区5号楼2单元", "新村 3 号"],
                           "lat": ["35.6", "35.8", "35.0"], "lon": ["110.9", "111.1", ""]})
    places = KnownPlaces(people)
    assert places.find("民乐社区5号楼1单元") == (35.6, 110.9)          # the same address
    assert places.find("民乐社区 5号楼 1单元") == (35.6, 110.9)        # spaces do not count
    assert places.find("民乐社区５号楼３单元") == (35.7, 111.0)        # building 5's middle
    assert places.find("新村 3 号") is None                          # known, but no place
    assert places.find("民乐社区6号楼1单元") is None
    assert building_of("民乐社区5号楼1单元302室") == "民乐社区5号楼"


@pytest.fixture
def changes(tmp_path):
    with local(create_app(tmp_path / "data")) as client:
        assert client.post("/api/programmes/minle/inputs", files=minle_files()).status_code == 200
        yield client


def join(client, **fields):
    form = {"csrf": form_token(client, "/p/minle/changes"), "action": "join",
            "date": "2026-04-06", "elder_id": "E90000", "name": "新老人", "age": "88",
            "gender": "F", "community": "民乐社区", "lives_alone": "true",
            "low_income": "false", **fields}
    return client.post("/p/minle/changes", data=form)


def entered_row(client) -> dict:
    changes = client.get("/api/programmes/minle/changes").json()
    return next(c for c in changes if c["kind"] == "join")["row"]


def test_a_known_address_gives_the_place(changes):
    page = changes.get("/p/minle/changes").text
    assert f'<option value="{KNOWN}">' in page and 'id="pick-map"' in page
    assert '<select name="gender">' in page and '<select name="lives_alone">' in page
    answer = join(changes, address=KNOWN, day=["Mon", "Wed"], need=["haircut", "laundry"])
    assert answer.status_code == 200, answer.text
    row = entered_row(changes)
    assert (row["lat"], row["lon"]) == ("35.601374", "110.967462")
    assert row["available_days"] == "Mon Wed" and row["needs"] == "haircut;laundry"
    assert row["gender"] == "F" and row["lives_alone"] == "true"


def test_a_new_address_needs_a_click_on_the_map(changes):
    refused = join(changes, address="稷山县新建小区9号楼")
    assert refused.status_code == 422
    assert "找不到“稷山县新建小区9号楼”的位置" in refused.text
    clicked = join(changes, address="稷山县新建小区9号楼", lat="35.605000", lon="110.971000")
    assert clicked.status_code == 200
    assert (entered_row(changes)["lat"], entered_row(changes)["lon"]) == ("35.605000",
                                                                          "110.971000")
