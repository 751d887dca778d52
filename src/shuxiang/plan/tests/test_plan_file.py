"""The plan file against the seed document it transcribes (../shared/seed/*.txt)."""

import os
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from shuxiang.core.actors import OPERATOR
from shuxiang.core.errors import ServiceError
from shuxiang.core.models import Unit
from shuxiang.indicators.models import Indicator, Target
from shuxiang.plan.loader import DEFAULT_FILE, load_plan, read_file
from shuxiang.plan.models import Plan, Task

REPO = Path(__file__).resolve().parents[4]
SEED_DIR = Path(os.environ.get("SHUXIANG_SEED_DIR", REPO.parent / "shared" / "seed"))


@pytest.fixture(scope="module")
def seed_tasks():
    files = sorted(SEED_DIR.glob("*.txt"))
    if not files:
        pytest.skip(f"the seed document is not at {SEED_DIR} (set SHUXIANG_SEED_DIR)")
    text = files[0].read_text(encoding="utf-8")
    tasks = [(int(m.group(1)), m.group(2).strip()) for m in re.finditer(r"^(\d+)\.(.+)$", text, re.M)]
    return text, tasks


@pytest.fixture(scope="module")
def plan_file():
    return yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))


def unit_parenthesis(body):
    return re.search(r"（(牵头单位：.*?)）?。?$", body).group(1)


def test_the_plan_file_has_all_27_tasks_of_the_seed_with_their_text_in_order(seed_tasks, plan_file):
    _, seed = seed_tasks
    tasks = plan_file["tasks"]
    assert len(seed) == 27 and len(tasks) == 27
    assert [t["number"] for t in tasks] == list(range(1, 28))
    assert [t["text"] for t in tasks] == [body for _, body in seed]
    assert all(t["text"].startswith(t["title"]) for t in tasks)


def test_the_two_tasks_the_seed_numbers_15_are_tasks_15_and_16_with_the_seed_number_kept(
    seed_tasks, plan_file
):
    _, seed = seed_tasks
    assert [n for n, _ in seed].count(15) == 2 and 16 not in [n for n, _ in seed]
    by_number = {t["number"]: t for t in plan_file["tasks"]}
    assert by_number[15]["title"] == "加强乡村网络文化阵地建设"
    assert by_number[16]["title"] == "推进乡村优秀文化资源数字化"
    assert by_number[16]["seed_number"] == 15 and "seed_number" not in by_number[15]


def test_every_task_names_exactly_the_lead_and_responsible_units_of_its_parenthesis(seed_tasks, plan_file):
    _, seed = seed_tasks
    for task, (_, body) in zip(plan_file["tasks"], seed, strict=True):
        units = unit_parenthesis(body)
        lead_part, _, responsible_part = re.split(r"(，?责?任单位：)", units[len("牵头单位：") :], maxsplit=1)
        assert task["lead_units"] == [u for u in lead_part.split("、") if u], task["number"]
        for name in task["responsible_units"]:
            assert name in responsible_part, (task["number"], name)
        assert task["all_townships"] == ("各乡镇、街道、园区" in responsible_part)
        stripped = re.sub(r"(和)?各乡镇、街道、园区(负责)?$", "", responsible_part)
        assert "".join(task["responsible_units"]) == re.sub(r"[、，]", "", stripped), task["number"]


def test_every_quantified_figure_of_the_seed_is_quoted_by_a_target(seed_tasks, plan_file):
    text, _ = seed_tasks
    figures = set(re.findall(r"\d+(?:%|G|座|万头|亿元)", text))
    assert {"100%", "5G", "4G", "1G", "10G", "152座", "35万头", "6亿元"} <= figures
    quotes = [t["quote"] for s in plan_file["sections"] for t in s.get("targets", [])]
    quotes += [t["quote"] for task in plan_file["tasks"] for t in task.get("targets", [])]
    for figure in figures:
        assert any(figure in q for q in quotes), figure
    for quote in quotes:
        assert quote in text, quote
    for phrase in (
        "有线广播电视网连通所有行政村",
        "区图书馆分馆",
        "实现乡、村全覆盖",
        "村级电商物流服务点覆盖率达100%",
    ):
        assert any(phrase in q for q in quotes), phrase


def test_loading_the_plan_gives_27_tasks_with_their_units_and_targets_as_indicator_targets(plan):
    assert Task.objects.filter(plan=plan).count() == 27
    task5 = Task.objects.get(plan=plan, number=5)
    assert [tu.label for tu in task5.task_units.filter(role="lead")] == ["区工信局"]
    assert "赫山移动分公司" in [tu.label for tu in task5.task_units.filter(role="responsible")]
    assert Unit.objects.filter(name="中国移动赫山分公司", short_name="赫山移动分公司").exists()
    task19 = Task.objects.get(plan=plan, number=19)
    assert [tu.unit.short_name for tu in task19.task_units.filter(role="lead")] == ["区气象局", "区应急局"]
    fibre = Indicator.objects.get(code="fibre_hamlets")
    assert Target.objects.get(indicator=fibre, place__code="430903000000", year=2025).value == 100
    assert Target.objects.get(indicator__code="reservoirs_monitored", year=2025).value == 152
    assert Target.objects.get(indicator__code="digital_feeding_pigs", year=2025).value == 35
    assert Target.objects.get(indicator__code="online_agri_sales", year=2025).value == 6
    assert Target.objects.filter(indicator__code="cold_chain_pilots").count() == 2


def test_loading_the_same_file_again_changes_nothing(plan):
    data, sha = read_file(DEFAULT_FILE)
    result = load_plan(data, sha256=sha, actor=OPERATOR)
    assert result.unchanged and Plan.objects.count() == 1


def test_a_bad_plan_file_is_refused_with_every_problem_and_nothing_is_written(places):
    # Apps create their own computed indicators after migrate (housing, governance, machinery): the
    # table is not empty before the file, and must be exactly as it was after the refusal.
    indicators_before = list(Indicator.objects.order_by("code").values())
    data, _ = read_file(DEFAULT_FILE)
    data["tasks"][3]["lead_units"] = ["区不存在局"]
    data["tasks"][4]["indicators"] = ["no_such_indicator"]
    data["tasks"][5]["number"] = 5
    with pytest.raises(ServiceError) as exc:
        load_plan(data, sha256="x", actor=OPERATOR)
    problems = exc.value.fields["file"]
    assert exc.value.code == "invalid_plan_file"
    assert any("区不存在局" in p for p in problems) and any("no_such_indicator" in p for p in problems)
    assert any("任务序号重复" in p for p in problems)
    assert not Plan.objects.exists()
    assert list(Indicator.objects.order_by("code").values()) == indicators_before
    assert not Indicator.objects.filter(code__in=[i["code"] for i in data["indicators"]]).exists()


def test_a_township_officer_cannot_load_a_plan(places, cast):
    data, sha = read_file(DEFAULT_FILE)
    with pytest.raises(ServiceError) as exc:
        load_plan(data, sha256=sha, actor=cast.township_a)
    assert exc.value.code == "forbidden" and not Plan.objects.exists()


def test_the_plan_load_command_loads_a_countys_file(places, capsys, tmp_path):
    call_command("plan", "load", str(DEFAULT_FILE))
    assert "27 项重点任务" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: other\n", encoding="utf-8")
    with pytest.raises(Exception) as exc:
        call_command("plan", "load", str(bad))
    assert "format" in str(exc.value)
