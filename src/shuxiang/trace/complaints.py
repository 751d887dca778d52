"""The 12315 button of the public page: a consumer's food-safety complaint becomes a case."""

import secrets

from django import forms
from django.core.cache import cache
from django.shortcuts import render

from shuxiang.core.access import public_view
from shuxiang.core.errors import ServiceError
from shuxiang.core.forms import ServiceFormMixin
from shuxiang.trace import public, services

RATE_LIMIT = 5  # complaints per address per hour: enough for a family, too few for a flood
RATE_WINDOW = 3600


class ComplaintForm(ServiceFormMixin, forms.Form):
    description = forms.CharField(
        label="问题描述",
        min_length=5,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="如：购买后发现变质、异味、与标签不符等",
    )
    purchase_place = forms.CharField(label="购买地点", max_length=100, required=False)
    reporter_name = forms.CharField(label="您的称呼", max_length=50, required=False)
    phone = forms.CharField(
        label="联系电话", max_length=20, required=False, help_text="选填，便于回访；加密保存"
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=64)


@public_view
def complaint(request, code):
    """A consumer's complaint form: the anonymous consumer files it, no account involved."""
    lot = public.consumer_lots().filter(short_code=code.upper()).select_related("product__producer").first()
    if lot is None:
        return public.not_found(request)
    form = ComplaintForm(request.POST or None, initial={"submission_key": secrets.token_hex(16)})
    case = None
    if request.method == "POST" and form.is_valid():
        key = f"trace:12315:{request.META.get('REMOTE_ADDR')}"
        count = cache.get_or_set(key, 0, RATE_WINDOW)
        if count >= RATE_LIMIT:
            form.add_error(None, "提交过于频繁，请稍后再试或拨打12315")
        else:
            data = form.cleaned_data
            try:
                case = services.do_file_complaint(
                    lot,
                    actor=services.CONSUMER,
                    description=data["description"],
                    reporter_name=data["reporter_name"],
                    phone=data["phone"],
                    purchase_place=data["purchase_place"],
                    submission_key=f"trace:{data['submission_key']}",
                )
            except ServiceError as exc:
                form.apply_service_error(exc)
            else:
                cache.set(key, count + 1, RATE_WINDOW)
    return render(
        request,
        "trace/public_complaint.html",
        {"lot": lot, "form": form, "case": case},
        status=400 if request.method == "POST" and case is None else 200,
    )
