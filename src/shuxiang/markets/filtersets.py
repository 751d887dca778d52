import django_filters as filters
from django.db.models import Q

from shuxiang.core.filtersets import FilterSet, TownshipFilter, WithinPlaceFilter
from shuxiang.markets.choices import (
    BrandKind,
    BuyerKind,
    GrainVariety,
    InsuranceKind,
    Level,
    MethodKind,
    Platform,
    PointKind,
    ProductCategory,
    StationKind,
    StationStatus,
)
from shuxiang.markets.models import (
    Brand,
    CollectionPoint,
    CommerceStation,
    DirectoryLookup,
    GrainPurchase,
    GrainStock,
    InsurancePolicy,
    LiveSession,
    PriceObservation,
    Product,
    SalesReport,
    Seller,
    WarningLevel,
)


class ProductFilterSet(FilterSet):
    category = filters.ChoiceFilter(choices=ProductCategory.choices, label="类别")

    class Meta:
        model = Product
        fields = ["category"]


class PointFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="place")
    kind = filters.ChoiceFilter(choices=PointKind.choices, label="类型")

    class Meta:
        model = CollectionPoint
        fields = ["place", "kind"]


class PriceFilterSet(FilterSet):
    product = filters.CharFilter(field_name="product__code", label="品种代码")
    place = WithinPlaceFilter(scope_field="point__place")
    questioned = filters.BooleanFilter(label="异常待核")
    since = filters.DateFilter(field_name="observed_on", lookup_expr="gte", label="起始日期")

    class Meta:
        model = PriceObservation
        fields = ["product", "place", "questioned", "since"]


class WarningFilterSet(FilterSet):
    product = filters.CharFilter(field_name="product__code", label="品种代码")
    place = WithinPlaceFilter(scope_field="place")
    level = filters.ChoiceFilter(choices=Level.choices, label="级别")
    method = filters.ChoiceFilter(field_name="method__kind", choices=MethodKind.choices, label="方法")

    class Meta:
        model = WarningLevel
        fields = ["product", "place", "level", "method"]


class StationFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="place")
    kind = filters.ChoiceFilter(choices=StationKind.choices, label="类型")
    status = filters.ChoiceFilter(choices=StationStatus.choices, label="状态")

    class Meta:
        model = CommerceStation
        fields = ["place", "kind", "status"]


class BrandFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="place")
    kind = filters.ChoiceFilter(choices=BrandKind.choices, label="类型")

    class Meta:
        model = Brand
        fields = ["place", "kind"]


class SellerFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="place")
    name = filters.CharFilter(lookup_expr="icontains", label="名称")

    class Meta:
        model = Seller
        fields = ["place", "name"]


class LiveSessionFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="seller__place")
    platform = filters.ChoiceFilter(choices=Platform.choices, label="平台")
    since = filters.DateFilter(field_name="held_on", lookup_expr="gte", label="起始日期")

    class Meta:
        model = LiveSession
        fields = ["place", "platform", "since"]


class SalesFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="place")
    platform = filters.ChoiceFilter(choices=Platform.choices, label="平台")
    since = filters.DateFilter(field_name="month", lookup_expr="gte", label="起始月份")

    class Meta:
        model = SalesReport
        fields = ["place", "platform", "since"]


class PurchaseFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="buyer__place")
    variety = filters.ChoiceFilter(choices=GrainVariety.choices, label="品种")
    below_minimum = filters.BooleanFilter(label="低于最低收购价")
    unpaid = filters.BooleanFilter(method="filter_unpaid", label="逾期未付")
    buyer_kind = filters.ChoiceFilter(
        field_name="buyer__kind", choices=BuyerKind.choices, label="收购主体类型"
    )

    class Meta:
        model = GrainPurchase
        fields = ["place", "variety", "below_minimum", "unpaid", "buyer_kind"]

    def filter_unpaid(self, qs, name, value):
        from django.utils import timezone

        late = Q(paid_on__isnull=True, due_on__lt=timezone.localdate())
        return qs.filter(late) if value else qs.exclude(late)


class StockFilterSet(FilterSet):
    place = WithinPlaceFilter(scope_field="depot__place")
    anomaly = filters.BooleanFilter(method="filter_anomaly", label="账实不符")

    class Meta:
        model = GrainStock
        fields = ["place", "anomaly"]

    def filter_anomaly(self, qs, name, value):
        return qs.exclude(anomaly="") if value else qs.filter(anomaly="")


class LookupFilterSet(FilterSet):
    class Meta:
        model = DirectoryLookup
        fields = ["outcome"]


class InsurancePolicyFilterSet(FilterSet):
    """The policies list (page and API): kind, township (or any place code), insurer, in force today."""

    kind = filters.ChoiceFilter(choices=InsuranceKind.choices, label="险种", empty_label="全部险种")
    township = TownshipFilter(place_field="producer__place")
    insurer = filters.CharFilter(lookup_expr="icontains", label="承保机构")
    in_force = filters.BooleanFilter(method="filter_in_force", label="今天在保")
    entity = filters.NumberFilter(field_name="producer_id", label="经营主体编号")

    class Meta:
        model = InsurancePolicy
        fields = ["kind", "township", "insurer", "in_force", "entity"]

    def filter_in_force(self, qs, name, value: bool):
        from django.utils import timezone

        today = timezone.localdate()
        in_force = Q(starts_on__lte=today, ends_on__gte=today)
        return qs.filter(in_force) if value else qs.exclude(in_force)
