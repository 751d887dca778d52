"""Typed readers for the environment: the only place configuration comes from.

Each helper refuses values it cannot parse instead of guessing, so a typo in a
deployment fails at start-up with the variable's name rather than running with
a silent default.
"""

import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path


class ConfigError(ValueError):
    pass


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1", "yes", "on"):
        return True
    if raw.lower() in ("false", "0", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: tuple[str, ...] = ()) -> list[str]:
    """A comma-separated list; blanks around items and empty items are dropped."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_networks(values) -> tuple[list, list[str]]:
    """(networks, unreadable entries) for addresses or CIDR blocks such as "10.0.0.5" or "10.0.0.0/24".

    Unreadable entries are returned rather than raised so that a system check can name them
    (shuxiang.E006); callers use only the readable ones, which trusts fewer proxies, never more.
    """
    networks, bad = [], []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            bad.append(value)
    return networks, bad


def metrics_dir(var_dir: Path, testing: bool) -> None:
    """prometheus-client's multiprocess mode for every process of a node (web workers, task worker,
    listeners), through files under var/metrics; set before prometheus-client is first imported. Not in
    tests: one process, the default registry."""
    if testing or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    path = var_dir / "metrics"
    path.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def env_optional_secret(name: str) -> str:
    """A secret from NAME or the file NAME_FILE names, or "" (never generated: unset means "off")."""
    value = os.environ.get(name)
    if value:
        return value
    file_name = os.environ.get(f"{name}_FILE")
    return Path(file_name).read_text().strip() if file_name else ""


def media_storage() -> dict:
    """STORAGES["default"] for uploads kept in the S3-compatible bucket SHUXIANG_S3_BUCKET (django-storages over
    boto3). Files are still served only through our permission-checked views, never by a bucket URL."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("SHUXIANG_S3_BUCKET"),
            "endpoint_url": env_str("SHUXIANG_S3_ENDPOINT_URL") or None,
            "region_name": env_str("SHUXIANG_S3_REGION") or None,
            "access_key": env_optional_secret("SHUXIANG_S3_ACCESS_KEY") or None,
            "secret_key": env_optional_secret("SHUXIANG_S3_SECRET_KEY") or None,
            "location": env_str("SHUXIANG_S3_PREFIX", "media").strip("/"),
            "addressing_style": env_str("SHUXIANG_S3_ADDRESSING_STYLE", "path") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,  # as on disk: a name already taken gets a suffix, nothing is replaced
        },
    }


def env_secret(name: str, var_dir: Path, nbytes: int = 32) -> str:
    """Read a secret from NAME, NAME_FILE, or a file generated once under var/.

    Generating on first run keeps `make run` a single command while never
    committing a key; the generated file is readable by the owner only.
    """
    value = os.environ.get(name)
    if value:
        return value
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    path = var_dir / name.lower()
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


# --- the optional base map (docs/maps.md) ------------------------------------------------------

# Tile sources in GCJ-02 ("火星坐标", offset by hundreds of metres) or Baidu's BD-09: our boundaries,
# points and GPS fixes are CGCS2000/WGS84, so drawing them over such tiles puts every village in the
# wrong field. Refused rather than converted: tiles cannot be re-projected in the browser reliably.
OFFSET_TILE_HOSTS = {
    "autonavi.com": "高德（GCJ-02）",
    "amap.com": "高德（GCJ-02）",
    "gaode.com": "高德（GCJ-02）",
    "map.qq.com": "腾讯地图（GCJ-02）",
    "gtimg.com": "腾讯地图（GCJ-02）",
    "map.baidu.com": "百度地图（BD-09）",
    "bdimg.com": "百度地图（BD-09）",
}
TIANDITU_HOSTS = tuple(f"https://t{i}.tianditu.gov.cn" for i in range(8))
TIANDITU_LAYERS = {"vec": "cva", "img": "cia", "ter": "cta"}  # base layer → its Chinese labels layer
TIANDITU_MATRICES = ("w", "c")  # web mercator, or CGCS2000 longitude/latitude


