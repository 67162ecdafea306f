"""The test runs stay quick: in ``pytest -m "not slow"`` (``make test-quick``) a test not
marked ``slow`` whose call takes longer than :data:`QUICK_TEST_SECONDS` fails, naming
itself (the whole run times nothing); and the longest files start first."""

from __future__ import annotations

import pytest

#: In the quick run (``-m "not slow"``, ``make test-quick``), a test whose own call takes
#: longer than this fails, naming itself: mark it ``slow`` or make it quicker. (Shared
#: fixtures are not counted: they are paid once for many tests.)
QUICK_TEST_SECONDS = 2.0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report = outcome.get_result()
    quick_run = item.config.getoption("markexpr", "") == "not slow"
    if (quick_run and report.when == "call" and report.passed
            and call.duration > QUICK_TEST_SECONDS and item.get_closest_marker("slow") is None):
        report.outcome = "failed"
        report.longrepr = (f"{item.nodeid} took {call.duration:.1f} s, over the quick run's "
                           f"{QUICK_TEST_SECONDS:g} s: mark it @pytest.mark.slow, or make it "
                           "quicker")


#: The test files that take longest (seconds of test time measured on 2 cores, the whole
#: suite being about 740), run first so that the two workers (each taking whole files) end
#: together rather than one waiting on the other's last long file.
LONGEST_FILES = (
    "tests/outputs/test_write.py",               # 53
    "tests/console/test_app.py",                 # 50
    "tests/test_notebooks.py",                   # 48
    "tests/console/test_security_round_two.py",  # 44
    "tests/workflows/test_scenario.py",          # 41
    "tests/console/test_browser.py",             # 34
    "tests/console/test_programme.py",           # 34
    "tests/console/test_language.py",            # 31
    "tests/console/test_crash.py",               # 30
    "tests/console/test_programme_browser.py",   # 30
    "tests/test_docs.py",                        # 28
    "tests/runtime/test_time_limits.py",         # 27
    "tests/pairing/test_solver.py",              # 24
    "tests/outputs/test_pages.py",               # 23
    "tests/pairing/test_properties.py",          # 22
    "tests/console/test_fuzz.py",                # 22
    "tests/console/test_security.py",            # 21
    "tests/ledger/test_timebank.py",             # 16
    "tests/console/test_phone_browser.py",       # 13
    "tests/console/test_marks_bounds.py",        # 12
    "tests/analysis/test_sweep.py",              # 11
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    first = {name: rank for rank, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: first.get(item.nodeid.split("::", 1)[0], len(first)))
