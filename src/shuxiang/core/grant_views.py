"""Pages where administrators see and change who may do what (grants), and what one user may do."""

import json

import django_filters as filters
from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shuxiang.core import grants as grant_services
from shuxiang.core.access import requires
from shuxiang.core.choices import Role
from shuxiang.core.forms import ServiceFormMixin
from shuxiang.core.generic import Column, ObjectListView, submit_form
from shuxiang.core.models import Grant, User
from shuxiang.core.permissions import ACTION_LABELS, actions_of, known_object_types


class GrantFilterSet(filters.FilterSet):
    role = filters.ChoiceFilter(choices=Role.choices, label="角色", empty_label="全部角色")
    object_type = filters.CharFilter(label="对象类型", lookup_expr="startswith")

    class Meta:
        model = Grant
        fields = ["role", "object_type"]


def _actions_text(grant):
    return "、".join(ACTION_LABELS.get(a, a) for a in grant.actions) or "（已撤销）"


class GrantListView(ObjectListView):
    model = Grant
    filterset_class = GrantFilterSet
    title = "授权"
    permission = "core.grant.view"
    create_url_name = "grant_create"
    create_permission = "core.grant.add"
    create_label = "新增授权"
    columns = [
        Column("授予", lambda g: g.get_role_display() if g.role else f"用户 {g.user}", link=True),
        Column(
            "对象类型",
            lambda g: f"{known_object_types().get(g.object_type, g.object_type)}（{g.object_type}）",
        ),
        Column("操作", _actions_text),
        Column("限定条件", lambda g: json.dumps(g.constraint, ensure_ascii=False) if g.constraint else "—"),
        Column("来源", lambda g: ("内置，已修改" if g.customised else "内置") if g.builtin else "管理员添加"),
    ]

    def get_queryset(self):
        return Grant.objects.select_related("user")

    detail_route = "grant_edit"


class GrantForm(ServiceFormMixin, forms.Form):
    role = forms.ChoiceField(
        label="角色", required=False, choices=[("", "（授予个人时不选）"), *Role.choices]
    )
    username = forms.CharField(label="用户名", required=False, help_text="授予个人时填写；与角色二选一")
    object_type = forms.ChoiceField(label="对象类型")
    actions = forms.CharField(label="操作", help_text="逗号分隔，如 view,add,change")
    constraint = forms.CharField(
        label="限定条件（JSON，可空）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='如 {"operators": "$user"}；$user、$unit、$place 代表被授权用户本人的账号、单位、区划',
    )
    note = forms.CharField(label="说明", required=False, max_length=200)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        types = known_object_types()
        self.fields["object_type"].choices = [(k, f"{v}（{k}）") for k, v in sorted(types.items())]
        if editing:
            for name in ("role", "username", "object_type"):
                self.fields[name].disabled = True

    def clean_constraint(self):
        raw = (self.cleaned_data.get("constraint") or "").strip()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"不是有效的 JSON：{exc.msg}（第{exc.lineno}行）") from None

    def clean_username(self):
        name = (self.cleaned_data.get("username") or "").strip()
        if not name:
            return None
        user = User.objects.filter(username=name).first()
        if user is None:
            raise forms.ValidationError(f"用户 {name} 不存在")
        return user


@requires("core.grant.view", post="core.grant.change")
def grant_form(request, pk=None):
    grant = get_object_or_404(Grant, pk=pk) if pk else None
    initial = {}
    if grant is not None:
        initial = {
            "role": grant.role,
            "username": grant.user.username if grant.user_id else "",
            "object_type": grant.object_type,
            "actions": ",".join(grant.actions),
            "constraint": json.dumps(grant.constraint, ensure_ascii=False) if grant.constraint else "",
            "note": grant.note,
        }
    elif request.GET.get("user"):
        initial["username"] = request.GET["user"]
    form = GrantForm(request.POST or None, initial=initial, editing=grant is not None)

    def write(data):
        if grant is not None:
            return grant_services.do_update_grant(
                grant,
                actor=request.user,
                actions=data["actions"],
                constraint=data["constraint"],
                note=data["note"],
            )
        return grant_services.do_create_grant(
            actor=request.user,
            role=data["role"],
            user=data["username"],
            object_type=data["object_type"],
            actions=data["actions"],
            constraint=data["constraint"],
            note=data["note"],
        )

    done, saved = submit_form(request, form, write)
    if done:
        if saved.user_id:
            return redirect("user_permissions", username=saved.user.username)
        return redirect("grant_list")
    object_type = grant.object_type if grant else request.POST.get("object_type") or ""
    return render(
        request,
        "core/grant_form.html",
        {
            "form": form,
            "grant": grant,
            "title": "编辑授权" if grant else "新增授权",
            "available_actions": [(a, ACTION_LABELS.get(a, a)) for a in actions_of(object_type)]
            if object_type
            else [],
        },
    )


@requires("core.grant.delete")
@require_POST
def grant_delete(request, pk):
    grant = get_object_or_404(Grant, pk=pk)
    username = grant.user.username if grant.user_id else None
    grant_services.do_delete_grant(grant, actor=request.user)
    messages.success(request, "已撤销该授权")
    return redirect("user_permissions", username=username) if username else redirect("grant_list")


@requires("core.grant.view")
def user_permissions(request, username):
    target = User.objects.restrict(request.user).filter(username=username).first()
    if target is None:
        raise Http404
    return render(
        request,
        "core/user_permissions.html",
        {"target": target, "rows": grant_services.grants_in_effect(target), "title": f"{target} 的权限"},
    )
