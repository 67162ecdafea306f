"""The report's interactive map: Leaflet inlined in the page, no network.

Leaflet's own files ship with the package (:mod:`matching.assets`, with their licence).
The plan's points travel as JSON in a ``<script type="application/json">`` element, which a
browser never runs; one fixed script draws them, putting every name in as text (never as
HTML), with a collapsed list of layers (the pairs, the unserved, and each township, or each
community where the rosters name no townships), a legend, a scale bar, and a popup for
each person (name, community, volunteer, distance). A tile layer is drawn
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
from matching.world.columns import ELDER_ID, TOWNSHIP, VOLUNTEER_ID

#: More people than this and the page would be too heavy to open: the map is left out.
MAP_MOST_PEOPLE = 30_000

#: Decimals of a coordinate on the map (about 1 m).
MAP_DECIMALS = 5

#: The script that draws the map from its JSON (its exact text is what the hash allows).
MAP_SCRIPT = """(function () {
  var box = document.getElementById("plan-map");
  var data = JSON.parse(document.getElementById("plan-map-data").textContent);
  var w = data.words;
  function text(s) { var span = document.createElement("span"); span.textContent = s;
    return span; }
  function escaped(s) { var div = document.createElement("div"); div.textContent = s;
    return div.innerHTML; }
  function card(rows) {
    var table = document.createElement("table");
    rows.forEach(function (r) {
      if (r[1] === "" || r[1] === null) { return; }
      var tr = table.insertRow(), th = document.createElement("th");
      th.textContent = r[0]; tr.appendChild(th); tr.insertCell().textContent = r[1]; });
    table.className = "map-card"; return table; }
  var map = L.map(box, {preferCanvas: true, attributionControl: !!data.tiles});
  if (data.tiles) {
    map.attributionControl.setPrefix(false);
    L.tileLayer(data.tiles, {maxZoom: 19, attribution: escaped(data.attribution)}).addTo(map);
  }
  var pairs = L.layerGroup(), unserved = L.layerGroup(), groups = {}, overlays = {};
  overlays[escaped(w.pairs)] = pairs;
  overlays[escaped(w.unserved)] = unserved;
  data.groups.forEach(function (c, i) {
    groups[i] = L.layerGroup(); overlays[escaped(c)] = groups[i]; });
  var bounds = [];
  data.pairs.forEach(function (p) {
    L.polyline([[p[0], p[1]], [p[2], p[3]]],
               {color: "#7f8c8d", weight: 1, opacity: 0.7})
      .bindTooltip(text(p[4])).addTo(pairs); });
  data.volunteers.forEach(function (v) {
    L.circleMarker([v[0], v[1]], {radius: 3, color: "#2980b9", weight: 1, fillOpacity: 0.7})
      .bindTooltip(text(w.volunteer + " " + v[2]))
      .bindPopup(card([[w.volunteer, v[2]], [w.community, data.places[v[3]]],
                       [w.elders, String(v[5])]]))
      .addTo(groups[v[4]]);
    bounds.push([v[0], v[1]]); });
  data.elders.forEach(function (e) {
    var colour = e[5] ? "#27ae60" : "#c0392b";
    var about = card([[w.elder, e[2]], [w.community, data.places[e[3]]],
                      [w.paired_with, e[5] ? e[6] : w.unserved], [w.distance, e[7]]]);
    L.circleMarker([e[0], e[1]], {radius: 4, color: colour, weight: 1, fillOpacity: 0.8})
      .bindTooltip(text(w.elder + " " + e[2])).bindPopup(about).addTo(groups[e[4]]);
    if (!e[5]) {
      L.circleMarker([e[0], e[1]], {radius: 9, color: "#c0392b", weight: 2, fill: false})
        .bindTooltip(text(w.unserved + ": " + e[2])).addTo(unserved);
    }
    bounds.push([e[0], e[1]]); });
  pairs.addTo(map); unserved.addTo(map);
  Object.keys(groups).forEach(function (k) { groups[k].addTo(map); });
  L.control.layers(null, overlays, {collapsed: true}).addTo(map);
  L.control.scale({metric: true, imperial: false, position: "bottomleft"}).addTo(map);
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "map-legend");
    [["dot", "#2980b9", w.volunteer], ["dot", "#27ae60", w.paired],
     ["ring", "#c0392b", w.unserved], ["line", "#7f8c8d", w.pairs]].forEach(function (k) {
      var row = document.createElement("div"), mark = document.createElement("i");
      mark.className = "map-key map-" + k[0]; mark.style.borderColor = k[1];
      if (k[0] === "dot") { mark.style.background = k[1]; }
      row.appendChild(mark); row.appendChild(text(k[2])); div.appendChild(row); });
    return div; };
  legend.addTo(map);
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


#: The map's own style: the legend, the popups' cards.
MAP_STYLE = (".map-legend{background:#fff;padding:4px 8px;border-radius:4px;"
             "box-shadow:0 1px 4px rgba(0,0,0,.3);font-size:12px;line-height:18px}"
             ".map-key{display:inline-block;width:10px;height:10px;margin-right:6px;"
             "vertical-align:middle;border:2px solid}"
             ".map-dot{border-radius:50%;border-width:1px}.map-ring{border-radius:50%;"
             "background:transparent}.map-line{height:0;border-width:1px 0 0;width:14px}"
             ".map-card th{text-align:left;padding-right:8px;color:#555;font-weight:normal}"
             ".map-card{border-collapse:collapse;font-size:12px}"
             ".leaflet-control-layers-list{max-height:300px;overflow-y:auto}")


