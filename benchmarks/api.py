"""REST endpoints of the evidence: datasets, metrics, benchmarks and results, read-only and cached per
content version like the catalog's reads. ``/api/results/?benchmark=SLUG&ordering=rank`` is a leaderboard."""

from django.db.models import Count
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError

from benchmarks.filters import BenchmarkFilter, ResultFilter
from benchmarks.models import Benchmark, Dataset, Metric, Result
from benchmarks.selectors import best_first, results_with_links
from benchmarks.serializers import BenchmarkSerializer, DatasetSerializer, MetricSerializer, ResultSerializer
from config.api import ConditionalGetMixin, ContentCachedReadsMixin


class _ReadOnly(ContentCachedReadsMixin, ConditionalGetMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"


@extend_schema(tags=["benchmarks"])
class DatasetViewSet(_ReadOnly):
    """Datasets that benchmarks run on, with sizes, licence and the paper that introduced them."""

    queryset = Dataset.objects.select_related("domain", "paper")
    serializer_class = DatasetSerializer
    ordering_fields = ["name"]
    ordering = ["name"]


@extend_schema(tags=["benchmarks"])
class MetricViewSet(_ReadOnly):
    """Metrics: what they measure, their unit, which way is better, and whether a figure may be a bound."""

    queryset = Metric.objects.select_related("paper")
    serializer_class = MetricSerializer
    ordering_fields = ["name"]
    ordering = ["name"]


@extend_schema(tags=["benchmarks"])
class BenchmarkViewSet(_ReadOnly):
    """Benchmarks: a dataset, a metric and a protocol. Filter by dataset, metric, conditioning or family."""

    queryset = Benchmark.objects.select_related("dataset", "metric").annotate(result_count=Count("results"))
    serializer_class = BenchmarkSerializer
    filterset_class = BenchmarkFilter
    ordering_fields = ["position", "name"]
    ordering = ["position", "name"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "ordering",
                OpenApiTypes.STR,
                description="'rank' (best first by each board's metric; needs benchmark=), 'year', '-year', "
                "'value' or '-value'.",
                enum=["rank", "year", "-year", "value", "-value"],
            )
        ]
    )
)
@extend_schema(tags=["benchmarks"])
class ResultViewSet(ContentCachedReadsMixin, ConditionalGetMixin, viewsets.ReadOnlyModelViewSet):
    """Results, published (with the paper's table, row, page and version) and measured (with the zoo's
    checkpoint hash and command). Filter by benchmark, dataset, metric, family, model, paper, year, kind."""

    serializer_class = ResultSerializer
    filterset_class = ResultFilter
    filter_backends = [f for f in _ReadOnly.filter_backends if f.__name__ != "OrderingFilter"]

    def get_queryset(self):
        return results_with_links(Result.objects.all()).order_by(
            "benchmark__position", "benchmark__name", "id"
        )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        ordering = self.request.query_params.get("ordering", "")
        if not ordering:
            return queryset
        if ordering == "rank":
            slug = self.request.query_params.get("benchmark", "")
            benchmark = Benchmark.objects.select_related("metric").filter(slug=slug).first()
            if benchmark is None:
                raise ValidationError(
                    {"ordering": ["'rank' needs a benchmark=SLUG filter naming one benchmark."]}
                )
            return best_first(list(queryset), higher_is_better=benchmark.metric.higher_is_better)
        fields = {
            "year": ("year", "id"),
            "-year": ("-year", "id"),
            "value": ("value", "id"),
            "-value": ("-value", "id"),
        }
        if ordering not in fields:
            raise ValidationError(
                {"ordering": [f"Unknown ordering '{ordering}'; use rank, year, -year, value or -value."]}
            )
        return queryset.order_by(*fields[ordering])
