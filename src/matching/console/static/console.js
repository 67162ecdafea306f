// The console's two scripts: a run's progress bar, and the map of a programme.
"use strict";

function watchRun(id) {
  const bar = document.getElementById("bar");
  const stage = document.getElementById("stage");
  const elapsed = document.getElementById("elapsed");
  async function poll() {
    const response = await fetch(`/api/runs/${id}`, { credentials: "same-origin" });
    if (!response.ok) { setTimeout(poll, 2000); return; }
    const run = await response.json();
    if (run.status === "done" || run.status === "failed") { location.reload(); return; }
    const percent = Math.round((run.progress || 0) * 100);
    bar.style.width = `${percent}%`;
    bar.parentElement.setAttribute("aria-valuenow", percent);
    stage.textContent = run.stage || "";
    elapsed.textContent = run.elapsed || 0;
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
}

async function drawMap(element) {
  const map = L.map(element, { preferCanvas: true });
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 19 }).addTo(map);
  }
  const response = await fetch(`/api/programmes/${encodeURIComponent(element.dataset.programme)}/map`,
                               { credentials: "same-origin" });
  const data = await response.json();
  const points = [];
  for (const [a, b, c, d] of data.pairs) {
    L.polyline([[a, b], [c, d]], { color: "#7a8a99", weight: 1, opacity: 0.7 }).addTo(map);
  }
  for (const v of data.volunteers) {
    L.circleMarker([v.lat, v.lon], { radius: 6, color: "#1f5fa8", fillOpacity: 0.9, className: "volunteer" })
      .bindTooltip(`${v.name} (${v.id}) · ${v.community}`).addTo(map);
    points.push([v.lat, v.lon]);
  }
  for (const e of data.elders) {
    const paired = e.volunteer !== "";
    L.circleMarker([e.lat, e.lon], { radius: 5, color: paired ? "#2f7d4f" : "#c0392b", fillOpacity: 0.8,
                                      className: paired ? "elder paired" : "elder unpaired" })
      .bindTooltip(`${e.name} (${e.id}) · ${e.community}${paired ? " → " + e.volunteer : ""}`).addTo(map);
    points.push([e.lat, e.lon]);
  }
  if (points.length) { map.fitBounds(points, { padding: [20, 20] }); } else { map.setView([35, 111], 12); }
  element.dataset.drawn = String(data.volunteers.length + data.elders.length);
}
