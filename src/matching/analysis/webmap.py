"""The report's interactive map: Leaflet inlined in the page, no network.

Leaflet's own files ship with the package (:mod:`matching.assets`, with their licence).
The plan's points travel as JSON in a ``<script type="application/json">`` element, which a
browser never runs; one fixed script draws them, putting every name in as text (never as
HTML), with layers for the pairs, the unserved, and each community. A tile layer is drawn
only when a tile URL is given. The console allows the two inline scripts by their hashes
(:data:`MAP_SCRIPT_HASHES`), like the print button's.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import re
from typing import Any

import numpy as np

from matching.analysis.metrics import distance_label, elders_table
from matching.assets import LEAFLET
from matching.catalogue import say
from matching.outputs.folder import Run
from matching.world import geo
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

#: More people than this and the page would be too heavy to open: the map is left out.
MAP_MOST_PEOPLE = 30_000

#: Decimals of a coordinate on the map (about 1 m).
MAP_DECIMALS = 5

#: The script that draws the map from its JSON (its exact text is what the hash allows).
MAP_SCRIPT = """(function () {
  var box = document.getElementById("plan-map");
  var data = JSON.parse(document.getElementById("plan-map-data").textContent);
  function text(s) { var span = document.createElement("span"); span.textContent = s;
    return span; }
  function escaped(s) { var div = document.createElement("div"); div.textContent = s;
    return div.innerHTML; }
  var map = L.map(box, {preferCanvas: true, attributionControl: !!data.tiles});
  if (data.tiles) {
    map.attributionControl.setPrefix(false);
    L.tileLayer(data.tiles, {maxZoom: 19, attribution: escaped(data.attribution)}).addTo(map);
  }
  var pairs = L.layerGroup(), unserved = L.layerGroup(), groups = {}, overlays = {};
  overlays[escaped(data.words.pairs)] = pairs;
  overlays[escaped(data.words.unserved)] = unserved;
  data.communities.forEach(function (c, i) {
    groups[i] = L.layerGroup(); overlays[escaped(c)] = groups[i]; });
  var bounds = [];
  data.pairs.forEach(function (p) {
    L.polyline([[p[0], p[1]], [p[2], p[3]]],
               {color: "#7f8c8d", weight: 1, opacity: 0.7})
      .bindTooltip(text(p[4])).addTo(pairs); });
  data.volunteers.forEach(function (v) {
    L.circleMarker([v[0], v[1]], {radius: 3, color: "#2980b9", weight: 1, fillOpacity: 0.7})
      .bindTooltip(text(data.words.volunteer + " " + v[2])).addTo(groups[v[3]]);
    bounds.push([v[0], v[1]]); });
  data.elders.forEach(function (e) {
    var colour = e[4] ? "#27ae60" : "#c0392b";
    L.circleMarker([e[0], e[1]], {radius: 4, color: colour, weight: 1, fillOpacity: 0.8})
      .bindTooltip(text(data.words.elder + " " + e[2])).addTo(groups[e[3]]);
    if (!e[4]) {
      L.circleMarker([e[0], e[1]], {radius: 9, color: "#c0392b", weight: 2, fill: false})
        .bindTooltip(text(data.words.unserved + ": " + e[2])).addTo(unserved);
    }
    bounds.push([e[0], e[1]]); });
  pairs.addTo(map); unserved.addTo(map);
  Object.keys(groups).forEach(function (k) { groups[k].addTo(map); });
  L.control.layers(null, overlays, {collapsed: false}).addTo(map);
  if (bounds.length) { map.fitBounds(bounds, {padding: [12, 12]}); }
  else { map.setView([0, 0], 2); }
})();"""


def _hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() \
        + "'"


@functools.cache
def leaflet_js() -> str:
    """Leaflet's script, as the page inlines it."""
    return (LEAFLET / "leaflet.js").read_text(encoding="utf-8")


@functools.cache
def leaflet_css() -> str:
    """Leaflet's style sheet without its comments (its layer-control icon is not needed:
    the control is open)."""
    text = (LEAFLET / "leaflet.css").read_text(encoding="utf-8")
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


@functools.cache
def map_script_hashes() -> tuple[str, ...]:
    """The Content-Security-Policy sources that allow the map's two inline scripts."""
    return _hash(leaflet_js()), _hash(MAP_SCRIPT)


def map_data(run: Run, lang: str, tiles: str | None = None,
             attribution: str = "") -> dict[str, object]:
    """What the map draws: communities, volunteers ``[lat, lon, name, community index]``,
    elders ``[lat, lon, name, community index, served]``, pairs ``[lat, lon, lat, lon,
    distance in words]``
    (WGS-84), the words of its layers, and the tiles if any."""
    vols = run.world.volunteers.frame()
    elders = elders_table(run)
    communities = sorted(set(vols["community"].astype(str)) | set(elders["community"]))
    index = {c: i for i, c in enumerate(communities)}

    def located(lat: Any, lon: Any) -> bool:
        return bool(np.isfinite(float(lat)) and np.isfinite(float(lon)))

    where: dict[str, tuple[float, float]] = {}
    volunteers = []
    for row in vols.itertuples(index=False):
        if not located(row.lat, row.lon):
            continue
        point = (round(float(row.lat), MAP_DECIMALS), round(float(row.lon), MAP_DECIMALS))
        where[str(row.volunteer_id)] = point
        volunteers.append([*point, str(row.name) or str(row.volunteer_id),
                           index[str(row.community)]])
    homes: dict[str, tuple[float, float]] = {}
    people = []
    for row in elders.itertuples(index=False):
        if not located(row.lat, row.lon):
            continue
        point = (round(float(row.lat), MAP_DECIMALS), round(float(row.lon), MAP_DECIMALS))
        homes[str(row.elder_id)] = point
        people.append([*point, str(row.name) or str(row.elder_id), index[str(row.community)],
                       int(bool(row.served))])
    pairs = [[*where[v], *homes[e],
              distance_label(run.world, float(km), float(geo.haversine_km(*where[v], *homes[e])),
                             lang)]
             for v, e, km in zip(run.assignments[VOLUNTEER_ID].astype(str),
                                 run.assignments[ELDER_ID].astype(str),
                                 run.assignments["distance_km"].astype(float), strict=True)
             if v in where and e in homes]
    words = {key: say(f"figure.{key}", lang) for key in ("volunteer", "elder", "unassigned")}
    return {"tiles": tiles, "attribution": attribution, "communities": communities,
            "volunteers": volunteers, "elders": people, "pairs": pairs,
            "words": {"pairs": say("report.map_pairs", lang),
                      "unserved": words["unassigned"], "volunteer": words["volunteer"],
                      "elder": words["elder"]}}


def interactive_map(run: Run, lang: str, tiles: str | None = None,
                    attribution: str = "") -> str:
    """The map as an HTML fragment (empty when the world is too large to draw in a page)."""
    if len(run.world.volunteers) + len(run.world.elders) > MAP_MOST_PEOPLE:
        return f'<p class="note">{html.escape(say("report.map_too_large", lang))}</p>'
    data = json.dumps(map_data(run, lang, tiles, attribution), ensure_ascii=False,
                      separators=(",", ":"))
    # inside a script element only "</" could end it early
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (f"<style>{leaflet_css()}</style>"
            '<div id="plan-map" class="plan-map noprint" role="region" '
            f'aria-label="{html.escape(say("report.map_title", lang))}"></div>'
            f'<script type="application/json" id="plan-map-data">{data}</script>'
            f"<script>{leaflet_js()}</script><script>{MAP_SCRIPT}</script>")
