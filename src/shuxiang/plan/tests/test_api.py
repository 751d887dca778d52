from shuxiang.plan.models import LedgerEntry


def test_the_tasks_api_lists_the_27_tasks_with_units_and_targets(plan, cast, api_for):
    body = api_for(cast.township_a).get("/api/v1/plan/tasks/").json()
    assert body["count"] == 27 and len(body["results"]) == 27
    task11 = next(t for t in body["results"] if t["number"] == 11)
    assert task11["section"] == "二.5" and task11["title"] == "深化农产品电商发展"
    assert task11["lead_units"] == ["区商务局"]
    assert task11["responsible_units"][:2] == ["区网信办", "区农业农村局"]
    assert task11["responsible_units"][-1] == "各乡镇、街道、园区"
    assert {"indicator": "online_agri_sales", "value": 6.0, "year": 2025}.items() <= task11["targets"][
        1
    ].items()
    task16 = api_for(cast.township_a).get("/api/v1/plan/tasks/16/").json()
    assert (task16["number"], task16["seed_number"]) == (16, 15)


def test_a_quarter_through_the_api_village_to_township_to_district(round_, places, cast, api_for):
    form = LedgerEntry.objects.get(round=round_, task__number=11, place=places.village_a)
    url = f"/api/v1/plan/ledgers/{form.pk}/"
    village, township, district = api_for(cast.village_a), api_for(cast.township_a), api_for(cast.district)
    saved = village.patch(url, {"progress": "服务站建成", "problems": "冷链缺口"}, format="json")
    assert saved.status_code == 200 and saved.json()["editable"] is True
    assert village.post(url + "submit/").json()["status"] == "submitted"
    early = district.post(url + "approve/")
    assert early.status_code == 400
    assert early.json()["code"] == "approval_out_of_order" and "乡镇" in early.json()["message"]
    assert set(early.json()) == {"code", "message", "fields"}
    returned = township.post(url + "return/", {"reason": "请补充照片"}, format="json").json()
    assert (returned["status"], returned["return_reason"]) == ("returned", "请补充照片")
    village.post(url + "submit/")
    assert township.post(url + "approve/").json()["approval_level"] == 2
    approved = district.post(url + "approve/").json()
    assert approved["status"] == "approved" and approved["editable"] is False
    locked = village.patch(url, {"progress": "改"}, format="json")
    assert locked.status_code == 400 and locked.json()["code"] == "entry_approved"


def test_a_wrong_value_through_the_api_is_refused_with_the_field_named(round_, places, cast, api_for):
    form = LedgerEntry.objects.get(round=round_, task__number=8, place=places.township_a)
    response = api_for(cast.township_a).patch(
        f"/api/v1/plan/ledgers/{form.pk}/", {"progress": "x", "values": {"pig_stock": "很多"}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_number" and "pig_stock" in response.json()["fields"]
    form.refresh_from_db()
    assert form.progress == ""


def test_the_ledger_list_shows_only_the_officers_region(round_, places, cast, api_for):
    body = api_for(cast.township_a).get("/api/v1/plan/ledgers/?page_size=500").json()
    codes = {row["place"] for row in body["results"]}
    assert codes <= {places.township_a.code, places.village_a.code}
    other = LedgerEntry.objects.filter(round=round_, place=places.township_b).first()
    assert api_for(cast.township_a).post(f"/api/v1/plan/ledgers/{other.pk}/submit/").status_code == 404


def test_the_ledger_list_reads_values_without_a_query_per_form(
    round_, places, cast, api_for, django_assert_max_num_queries
):
    from shuxiang.plan import services

    form = LedgerEntry.objects.get(round=round_, task__number=8, place=places.township_a)
    services.do_save_entry(form, actor=cast.township_a, values={"pig_stock": 12})
    client = api_for(cast.township_a)
    with django_assert_max_num_queries(12):
        body = client.get("/api/v1/plan/ledgers/?page_size=50").json()
    assert len(body["results"]) == 29
    row = next(r for r in body["results"] if r["task"] == 8)
    assert row["values"]["pig_stock"]["numerator"] == 12.0
