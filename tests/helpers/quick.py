"""The quick run stays quick: in ``pytest -m "not slow"`` (``make test-quick``) a test not
marked ``slow`` whose call takes longer than :data:`QUICK_TEST_SECONDS` fails, naming
itself. The whole run (``make test``) times nothing."""

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
