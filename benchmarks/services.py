"""Writes: loading datasets, metrics, benchmarks and results from the content files and the zoo's results.

``benchmarks_load`` runs inside ``catalog_load``'s transaction (through the ``catalog_loaded`` signal), after
papers, families and models exist, so every link is checked against them. The files are the whole truth
for these records: a row no file names any longer is deleted. Like the catalog's loader it compares before
writing, so a second load with the same files writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction

from benchmarks.content import BenchmarksContent, ResultSpec, content_read, measured_results, zoo_rows
from benchmarks.models import Benchmark, Dataset, Metric, Result
from catalog.content_files import CatalogContentError
from catalog.models import Domain, ExampleModel, Family
from catalog.services import KindCounts, LoadReport
from papers.models import Paper

CONTENT_DIR = Path(settings.BASE_DIR) / "benchmarks" / "content"
ZOO_RESULTS_DIR = Path(settings.BASE_DIR) / "generation" / "zoo" / "results"


def load_after_catalog(sender, *, report: LoadReport, **kwargs) -> None:
    """The ``catalog_loaded`` receiver: load the boards into the same report and transaction."""
    benchmarks_load(report=report)


@transaction.atomic
def benchmarks_load(
    *,
    content_dir: Path = CONTENT_DIR,
    zoo_results_dir: Path = ZOO_RESULTS_DIR,
    report: LoadReport | None = None,
) -> LoadReport:
    """Upsert every dataset, metric, benchmark and result; raise CatalogContentError with nothing written."""
    content = content_read(directory=Path(content_dir))
    report = report if report is not None else LoadReport()
    _Loader(content, Path(zoo_results_dir), report).run()
    return report


def _upsert(model: type[models.Model], obj: models.Model | None, values: dict[str, Any], counts: KindCounts):
    """Create the record, or write only the fields that differ; counts what happened."""
    if obj is None:
        counts.created += 1
        return model.objects.create(**values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=[*changed, "updated_at"])
        counts.updated += 1
    else:
        counts.unchanged += 1
    return obj


class _Loader:
    def __init__(self, content: BenchmarksContent, zoo_results_dir: Path, report: LoadReport) -> None:
        self.content = content
        self.zoo_results_dir = zoo_results_dir
        self.report = report
        self.papers = self._papers()
        self.families = {f.slug: f.pk for f in Family.objects.only("slug")}
        self.models = {m.slug: m.pk for m in ExampleModel.objects.only("slug")}

    def _papers(self) -> dict[str, Paper]:
        refs = self.content.paper_keys()
        papers = Paper.objects.in_bulk({key for _, _, key in refs}, field_name="citation_key")
        for path, item, key in refs:
            if key not in papers:
                raise CatalogContentError(path, item, f"unknown paper citation key '{key}'")
        return papers

    def run(self) -> None:
        for kind in ("datasets", "metrics", "benchmarks", "results"):
            self.report.kinds.setdefault(kind, KindCounts())
        # Stale records go first, boards before what they point to (their results cascade), so that a name
        # or slug a file moved elsewhere is free again before the upserts.
        self._delete_stale("benchmarks", Benchmark, {b.slug for b in self.content.boards})
        self._delete_stale("metrics", Metric, {m.slug for m in self.content.metrics})
        self._delete_stale("datasets", Dataset, {d.slug for d in self.content.datasets})
        datasets = self._sync_slugged("datasets", Dataset, self._dataset_rows())
        metrics = self._sync_slugged("metrics", Metric, self._metric_rows())
        rows = {}
        for position, board in enumerate(self._board_order()):
            for name, slugs, kind in (("dataset", datasets, "dataset"), ("metric", metrics, "metric")):
                if getattr(board, name) not in slugs:
                    raise CatalogContentError(
                        board.path, "benchmark", f"unknown {kind} '{getattr(board, name)}'"
                    )
            rows[board.slug] = {
                **board.values,
                "dataset_id": datasets[board.dataset],
                "metric_id": metrics[board.metric],
                "position": position,
            }
        benchmarks = self._sync_slugged("benchmarks", Benchmark, rows)
        counts = self.report.kinds.setdefault("results", KindCounts())
        zoo = zoo_rows(results_dir=self.zoo_results_dir)
        for board in self.content.boards:
            specs = board.results
            if board.values["measured_field"]:
                specs = measured_results(board=board, rows=zoo)
            self._sync_results(board.path, benchmarks[board.slug], specs, counts)

    def _board_order(self) -> list:
        """Boards by their dataset's place in datasets.yaml (the curated order), then metric and size."""
        datasets = {spec.slug: index for index, spec in enumerate(self.content.datasets)}
        metrics = {spec.slug: index for index, spec in enumerate(self.content.metrics)}
        return sorted(
            self.content.boards,
            key=lambda b: (
                datasets.get(b.dataset, len(datasets)),
                metrics.get(b.metric, len(metrics)),
                b.values["resolution"] or 0,
                b.slug,
            ),
        )

    def _dataset_rows(self) -> dict[str, dict[str, Any]]:
        domains = dict(Domain.objects.values_list("slug", "pk"))
        rows = {}
        for spec in self.content.datasets:
            if spec.domain and spec.domain not in domains:
                raise CatalogContentError(
                    self.content.directory / "datasets.yaml",
                    f"dataset '{spec.slug}'",
                    f"unknown domain '{spec.domain}'",
                )
            rows[spec.slug] = {
                **spec.values,
                "domain_id": domains.get(spec.domain),
                "paper_id": self.papers[spec.paper].pk if spec.paper else None,
            }
        return rows

    def _metric_rows(self) -> dict[str, dict[str, Any]]:
        return {
            spec.slug: {**spec.values, "paper_id": self.papers[spec.paper].pk if spec.paper else None}
            for spec in self.content.metrics
        }

    def _sync_slugged(
        self, kind: str, model: type[models.Model], rows: dict[str, dict[str, Any]]
    ) -> dict[str, int]:
        """Create or update records by slug; returns slug → pk."""
        counts = self.report.kinds.setdefault(kind, KindCounts())
        existing = {obj.slug: obj for obj in model.objects.all()}
        return {
            slug: _upsert(model, existing.get(slug), {"slug": slug, **values}, counts).pk
            for slug, values in rows.items()
        }

    def _delete_stale(self, kind: str, model: type[models.Model], keep: set[str]) -> None:
        counts = self.report.kinds.setdefault(kind, KindCounts())
        stale = model.objects.exclude(slug__in=keep)
        if count := stale.count():
            stale.delete()
            counts.deleted += count

    def _sync_results(
        self, path: Path, benchmark_id: int, specs: tuple[ResultSpec, ...], counts: KindCounts
    ) -> None:
        existing = {}
        for result in Result.objects.filter(benchmark_id=benchmark_id).select_related("paper"):
            identity = (
                ("", result.zoo_model)
                if result.kind == Result.Kind.MEASURED
                else (result.paper.citation_key if result.paper else "", result.variant)
            )
            existing[identity] = result
        for spec in specs:
            values = {"benchmark_id": benchmark_id, **self._result_values(path, spec)}
            _upsert(Result, existing.pop(spec.identity, None), values, counts)
        if existing:
            Result.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()
            counts.deleted += len(existing)

    def _result_values(self, path: Path, spec: ResultSpec) -> dict[str, Any]:
        if spec.family and spec.family not in self.families:
            raise CatalogContentError(path, spec.item, f"unknown family '{spec.family}'")
        if spec.model and spec.model not in self.models:
            raise CatalogContentError(path, spec.item, f"unknown model '{spec.model}'")
        values = {
            "kind": spec.kind,
            "role": spec.role,
            "family_id": self.families.get(spec.family) if spec.family else None,
            "model_id": self.models[spec.model] if spec.model else None,
            "paper_id": self.papers[spec.paper].pk if spec.paper else None,
            **spec.values,
        }
        if spec.kind == "published":
            paper = self.papers[spec.paper]
            if paper.year is None:
                raise CatalogContentError(path, spec.item, f"paper '{spec.paper}' has no year")
            values["year"] = paper.year
        return values