@dataclass(frozen=True)
class BaseLayer:
    """What core/static/core/map.js needs to draw a base map, and the hosts the CSP must allow."""

    url: str
    overlay: str = ""  # a labels layer drawn over the base (天地图's 注记)
    subdomains: str = ""
    crs: str = "EPSG3857"  # Leaflet's name: web mercator, or EPSG4326 for 天地图's "_c" matrix
    zoom_offset: int = 0
    max_zoom: int = 18
    attribution: str = ""
    hosts: tuple[str, ...] = ()

    def for_browser(self) -> dict:
        fields = ("url", "overlay", "subdomains", "crs", "zoom_offset", "max_zoom", "attribution")
        return {name: getattr(self, name) for name in fields}


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def base_layer(
    tile_url: str, tianditu_key: str, matrix: str = "w", layer: str = "vec"
) -> tuple[BaseLayer | None, list[tuple[str, str]]]:
    """(the base layer to draw or None, [(problem, Chinese message)]) for the tile settings.

    Off unless one of the two sources is set; with any problem there is no base layer at all (a
    refused source is never drawn, not even beside a good one), and the system check names it.
    """
    from urllib.parse import urlsplit

    tile_url, tianditu_key = tile_url.strip(), tianditu_key.strip()
    if not tile_url and not tianditu_key:
        return None, []
    problems = []
    if tile_url and tianditu_key:
        problems.append(("both", "SHUXIANG_TILE_URL 与 SHUXIANG_TIANDITU_KEY 只能设置一个，底图不会混用"))
    if tile_url:
        host = (urlsplit(tile_url).hostname or "").lower()
        for bad, label in OFFSET_TILE_HOSTS.items():
            if host == bad or host.endswith("." + bad):
                problems.append(
                    (
                        "offset",
                        f"SHUXIANG_TILE_URL 指向{label}瓦片：坐标有偏移，与本平台的 CGCS2000 坐标不能叠加",
                    )
                )
        if not (tile_url.startswith(("https://", "http://")) and host) and not tile_url.startswith("/"):
            problems.append(("url", "SHUXIANG_TILE_URL 应为 https:// 开头的地址，或本站的 /路径"))
        elif "{s}" in urlsplit(tile_url).netloc:
            problems.append(("url", "SHUXIANG_TILE_URL 的主机名不能含 {s}：请写出单一主机名"))
        if not all(part in tile_url for part in ("{z}", "{x}")) or not (
            "{y}" in tile_url or "{-y}" in tile_url
        ):
            problems.append(("url", "SHUXIANG_TILE_URL 应含 {z}、{x}、{y} 占位符（XYZ 瓦片）"))
    if tianditu_key and not tianditu_key.isalnum():
        problems.append(("tianditu", "SHUXIANG_TIANDITU_KEY 应为天地图控制台给出的字母数字密钥"))
    if tianditu_key and matrix not in TIANDITU_MATRICES:
        problems.append(("tianditu", f"SHUXIANG_TIANDITU_MATRIX 只能是 w 或 c，不是 {matrix!r}"))
    if tianditu_key and layer not in TIANDITU_LAYERS:
        problems.append(("tianditu", f"SHUXIANG_TIANDITU_LAYER 只能是 vec、img 或 ter，不是 {layer!r}"))
    if problems:
        return None, problems
    if tile_url:
        hosts = () if tile_url.startswith("/") else (_origin(tile_url),)
        label = "本站" if not hosts else urlsplit(tile_url).hostname
        return BaseLayer(url=tile_url, attribution=f"底图：{label}", hosts=hosts), []

    def wmts(name):
        return (
            f"https://t{{s}}.tianditu.gov.cn/{name}_{matrix}/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
            f"&LAYER={name}&STYLE=default&TILEMATRIXSET={matrix}&FORMAT=tiles"
            f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={tianditu_key}"
        )

    return (
        BaseLayer(
            url=wmts(layer),
            overlay=wmts(TIANDITU_LAYERS[layer]),
            subdomains="01234567",
            # The "c" matrix is CGCS2000 longitude/latitude: its level 1 is Leaflet's EPSG4326 zoom 0.
            crs="EPSG4326" if matrix == "c" else "EPSG3857",
            zoom_offset=1 if matrix == "c" else 0,
            max_zoom=17 if matrix == "c" else 18,
            attribution="底图：天地图",
            hosts=TIANDITU_HOSTS,
        ),
        [],
    )


def configured_base_layer() -> tuple[BaseLayer | None, list[tuple[str, str]]]:
    """`base_layer` for the running settings (SHUXIANG_TILE_URL, SHUXIANG_TIANDITU_*)."""
    from django.conf import settings

    return base_layer(
        getattr(settings, "TILE_URL", ""),
        getattr(settings, "TIANDITU_KEY", ""),
        getattr(settings, "TIANDITU_MATRIX", "w"),
        getattr(settings, "TIANDITU_LAYER", "vec"),
    )
