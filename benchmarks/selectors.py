"""Reads: leaderboards, the benchmark index, a family's, paper's or model's results, and the zoo's table.

A board's ranking follows its metric's direction. Ranks are competition ranks (1, 2, 2, 4) over the whole
board, so a filtered view still shows where a row stands overall; real-data reference rows are shown but
not ranked. Every read here is a fixed number of queries, however many results there are.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404

from benchmarks.models import Benchmark, Dataset, Result
from benchmarks.services import ZOO_RESULTS_DIR
from catalog.models import Family
from papers.models import Authorship, Paper


@dataclass
class Row:
    result: Result
    rank: int | None  # None for the real-data reference
    best: bool  # the board's best ranked row


@dataclass
class Board:
    benchmark: Benchmark
    rows: list[Row]  # best first, after the filters
    total: int  # rows on the board before the filters
    families: list[Family]  # every family on the board, for the filter
    years: tuple[int, int] | None
    state_of_the_art: list[Result] = field(default_factory=list)  # each result that beat all before it

    @property
    def best(self) -> Row | None:
        return next((row for row in self.rows if row.best), None)


@dataclass(frozen=True)
class BoardFilters:
    family: str = ""
    year_from: int | None = None
    year_to: int | None = None
    kind: str = ""  # published | measured | "" for both
    no_extra_data: bool = False

    def keep(self, result: Result) -> bool:
        return (
            (not self.family or (result.family is not None and result.family.slug == self.family))
            and (self.year_from is None or result.year >= self.year_from)
            and (self.year_to is None or result.year <= self.year_to)
            and (not self.kind or result.kind == self.kind)
            and not (self.no_extra_data and result.extra_data)
        )


def _authorships() -> Prefetch:
    return Prefetch(
        "paper__authorships", queryset=Authorship.objects.select_related("author").order_by("position")
    )


def results_with_links(queryset: QuerySet[Result] | None = None) -> QuerySet[Result]:
    """Results with everything a row shows: board, metric, family, model, paper and its authors."""
    queryset = Result.objects.all() if queryset is None else queryset
    return queryset.select_related(
        "benchmark__metric", "benchmark__dataset", "family", "model", "paper", "paper__venue"
    ).prefetch_related(_authorships())


def best_first(results: Iterable[Result], *, higher_is_better: bool) -> list[Result]:
    """Best first by the metric's direction; ties by year (the earlier first), then by variant."""
    sign = -1 if higher_is_better else 1
    return sorted(results, key=lambda r: (sign * r.value, r.year, r.variant))


def ranked(results: list[Result]) -> list[Row]:
    """Competition ranks over results already best first; the reference rows get none."""
    rows, rank, previous, position = [], None, None, 0
    for result in results:
        if result.role == Result.Role.REFERENCE:
            rows.append(Row(result, None, False))
            continue
        position += 1
        if result.value != previous:
            rank, previous = position, result.value
        rows.append(Row(result, rank, position == 1))
    return rows


def benchmark_by_slug(*, slug: str) -> Benchmark:
    try:
        return Benchmark.objects.select_related("dataset", "metric", "dataset__paper", "metric__paper").get(
            slug=slug
        )
    except Benchmark.DoesNotExist:
        raise Http404(f"No benchmark '{slug}'.") from None


def leaderboard(*, benchmark: Benchmark, filters: BoardFilters | None = None) -> Board:
    filters = filters or BoardFilters()
    results = best_first(
        results_with_links(benchmark.results.all()), higher_is_better=benchmark.metric.higher_is_better
    )
    for result in results:
        result.benchmark = benchmark  # already loaded, with its dataset and metric
    rows = ranked(results)
    families = sorted({r.family for r in results if r.family}, key=lambda f: f.position)
    years = [r.year for r in results]
    return Board(
        benchmark=benchmark,
        rows=[row for row in rows if filters.keep(row.result)],
        total=len(rows),
        families=families,
        years=(min(years), max(years)) if years else None,
        state_of_the_art=state_of_the_art([r for r in results if r.role == Result.Role.MODEL], benchmark),
    )


def state_of_the_art(results: Iterable[Result], benchmark: Benchmark) -> list[Result]:
    """Each result that beat every earlier one (by year), in time order: the running best."""
    higher = benchmark.metric.higher_is_better
    chronological = sorted(results, key=lambda r: (r.year, -r.value if higher else r.value))
    record: list[Result] = []
    for result in chronological:
        if not record or (result.value > record[-1].value if higher else result.value < record[-1].value):
            record.append(result)
    return record


@dataclass
class BenchmarkSummary:
    benchmark: Benchmark
    count: int
    best: Result | None
    families: list[Family]


