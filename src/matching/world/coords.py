"""Chinese map coordinates to WGS-84.

Amap (Gaode) and Tencent maps give GCJ-02 ("Mars coordinates"), Baidu maps give BD-09,
GPS gives WGS-84. In Shanxi the offsets are several hundred metres, which matters under a
2 km pairing rule, so the readers convert to WGS-84 before any distance is measured.

The formulas are the published ones (GCJ-02 on the Krasovsky 1940 ellipsoid; BD-09 as a
further rotation and shift of GCJ-02). GCJ-02 has no closed-form inverse; it is inverted by
fixed-point iteration, which converges to well under a millimetre in a few steps because
the offset varies slowly. Points outside mainland China's rough bounding box are not
shifted, as the maps themselves do. No maintained package does this job better: the ones
on PyPI are unmaintained single files of these same formulas.
"""

from __future__ import annotations

import numpy as np

#: The coordinate systems an input may be in.
SYSTEMS = ("wgs84", "gcj02", "bd09")

#: Krasovsky 1940 semi-major axis (m) and first eccentricity squared, as GCJ-02 uses them.
KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323

#: BD-09's rotation constant (pi * 3000 / 180) and its shift from GCJ-02 in degrees.
BD_X_PI = np.pi * 3000.0 / 180.0
BD_SHIFT_LON = 0.0065
BD_SHIFT_LAT = 0.006

#: Mainland China's rough box, outside which GCJ-02 leaves coordinates as they are.
CHINA_LON = (72.004, 137.8347)
CHINA_LAT = (0.8293, 55.8271)

#: Iterations of the GCJ-02 inverse and the step (degrees) below which it stops.
INVERSE_MAX_STEPS = 30
INVERSE_TOLERANCE_DEG = 1e-10


def _in_china(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    return ((lon >= CHINA_LON[0]) & (lon <= CHINA_LON[1])
            & (lat >= CHINA_LAT[0]) & (lat <= CHINA_LAT[1]))


def _offset(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02's offset (degrees of latitude, longitude) at a WGS-84 point."""
    x, y = lon - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
             + 0.2 * np.sqrt(np.abs(x)))
    d_lat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - KRASOVSKY_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (KRASOVSKY_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = _in_china(lat, lon)
    return np.where(inside, d_lat, 0.0), np.where(inside, d_lon, 0.0)


def wgs84_to_gcj02(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 to GCJ-02 (arrays of degrees; NaN stays NaN)."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    d_lat, d_lon = _offset(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to WGS-84 by fixed-point iteration of the forward formula."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    w_lat, w_lon = lat.copy(), lon.copy()
    for _ in range(INVERSE_MAX_STEPS):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        step_lat, step_lon = lat - g_lat, lon - g_lon
        w_lat, w_lon = w_lat + step_lat, w_lon + step_lon
        worst = np.nanmax(np.abs(np.concatenate([step_lat.ravel(), step_lon.ravel()])),
                          initial=0.0)
        if worst < INVERSE_TOLERANCE_DEG:
            break
    return w_lat, w_lon


def bd09_to_gcj02(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 to GCJ-02."""
    x = np.asarray(lon, dtype=float) - BD_SHIFT_LON
    y = np.asarray(lat, dtype=float) - BD_SHIFT_LAT
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * BD_X_PI)
    return z * np.sin(theta), z * np.cos(theta)


def gcj02_to_bd09(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to BD-09 (used by the tests and by anyone drawing on a Baidu map)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * BD_X_PI)
    return z * np.sin(theta) + BD_SHIFT_LAT, z * np.cos(theta) + BD_SHIFT_LON


def to_wgs84(lat: np.ndarray, lon: np.ndarray, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in ``system`` (one of :data:`SYSTEMS`) as WGS-84.

    Raises
    ------
    ValueError
        If ``system`` is not one of :data:`SYSTEMS`.
    """
    if system == "wgs84":
        return np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    if system == "gcj02":
        return gcj02_to_wgs84(lat, lon)
    if system == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))
    raise ValueError(f"coordinate system {system!r} is not one of {', '.join(SYSTEMS)}")
