"""The REST API under /api/: the router of both apps, the OpenAPI schema, Swagger UI and Redoc (no CDN)."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from benchmarks import api as benchmarks_api
from catalog import api as catalog_api
from config.api import api_not_found
from generation import api as generation_api
from papers import api as papers_api

# drf-spectacular's Redoc page pulls web fonts from Google; the site works offline, so drop them.
_REDOC_PAGE = """{% extends "drf_spectacular/redoc.html" %}{% block head %}
<title>{{ title|default:"Redoc" }}</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
{% endblock head %}"""


class LocalRedocView(SpectacularRedocView):
    """Redoc from the vendored sidecar bundle, with no third-party fonts."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        data = super().get(request, *args, **kwargs).data
        page = engines["django"].from_string(_REDOC_PAGE).render(data, request=request)
        return HttpResponse(page)


router = DefaultRouter()
router.register("families", catalog_api.FamilyViewSet, basename="family")
router.register("taxonomy", catalog_api.TaxonomyNodeViewSet, basename="taxonomynode")
router.register("concepts", catalog_api.ConceptViewSet, basename="concept")
router.register("domains", catalog_api.DomainViewSet, basename="domain")
router.register("models", catalog_api.ExampleModelViewSet, basename="examplemodel")
router.register("papers", papers_api.PaperViewSet, basename="paper")
router.register("authors", papers_api.AuthorViewSet, basename="author")
router.register("venues", papers_api.VenueViewSet, basename="venue")
router.register("datasets", benchmarks_api.DatasetViewSet, basename="dataset")
router.register("metrics", benchmarks_api.MetricViewSet, basename="metric")
router.register("benchmarks", benchmarks_api.BenchmarkViewSet, basename="benchmark")
router.register("results", benchmarks_api.ResultViewSet, basename="result")
# Live generation: demos, jobs (create, poll, cancel), samples.
router.register("demos", generation_api.DemoViewSet, basename="demo")
router.register("jobs", generation_api.JobViewSet, basename="job")
router.register("samples", generation_api.SampleViewSet, basename="sample")

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", LocalRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("papers/import/", papers_api.PaperImportView.as_view(), name="paper-import"),
    path("", include(router.urls)),
    re_path(r"^.*$", api_not_found),
]