@functools.cache
def leaflet_css() -> str:
    """Leaflet's style sheet without its comments, its layer-control icon inlined (the page
    loads nothing), and the map's own style."""
    text = (LEAFLET / "leaflet.css").read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    for name in ("layers.png", "layers-2x.png"):
        inline = base64.b64encode((LEAFLET / "images" / name).read_bytes()).decode()
        text = text.replace(f"url(images/{name})", f"url(data:image/png;base64,{inline})")
    return text + MAP_STYLE


@functools.cache
def map_script_hashes() -> tuple[str, ...]:
    """The Content-Security-Policy sources that allow the map's two inline scripts."""
    return _hash(leaflet_js()), _hash(MAP_SCRIPT)


def map_data(run: Run, lang: str, tiles: str | None = None,
             attribution: str = "") -> dict[str, object]:
    """What the map draws (WGS-84): ``places`` (community names) and ``groups`` (the layers
    people are grouped in: townships where the rosters name them, else communities);
    volunteers ``[lat, lon, name, place, group, elders]``; elders ``[lat, lon, name, place,
    group, served, volunteer's name, distance in words]``; pairs ``[lat, lon, lat, lon,
    distance in words]``; the words of its layers, legend and popups; and the tiles if
    any."""
    vols = run.world.volunteers.frame()
    elders = elders_table(run)
    places = sorted(set(vols["community"].astype(str)) | set(elders["community"]))
    place = {c: i for i, c in enumerate(places)}
    by_township = TOWNSHIP in elders.columns and TOWNSHIP in vols.columns
    group_of: dict[str, str] = {}
    if by_township:
        for frame in (vols, elders):
            group_of.update(zip(frame["community"].astype(str), frame[TOWNSHIP].astype(str),
                                strict=True))
    groups = sorted({group_of.get(c, "") or c for c in places}) if by_township else places
    group = {g: i for i, g in enumerate(groups)}

    def group_index(community: str) -> int:
        return group[group_of.get(community, "") or community] if by_township \
            else place[community]

    def located(lat: Any, lon: Any) -> bool:
        return bool(np.isfinite(float(lat)) and np.isfinite(float(lon)))

    counts = run.assignments.groupby(VOLUNTEER_ID).size()
    named = {str(v): str(n) or str(v) for v, n in zip(vols[VOLUNTEER_ID], vols["name"],
                                                      strict=True)}
    where: dict[str, tuple[float, float]] = {}
    volunteers = []
    for row in vols.itertuples(index=False):
        if not located(row.lat, row.lon):
            continue
        point = (round(float(row.lat), MAP_DECIMALS), round(float(row.lon), MAP_DECIMALS))
        where[str(row.volunteer_id)] = point
        volunteers.append([*point, named[str(row.volunteer_id)], place[str(row.community)],
                           group_index(str(row.community)),
                           int(counts.get(row.volunteer_id, 0))])
    homes: dict[str, tuple[float, float]] = {}
    for row in elders.itertuples(index=False):
        if located(row.lat, row.lon):
            homes[str(row.elder_id)] = (round(float(row.lat), MAP_DECIMALS),
                                        round(float(row.lon), MAP_DECIMALS))
    walked: dict[str, str] = {}
    pairs = []
    for v, e, km in zip(run.assignments[VOLUNTEER_ID].astype(str),
                        run.assignments[ELDER_ID].astype(str),
                        run.assignments["distance_km"].astype(float), strict=True):
        if v in where and e in homes:
            words = distance_label(run.world, float(km),
                                   float(geo.haversine_km(*where[v], *homes[e])), lang)
            walked[e] = words
            pairs.append([*where[v], *homes[e], words])
    paired_with = dict(zip(run.assignments[ELDER_ID].astype(str),
                           run.assignments[VOLUNTEER_ID].astype(str), strict=True))
    people = []
    for row in elders.itertuples(index=False):
        e = str(row.elder_id)
        if e not in homes:
            continue
        v = paired_with.get(e, "")
        people.append([*homes[e], str(row.name) or e, place[str(row.community)],
                       group_index(str(row.community)), int(bool(row.served)),
                       named.get(v, v), walked.get(e, "")])
    figure = {key: say(f"figure.{key}", lang) for key in ("volunteer", "elder", "unassigned",
                                                          "assigned", "elders", "community")}
    return {"tiles": tiles, "attribution": attribution, "places": places, "groups": groups,
            "volunteers": volunteers, "elders": people, "pairs": pairs,
            "words": {"pairs": say("report.map_pairs", lang),
                      "unserved": figure["unassigned"], "volunteer": figure["volunteer"],
                      "elder": figure["elder"], "paired": figure["assigned"],
                      "elders": figure["elders"], "community": figure["community"],
                      "paired_with": say("report.map_paired_with", lang),
                      "distance": say("report.map_distance", lang)}}


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
