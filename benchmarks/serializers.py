"""API representations of datasets, metrics, benchmarks and results (read-only: the content files are the
source of truth)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from benchmarks.models import Benchmark, Dataset, Metric, Result
from catalog.serializers import DomainRefSerializer, ExampleModelRefSerializer, FamilyRefSerializer
from papers.serializers import ApiLinkField, PaperRefSerializer, WebUrlField


class DatasetSerializer(serializers.ModelSerializer):
    api_url = ApiLinkField("api:dataset-detail")
    domain = DomainRefSerializer(read_only=True)
    paper = PaperRefSerializer(read_only=True)

    class Meta:
        model = Dataset
        fields = [
            "slug", "api_url", "name", "domain", "shape", "resolution", "train_size", "validation_size",
            "test_size", "classes", "licence", "url", "paper", "description",
        ]  # fmt: skip


class MetricSerializer(serializers.ModelSerializer):
    api_url = ApiLinkField("api:metric-detail")
    paper = PaperRefSerializer(read_only=True)

    class Meta:
        model = Metric
        fields = [
            "slug", "api_url", "name", "abbreviation", "unit", "higher_is_better", "bound", "definition",
            "paper", "decimals",
        ]  # fmt: skip


class _DatasetRefSerializer(serializers.ModelSerializer):
    api_url = ApiLinkField("api:dataset-detail")

    class Meta:
        model = Dataset
        fields = ["slug", "name", "api_url"]


class _MetricRefSerializer(serializers.ModelSerializer):
    api_url = ApiLinkField("api:metric-detail")

    class Meta:
        model = Metric
        fields = ["slug", "abbreviation", "higher_is_better", "api_url"]


class BenchmarkSerializer(serializers.ModelSerializer):
    api_url = ApiLinkField("api:benchmark-detail")
    web_url = WebUrlField()
    dataset = _DatasetRefSerializer(read_only=True)
    metric = _MetricRefSerializer(read_only=True)
    result_count = serializers.IntegerField(read_only=True)
    results_url = serializers.SerializerMethodField()

    class Meta:
        model = Benchmark
        fields = [
            "slug", "api_url", "web_url", "name", "dataset", "metric", "conditioning", "resolution", "split",
            "samples", "protocol", "measured_field", "result_count", "results_url",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.URI)
    def get_results_url(self, obj):
        request = self.context.get("request")
        path = f"/api/results/?benchmark={obj.slug}"
        return request.build_absolute_uri(path) if request is not None else path


class _PublishedSourceSerializer(serializers.Serializer):
    table = serializers.CharField(source="source_table")
    row = serializers.CharField(source="source_row")
    page = serializers.IntegerField(source="source_page", allow_null=True)
    version = serializers.CharField(source="source_version")
    url = serializers.URLField(source="source_url")
    checked_on = serializers.DateField()


class _MeasuredSourceSerializer(serializers.Serializer):
    zoo_model = serializers.CharField()
    checkpoint_sha256 = serializers.CharField()
    command = serializers.CharField()
    results_file = serializers.CharField()
    measured_on = serializers.DateField(source="checked_on")


class ResultSerializer(serializers.ModelSerializer):
    """One figure with its provenance: ``published`` (the paper's table) or ``measured`` (the zoo's run)."""

    benchmark = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    family = FamilyRefSerializer(read_only=True)
    model = ExampleModelRefSerializer(read_only=True)
    paper = PaperRefSerializer(read_only=True)
    value = serializers.CharField(
        source="value_exact",
        help_text="A decimal string with the digits the paper printed (2.20 stays 2.20).",
    )
    error = serializers.DecimalField(
        max_digits=16, decimal_places=6, coerce_to_string=True, normalize_output=True, allow_null=True
    )
    bound = serializers.CharField(source="bound_symbol", help_text="'≤' or '≥' for a bound, '' when exact.")
    published = serializers.SerializerMethodField()
    measured = serializers.SerializerMethodField()

    class Meta:
        model = Result
        fields = [
            "id", "benchmark", "kind", "role", "family", "model", "paper", "variant", "value", "bound",
            "is_bound", "error", "extra_data", "year", "published", "measured", "note",
        ]  # fmt: skip

    @extend_schema_field(_PublishedSourceSerializer(allow_null=True))
    def get_published(self, obj):
        return _PublishedSourceSerializer(obj).data if obj.kind == Result.Kind.PUBLISHED else None

    @extend_schema_field(_MeasuredSourceSerializer(allow_null=True))
    def get_measured(self, obj):
        return _MeasuredSourceSerializer(obj).data if obj.kind == Result.Kind.MEASURED else None
