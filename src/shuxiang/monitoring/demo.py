"""Demo households for Heshan: 2,000 per demo scale, with members, two years of
income, 三保障 status, some monitored households with risks, measures and
follow-ups, clues from every channel, and procedures at different steps.

The bulk is written with bulk_create for speed (the same rows the services
would write; demo data has no actor to audit); the procedures go through the
services so they sit on real cases. Threshold figures are demo values, marked
as such: a county loads its province's real figures from the documents.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from shuxiang.core import pii
from shuxiang.core.actors import OPERATOR
from shuxiang.core.context import origin
from shuxiang.core.models import Person
from shuxiang.demo.builder import GIVEN, SURNAMES
from shuxiang.monitoring import choices as c
from shuxiang.monitoring import procedures, services
from shuxiang.monitoring.models import (
    Clue,
    Household,
    HouseholdRisk,
    IncomeRecord,
    Measure,
    Member,
    MonitoringThreshold,
    Visit,
)
from shuxiang.monitoring.rules import run_rules

HOUSEHOLDS_PER_SCALE = 2000
DEMO_THRESHOLDS = {2021: 6000, 2022: 6300, 2023: 6900, 2024: 7200, 2025: 7500, 2026: 7800}
DEMO_DOCUMENT = "演示值（未核实，请按湖南省当年文件维护）"
BATCH = 5000
CHUNK = 10000


def _name(rng, surname=None):
    return (surname or rng.choice(SURNAMES)) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _id(rng, birth, used):
    """A valid ID number nobody in the registry has yet (`used` holds digests)."""
    while True:
        first17 = f"430903{birth:%Y%m%d}{rng.randint(0, 999):03d}"
        number = first17 + pii.id_check_char(first17)
        digest = pii.digest(number)
        if digest not in used:
            used.add(digest)
            return number, digest


def _thresholds(this_year):
    for year, amount in DEMO_THRESHOLDS.items():
        if year <= this_year:
            MonitoringThreshold.objects.get_or_create(
                province="43",
                year=year,
                defaults={"province_name": "湖南省", "amount": Decimal(amount), "document": DEMO_DOCUMENT},
            )


def _members_for(rng, surname, today):
    """(relation, birth, labour, health, schooling, insured) for one household."""
    head_birth = date(rng.randint(1945, 1990), rng.randint(1, 12), rng.randint(1, 28))
    rows = [("head", head_birth)]
    if rng.random() < 0.8:
        rows.append(("spouse", head_birth + timedelta(days=rng.randint(-1500, 1500))))
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
        rows.append(
            ("child", date(rng.randint(max(head_birth.year + 20, 1980), 2020), rng.randint(1, 12), 15))
        )
    if rng.random() < 0.25:
        rows.append(("parent", date(rng.randint(1930, 1955), rng.randint(1, 12), 10)))
    out = []
    for relation, birth in rows:
        age = today.year - birth.year
        labour = c.Labour.NORMAL
        if age >= 70 or age < 16:
            labour = c.Labour.NONE
        elif age >= 60:
            labour = c.Labour.WEAK
        health = c.Health.HEALTHY
        roll = rng.random()
        if roll < 0.04:
            health, labour = c.Health.SERIOUS, c.Labour.LOST
        elif roll < 0.09:
            health = c.Health.CHRONIC
        elif roll < 0.12:
            health, labour = c.Health.DISABLED, (c.Labour.LOST if rng.random() < 0.5 else labour)
        schooling = c.Schooling.NOT_APPLICABLE
        if 6 <= age <= 15:
            schooling = c.Schooling.DROPOUT if rng.random() < 0.01 else c.Schooling.IN_SCHOOL
        elif 3 <= age < 6:
            schooling = c.Schooling.PRESCHOOL
        out.append((relation, birth, labour, health, schooling, rng.random() > 0.003))
    return out


def build(ctx):
    rng = ctx.rng
    today = timezone.localdate()
    _thresholds(today.year)
    count = HOUSEHOLDS_PER_SCALE * ctx.scale
    used = set(Person.objects.exclude(id_number_digest="").values_list("id_number_digest", flat=True))
    tour_village = ctx.users["cadre"].place_id
    tour = []
    # in chunks, so 200,000 households (demo --scale 100) never sit in memory at once
    for start in range(0, count, CHUNK):
        households = _chunk(rng, ctx.hamlets, range(start, min(start + CHUNK, count)), used, today)
        _monitored(ctx, households, today)
        if len(tour) < 4:
            tour += [h for h in households if h.place.parent_id == tour_village and h.status == "none"][:4]
    _stories(ctx, tour, today)
    with origin("cli"):
        run_rules(year=today.year - 1, actor=OPERATOR)


def _chunk(rng, hamlets, indexes, used, today):
    year = today.year - 1
    now = timezone.now()
    households, pending_people, member_rows, incomes = [], [], [], []
    for i in indexes:
        hamlet = hamlets[i % len(hamlets)] if i < len(hamlets) else rng.choice(hamlets)
        lifted = rng.random() < 0.3
        grade = rng.choices(["A", "B", "C", "D", ""], weights=[62, 34, 1.5, 0.5, 2])[0]
        households.append(
            Household(
                number=f"{hamlet.code}{i:06d}",
                place=hamlet,
                category=c.Category.LIFTED if lifted else c.Category.ORDINARY,
                lifted_year=rng.choice((2016, 2017, 2018, 2019, 2020)) if lifted else None,
                housing_grade=grade,
                water_safe=rng.random() > 0.01,
                changed_at=now,
            )
        )
        n = len(households) - 1
        surname = rng.choice(SURNAMES)
        members = _members_for(rng, surname, today)
        for relation, birth, labour, health, schooling, insured in members:
            number, digest = _id(rng, birth, used)
            name = _name(rng, surname if relation in ("head", "child") else None)
            phone = f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}" if relation == "head" else ""
            pending_people.append(
                Person(
                    name=name,
                    id_number=number,
                    id_number_digest=digest,
                    phone=phone,
                    phone_digest=pii.digest(phone) if phone else "",
                    gender=pii.gender_from_id(number),
                    birth_date=birth,
                    place=hamlet,
                )
            )
            member_rows.append((n, relation, labour, health, schooling, insured))
        size = len(members)
        earners = sum(1 for m in members if m[2] in (c.Labour.NORMAL, c.Labour.SKILLED))
        # 湖南农村居民人均可支配收入约两万元; households without labour live mostly on transfers
        per_head = rng.randint(9000, 32000) if earners else rng.randint(6000, 14000)
        base = Decimal(per_head) * size
        change = rng.uniform(0.5, 0.75) if rng.random() < 0.05 else rng.uniform(0.92, 1.15)
        for y, factor in ((year - 1, Decimal("1")), (year, Decimal(str(round(change, 2))))):
            amounts = {
                "wage": (base * Decimal("0.6") * factor).quantize(Decimal("1")),
                "production": (base * Decimal("0.25") * factor).quantize(Decimal("1")),
                "property_income": Decimal(rng.randint(0, 800)),
                "transfer": Decimal(rng.randint(500, 4000)),
                "expenses": Decimal(rng.randint(0, 3000)),
            }
            if rng.random() < 0.03:
                amounts["expenses"] += Decimal(rng.randint(20000, 80000))  # a serious illness this year
            gross, net = services.per_capita_net(amounts, size)
            incomes.append((n, y, amounts, gross, size, net))
    Household.objects.bulk_create(households, batch_size=BATCH)
    Person.objects.bulk_create(pending_people, batch_size=BATCH)
    Member.objects.bulk_create(
        [
            Member(
                household=households[n],
                person=person,
                relation=relation,
                labour=labour,
                health=health,
                schooling=schooling,
                medical_insured=insured,
            )
            for person, (n, relation, labour, health, schooling, insured) in zip(
                pending_people, member_rows, strict=True
            )
        ],
        batch_size=BATCH,
    )
    IncomeRecord.objects.bulk_create(
        [
            IncomeRecord(
                household=households[n], year=y, gross=gross, size=size, per_capita_net=net, **amounts
            )
            for n, y, amounts, gross, size, net in incomes
        ],
        batch_size=BATCH,
    )
    return households


def _monitored(ctx, households, today):
    """About 3 % of households are already monitored, with risks, measures and monthly follow-ups."""
    rng = ctx.rng
    cadre = ctx.users["cadre"]
    unit = ctx.units.get("区乡村振兴局")
    picked = [h for h in households if rng.random() < 0.03]
    risks, measures, visits = [], [], []
    kinds = list(c.MeasureKind.values)
    for hh in picked:
        hh.status = c.MonitoringStatus.MONITORED
        hh.monitored_type = rng.choice(c.MonitoredType.values)
        hh.identified_on = today - timedelta(days=rng.randint(40, 700))
        chosen = rng.sample(
            [
                c.RiskType.ILLNESS,
                c.RiskType.DISABILITY,
                c.RiskType.SCHOOLING,
                c.RiskType.DISASTER,
                c.RiskType.UNSTABLE_JOB,
                c.RiskType.LACK_OF_LABOUR,
            ],
            rng.randint(1, 2),
        )
        risks += [HouseholdRisk(household=hh, risk_type=r, is_primary=n == 0) for n, r in enumerate(chosen)]
        measures.append(
            Measure(
                household=hh,
                kind=rng.choice(kinds),
                description="结对帮扶，落实帮扶措施",
                cadre=cadre,
                unit=unit,
                start_on=hh.identified_on + timedelta(days=7),
            )
        )
        last = today - timedelta(days=rng.randint(5, 60))
        visits.append(
            Visit(
                household=hh,
                purpose=c.VisitPurpose.FOLLOW_UP,
                visitor=cadre,
                visited_on=last,
                notes="每月回访，了解收入和帮扶落实情况",
                income_estimate=Decimal(rng.randint(6000, 12000)),
            )
        )
    Household.objects.bulk_update(picked, ["status", "monitored_type", "identified_on"], batch_size=BATCH)
    HouseholdRisk.objects.bulk_create(risks, batch_size=BATCH)
    Measure.objects.bulk_create(measures, batch_size=BATCH)
    Visit.objects.bulk_create(visits, batch_size=BATCH)


def demo_photo():
    """A small generated picture standing in for the home-visit photo (no real person in the demo)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), (236, 240, 244))
    ImageDraw.Draw(image).rectangle((20, 20, 300, 180), outline=(40, 90, 140), width=4)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return SimpleUploadedFile("home-visit.jpg", buf.getvalue(), content_type="image/jpeg")


