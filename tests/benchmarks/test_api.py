"""The benchmarks API: lists, details, filters, a board ranked by its metric, errors, the schema, and
query counts that stay flat as results grow."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests import factories as f


@pytest.fixture
def api(board) -> APIClient:
    return APIClient()


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.django_db
def test_results_carry_their_provenance(api, board):
    [row] = _rows(api.get("/api/results/?benchmark=toy-fid&ordering=rank&family=gans&year_from=2021"))
    assert row["variant"] == "StyleGAN2-ADA" and row["value"] == "2.92" and row["extra_data"] is True
    assert row["family"]["slug"] == "gans" and row["paper"]["citation_key"]
    assert row["published"] == {
        "table": "Table 1",
        "row": "StyleGAN2-ADA",
        "page": 6,
        "version": "arXiv v2",
        "url": "https://arxiv.org/abs/2006.11239v2",
        "checked_on": "2026-11-29",
    }
    assert row["measured"] is None and row["bound"] == ""


@pytest.mark.django_db
def test_rank_ordering_follows_the_metric(api, board):
    ranked = [r["variant"] for r in _rows(api.get("/api/results/?benchmark=toy-fid&ordering=rank"))]
    assert ranked[:3] == ["EDM", "EDM (VE)", "Score SDE"] and ranked[-1] == "DCGAN"
    higher = f.BenchmarkFactory(slug="is", metric__higher_is_better=True)
    for value in ("5.1", "9.4", "7.0"):
        f.PublishedResultFactory(benchmark=higher, value=Decimal(value))
    values = [r["value"] for r in _rows(api.get("/api/results/?benchmark=is&ordering=rank"))]
    assert values == ["9.4", "7", "5.1"]
    places = f.PublishedResultFactory(
        benchmark=higher, value=Decimal("2.2"), value_places=2, variant="printed"
    )
    [row] = [r for r in _rows(api.get("/api/results/?benchmark=is")) if r["id"] == places.pk]
    assert row["value"] == "2.20"  # as the paper prints it
    by_year = [r["year"] for r in _rows(api.get("/api/results/?benchmark=toy-fid&ordering=-year"))]
    assert by_year == sorted(by_year, reverse=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("ordering=rank", "ordering"),
        ("ordering=rank&benchmark=nope", "ordering"),
        ("ordering=shoe-size", "ordering"),
        ("kind=rumour", "kind"),
        ("year=abc", "year"),
    ],
)
def test_bad_queries_are_400_naming_the_field(api, board, query, field):
    response = api.get(f"/api/results/?{query}")
    assert response.status_code == 400
    assert field in response.json()["fields"]


@pytest.mark.django_db
def test_filters_by_dataset_metric_paper_and_kind(api, board):
    measured = f.MeasuredResultFactory()
    paper = board.results["BigGAN"].paper.citation_key
    assert [r["variant"] for r in _rows(api.get(f"/api/results/?paper={paper}"))] == ["BigGAN"]
    assert [r["id"] for r in _rows(api.get("/api/results/?kind=measured"))] == [measured.pk]
    [only] = _rows(api.get(f"/api/results/?kind=measured&metric={measured.benchmark.metric.slug}"))
    assert only["measured"]["command"].startswith("python -m generation.zoo evaluate")
    slug = board.benchmark.dataset.slug
    assert len(_rows(api.get(f"/api/results/?dataset={slug}"))) == 7


@pytest.mark.django_db
def test_benchmarks_datasets_and_metrics(api, board):
    [listed] = _rows(api.get("/api/benchmarks/?family=diffusion-models"))
    assert listed["slug"] == "toy-fid" and listed["result_count"] == 7
    assert listed["results_url"].endswith("/api/results/?benchmark=toy-fid")
    assert listed["web_url"].endswith("/benchmarks/toy-fid/")
    detail = api.get("/api/benchmarks/toy-fid/").json()
    assert detail["metric"]["higher_is_better"] is False
    assert api.get(f"/api/datasets/{board.benchmark.dataset.slug}/").status_code == 200
    assert api.get(f"/api/metrics/{board.benchmark.metric.slug}/").json()["higher_is_better"] is False
    assert api.get("/api/benchmarks/?measured=true").json()["count"] == 0
    assert api.post("/api/results/", {}, format="json").status_code in (401, 403, 405)


@pytest.mark.django_db
def test_the_schema_documents_the_endpoints(api):
    schema = api.get("/api/schema/?format=json").json()
    for path in ("/api/benchmarks/", "/api/results/", "/api/datasets/", "/api/metrics/"):
        assert path in schema["paths"], path
    names = {p["name"] for p in schema["paths"]["/api/results/"]["get"]["parameters"]}
    assert {"benchmark", "dataset", "metric", "family", "paper", "year", "kind", "ordering"} <= names


@pytest.mark.django_db
def test_query_counts_stay_flat_from_10_to_1000_results(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    client = APIClient()
    benchmark = f.BenchmarkFactory(slug="flat")
    family = f.FamilyFactory()
    papers = [f.PaperFactory() for _ in range(5)]
    paths = ["/api/results/?benchmark=flat&page_size=500", "/api/results/?benchmark=flat&ordering=rank",
             "/api/benchmarks/"]  # fmt: skip

    def counts() -> list[int]:
        out = []
        for path in paths:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(path).status_code == 200
            out.append(len(captured))
        return out

    for size in (10, 1000):
        existing = benchmark.results.count()
        for index in range(existing, size):
            f.PublishedResultFactory(
                benchmark=benchmark, family=family, paper=papers[index % 5], variant=f"v{index}"
            )
        if size == 10:
            small = counts()
    assert counts() == small
