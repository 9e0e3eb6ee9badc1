"""Reads: the database as release rows, one list of plain dicts per record type, sorted by identifier.

Every row has exactly the fields :mod:`releases.schemas` declares; links are by stable identifier (slugs,
citation keys), never by database id, so the same content gives the same rows whatever the ids are.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from benchmarks.models import Benchmark, Dataset, Metric, Result
from catalog.models import Concept, Domain, ExampleModel, Family, FamilyDomain, FamilyPaper, TaxonomyNode
from generation.models import Demo
from papers.models import Author, Authorship, Erratum, Paper, PaperLink, Venue
from releases.schemas import RESOURCES


def _plain(value):
    """JSON-ready: dates as ISO text, decimals as numbers (refusing one a float would not hold exactly)."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        number = float(value)
        if Decimal(repr(number)) != value:
            raise ValueError(f"{value} cannot be written exactly as a JSON number")
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return value


def _slugs(model, field: str = "slug") -> dict[int, str]:
    return dict(model.objects.values_list("id", field))


def _many(through, left: str, right_ids: dict[int, str], right: str) -> dict[int, list[str]]:
    """{left id: sorted identifiers of the right side} for a many-to-many table."""
    out: dict[int, list[str]] = defaultdict(list)
    for left_id, right_id in through.objects.values_list(left, right):
        out[left_id].append(right_ids[right_id])
    return {key: sorted(values) for key, values in out.items()}


def _rows(queryset, names: list[str], **computed) -> list[dict]:
    """Plain columns straight from ``values()`` (foreign keys as ``*_id``); ``computed`` maps a field name
    to a function of that values row."""
    rows = []
    for values in queryset.values():
        row = {name: _plain(values[name]) for name in names if name not in computed}
        for name, function in computed.items():
            row[name] = function(values)
        rows.append(row)
    return rows


def _fields(name: str) -> list[str]:
    return next(r for r in RESOURCES if r.name == name).field_names()


def release_rows() -> dict[str, list[dict]]:
    """Every record type's rows, sorted by its identifier."""
    papers = _slugs(Paper, "citation_key")
    venues = _slugs(Venue)
    authors = _slugs(Author)
    nodes = _slugs(TaxonomyNode)
    families = _slugs(Family)
    domains = _slugs(Domain)
    concepts = _slugs(Concept)
    models = _slugs(ExampleModel)
    datasets = _slugs(Dataset)
    metrics = _slugs(Metric)
    benchmarks = _slugs(Benchmark)

    def ref(ids: dict[int, str], column: str):
        return lambda values: ids.get(values[column])

    author_lists: dict[int, list[str]] = defaultdict(list)
    for paper_id, author_id in Authorship.objects.order_by("paper_id", "position").values_list(
        "paper_id", "author_id"
    ):
        author_lists[paper_id].append(authors[author_id])
    concept_papers = _many(Concept.papers.through, "concept_id", papers, "paper_id")
    family_concepts = _many(Family.concepts.through, "family_id", concepts, "concept_id")
    model_families = _many(ExampleModel.families.through, "examplemodel_id", families, "family_id")
    model_domains = _many(ExampleModel.domains.through, "examplemodel_id", domains, "domain_id")
    family_domains: dict[int, list[dict]] = defaultdict(list)
    for link in FamilyDomain.objects.order_by("family_id", "position", "domain__slug").values(
        "family_id", "domain_id", "examples", "position"
    ):
        family_domains[link["family_id"]].append(
            {"domain": domains[link["domain_id"]], "examples": link["examples"], "position": link["position"]}
        )
    family_papers: dict[int, list[dict]] = defaultdict(list)
    for link in FamilyPaper.objects.values("family_id", "paper_id", "role", "note"):
        family_papers[link["family_id"]].append(
            {"paper": papers[link["paper_id"]], "role": link["role"], "note": link["note"]}
        )

    rows = {
        "taxonomy": _rows(TaxonomyNode.objects, _fields("taxonomy"), parent=ref(nodes, "parent_id")),
        "concepts": _rows(
            Concept.objects, _fields("concepts"), papers=lambda v: concept_papers.get(v["id"], [])
        ),
        "domains": _rows(Domain.objects, _fields("domains")),
        "families": _rows(
            Family.objects,
            _fields("families"),
            taxonomy_node=ref(nodes, "taxonomy_node_id"),
            concepts=lambda v: family_concepts.get(v["id"], []),
            domains=lambda v: family_domains.get(v["id"], []),
            papers=lambda v: sorted(family_papers.get(v["id"], []), key=lambda link: link["paper"]),
        ),
        "models": _rows(
            ExampleModel.objects,
            _fields("models"),
            paper=ref(papers, "paper_id"),
            families=lambda v: model_families.get(v["id"], []),
            domains=lambda v: model_domains.get(v["id"], []),
        ),
        "venues": _rows(Venue.objects, _fields("venues")),
        "authors": _rows(Author.objects, _fields("authors")),
        "papers": _rows(
            Paper.objects,
            _fields("papers"),
            venue=ref(venues, "venue_id"),
            authors=lambda v: author_lists.get(v["id"], []),
        ),
        "summaries": [  # the abstract column holds the atlas's own summary (Paper.summary)
            {"citation_key": key, "summary": summary}
            for key, summary in Paper.objects.exclude(abstract="").values_list("citation_key", "abstract")
        ],
        "lineage": _rows(
            PaperLink.objects,
            _fields("lineage"),
            id=lambda v: f"{papers[v['source_id']]}/{v['kind']}/{papers[v['target_id']]}",
            source=ref(papers, "source_id"),
            target=ref(papers, "target_id"),
        ),
        "errata": _rows(
            Erratum.objects,
            _fields("errata"),
            id=lambda v: f"{papers[v['paper_id']]}/{v['field']}",
            paper=ref(papers, "paper_id"),
        ),
        "datasets": _rows(
            Dataset.objects,
            _fields("datasets"),
            domain=ref(domains, "domain_id"),
            paper=ref(papers, "paper_id"),
        ),
        "metrics": _rows(Metric.objects, _fields("metrics"), paper=ref(papers, "paper_id")),
        "benchmarks": _rows(
            Benchmark.objects,
            _fields("benchmarks"),
            dataset=ref(datasets, "dataset_id"),
            metric=ref(metrics, "metric_id"),
        ),
        "results": _rows(
            Result.objects,
            _fields("results"),
            id=lambda v: result_id(
                benchmark=benchmarks[v["benchmark_id"]],
                kind=v["kind"],
                paper=papers.get(v["paper_id"]),
                variant=v["variant"],
                zoo_model=v["zoo_model"],
            ),
            benchmark=ref(benchmarks, "benchmark_id"),
            family=ref(families, "family_id"),
            model=ref(models, "model_id"),
            paper=ref(papers, "paper_id"),
        ),
        "demos": _rows(
            Demo.objects,
            _fields("demos"),
            family=ref(families, "family_id"),
            example_model=ref(models, "example_model_id"),
        ),
    }
    for resource in RESOURCES:
        rows[resource.name].sort(key=lambda row, key=resource.key: row[key])
    return rows


def result_id(*, benchmark: str, kind: str, paper: str | None, variant: str, zoo_model: str) -> str:
    """A result's identifier across releases: what the database holds unique for its kind."""
    if kind == Result.Kind.MEASURED:
        return f"{benchmark}/zoo/{zoo_model}"
    return f"{benchmark}/{paper}/{variant}"
