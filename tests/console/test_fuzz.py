"""Issue 30, scope 11: a real client's fuzzing. Schemathesis reads the console's own OpenAPI
schema and sends what it generates to every operation (the volunteer link's JSON routes
too), then walks its links from an upload to a run to the run's files and links. None of
its checks may fail: no server error, no content type the schema does not declare, no
response that does not match its schema."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from matching.console import create_app
from matching.console.links import RateLimit
from tests.console.conftest import LINK_DAYS, fortnight_copy
from tests.console.test_app import local, secret_header

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("fuzz")]

#: The checks every response must pass.
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]

#: Cases generated per operation, the same each run (Hypothesis derandomized; set
#: MATCHING_FUZZ_EXAMPLES for a longer hunt).
EXAMPLES = int(os.environ.get("MATCHING_FUZZ_EXAMPLES", "20"))
#: Walks along the links, each of at most five calls.
WALKS = int(os.environ.get("MATCHING_FUZZ_WALKS", "12"))

#: Cases sent, counted for the closing note (printed with ``-s``).
SENT = {"cases": 0}
STATUSES: dict[str, dict[int, int]] = {}

#: The operations that start a run, and the run the links walk starts with them (the
#: operations themselves are fuzzed with every body above).
RUN_STARTS = {"POST /api/programmes/{name}/runs"}
SHORT_RUN = {"start": "2026-03-30", "weeks": 1, "time_limit": 5}

#: Real values of the path parameters (a programme, a finished run, a volunteer's token):
#: half the cases use them, so that generated bodies and queries reach the logic behind
#: the lookups rather than stopping at 404.
KNOWN: dict[str, str] = {}


class AsIfLoopback:
    """The console as its own test client reaches it (schemathesis's client names the host
    ``testserver``; the console answers only its loopback names)."""

    def __init__(self, app) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            scope = {**scope, "headers": [(k, b"127.0.0.1:8000" if k == b"host" else v)
                                          for k, v in scope["headers"]]}
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def console_app(tmp_path_factory, fortnight_source):
    """A console on this computer with Minle planned for a fortnight, its links open long
    after (so the fuzzer's calls reach real runs, files and links)."""
    data, run_id = fortnight_copy(fortnight_source, tmp_path_factory.mktemp("fuzz") / "data")
    app = create_app(data, link_days=LINK_DAYS)
    # the fuzzer guesses tokens by the hundred: the guessing limit would answer 429 to all
    app.state.console.link_limit = RateLimit(per_minute=10**6, misses=10**6)
    with local(app) as client:
        links = client.get(f"/api/runs/{run_id}/links").json()
        # the token's volunteer is not the one whose link the fuzzer may revoke
        KNOWN.update(name="minle", run_id=run_id, token=links[0]["url"].rsplit("/", 1)[1],
                     volunteer_id=links[1]["volunteer_id"], elder_id="E00001",
                     path="assignments.csv")
        yield AsIfLoopback(app)
    print(f"\nschemathesis sent {SENT['cases']} cases")
    for label, counts in sorted(STATUSES.items()):
        print(label, dict(sorted(counts.items())))


@pytest.fixture(scope="module")
def console_schema(console_app):
    return schemathesis.openapi.from_asgi("/openapi.json", console_app,
                                          headers=secret_header(console_app))


#: How Hypothesis runs each operation's cases: the same cases each time, no database.
FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                         database=None, suppress_health_check=list(HealthCheck),
                         phases=[Phase.explicit, Phase.generate])


def test_every_operation_answers_within_its_schema(console_app, console_schema):
    """Each operation of the schema (schemathesis's pytest plug-in predates pytest 9's
    nodes, so the operations are walked here, each with its own Hypothesis run)."""
    headers = secret_header(console_app)
    operations = [result.ok() for result in console_schema.get_all_operations()]
    # the API's 24 operations before the exchange and the volunteer link's 2; the
    # exchange's 9: requests (post, list, a step), donations, family links and the
    # alliance's balances, and on the links accept, done and the family's confirm; and
    # confirmations of planned visits, by the family's link or by phone
    assert len(operations) == 37
    for operation in operations:

        @given(case=operation.as_strategy(), known=st.booleans())
        @FUZZ_SETTINGS
        def fuzz(case, known: bool) -> None:
            SENT["cases"] += 1
            if known and case.path_parameters:
                case.path_parameters = {k: KNOWN.get(k, v)
                                        for k, v in case.path_parameters.items()}
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            counts = STATUSES.setdefault(case.operation.label, {})
            counts[response.status_code] = counts.get(response.status_code, 0) + 1

        fuzz()


def test_the_links_walk_from_an_upload_to_a_run_to_its_files(console_app, console_schema):
    """Sequences of calls along the schema's links: an upload to a run, a run to its
    status, files, links and workbook, a run's links to a volunteer's activities."""
    machine = console_schema.as_state_machine()
    headers = secret_header(console_app)
    followed: set[str] = set()

    class Walk(machine):  # type: ignore[misc, valid-type]
        def before_call(self, case):
            case.headers = {**(case.headers or {}), **headers}
            if case.path_parameters:
                case.path_parameters = {k: v if k not in ("name",) else KNOWN["name"]
                                        for k, v in case.path_parameters.items()}
            if case.operation.label in RUN_STARTS:  # a run the walk can follow, and short
                case.body = SHORT_RUN

        def validate_response(self, response, case, **kwargs):
            SENT["cases"] += 1
            followed.add(case.operation.label)
            case.validate_response(response, checks=CHECKS)

    Walk.run(settings=settings(max_examples=WALKS, deadline=None, derandomize=True,
                               database=None, suppress_health_check=list(HealthCheck),
                               stateful_step_count=5))
    # the walk went along the links: from a run to what it makes (which of a run's four
    # links a step takes depends on how far the run got, so at least one of them)
    assert "POST /api/programmes/{name}/runs" in followed
    assert followed & {"GET /api/runs/{run_id}", "GET /api/runs/{run_id}/files/{path}",
                       "GET /api/runs/{run_id}/links", "GET /api/runs/{run_id}/workbook"}
