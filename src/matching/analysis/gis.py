"""A plan for GIS colleagues: volunteers and elders as points, pairs as lines.

Coordinates are WGS-84 (RFC 7946: longitude first) whatever system the inputs were in: a
run's folder keeps its inputs as read, already converted (``--coords``). People without
coordinates have no point, and their pair no line. With ``pseudonymise`` names are left
out and coordinates rounded as a pseudonymised run rounds them
(:data:`matching.outputs.privacy.COORD_DECIMALS`).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from matching.analysis.metrics import elders_table, load
from matching.outputs.folder import Run
from matching.outputs.privacy import COORD_DECIMALS
from matching.runtime.extras import optional_module
from matching.world.columns import ELDER_ID, VOLUNTEER_ID

#: Decimals of a coordinate in the GeoJSON (about 0.1 m).
GEOJSON_DECIMALS = 6


def _value(value: Any) -> Any:
    """A JSON value: NaN and NA as null, NumPy numbers as Python ones."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value


def _point(lon: float, lat: float, places: int) -> list[float] | None:
    if not (np.isfinite(lon) and np.isfinite(lat)):
        return None
    return [round(float(lon), places), round(float(lat), places)]


#: The layers, each of one kind of feature and one geometry.
LAYERS = ("volunteers", "elders", "pairs")

#: The kind each layer's features have (``properties.kind``).
LAYER_KIND = {"volunteers": "volunteer", "elders": "elder", "pairs": "pair"}

#: GDAL's clock for the GeoPackage's timestamps, fixed so that the same run gives the same
#: bytes (the GeoPackage standard's own epoch).
GPKG_DATE = "2000-01-01T00:00:00.000Z"


def geojson_layers(run: Run, *, pseudonymise: bool = False) -> dict[str, dict[str, Any]]:
    """The plan as three FeatureCollections, one per layer (:data:`LAYERS`): points of
    volunteers, points of elders, lines of pairs. Each holds one kind of feature with the
    same properties, so that a GIS (or geopandas) types every column: ``served`` stays a
    true/false column, not 1.0/0.0 beside the lines' missing values."""
    features = geojson(run, pseudonymise=pseudonymise)["features"]
    return {layer: {"type": "FeatureCollection",
                    "features": [f for f in features
                                 if f["properties"]["kind"] == LAYER_KIND[layer]]}
            for layer in LAYERS}


def geojson(run: Run, *, pseudonymise: bool = False) -> dict[str, Any]:
    """The plan as one GeoJSON FeatureCollection (the contract's; :func:`geojson_layers`
    gives it as typed layers).

    Features, each with ``properties.kind``:

    * ``volunteer`` points: ``volunteer_id, name, community, elders, pair_minutes``;
    * ``elder`` points: the columns of :func:`matching.analysis.metrics.elders_table` but
      the coordinates and the worded reason (``elder_id, name, community, age, priority,
      served, volunteer_id, distance_km, tie, reason_code``...);
    * ``pair`` lines from the volunteer to the elder: ``volunteer_id, elder_id,
      distance_km, weekly_minutes, tie``.

    ``name`` is left out with ``pseudonymise``.
    """
    places = COORD_DECIMALS if pseudonymise else GEOJSON_DECIMALS
    features: list[dict[str, Any]] = []
    vols = run.world.volunteers.frame()
    loads = load(run).set_index(VOLUNTEER_ID)
    where: dict[str, list[float] | None] = {}
    for row in vols.itertuples(index=False):
        vid = str(row.volunteer_id)
        point = _point(row.lon, row.lat, places)
        where[vid] = point
        if point is None:
            continue
        properties = {"kind": "volunteer", VOLUNTEER_ID: vid,
                      "community": str(getattr(row, "community", "") or "")}
        if not pseudonymise:
            properties["name"] = str(getattr(row, "name", "") or "")
        if vid in loads.index:
            properties["elders"] = _value(loads.at[vid, "elders"])
            properties["pair_minutes"] = _value(loads.at[vid, "pair_minutes"])
        features.append({"type": "Feature", "geometry": {"type": "Point",
                                                         "coordinates": point},
                         "properties": properties})
    elders = elders_table(run)
    keep = [c for c in elders.columns if c not in ("lat", "lon", "reason")
            and not (pseudonymise and c == "name")]
    homes: dict[str, list[float] | None] = {}
    for row in elders.to_dict("records"):
        point = _point(row["lon"], row["lat"], places)
        homes[str(row[ELDER_ID])] = point
        if point is None:
            continue
        properties = {"kind": "elder", **{c: _value(row[c]) for c in keep}}
        features.append({"type": "Feature", "geometry": {"type": "Point",
                                                         "coordinates": point},
                         "properties": properties})
    for row in run.assignments.to_dict("records"):
        start, end = where.get(str(row[VOLUNTEER_ID])), homes.get(str(row[ELDER_ID]))
        if start is None or end is None:
            continue
        features.append({"type": "Feature",
                         "geometry": {"type": "LineString", "coordinates": [start, end]},
                         "properties": {"kind": "pair",
                                        **{c: _value(row.get(c)) for c in
                                           (VOLUNTEER_ID, ELDER_ID, "distance_km",
                                            "weekly_minutes", "tie")}}})
    return {"type": "FeatureCollection", "features": features}


def to_geodataframe(run: Run, layer: str | None = None, *,
                    pseudonymise: bool = False) -> Any:
    """The features as a ``geopandas.GeoDataFrame`` in EPSG:4326: one ``layer``'s
    (``volunteers``, ``elders`` or ``pairs``: typed columns, one geometry), or without one
    every feature with its ``kind`` (mixed, so columns one kind lacks are missing).

    Needs the optional ``geo`` extra (``pip install 'sixty-helps-ninety[geo]'``).

    Raises
    ------
    matching.runtime.extras.MissingExtra
        If geopandas is not installed.
    """
    geopandas = optional_module("geopandas", "to_geodataframe")  # heavy: only when asked
    if layer is not None and layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}, not {layer!r}")
    collection = (geojson(run, pseudonymise=pseudonymise) if layer is None
                  else geojson_layers(run, pseudonymise=pseudonymise)[layer])
    frame = geopandas.GeoDataFrame.from_features(collection["features"], crs="EPSG:4326")
    if layer is not None and frame.empty:
        frame = geopandas.GeoDataFrame({"kind": []}, geometry=[], crs="EPSG:4326")
    return frame


def geopackage_bytes(run: Run, *, pseudonymise: bool = False) -> bytes:
    """The plan as a GeoPackage for QGIS: one table per layer (:data:`LAYERS`), typed,
    in EPSG:4326; the same run gives the same bytes. Needs the ``geo`` extra."""
    pyogrio = optional_module("pyogrio", "geopackage")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.gpkg"
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_DATE})
        try:
            for layer in LAYERS:
                frame = to_geodataframe(run, layer, pseudonymise=pseudonymise)
                frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
        return path.read_bytes()
