"""The figures of data/standards.yaml, read once per process.

Pages, rules, forecasts and zones read them from here so that no threshold is typed twice in code.
The barn environment by stage may also be edited in the browser by the animal-husbandry office
(`StageStandard` rows): a stage's row, when there is one, replaces its line of the file.
"""

from functools import cache
from pathlib import Path

import yaml

FILE = Path(__file__).with_name("data") / "standards.yaml"


@cache
def load() -> dict:
    with FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


STAGE_FIELDS = ("t_min", "t_max", "nh3", "h2s", "co2", "minutes")


def barn_stages() -> dict:
    """{stage: figures} of every stage: the file's, replaced by the office's edited rows."""
    from shuxiang.livestock.models import StageStandard

    out = {code: dict(band) for code, band in load()["barn_stages"].items()}
    for row in StageStandard.objects.all():
        out[row.stage] = {f: getattr(row, f) for f in STAGE_FIELDS}
        out[row.stage]["edited"] = True
    return out


def barn_stage(stage: str) -> dict:
    return barn_stages()[stage]


def species(code: str) -> dict:
    return load()["species"][code]


def cold_class(code: str) -> dict:
    return load()["cold_classes"][code]


def zones() -> dict:
    return load()["outbreak_zones"]


def disease_stages() -> list[str]:
    return list(load()["disease_stages"])
