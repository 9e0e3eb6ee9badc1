"""Pages of the evidence: the benchmark index, a leaderboard (with its CSV, JSON and .bib), and the zoo's
measured comparison. Reads go through benchmarks/selectors.py, charts through benchmarks/charts.py; views
parse, call and render, cached per content version like the catalog's pages.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from benchmarks import charts, exports, selectors
from benchmarks.forms import BoardFilterForm, IndexFilterForm, form_errors
from pages.rendering import download, render_cached_page
from papers.views import bibtex_download


def _bad_filters(request: HttpRequest, form) -> HttpResponse:
    html = render_to_string(
        "benchmarks/bad_filters.html", {"message": form_errors(form), "path": request.path}, request=request
    )
    return HttpResponse(html, status=400)


def _canonical(form) -> str:
    """The valid filters as a query string, the cache key's tail."""
    return urlencode(sorted((k, v) for k, v in form.cleaned_data.items() if v not in ("", None, False)))


@require_GET
def benchmark_list(request: HttpRequest) -> HttpResponse:
    """Every benchmark with its current best, its number of results and its families; filterable.
    Template: benchmarks/index.html (partial ``boards`` for htmx)."""
    form = IndexFilterForm(request.GET)
    if not form.is_valid():
        return _bad_filters(request, form)
    query = _canonical(form)

    def build() -> dict:
        summaries = selectors.benchmark_index(**form.cleaned_data)
        context = {
            "form": form,
            "published": [s for s in summaries if not s.benchmark.is_measured],
            "measured": [s for s in summaries if s.benchmark.is_measured],
            "filtered": bool(query),
        }
        return {
            "html": render_to_string("benchmarks/index.html", context),
            "title": "Benchmarks and leaderboards",
            "description": "Published and measured results of generative models, each traced to its source.",
        }

    return render_cached_page(request, key=f"benchmarks:{query}", build=build)[0]


@require_GET
def leaderboard(request: HttpRequest, slug: str) -> HttpResponse:
    """One benchmark ranked by its metric, with filters, the chart over the years and the downloads.
    Template: benchmarks/leaderboard.html (partial ``board`` for htmx)."""
    benchmark = selectors.benchmark_by_slug(slug=slug)
    form = BoardFilterForm(request.GET)
    if not form.is_valid():
        return _bad_filters(request, form)
    query = _canonical(form)

    def build() -> dict:
        board = selectors.leaderboard(benchmark=benchmark, filters=form.filters())
        context = {
            "board": board,
            "benchmark": benchmark,
            "form": form,
            "query": query,
            "other_protocols": list(selectors.other_protocols(benchmark=benchmark)),
            "chart": charts.timeline_svg(board=board) if not benchmark.is_measured else "",
            "bars": charts.bars_svg(board=board) if benchmark.is_measured else "",
        }
        return {
            "html": render_to_string("benchmarks/leaderboard.html", context),
            "title": benchmark.name,
            "description": f"{benchmark.name}: {board.total} results, each with its source.",
        }

    return render_cached_page(request, key=f"board:{slug}:{query}", build=build)[0]


def _board_for_download(request: HttpRequest, slug: str):
    benchmark = selectors.benchmark_by_slug(slug=slug)
    form = BoardFilterForm(request.GET)
    if not form.is_valid():
        return None, _bad_filters(request, form)
    return selectors.leaderboard(benchmark=benchmark, filters=form.filters()), None


@require_GET
def leaderboard_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The board (with the page's filters) as CSV, one row per result with its provenance."""
    board, error = _board_for_download(request, slug)
    return error or download(exports.board_csv(board), filename=f"{slug}.csv", content_type="text/csv")


@require_GET
def leaderboard_json(request: HttpRequest, slug: str) -> HttpResponse:
    """The board (with the page's filters) as JSON: the benchmark's protocol and every row."""
    board, error = _board_for_download(request, slug)
    if error:
        return error
    return download(exports.board_json(board), filename=f"{slug}.json", content_type="application/json")


@require_GET
def leaderboard_bibtex(request: HttpRequest, slug: str) -> HttpResponse:
    """The papers behind the board's published results, as .bib."""
    benchmark = selectors.benchmark_by_slug(slug=slug)
    return bibtex_download(selectors.board_papers(benchmark=benchmark), filename=f"{slug}.bib")


@require_GET
def zoo(request: HttpRequest) -> HttpResponse:
    """The zoo's measured comparison: a table per data set, a chart per metric, each model's samples, and
    how each figure was measured. Template: benchmarks/zoo.html."""

    def build() -> dict:
        tables = selectors.zoo_tables()
        sections = [
            (table, [(b, charts.bars_svg(board=table.boards[b.pk])) for b in table.benchmarks])
            for table in tables
        ]
        context = {
            "sections": sections,
            "samples": selectors.zoo_sample_grids(),
            "compositions": selectors.zoo_compositions(),
        }
        return {
            "html": render_to_string("benchmarks/zoo.html", context),
            "title": "The model zoo, measured",
            "description": "Every family of the bundled zoo measured on the same data by the same code.",
        }

    return render_cached_page(request, key="benchmarks:zoo", build=build)[0]
