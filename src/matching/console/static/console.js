// The console's scripts: a run's progress bar, the map of a programme, and forms that
// submit themselves. Nothing here writes HTML: every name and id from the data goes into
// the page as text (textContent), never through innerHTML.
"use strict";

function watchRun(element) {
  const id = element.dataset.run;
  const bar = document.getElementById("bar");
  const stage = document.getElementById("stage");
  const elapsed = document.getElementById("elapsed");
  async function poll() {
    const response = await fetch(`/api/runs/${encodeURIComponent(id)}`, { credentials: "same-origin" });
    if (!response.ok) { setTimeout(poll, 2000); return; }
    const run = await response.json();
    if (run.status === "done" || run.status === "failed") { location.reload(); return; }
    const percent = Math.round((run.progress || 0) * 100);
    bar.style.width = `${percent}%`;
    bar.parentElement.setAttribute("aria-valuenow", percent);
    stage.textContent = run.stage_text || "";  // the stage in the reader's words
    elapsed.textContent = Math.round(run.elapsed || 0);
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
}

// Text from the data, isolated so that a right-to-left override in a name cannot turn
// around what stands beside it.
function isolated(text) { return `\u2068${text}\u2069`; }

// A label for a map marker: lines of plain text, each a node of its own.
function label(lines) {
  const box = document.createElement("div");
  lines.filter((line) => line).forEach((line, i) => {
    if (i > 0) { box.appendChild(document.createElement("br")); }
    box.appendChild(document.createTextNode(line));
  });
  return box;
}

async function drawMap(element) {
  const map = L.map(element, { preferCanvas: true });
  element.leafletMap = map;  // for the browser tests, which open every label
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 19 }).addTo(map);
  }
  const response = await fetch(`/api/programmes/${encodeURIComponent(element.dataset.programme)}/map`,
                               { credentials: "same-origin" });
  const data = await response.json();
  const points = [];
  const names = new Map(data.volunteers.map((v) => [v.id, v.name]));
  for (const [a, b, c, d] of data.pairs) {
    L.polyline([[a, b], [c, d]], { color: "#7a8a99", weight: 1, opacity: 0.7 }).addTo(map);
  }
  for (const v of data.volunteers) {
    L.circleMarker([v.lat, v.lon], { radius: 6, color: "#1f5fa8", fillOpacity: 0.9, className: "volunteer" })
      .bindTooltip(label([`${isolated(v.name)} (${isolated(v.id)})`, isolated(v.community)])).addTo(map);
    points.push([v.lat, v.lon]);
  }
  for (const e of data.elders) {
    const paired = e.volunteer !== "";
    L.circleMarker([e.lat, e.lon], { radius: 5, color: paired ? "#2f7d4f" : "#c0392b", fillOpacity: 0.8,
                                      className: paired ? "elder paired" : "elder unpaired" })
      .bindTooltip(label([`${isolated(e.name)} (${isolated(e.id)})`, isolated(e.community),
                          paired ? `→ ${isolated(names.get(e.volunteer) || e.volunteer)}` : ""])).addTo(map);
    points.push([e.lat, e.lon]);
  }
  if (points.length) { map.fitBounds(points, { padding: [20, 20] }); } else { map.setView([35, 111], 12); }
  element.dataset.drawn = String(data.volunteers.length + data.elders.length);
}

// The new-elder form's map: the programme's known homes as dots (positions only), and a
// click that sets the form's coordinates for an address the programme does not know.
function pickPlace(element) {
  const map = L.map(element, { preferCanvas: true });
  element.leafletMap = map;  // for the browser tests
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 19 }).addTo(map);
  }
  const points = JSON.parse(element.dataset.points || "[]");
  for (const [lat, lon] of points) {
    L.circleMarker([lat, lon], { radius: 3, color: "#7a8a99", fillOpacity: 0.6 }).addTo(map);
  }
  if (points.length) { map.fitBounds(points, { padding: [20, 20] }); } else { map.setView([35, 111], 12); }
  let chosen = null;
  map.on("click", (event) => {
    const lat = event.latlng.lat.toFixed(6);
    const lon = event.latlng.lng.toFixed(6);
    document.getElementById("join-lat").value = lat;
    document.getElementById("join-lon").value = lon;
    document.getElementById("join-place").textContent = `${element.dataset.picked} ${lat}, ${lon}`;
    if (chosen) { chosen.setLatLng(event.latlng); } else {
      chosen = L.circleMarker(event.latlng, { radius: 7, color: "#c0392b", fillOpacity: 0.9 }).addTo(map);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const run = document.querySelector("[data-run]");
  if (run) { watchRun(run); }
  const map = document.getElementById("map");
  if (map && window.L) { drawMap(map); }
  const pick = document.getElementById("pick-map");
  if (pick && window.L) { pickPlace(pick); }
  document.querySelectorAll("select[data-submit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
});
