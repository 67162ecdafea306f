"""Coverage analysis and explanations of a plan, for analysts and coordinators.

Everything takes a :class:`matching.outputs.folder.Run`: an output folder read back with
:func:`matching.load_run`, or results in memory (:meth:`matching.outputs.folder.Run.from_results`).

* :mod:`~matching.analysis.metrics`: coverage by priority tier, community and age band;
  walking distances; volunteer load and its fairness (Gini, Jain); the six ones delivered per
  elder and month; planned credit hours; what went unmet and why.
* :mod:`~matching.analysis.why`: why this volunteer and who came next, from the elder's or the
  volunteer's side; suggestions for a new elder; the stability audit.
* :mod:`~matching.analysis.leave_sweep`: coverage as a growing share of volunteers leaves,
  along one or several leaving orders (:mod:`~matching.analysis.leaving_orders`: random,
  oldest first, a community at a time), with exact thresholds
  (:mod:`~matching.analysis.thresholds`).
* :mod:`~matching.analysis.recruitment`: the fewest new volunteers, and where, to serve
  everyone, re-pairing allowed.
* :mod:`~matching.analysis.projection`: the next years, the roster aged and paired each
  year.
* :mod:`~matching.analysis.gis`: the plan as GeoJSON or a GeoDataFrame, for a GIS.
* :mod:`~matching.analysis.figures`: the figures (matplotlib), each on an optional ``ax``;
  :func:`use_chinese_font` makes a notebook's own plots draw Chinese too.
"""

import importlib

from matching.analysis.compare import compare
from matching.analysis.gis import geojson, geojson_layers, geopackage_bytes, to_geodataframe
from matching.analysis.leave_sweep import Sweep, sweep
from matching.analysis.leaving_orders import leaving_order, leaving_orders
from matching.analysis.metrics import (
    age_band,
    coverage,
    credit_hours,
    distance_summary,
    distances,
    elders_table,
    fairness,
    fulfilment,
    fulfilment_summary,
    gaps,
    gini,
    jain,
    load,
    load_summary,
    monthly_fulfilment,
)
from matching.analysis.projection import Projection, project
from matching.analysis.recruitment import Recruitment, recruit
from matching.analysis.thresholds import find_thresholds, serve_all
from matching.analysis.why import (
    Explanation,
    blocking_pairs,
    explain_elder,
    explain_volunteer,
    suggest,
)
from matching.runtime.extras import optional_module

#: What the package offers from :mod:`~matching.analysis.figures`, loaded only when asked:
#: that module needs matplotlib (the ``figures`` extra), which the rest of analysis does not.
_FROM_FIGURES = ("use_chinese_font",)


def __getattr__(name: str) -> object:
    if name in _FROM_FIGURES:
        optional_module("matplotlib", f"matching.analysis.{name}")
        return getattr(importlib.import_module("matching.analysis.figures"), name)
    raise AttributeError(f"module 'matching.analysis' has no attribute {name!r}")


__all__ = [
    "Explanation",
    "Projection",
    "Recruitment",
    "Sweep",
    "age_band",
    "blocking_pairs",
    "compare",
    "coverage",
    "credit_hours",
    "distance_summary",
    "distances",
    "elders_table",
    "explain_elder",
    "explain_volunteer",
    "fairness",
    "find_thresholds",
    "fulfilment",
    "fulfilment_summary",
    "gaps",
    "geojson",
    "geojson_layers",
    "geopackage_bytes",
    "gini",
    "jain",
    "leaving_order",
    "leaving_orders",
    "load",
    "load_summary",
    "monthly_fulfilment",
    "project",
    "recruit",
    "serve_all",
    "suggest",
    "sweep",
    "to_geodataframe",
    "use_chinese_font",
]
