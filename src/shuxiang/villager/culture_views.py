"""Culture and heritage pages: the public digital exhibition (per township and per item, with the
media served by us) and the registry for staff (items, media, relic inspections)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from shuxiang.core.access import public_view, requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import (
    Column,
    ObjectDetailView,
    ObjectListView,
    form_page,
    object_or_404,
    object_view,
)
from shuxiang.core.models import Place
from shuxiang.core.permissions import has_perm
from shuxiang.core.services import resolve_place
from shuxiang.villager import culture
from shuxiang.villager.choices import HeritageKind
from shuxiang.villager.filtersets import HeritageItemFilterSet
from shuxiang.villager.forms import HeritageItemForm, InspectionForm, MediaForm, township_choices
from shuxiang.villager.models import HeritageItem


def _published():
    return HeritageItem.objects.filter(is_published=True).select_related("place", "place__parent")


def _exhibition(request, township=None):
    items = _published()
    kind = request.GET.get("kind", "")
    code = township.code if township else request.GET.get("place", "")
    if code:
        place = Place.objects.filter(code=code).only("path").first()
        items = items.filter(place__path__startswith=place.path) if place else items.none()
    if kind in HeritageKind.values:
        items = items.filter(kind=kind)
    items = list(items.order_by("kind", "place__code", "name")[:300])
    digitised = set(
        culture.is_digitised(HeritageItem.objects.filter(pk__in=[i.pk for i in items])).values_list(
            "pk", flat=True
        )
    )
    for item in items:
        item.digitised = item.pk in digitised
    return render(
        request,
        "villager/culture.html",
        {
            "title": f"{township.name}数字展览" if township else "非遗与文物数字展览",
            "items": items,
            "township": township,
            "townships": township_choices(),
            "current": {"place": code, "kind": kind},
            "kinds": HeritageKind.choices,
        },
    )


@public_view
def culture_home(request):
    return _exhibition(request)


@public_view
def culture_township(request, code):
    try:
        township = resolve_place(code)
    except ServiceError:
        raise Http404 from None
    if township.level != 2:
        raise Http404
    return _exhibition(request, township)


@public_view
def culture_item(request, pk):
    """One item's exhibition page: what it is, who carries it on, its pictures, sound and film."""
    item = _published().filter(pk=pk).first()
    if item is None:
        raise Http404
    media = list(culture.media_of(item).filter(is_public=True))
    return render(
        request,
        "villager/culture_item.html",
        {
            "title": item.name,
            "item": item,
            "images": [m for m in media if culture.media_kind(m) == "image"],
            "audio": [m for m in media if culture.media_kind(m) == "audio"],
            "video": [m for m in media if culture.media_kind(m) == "video"],
        },
    )


class HeritageListView(ObjectListView):
    model = HeritageItem
    filterset_class = HeritageItemFilterSet
    title = "非遗与文物"
    select_related = ("place", "place__parent")
    columns = [
        Column("名称", "name", link=True),
        Column("类别", "get_kind_display"),
        Column("门类", "get_category_display"),
        Column("级别", "get_level_display"),
        Column("所在地", lambda i: f"{i.place.parent.name if i.place.parent else ''}{i.place.name}"),
        Column("保存状况", "get_condition_display"),
        Column("最近巡查", "inspected_on"),
        Column("公开", lambda i: "是" if i.is_published else "否"),
    ]
    create_url_name = "villager:culture_create"
    create_permission = "villager.heritageitem.add"
    create_label = "登记"

    detail_route = "villager:culture_detail"


class HeritageDetailView(ObjectDetailView):
    model = HeritageItem
    template_name = "villager/culture_detail.html"
    select_related = ("place", "place__parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item, user = self.object, self.request.user
        context.update(
            title=item.name,
            media=culture.media_of(item),
            inspections=item.inspections.all()[:20],
            may_change=has_perm(user, "villager.heritageitem.change", item),
            may_inspect=item.kind == HeritageKind.RELIC and has_perm(user, "villager.inspection.add", item),
            media_form=MediaForm(),
            inspection_form=InspectionForm(initial={"inspected_on": timezone.localdate()}),
        )
        return context


def _item_page(request, item=None):
    initial = {}
    if item is not None:
        initial = {f: getattr(item, f) for f in HeritageItemForm.base_fields if f != "place"}
        initial["place"] = item.place.code
    form = HeritageItemForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        place = Place.objects.filter(code=data.pop("place")).first()
        try:
            item = culture.do_save_heritage_item(actor=request.user, place=place, item=item, **data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "已保存")
            return redirect("villager:culture_detail", pk=item.pk)
    return form_page(request, form, "登记非遗与文物" if item is None else f"修改：{item.name}")


@requires("villager.heritageitem.add")
def culture_create(request):
    return _item_page(request)


@requires("villager.heritageitem.change")
@object_view(HeritageItem)
def culture_edit(request, pk):
    return _item_page(request, object_or_404(HeritageItem, request.user, pk=pk))


@requires("villager.heritageitem.change")
@object_view(HeritageItem)
def culture_media(request, pk):
    item = object_or_404(HeritageItem, request.user, pk=pk)
    if request.method != "POST":
        return redirect("villager:culture_detail", pk=pk)
    form = MediaForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            culture.do_add_media(item, actor=request.user, upload=form.cleaned_data["file"])
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("villager:culture_detail", pk=pk)
        messages.success(request, "已上传")
    else:
        messages.error(request, "请选择文件")
    return redirect("villager:culture_detail", pk=pk)


@requires("villager.inspection.add")
@object_view(HeritageItem)
def culture_inspect(request, pk):
    item = object_or_404(HeritageItem, request.user, pk=pk)
    if request.method != "POST":
        return redirect("villager:culture_detail", pk=pk)
    form = InspectionForm(request.POST, request.FILES)
    if form.is_valid():
        data = dict(form.cleaned_data)
        photo = data.pop("photo", None)
        try:
            inspection = culture.do_record_inspection(
                item, actor=request.user, photos=[photo] if photo else [], **data
            )
        except ServiceError as exc:
            messages.error(
                request, exc.message + "：" + "；".join(m for ms in exc.fields.values() for m in ms)
            )
        else:
            note = f"，已生成事件 {inspection.case_number}" if inspection.case_number else ""
            messages.success(request, f"巡查已记录{note}")
    else:
        messages.error(request, "巡查信息有误：" + "；".join(e for es in form.errors.values() for e in es))
    return redirect("villager:culture_detail", pk=pk)
