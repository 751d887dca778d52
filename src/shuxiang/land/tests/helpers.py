"""Test data builders: a real-looking CGCS2000 3-degree Gauss-Krüger shapefile of a village's parcels."""

from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS, Transformer

# 清水村 (fixture village 430903103201) lies near 112.60°E 28.47°N: 3-degree zone 38 (CM 114°), EPSG:4526.
GK_EPSG = 4526


def grid_parcels(origin_lng=112.600, origin_lat=28.470, rows=3, cols=4, size_m=40.0, gap_m=2.0):
    """Rectangles (in GK metres, EPSG:4526) laid out as a field grid near the village centre."""
    to_gk = Transformer.from_crs(4490, GK_EPSG, always_xy=True)
    x0, y0 = to_gk.transform(origin_lng, origin_lat)
    shapes = []
    for r in range(rows):
        for c in range(cols):
            x = x0 + c * (size_m + gap_m)
            y = y0 + r * (size_m * 0.75 + gap_m)
            shapes.append(shapely.box(x, y, x + size_m, y + size_m * 0.75))
    return shapes


def write_parcels(
    path: Path, shapes, codes, *, areas=None, driver="ESRI Shapefile", crs_epsg=GK_EPSG, extra=None
):
    """Write parcels with 确权 attribute names (DKBM, DKMC, DKLB, SCMJ, 四至) to a vector file."""
    import pyogrio.raw

    n = len(shapes)
    areas = areas if areas is not None else [round(s.area, 2) for s in shapes]
    fields = {
        "DKBM": np.array(codes, dtype=object),
        "DKMC": np.array([f"田{i + 1}" for i in range(n)], dtype=object),
        "FBFBM": np.array([c[:14] for c in codes], dtype=object),
        "DKLB": np.array(["10"] * n, dtype=object),
        "TDLYLX": np.array(["0101"] * n, dtype=object),
        "SCMJ": np.array(areas, dtype="float64"),
        "DKDZ": np.array(["水渠"] * n, dtype=object),
        "DKNZ": np.array(["机耕道"] * n, dtype=object),
        "DKXZ": np.array(["田埂"] * n, dtype=object),
        "DKBZ": np.array(["山脚"] * n, dtype=object),
    }
    for k, v in (extra or {}).items():
        fields[k] = np.array(v, dtype=object)
    wkb = np.array([shapely.to_wkb(s) for s in shapes], dtype=object)
    pyogrio.raw.write(
        str(path),
        wkb,
        list(fields.values()),
        list(fields.keys()),
        driver=driver,
        geometry_type="Polygon",
        crs=CRS.from_epsg(crs_epsg).to_wkt() if crs_epsg else None,
        encoding="UTF-8" if driver == "ESRI Shapefile" else None,
    )
    return path


def codes_for(issuer14: str, n: int, start=1):
    return [f"{issuer14}{i:05d}" for i in range(start, start + n)]
