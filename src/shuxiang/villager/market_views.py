"""The needs market's pages: public browsing, posting, contact and reports (no account), the poster's
private page, and the cadres' moderation queue and list."""

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shuxiang.core import ratelimit
from shuxiang.core.access import public_view, requires
from shuxiang.core.errors import ServiceError
from shuxiang.core.generic import Column, ObjectListView, object_or_404, object_view
from shuxiang.core.middleware import client_ip
from shuxiang.core.models import Place
from shuxiang.core.permissions import has_perm
from shuxiang.core.pii import mask_name, mask_phone
from shuxiang.villager import land_link, market
from shuxiang.villager.choices import STATUS_TAG, PosterKind, PostingStatus
from shuxiang.villager.filtersets import PostingFilterSet, PublicPostingFilterSet
from shuxiang.villager.forms import (
    ExchangeForm,
    InquiryForm,
    ModerationForm,
    PostingForm,
    ReportForm,
    township_choices,
)
from shuxiang.villager.models import Posting

PAGE_SIZE = 20
MAX_PAGE = 500  # 10,000 postings deep: further is a scan, not browsing


def _actor(request):
    return request.user if request.user.is_authenticated else market.PUBLIC


def _public_qs():
    return market.live_postings().select_related("place", "place__parent")


def _cacheable(request) -> bool:
    """Anonymous visitors without a pending message see the same page: it may come from the cache."""
    return not request.user.is_authenticated and "messages" not in request.COOKIES


@public_view
def market_home(request):
    """网上需求集市: what is on offer and wanted, newest first; search by township, kind and keyword.

    For anonymous visitors the page is rendered without a CSRF token (it only sends GETs) and kept for a
    minute under the market's version (any write moves it on), so a busy market costs a cache read."""
    partial = bool(request.htmx and not request.htmx.boosted)
    key = (
        market.public_cache_key("page" if not partial else "rows", request.GET.urlencode())
        if _cacheable(request)
        else None
    )
    if key is not None:
        cached = cache.get(key)
        if cached is not None:
            return HttpResponse(cached)
    response = _market_page(request, partial, anonymous=key is not None)
    if key is not None and response.status_code == 200:
        cache.set(key, response.content, market.PUBLIC_CACHE_SECONDS)
    return response


