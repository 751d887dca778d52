import django_filters

from shuxiang.core.filtersets import FilterSet, WithinPlaceFilter
from shuxiang.trace.choices import BizStep, LotStage, ProducerKind, ProductCategory
from shuxiang.trace.models import Lot, Producer, TraceEvent


class ProducerFilterSet(FilterSet):
    q = django_filters.CharFilter(label="名称或信用代码", method="search")
    kind = django_filters.ChoiceFilter(label="主体类型", choices=ProducerKind.choices)
    place = WithinPlaceFilter()

    class Meta:
        model = Producer
        fields = ["q", "kind", "place"]

    def search(self, qs, name, value):
        from django.db.models import Q

        return qs.filter(Q(name__icontains=value) | Q(credit_code__iexact=value.strip()))


class LotFilterSet(FilterSet):
    q = django_filters.CharFilter(label="产品或批次号", method="search")
    category = django_filters.ChoiceFilter(
        label="品类", field_name="product__category", choices=ProductCategory.choices
    )
    stage = django_filters.ChoiceFilter(label="状态", choices=LotStage.choices)
    producer = django_filters.NumberFilter(label="经营主体", field_name="product__producer")
    suspicious = django_filters.BooleanFilter(label="疑似假冒（已确认）")
    clue = django_filters.BooleanFilter(label="待核查的仿冒线索", method="with_clue")
    place = WithinPlaceFilter(scope_field="origin__place", label="产地区划代码（含下级）")

    class Meta:
        model = Lot
        fields = ["q", "category", "stage", "producer", "suspicious", "clue", "place"]

    def with_clue(self, qs, name, value):
        if value is None:
            return qs
        return qs.exclude(clue_reason="") if value else qs.filter(clue_reason="")

    def search(self, qs, name, value):
        from django.db.models import Q

        value = value.strip()
        return qs.filter(
            Q(product__name__icontains=value) | Q(lot_number__iexact=value) | Q(short_code__iexact=value)
        )


class EventFilterSet(FilterSet):
    biz_step = django_filters.ChoiceFilter(label="环节", choices=BizStep.choices)

    class Meta:
        model = TraceEvent
        fields = ["biz_step"]
