"""Samples for the platform's scope walk: one object per URL-reachable model, in a given hamlet's region."""

import itertools
from datetime import timedelta

from django.utils import timezone

from shuxiang.core.models import Place
from shuxiang.plan.models import LedgerEntry, LedgerRound, NetworkCoverage, Plan, Section, ServicePoint, Task
from shuxiang.testing import sample

_seq = itertools.count(1)


@sample(LedgerEntry)
def make_ledger_entry(place, marker):
    n = next(_seq)
    district = Place.objects.get(level=1)
    plan = Plan.objects.create(
        code=f"sample-{n}",
        title="样本方案",
        version="1",
        district=district,
        start_year=2022,
        end_year=2025,
        source_sha256="0" * 64,
    )
    section = Section.objects.create(plan=plan, code="二.1", title="样本章节")
    task = Task.objects.create(
        plan=plan, section=section, number=1, seed_number=1, title="样本任务", text="样本"
    )
    round_ = LedgerRound.objects.create(
        plan=plan, year=2025, quarter=3, period="2025Q3", deadline=timezone.now() + timedelta(days=3)
    )
    return LedgerEntry.objects.create(round=round_, task=task, place=place, progress=marker)


@sample(NetworkCoverage)
def make_coverage(place, marker):
    return NetworkCoverage.objects.create(place=place, has_fibre=True, note=marker)


@sample(ServicePoint)
def make_service_point(place, marker):
    return ServicePoint.objects.create(place=place.parent, kind="logistics", name=marker)