def _market_page(request, partial, *, anonymous):
    filterset = PublicPostingFilterSet(request.GET, queryset=_public_qs())
    qs = filterset.qs if filterset.is_valid() else _public_qs().none()
    qs = qs.order_by("-published_at", "-pk")
    try:
        number = min(max(int(request.GET.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        number = 1
    # one row more than the page tells whether there is a next page: no COUNT over the whole market
    start = (number - 1) * PAGE_SIZE
    rows = list(qs[start : start + PAGE_SIZE + 1])
    for row in rows:
        row.url = f"/market/{row.pk}/"  # the posting_public route, without a reverse() per row
    query = request.GET.copy()
    query.pop("page", None)
    listings = []
    if filterset.is_valid() and request.GET.get("kind", "") in ("", "rental") and number == 1:
        # the exchange's land open for bids, in the chosen township (the market's other land offers)
        code = request.GET.get("place", "")
        place = Place.objects.filter(code=code).first() if code else None
        if not code or place is not None:
            listings = land_link.open_listings(place, limit=5)
    context = {
        "exchange_listings": listings,
        "title": "网上需求集市",
        "postings": rows[:PAGE_SIZE],
        "has_next": len(rows) > PAGE_SIZE,
        "number": number,
        "query": query.urlencode(),
        "townships": township_choices(),
        "filterset": filterset,
        "current": request.GET,
        "kinds": Posting._meta.get_field("kind").choices,
    }
    if anonymous:
        context["csrf_token"] = ""  # the same page for every visitor: no one's token in it
    template = "villager/_market_rows.html" if partial else "villager/market.html"
    return render(request, template, context)


@public_view
def posting_public(request, pk):
    """One live posting, with the contact and report forms. No phone number is shown."""
    posting = _public_qs().filter(pk=pk).first()
    if posting is None:
        raise Http404
    return render(
        request,
        "villager/posting_public.html",
        {
            "title": posting.title,
            "posting": posting,
            "contact_name": posting.contact_name,
            "listing": land_link.listing_of(posting),
            "inquiry_form": InquiryForm(),
            "report_form": ReportForm(),
        },
    )


def _posting_for_post(pk):
    posting = Posting.objects.select_related("place", "poster").filter(pk=pk).first()
    if posting is None:
        raise Http404
    return posting


@public_view
@require_POST
def posting_contact(request, pk):
    posting = _posting_for_post(pk)
    form = InquiryForm(request.POST)
    if form.is_valid():
        try:
            market.do_send_inquiry(
                posting, actor=_actor(request), source=client_ip(request), **form.cleaned_data
            )
        except ratelimit.RateLimited as exc:
            form.add_error(None, exc.message)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "留言已转达给发布人，对方会通过您留的电话联系您")
            return redirect("villager:posting_public", pk=posting.pk)
    return render(
        request,
        "villager/posting_public.html",
        {"title": posting.title, "posting": posting, "inquiry_form": form, "report_form": ReportForm()},
        status=400,
    )


@public_view
@require_POST
def posting_report(request, pk):
    posting = _posting_for_post(pk)
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            market.do_report_posting(
                posting, actor=_actor(request), source=client_ip(request), **form.cleaned_data
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "举报已收到，工作人员会尽快核查")
            return redirect("villager:market")
    return render(
        request,
        "villager/posting_public.html",
        {"title": posting.title, "posting": posting, "inquiry_form": InquiryForm(), "report_form": form},
        status=400,
    )


@public_view
def market_post(request):
    """发布需求: anyone, on a phone. A resident's posting waits for a cadre; a cadre's is public at once."""
    staff = request.user.is_authenticated and has_perm(request.user, "villager.posting.add")
    form = PostingForm(request.POST or None, staff=staff)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            posting = market.do_create_posting(actor=_actor(request), source=client_ip(request), **data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            return redirect("villager:posting_mine", token=posting.key)
    return render(
        request, "villager/post.html", {"title": "发布需求", "form": form}, status=400 if form.errors else 200
    )


@public_view
def posting_mine(request, token):
    """The poster's private page (the link is the key): status, messages with the callers' phones,
    matched job seekers or jobs, and withdrawing."""
    key = token
    posting = Posting.objects.select_related("place", "place__parent").filter(key=key).first()
    if posting is None or not key:
        raise Http404
    if request.method == "POST":
        try:
            market.do_withdraw_posting(posting, actor=market.PUBLIC, key=key)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "信息已撤回")
        return redirect("villager:posting_mine", token=key)
    matches = posting.matches.filter(seeker__isnull=False).select_related("seeker")
    wanted = posting.seeker_matches.select_related("job")
    return render(
        request,
        "villager/posting_mine.html",
        {
            "title": "我的信息",
            "posting": posting,
            "status_tag": STATUS_TAG[posting.status],
            "inquiries": posting.inquiries.all()[:100],
            "matched_seekers": [m.seeker for m in matches if m.seeker.status == PostingStatus.PUBLISHED],
            "matched_jobs": [m.job for m in wanted if m.job.status == PostingStatus.PUBLISHED],
            "live": posting.status in (PostingStatus.PENDING, PostingStatus.PUBLISHED),
        },
    )


# --- cadres ---------------------------------------------------------------------------------------


@requires("villager.posting.moderate")
def queue(request):
    """审核队列: pending postings in the cadre's region, oldest first, reported ones on top."""
    qs = (
        Posting.objects.restrict(request.user, "moderate")
        .filter(status=PostingStatus.PENDING)
        .select_related("place", "place__parent")
        .order_by("-report_count", "created_at")
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "villager/queue.html", {"title": "需求集市审核", "page": page})


@requires("villager.posting.moderate")
@object_view(Posting)
def moderate(request, pk):
    posting = object_or_404(Posting, request.user, pk=pk)
    form = ModerationForm(
        request.POST or None,
        initial={
            "poster_kind": posting.poster_kind or PosterKind.RESIDENT,
            "verified_note": posting.verified_note,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            market.do_moderate_posting(posting, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "已发布" if form.cleaned_data["approve"] else "已退回发布人")
            return redirect("villager:queue")
    return render(
        request,
        "villager/moderate.html",
        {
            "title": "审核需求信息",
            "posting": posting,
            "form": form,
            "phone": mask_phone(posting.phone),
            "reports": posting.reports.all()[:20],
            "pending": posting.status == PostingStatus.PENDING,
            "listing": land_link.listing_of(posting),
            "may_exchange": land_link.may_go_to_exchange(posting)
            and has_perm(request.user, "villager.posting.exchange", posting),
        },
    )


@requires("villager.posting.exchange")
@object_view(Posting)
def posting_exchange(request, pk):
    """转入产权交易: a land-rental need becomes a listing on the exchange (待挂牌), with the holder's consent."""
    posting = object_or_404(Posting, request.user, pk=pk)
    if not land_link.is_land_rental(posting):
        raise Http404
    form = ExchangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            land_link.do_list_on_exchange(posting, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.apply_service_error(exc)
        else:
            messages.success(request, "已转入农村产权交易中心，待交易中心挂牌")
            return redirect("villager:moderate", pk=posting.pk)
    return render(
        request,
        "villager/exchange.html",
        {
            "title": "转入产权交易",
            "posting": posting,
            "form": form,
            "listing": land_link.listing_of(posting),
            "allowed": land_link.may_go_to_exchange(posting),
        },
        status=400 if form.errors else 200,
    )


class PostingListView(ObjectListView):
    """Every posting in the cadre's region, any status (the public sees only live ones)."""

    model = Posting
    filterset_class = PostingFilterSet
    title = "需求信息"
    select_related = ("place", "place__parent")
    columns = [
        Column("标题", "title", link=True),
        Column("类别", "get_kind_display"),
        Column("细类", "get_category_display"),
        Column("所在地", lambda p: f"{p.place.parent.name if p.place.parent else ''}{p.place.name}"),
        Column("联系人", lambda p: mask_name(p.contact_name)),
        Column("发布人", "get_poster_kind_display"),
        Column("状态", "get_status_display"),
        Column("举报", "report_count"),
        Column("有效期至", "expires_on"),
    ]
    create_url_name = "villager:market_post"
    create_permission = "villager.posting.add"
    create_label = "代发布"

    def get_queryset(self):
        return super().get_queryset().order_by("-created_at", "-pk")

    detail_route = "villager:moderate"