def benchmark_index(
    *,
    dataset: str = "",
    metric: str = "",
    conditioning: str = "",
    family: str = "",
) -> list[BenchmarkSummary]:
    """Every benchmark (filtered) with its number of results, its best result and the families on it."""
    benchmarks = Benchmark.objects.select_related("dataset", "metric").annotate(count=Count("results"))
    if dataset:
        benchmarks = benchmarks.filter(dataset__slug=dataset)
    if metric:
        benchmarks = benchmarks.filter(metric__slug=metric)
    if conditioning:
        benchmarks = benchmarks.filter(conditioning=conditioning)
    if family:  # a subquery: a join would multiply the rows that Count("results") counts
        benchmarks = benchmarks.filter(
            Exists(Result.objects.filter(benchmark=OuterRef("pk"), family__slug=family))
        )
    benchmarks = list(benchmarks)
    by_board: dict[int, list[Result]] = defaultdict(list)
    results = Result.objects.filter(benchmark__in=benchmarks).select_related("family", "model", "paper")
    for result in results:
        by_board[result.benchmark_id].append(result)
    summaries = []
    for benchmark in benchmarks:
        board = by_board[benchmark.pk]
        for result in board:
            result.benchmark = benchmark
        ranked_rows = ranked(best_first(board, higher_is_better=benchmark.metric.higher_is_better))
        best = next((row.result for row in ranked_rows if row.best), None)
        families = sorted({r.family for r in board if r.family}, key=lambda f: f.position)
        summaries.append(BenchmarkSummary(benchmark, benchmark.count, best, families))
    return summaries


@dataclass
class Standing:
    """One record's best result on one board, where it ranks, and the board's best for comparison."""

    benchmark: Benchmark
    result: Result
    rank: int | None
    ranked_count: int
    board_best: Result | None


def standings(
    *, family: Family | None = None, paper: Paper | None = None, model=None, every: bool = False
) -> list[Standing]:
    """For each board with results of the family, paper or model: its best one (``every``: each of its
    rows, as a paper page lists all it reported) and where it ranks."""
    mine = Result.objects.filter(role=Result.Role.MODEL)
    if family is not None:
        mine = mine.filter(family=family)
    if paper is not None:
        mine = mine.filter(paper=paper)
    if model is not None:
        mine = mine.filter(model=model)
    benchmark_ids = set(mine.values_list("benchmark_id", flat=True))
    if not benchmark_ids:
        return []
    boards: dict[int, list[Result]] = defaultdict(list)
    for result in results_with_links(Result.objects.filter(benchmark_id__in=benchmark_ids)):
        boards[result.benchmark_id].append(result)
    out = []
    for results in boards.values():
        benchmark = results[0].benchmark
        rows = ranked(best_first(results, higher_is_better=benchmark.metric.higher_is_better))
        ranked_count = sum(1 for row in rows if row.rank is not None)
        board_best = next((row.result for row in rows if row.best), None)
        own = [
            row
            for row in rows
            if row.result.role == Result.Role.MODEL
            and (family is None or row.result.family_id == family.pk)
            and (paper is None or row.result.paper_id == paper.pk)
            and (model is None or row.result.model_id == model.pk)
        ]
        for row in own if every else own[:1]:
            out.append(Standing(benchmark, row.result, row.rank, ranked_count, board_best))
    return sorted(  # stable: a board's rows stay best first
        out, key=lambda s: (s.benchmark.measured_field != "", s.benchmark.position, s.benchmark.name)
    )


def other_protocols(*, benchmark: Benchmark) -> QuerySet[Benchmark]:
    """Boards of the same dataset and metric under another protocol (conditioning, resolution, samples)."""
    return (
        Benchmark.objects.filter(dataset=benchmark.dataset_id, metric=benchmark.metric_id)
        .exclude(pk=benchmark.pk)
        .annotate(count=Count("results"))
    )


def board_papers(*, benchmark: Benchmark) -> QuerySet[Paper]:
    """The papers behind a board's published results, for its .bib download."""
    return Paper.objects.filter(results__benchmark=benchmark).distinct().order_by("year", "citation_key")


@dataclass
class ZooRow:
    name: str
    family: Family | None
    role: str
    cells: dict[int, Result]  # benchmark id → result
    ordered: list[Result | None] = field(default_factory=list)  # one per benchmark of the table, in order

    @property
    def provenance(self) -> Result:
        """Any of the row's results: they share the results file, checkpoint, command and date."""
        return next(iter(self.cells.values()))


@dataclass
class ZooTable:
    dataset: Dataset
    benchmarks: list[Benchmark]
    rows: list[ZooRow]
    boards: dict[int, Board]


