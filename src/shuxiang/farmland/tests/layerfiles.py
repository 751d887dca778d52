"""Generated farmland layer files, as a bureau's GIS would hand them over, with known areas."""

import numpy as np
import pyogrio.raw
import shapely
from pyproj import Transformer

from shuxiang.core import geometry
from shuxiang.core.actors import OPERATOR

# 清水村 (430903103201) of the test places is centred on 112.60°E, 28.47°N.
LNG, LAT = 112.60, 28.47


def write(path, rows, *, crs, driver, fields=("code",)):
    """rows: (shapely geometry, {field: value}) each."""
    wkb = np.array([shapely.to_wkb(g) for g, _ in rows], dtype=object)
    columns = [np.array([str(props.get(f, "")) for _, props in rows], dtype=object) for f in fields]
    pyogrio.raw.write(
        str(path), wkb, columns, list(fields), driver=driver, geometry_type="Polygon", crs=f"EPSG:{crs}"
    )
    return path


def gk_field(dx_m, dy_m, width_m, height_m, *, epsg=4525, lng=LNG, lat=LAT):
    """A rectangle of known plane area in a Gauss-Krüger system, offset (metres) from the village centre."""
    x, y = Transformer.from_crs(4490, epsg, always_xy=True).transform(lng, lat)
    return shapely.box(x + dx_m, y + dy_m, x + dx_m + width_m, y + dy_m + height_m)


def lonlat_field(dx_deg, dy_deg, size_deg=0.001, *, lng=LNG, lat=LAT):
    return shapely.box(lng + dx_deg, lat + dy_deg, lng + dx_deg + size_deg, lat + dy_deg + size_deg)


def import_fields(village, kind, shapes, *, prefix="T", actor=OPERATOR, props=None):
    """Polygons straight into a layer (CGCS2000 shapes) through the import service."""
    from shuxiang.farmland.layers import do_import_features

    features = [
        (i + 1, {"code": f"{prefix}{i + 1:04d}", **(props or {})}, shape) for i, shape in enumerate(shapes)
    ]
    fields = ["code", *(props or {})]
    return do_import_features(features, actor=actor, kind=kind, fields=fields, village=village, source="测试")


def ellipsoidal_area(shape_lonlat):
    return geometry.area_m2(shape_lonlat)
