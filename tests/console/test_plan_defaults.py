"""The plan form sets the programme's times of day (when visits go for an elder who gives
none, when calls begin and how far apart), checked by the schedule's own rules, written into
the run's scenario and kept as the programme's for its next plan."""

from __future__ import annotations

import tomllib

import pytest

from matching.console import service
from matching.rules.errors import InputError
from tests.console.test_app import fake, form_token  # noqa: F401  (a fixture)


def test_the_options_set_the_schedule_rules():
    rules = service.RunOptions(visit_times="下午", call_start="09:00",
                               call_spacing_minutes=30).schedule_rules()
    assert (rules.visit_windows, rules.call_start, rules.call_spacing_minutes) == (
        ((840, 1080),), 540, 30)


@pytest.mark.parametrize(("field", "value", "code"), [
    ("visit_times", "中午", "input.not_times"),
    ("visit_times", "05:00-07:00", "input.not_times"),  # wholly before the day's 08:00
    ("call_start", "25:00", "upload.bad_time"),
    ("call_start", "8点半", "upload.bad_time"),
    ("call_spacing_minutes", "500", "input.at_most"),
])
def test_bad_times_are_named_by_field(field, value, code):
    with pytest.raises(InputError) as bad:
        service.run_options({field: value})
    assert [(p.column, p.code) for p in bad.value.problems] == [(field, code)]


def test_the_form_keeps_the_programmes_times(fake, tmp_path):  # noqa: F811
    page = fake.get("/p/minle/plan").text
    assert 'name="visit_times" value="上午 下午"' in page and 'value="08:30"' in page
    answer = fake.post("/p/minle/plan", data={
        "csrf": form_token(fake, "/p/minle/plan"), "weeks": "2", "visit_times": "下午",
        "call_start": "09:15", "call_spacing_minutes": "20"}, follow_redirects=False)
    assert answer.status_code == 303
    run_id = answer.headers["location"].rsplit("/", 1)[1]
    scenario = tomllib.loads((tmp_path / "data" / "runs" / run_id / "scenario.toml")
                             .read_text(encoding="utf-8"))["schedule"]
    assert (scenario["visit_times"], scenario["call_start"],
            scenario["call_spacing_minutes"]) == ("下午", 555, 20)
    again = fake.get("/p/minle/plan").text
    assert 'name="visit_times" value="下午"' in again and 'value="09:15"' in again
    assert 'name="call_spacing_minutes" value="20"' in again
    fake.release()