def zoo_tables() -> list[ZooTable]:
    """The zoo's measured boards side by side, one table per data set (Fashion-MNIST, digits, names), each
    with one row per zoo model, baseline or reference measured on it."""
    benchmarks = list(
        Benchmark.objects.exclude(measured_field="")
        .select_related("dataset", "metric", "metric__paper")
        .order_by("-dataset__resolution", "dataset__slug", "pk")
    )
    by_board: dict[int, list[Result]] = defaultdict(list)
    for result in Result.objects.filter(benchmark__in=benchmarks).select_related("family"):
        by_board[result.benchmark_id].append(result)
    order = {Result.Role.MODEL: 0, Result.Role.BASELINE: 1, Result.Role.REFERENCE: 2}
    tables: dict[int, ZooTable] = {}
    for benchmark in benchmarks:
        table = tables.setdefault(benchmark.dataset_id, ZooTable(benchmark.dataset, [], [], {}))
        table.benchmarks.append(benchmark)
        for result in by_board[benchmark.pk]:
            result.benchmark = benchmark
        results = best_first(by_board[benchmark.pk], higher_is_better=benchmark.metric.higher_is_better)
        table.boards[benchmark.pk] = Board(benchmark, ranked(results), len(results), [], None)
    for table in tables.values():
        rows: dict[str, ZooRow] = {}
        for benchmark in table.benchmarks:
            for result in by_board[benchmark.pk]:
                row = rows.setdefault(
                    result.zoo_model, ZooRow(result.zoo_model, result.family, result.role, {})
                )
                row.cells[benchmark.pk] = result
        table.rows = sorted(
            rows.values(), key=lambda r: (order[r.role], r.family.position if r.family else 99, r.name)
        )
        for row in table.rows:
            row.ordered = [row.cells.get(benchmark.pk) for benchmark in table.benchmarks]
    return [table for table in tables.values() if table.rows]


SAMPLES_DIR = Path(__file__).resolve().parent / "static" / "benchmarks" / "zoo"


@dataclass(frozen=True)
class SampleGrid:
    name: str
    image: str  # static path of a PNG grid, or ""
    text: list[str]  # sampled names, for the text models
    command: str
    checkpoint_sha256: str


def zoo_sample_grids() -> dict[str, SampleGrid]:
    """The committed sample of each zoo model (16 samples, seed 0), from the grids' manifest."""
    manifest_path = SAMPLES_DIR / "manifest.json"
    if not manifest_path.is_file():
        return {}
    grids = {}
    for name, entry in json.loads(manifest_path.read_text(encoding="utf-8")).items():
        path = SAMPLES_DIR / entry["file"]
        is_text = path.suffix == ".txt"
        grids[name] = SampleGrid(
            name=name,
            image="" if is_text else f"benchmarks/zoo/{entry['file']}",
            text=path.read_text(encoding="utf-8").split() if is_text else [],
            command=entry["command"],
            checkpoint_sha256=entry["checkpoint_sha256"],
        )
    return grids


@dataclass
class ComparisonCell:
    result: Result | None
    best: bool  # the best family on this board


@dataclass
class ComparisonRow:
    benchmark: Benchmark
    cells: list[ComparisonCell]  # one per family, in the table's order


@dataclass
class FamilyComparison:
    families: list[Family]
    rows: list[ComparisonRow]


def family_comparison(*, families: list[Family]) -> FamilyComparison:
    """Each board's best model result per family (published boards first, then measured)."""
    benchmarks = list(Benchmark.objects.select_related("metric", "dataset"))
    by_board: dict[int, list[Result]] = defaultdict(list)
    results = Result.objects.filter(role=Result.Role.MODEL).select_related("family", "model")
    for result in results:
        by_board[result.benchmark_id].append(result)
    rows = []
    for benchmark in sorted(benchmarks, key=lambda b: (b.is_measured, b.position, b.name)):
        board = by_board.get(benchmark.pk)
        if not board:
            continue
        for result in board:
            result.benchmark = benchmark
        best_by_family: dict[int, Result] = {}
        for result in best_first(board, higher_is_better=benchmark.metric.higher_is_better):
            best_by_family.setdefault(result.family_id, result)
        overall = best_first(best_by_family.values(), higher_is_better=benchmark.metric.higher_is_better)[0]
        cells = [
            ComparisonCell(best_by_family.get(f.pk), best_by_family.get(f.pk) is overall) for f in families
        ]
        rows.append(ComparisonRow(benchmark, cells))
    return FamilyComparison(families, rows)


@dataclass(frozen=True)
class Composition:
    name: str
    title: str
    parts: list[str]
    rows: list[dict]  # the composition's row first, then each part's: fd (with fd_low/high), precision, ...
    verdicts: list[dict]  # per part: {"part": name, "fd": "better" | "worse" | "within noise" | ..., ...}


def zoo_compositions() -> list[Composition]:
    """The zoo's compositions of two families read against their parts, as the zoo's report wrote them
    (generation/zoo/results/compositions.json, made by ``python -m generation.zoo report``)."""
    path = ZOO_RESULTS_DIR / "compositions.json"
    if not path.is_file():
        return []
    return [
        Composition(
            name=entry["name"],
            title=entry["title"],
            parts=entry["parts"],
            rows=entry["rows"],
            verdicts=entry["verdicts"],
        )
        for entry in json.loads(path.read_text(encoding="utf-8"))
    ]
