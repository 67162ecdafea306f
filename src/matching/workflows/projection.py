"""A scenario's projection: its roster aged year by year and paired each year, written as
one folder (``matching project``)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from matching.analysis.figures import projection_grid
from matching.analysis.projection import Projection, project
from matching.outputs.write import versions, write_outputs
from matching.runtime.budget import Budget
from matching.workflows.plan import Context
from matching.workflows.scenario import Scenario
from matching.workflows.sweep import FIGURE_DPI
from matching.workflows.whatif import scenario_world


def project_scenario(sc: Scenario, years: int, out: str | Path, context: Context, *,
                     start: dt.date | None = None, time_limit: float | None = None,
                     lang: str = "zh") -> Projection:
    """Project the scenario's world ``years`` ahead from ``start`` (default: the scenario's
    ``[schedule] start``, else today) and write ``out``: ``projection.csv`` (one row per
    year and community), ``projection_years.csv``, ``first_short.csv``,
    ``projection_townships.csv`` (when the rosters name townships), ``projection.png`` and
    ``run.json``. ``time_limit`` bounds the whole command, from its start to the written
    folder (default the scenario's ``[solver] time_limit``): each year's pairing gets an
    even share of what is left."""
    context.progress("reading", "reading inputs")
    world = scenario_world(sc)
    first = start or sc.start or dt.date.today()
    whole = sc.time_limit if time_limit is None else time_limit
    budget = Budget(whole, context.budget.started, context.budget.stop)

    def done(k: int, n: int) -> None:
        context.progress("project", f"year {k} of {n} paired", done=k / n)

    result = project(world, years, first, seed=sc.seed, time_limit=whole,
                     workers=sc.workers, budget=budget, progress=done)
    png = io.BytesIO()
    projection_grid(result, lang).savefig(png, format="png", dpi=FIGURE_DPI,
                                          metadata={"Software": None})
    record = {"command": "project", "scenario": sc.name, "scenario_file": sc.path.name,
              "start": first.isoformat(), "years": years, "seed": sc.seed,
              "volunteer_age_limit": world.rules.volunteer_age_limit,
              "elder_age": world.rules.elder_age, "time_limit": whole,
              "versions": versions()}
    context.progress("writing", "writing outputs", done=1.0)
    tables = {"projection.csv": result.by_community, "projection_years.csv": result.years,
              "first_short.csv": result.first_short}
    if result.by_township is not None:
        tables["projection_townships.csv"] = result.by_township
    write_outputs(out, tables,
                  {"projection.png": png.getvalue(),
                   "run.json": json.dumps(record, indent=2, ensure_ascii=False) + "\n"})
    return result
