"""Loads a release into an empty database: the way back from the files to records.

Release → empty database → release gives the same bytes: every field a release holds goes into a column,
and links are resolved by identifier. Refuses a database that already holds catalog records (merging is
``load_catalog``'s job), a release whose files do not match their checksums, and a newer schema than this
code knows. All in one transaction: on any error nothing is written.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from benchmarks.models import Benchmark, Dataset, Metric, Result
from catalog.models import Concept, Domain, ExampleModel, Family, FamilyDomain, FamilyPaper, TaxonomyNode
from generation.models import Demo
from papers.models import Author, Authorship, Erratum, Paper, PaperLink, Venue
from releases.export import ReleaseError
from releases.schemas import RESOURCES_BY_NAME, SCHEMA_VERSION

# What must be empty before an import, in the order a test or a person would delete it.
IMPORTED_MODELS = (
    Result, Benchmark, Metric, Dataset, Demo, ExampleModel, FamilyPaper, FamilyDomain, Family,
    TaxonomyNode, Concept, Domain, Erratum, PaperLink, Authorship, Paper, Author, Venue,
)  # fmt: skip


@dataclass
class ImportReport:
    release: str
    schema_version: str
    counts: dict[str, int]


def _check_version(version: str) -> None:
    try:
        theirs = tuple(int(part) for part in version.split("."))
    except ValueError:
        raise ReleaseError(f"datapackage.json: schema_version {version!r} is not MAJOR.MINOR.PATCH") from None
    ours = tuple(int(part) for part in SCHEMA_VERSION.split("."))
    if theirs[0] != ours[0] or theirs > ours:
        raise ReleaseError(
            f"datapackage.json: schema version {version} is not readable by this code "
            f"(schema {SCHEMA_VERSION})"
        )


def _read(folder: Path) -> tuple[dict, dict[str, list[dict]]]:
    package_file = folder / "datapackage.json"
    if not package_file.is_file():
        raise ReleaseError(f"{folder}: no datapackage.json; is this a release folder?")
    package = json.loads(package_file.read_text(encoding="utf-8"))
    _check_version(str(package.get("schema_version", "")))
    rows: dict[str, list[dict]] = {}
    for resource in package["resources"]:
        path = folder / resource["path"]
        if not path.is_file():
            raise ReleaseError(f"{resource['path']}: missing")
        data = path.read_bytes()
        if f"sha256:{hashlib.sha256(data).hexdigest()}" != resource["hash"] or len(data) != resource["bytes"]:
            raise ReleaseError(f"{resource['path']}: size or sha256 differs from datapackage.json")
        if resource["name"] in RESOURCES_BY_NAME:
            lines = data.decode("utf-8").splitlines()
            rows[resource["name"]] = [_parse(resource["path"], n, line) for n, line in enumerate(lines, 1)]
    missing = sorted(set(RESOURCES_BY_NAME) - set(rows))
    if missing:
        raise ReleaseError(f"datapackage.json: no resource for {', '.join(missing)}")
    return package, rows


def _parse(path: str, number: int, line: str) -> dict:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise ReleaseError(f"{path}:{number}: not JSON ({error.msg})") from None
    row["_where"] = f"{path}:{number}"
    return row


def database_counts() -> dict[str, int]:
    """The records an import would write that the database already holds (models with none left out)."""
    counts = {model._meta.verbose_name_plural: model.objects.count() for model in IMPORTED_MODELS}
    return {name: count for name, count in counts.items() if count}


class _Index:
    """Identifier → database id for one record type, failing with the file, line and field."""

    def __init__(self, kind: str, ids: dict[str, int]):
        self.kind, self.ids = kind, ids

    def __call__(self, row: dict, field: str) -> int | None:
        value = row[field]
        if value is None:
            return None
        try:
            return self.ids[value]
        except KeyError:
            raise ReleaseError(f"{row['_where']}: {field} {value!r} is not in {self.kind}") from None


def _fields(row: dict, *names: str) -> dict:
    return {name: row[name] for name in names}


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _decimal(value) -> Decimal | None:
    # The export checked that repr() of the float gives back the stored decimal exactly.
    return None if value is None else Decimal(repr(value))


def _create(model, objects: list, key: str) -> _Index:
    created = model.objects.bulk_create(objects)
    return _Index(model._meta.verbose_name_plural, {getattr(obj, key): obj.pk for obj in created})


@transaction.atomic
def release_import(*, folder: Path) -> ImportReport:
    """Load the release in ``folder`` into this (empty) database."""
    folder = Path(folder)
    package, rows = _read(folder)
    existing = database_counts()
    if existing:
        held = ", ".join(f"{count} {name}" for name, count in existing.items())
        raise ReleaseError(
            f"the database is not empty ({held}); import_release loads a release into an empty database only"
        )

    venues = _create(
        Venue,
        [Venue(**_fields(r, "slug", "name", "short_name", "kind", "url")) for r in rows["venues"]],
        "slug",
    )
    authors = _create(
        Author,
        [Author(**_fields(r, "slug", "given", "von", "family", "suffix")) for r in rows["authors"]],
        "slug",
    )
    summaries = {row["citation_key"]: row["summary"] for row in rows["summaries"]}
    paper_columns = (
        "citation_key", "entry_type", "title", "year", "month", "booktitle", "journal", "volume", "number",
        "pages", "publisher", "editor", "institution", "doi", "arxiv_id", "arxiv_class", "url", "note",
        "extra_fields", "source_url",
    )  # fmt: skip
    papers = _create(
        Paper,
        [
            Paper(
                **_fields(r, *paper_columns),
                venue_id=venues(r, "venue"),
                checked_on=_date(r["checked_on"]),
                abstract=summaries.pop(r["citation_key"], ""),  # the column behind Paper.summary
            )
            for r in rows["papers"]
        ],
        "citation_key",
    )
    if summaries:
        raise ReleaseError(f"data/summaries.jsonl: no paper for {', '.join(sorted(summaries))}")
    Authorship.objects.bulk_create(
        Authorship(
            paper_id=papers(r, "citation_key"),
            author_id=authors({"_where": r["_where"], "a": a}, "a"),
            position=i,
        )
        for r in rows["papers"]
        for i, a in enumerate(r["authors"])
    )
    PaperLink.objects.bulk_create(
        PaperLink(
            source_id=papers(r, "source"), target_id=papers(r, "target"), kind=r["kind"], note=r["note"]
        )
        for r in rows["lineage"]
    )
    Erratum.objects.bulk_create(
        Erratum(paper_id=papers(r, "paper"), **_fields(r, "field", "claimed", "correction", "source_url"))
        for r in rows["errata"]
    )

    nodes = _create(
        TaxonomyNode,
        [TaxonomyNode(**_fields(r, "slug", "name", "description", "position")) for r in rows["taxonomy"]],
        "slug",
    )
    for r in rows["taxonomy"]:
        if r["parent"] is not None:
            TaxonomyNode.objects.filter(pk=nodes(r, "slug")).update(parent_id=nodes(r, "parent"))
    concepts = _create(
        Concept, [Concept(**_fields(r, "slug", "name", "description")) for r in rows["concepts"]], "slug"
    )
    Concept.papers.through.objects.bulk_create(
        Concept.papers.through(concept_id=concepts(r, "slug"), paper_id=papers(_one(r, key), "v"))
        for r in rows["concepts"]
        for key in r["papers"]
    )
    domains = _create(
        Domain, [Domain(**_fields(r, "slug", "name", "description")) for r in rows["domains"]], "slug"
    )
    family_columns = (
        "slug", "name", "short_name", "position", "summary", "mechanism", "key_insight", "strengths",
        "known_problems", "likelihood", "sampling", "training_stability", "latent_space", "erratum",
    )  # fmt: skip
    families = _create(
        Family,
        [
            Family(**_fields(r, *family_columns), taxonomy_node_id=nodes(r, "taxonomy_node"))
            for r in rows["families"]
        ],
        "slug",
    )
    Family.concepts.through.objects.bulk_create(
        Family.concepts.through(family_id=families(r, "slug"), concept_id=concepts(_one(r, slug), "v"))
        for r in rows["families"]
        for slug in r["concepts"]
    )
    FamilyDomain.objects.bulk_create(
        FamilyDomain(
            family_id=families(r, "slug"),
            domain_id=domains(_one(r, link["domain"]), "v"),
            examples=link["examples"],
            position=link["position"],
        )
        for r in rows["families"]
        for link in r["domains"]
    )
    FamilyPaper.objects.bulk_create(
        FamilyPaper(
            family_id=families(r, "slug"),
            paper_id=papers(_one(r, link["paper"]), "v"),
            role=link["role"],
            note=link["note"],
        )
        for r in rows["families"]
        for link in r["papers"]
    )
    models = _create(
        ExampleModel,
        [
            ExampleModel(
                **_fields(r, "slug", "name", "kind", "description", "year", "organisation", "url", "erratum"),
                paper_id=papers(r, "paper"),
            )
            for r in rows["models"]
        ],
        "slug",
    )
    ExampleModel.families.through.objects.bulk_create(
        ExampleModel.families.through(examplemodel_id=models(r, "slug"), family_id=families(_one(r, s), "v"))
        for r in rows["models"]
        for s in r["families"]
    )
    ExampleModel.domains.through.objects.bulk_create(
        ExampleModel.domains.through(examplemodel_id=models(r, "slug"), domain_id=domains(_one(r, s), "v"))
        for r in rows["models"]
        for s in r["domains"]
    )

    dataset_columns = (
        "slug", "name", "shape", "resolution", "train_size", "validation_size", "test_size", "classes",
        "licence", "url", "description",
    )  # fmt: skip
    datasets = _create(
        Dataset,
        [
            Dataset(
                **_fields(r, *dataset_columns), domain_id=domains(r, "domain"), paper_id=papers(r, "paper")
            )
            for r in rows["datasets"]
        ],
        "slug",
    )
    metric_columns = (
        "slug",
        "name",
        "abbreviation",
        "unit",
        "higher_is_better",
        "bound",
        "definition",
        "decimals",
    )
    metrics = _create(
        Metric,
        [Metric(**_fields(r, *metric_columns), paper_id=papers(r, "paper")) for r in rows["metrics"]],
        "slug",
    )
    benchmark_columns = (
        "slug", "name", "conditioning", "resolution", "split", "samples", "protocol", "measured_field",
        "position",
    )  # fmt: skip
    benchmarks = _create(
        Benchmark,
        [
            Benchmark(
                **_fields(r, *benchmark_columns),
                dataset_id=datasets(r, "dataset"),
                metric_id=metrics(r, "metric"),
            )
            for r in rows["benchmarks"]
        ],
        "slug",
    )
    result_columns = (
        "kind", "role", "variant", "value_places", "is_bound", "extra_data", "year", "source_table",
        "source_row", "source_page", "source_version", "source_url", "zoo_model", "checkpoint_sha256",
        "command", "results_file", "note",
    )  # fmt: skip
    Result.objects.bulk_create(
        Result(
            **_fields(r, *result_columns),
            benchmark_id=benchmarks(r, "benchmark"),
            family_id=families(r, "family"),
            model_id=models(r, "model"),
            paper_id=papers(r, "paper"),
            value=_decimal(r["value"]),
            error=_decimal(r["error"]),
            checked_on=_date(r["checked_on"]),
        )
        for r in rows["results"]
    )
    demo_columns = (
        "slug", "family_slug", "title", "description", "model_name", "citation_key", "params_schema",
        "checkpoint_sha256", "metrics", "manifest", "position", "is_active",
    )  # fmt: skip
    Demo.objects.bulk_create(
        Demo(
            **_fields(r, *demo_columns),
            family_id=families(r, "family"),
            example_model_id=models(r, "example_model"),
        )
        for r in rows["demos"]
    )
    return ImportReport(
        release=str(package.get("version", folder.name)),
        schema_version=str(package["schema_version"]),
        counts={name: len(r) for name, r in rows.items()},
    )


def _one(row: dict, value: str) -> dict:
    """A one-field row for an identifier inside a list, so a failed lookup still names the file and line."""
    return {"_where": row["_where"], "v": value}