def _stories(ctx, households, today):
    """The tour: in the demo cadre's village, one clue per channel and procedures at two steps."""
    cadre, grid = ctx.users["cadre"], ctx.users["grid"]
    local = households
    if len(local) < 4:
        return
    with origin("cli"):
        services.do_record_visit(
            local[0],
            actor=grid,
            purpose=c.VisitPurpose.SCREENING,
            visited_on=today - timedelta(days=2),
            notes="户主务工受伤，近三个月无收入",
            concern=True,
            risk_types=[c.RiskType.ACCIDENT],
        )
        Clue.objects.create(
            place=local[1].place,
            household=local[1],
            channel=c.Channel.DEPARTMENT_ALERT,
            source="区医疗保障局",
            risk_types=[c.RiskType.ILLNESS],
            summary="医保：大额医疗费用：年度住院自付 4.6 万元",
            figures={"amount": "46000.00"},
            created_at=timezone.now() - timedelta(days=6),
        )
        procedure = procedures.do_start_identification(local[1], actor=cadre)
        Clue.objects.create(
            place=local[2].place,
            household=local[2],
            channel=c.Channel.SELF_DECLARATION,
            source="农户本人",
            risk_types=[c.RiskType.DISASTER],
            summary="暴雨导致房屋部分倒塌，养殖鱼塘受损",
            consent=True,
            created_at=timezone.now() - timedelta(days=9),
        )
        second = procedures.do_start_identification(local[2], actor=cadre)
        procedures.do_home_visit(
            second,
            actor=cadre,
            consent_signed=True,
            notes="入户查看，房屋受损严重，鱼塘绝收",
            visited_on=today - timedelta(days=7),
            photos=[demo_photo()],
            proposed_type=c.MonitoredType.SUDDEN,
            risk_types=[c.RiskType.DISASTER, c.RiskType.PROJECT_FAILURE],
            primary_risk=c.RiskType.DISASTER,
        )
        procedures.do_village_review(
            second,
            actor=cadre,
            notes="村民代表会议一致同意",
            notice_from=today - timedelta(days=2),
            notice_to=today + timedelta(days=3),
        )
    return procedure, second
