"""Query-string filters of the benchmarks API (django-filter)."""

import django_filters as filters
from django.db.models import Exists, OuterRef

from benchmarks.models import Benchmark, Result


class BenchmarkFilter(filters.FilterSet):
    dataset = filters.CharFilter(field_name="dataset__slug", label="Dataset slug.")
    metric = filters.CharFilter(field_name="metric__slug", label="Metric slug.")
    family = filters.CharFilter(method="filter_family", label="Only boards with a result of this family.")
    measured = filters.BooleanFilter(
        method="filter_measured", label="Only the zoo's measured boards (or none)."
    )

    class Meta:
        model = Benchmark
        fields = ["conditioning"]

    def filter_family(self, queryset, name, value):
        # A subquery, not a join: a join would multiply the rows behind the list's result counts.
        return queryset.filter(Exists(Result.objects.filter(benchmark=OuterRef("pk"), family__slug=value)))

    def filter_measured(self, queryset, name, value):
        return queryset.exclude(measured_field="") if value else queryset.filter(measured_field="")


class ResultFilter(filters.FilterSet):
    benchmark = filters.CharFilter(field_name="benchmark__slug", label="Benchmark slug.")
    dataset = filters.CharFilter(field_name="benchmark__dataset__slug", label="Dataset slug.")
    metric = filters.CharFilter(field_name="benchmark__metric__slug", label="Metric slug.")
    family = filters.CharFilter(field_name="family__slug", label="Family slug.")
    model = filters.CharFilter(field_name="model__slug", label="Catalog model slug.")
    paper = filters.CharFilter(field_name="paper__citation_key", label="Citation key of the source paper.")
    year = filters.NumberFilter(field_name="year", label="Year of the paper (or of the measurement).")
    year_from = filters.NumberFilter(field_name="year", lookup_expr="gte", label="From this year.")
    year_to = filters.NumberFilter(field_name="year", lookup_expr="lte", label="Up to this year.")
    kind = filters.ChoiceFilter(choices=Result.Kind.choices, label="published or measured.")

    class Meta:
        model = Result
        fields = ["role", "extra_data", "is_bound"]
