"""Server-rendered SVG charts: a board's results over the years with the running best, and the zoo's bars.

Plain SVG with a viewBox, so a chart scales to any width (390 px included) and needs no JavaScript. Each
family has a colour from the Okabe–Ito palette (distinguishable with colour-blindness) and a marker shape of
its own, so the legend works in greyscale too; every mark carries a <title> and links to its source.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from benchmarks.models import Benchmark, Result
from benchmarks.selectors import Board, Row

FAMILY_STYLE = {  # slug → (colour, marker)
    "gans": ("#D55E00", "square"),
    "vaes": ("#0072B2", "diamond"),
    "autoregressive-models": ("#009E73", "triangle"),
    "normalizing-flows": ("#CC79A7", "triangle-down"),
    "diffusion-models": ("#E69F00", "circle"),
    "energy-based-models": ("#56B4E9", "cross"),
    "generative-transformers": ("#333333", "star"),
}
OTHER_STYLE = ("#777777", "circle")
WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40


def family_style(slug: str | None) -> tuple[str, str]:
    return FAMILY_STYLE.get(slug or "", OTHER_STYLE)


def _marker(shape: str, x: float, y: float, colour: str, size: float = 5.0) -> str:
    s = size
    if shape == "line":
        return f'<line x1="{x - 2 * s:.1f}" x2="{x + 2 * s:.1f}" y1="{y:.1f}" y2="{y:.1f}" class="sota"/>'
    if shape == "square":
        side = 2 * s
        return (
            f'<rect x="{x - s:.1f}" y="{y - s:.1f}" width="{side:.1f}" height="{side:.1f}" fill="{colour}"/>'
        )
    if shape in ("diamond", "triangle", "triangle-down", "star", "cross"):
        points = {
            "diamond": [(0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)],
            "triangle": [(0, -1.3), (1.2, 0.9), (-1.2, 0.9)],
            "triangle-down": [(0, 1.3), (1.2, -0.9), (-1.2, -0.9)],
            "cross": [(-0.4, -1.2), (0.4, -1.2), (0.4, -0.4), (1.2, -0.4), (1.2, 0.4), (0.4, 0.4),
                      (0.4, 1.2), (-0.4, 1.2), (-0.4, 0.4), (-1.2, 0.4), (-1.2, -0.4), (-0.4, -0.4)],
            "star": [(math.cos(-math.pi / 2 + i * math.pi / 5) * (1.4 if i % 2 == 0 else 0.6),
                      math.sin(-math.pi / 2 + i * math.pi / 5) * (1.4 if i % 2 == 0 else 0.6))
                     for i in range(10)],
        }[shape]  # fmt: skip
        coords = " ".join(f"{x + dx * s:.1f},{y + dy * s:.1f}" for dx, dy in points)
        return f'<polygon points="{coords}" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{s:.1f}" fill="{colour}"/>'


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = [round(start, 10)]
    while ticks[-1] < high - step * 0.001:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _tick_text(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e5 else f"{value:,.0f}"


def _legend(items: Iterable[tuple[str, str, str]], y: float) -> list[str]:
    """One row of (label, colour, shape) under the plot, wrapping at the chart's width."""
    out, x = [], LEFT
    for label, colour, shape in items:
        width = 22 + 6.5 * len(label)
        if x + width > WIDTH - RIGHT:
            x, y = LEFT, y + 18
        indent = 24 if shape == "line" else 14
        out.append(_marker(shape, x + (10 if shape == "line" else 5), y - 4, colour, 4.5))
        out.append(f'<text x="{x + indent:.0f}" y="{y:.0f}" class="legend">{escape(label)}</text>')
        x += width
    return out


def timeline_svg(*, board: Board, rows: list[Row] | None = None) -> SafeString:
    """The board's results by year (x) and value (y), coloured by family, with the state of the art as a
    step line. The better direction is up, whatever the metric's sign."""
    benchmark: Benchmark = board.benchmark
    metric = benchmark.metric
    results = [
        row.result for row in (rows if rows is not None else board.rows) if row.result.role != "reference"
    ]
    if not results:
        return mark_safe("")
    years = [r.year for r in results]
    values = [float(r.value) for r in results]
    x0, x1 = min(years) - 0.5, max(years) + 0.5
    ticks = nice_ticks(min(values), max(values))
    v0, v1 = ticks[0], ticks[-1] if ticks[-1] > ticks[0] else ticks[0] + 1
    families = sorted({(r.family.position, r.family.slug, r.family.short_name) for r in results if r.family})
    legend_rows = 1 + (len(families) + 2) // 4
    height = HEIGHT + 18 * legend_rows
    plot_bottom = HEIGHT - BOTTOM

    def px(year: float) -> float:
        return LEFT + (year - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT)

    def py(value: float) -> float:
        share = (value - v0) / (v1 - v0)
        if not metric.higher_is_better:
            share = 1 - share  # better is up
        return TOP + (1 - share) * (plot_bottom - TOP)

    title = f"{benchmark.name}: {metric.abbreviation} by year ({metric.direction}; better is up)"
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{len(results)} results from {min(years)} to {max(years)}; the line is the '
        "best result so far. The table below holds the same figures.</desc>",
    ]
    for tick in ticks:
        y = py(tick)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{_tick_text(tick)}</text>'
        )
    step = max(1, math.ceil((max(years) - min(years) + 1) / 8))
    for year in range(min(years), max(years) + 1, step):
        out.append(
            f'<text x="{px(year):.1f}" y="{plot_bottom + 16}" class="tick" text-anchor="middle">{year}</text>'
        )
    axis_label = f"{metric.abbreviation}{f' ({metric.unit})' if metric.unit else ''} {metric.arrow}"
    out.append(
        f'<text x="12" y="{(TOP + plot_bottom) / 2:.0f}" class="axis" transform="rotate(-90 12 '
        f'{(TOP + plot_bottom) / 2:.0f})" text-anchor="middle">{escape(axis_label)}</text>'
    )
    record = board.state_of_the_art
    if record:
        points, previous = [], None
        for result in record:
            x, y = px(result.year), py(float(result.value))
            if previous is not None:
                points.append(f"{x:.1f},{previous:.1f}")
            points.append(f"{x:.1f},{y:.1f}")
            previous = y
        points.append(f"{WIDTH - RIGHT:.1f},{previous:.1f}")
        out.append(f'<polyline points="{" ".join(points)}" class="sota"/>')
    # Results of the same year spread sideways a little so that they do not hide one another.
    per_year: dict[int, int] = {}
    for result in sorted(results, key=lambda r: (r.year, r.value)):
        index = per_year.get(result.year, 0)
        per_year[result.year] = index + 1
        jitter = ((index % 5) - 2) * 4
        colour, shape = family_style(result.family.slug if result.family else None)
        x, y = px(result.year) + jitter, py(float(result.value))
        bound = f"{result.bound_symbol} " if result.bound_symbol else ""
        tip = f"{result.label}: {bound}{result.value_text} ({result.year})"
        mark = f"<title>{escape(tip)}</title>{_marker(shape, x, y, colour)}"
        href = result.paper.get_absolute_url() if result.paper_id else ""
        out.append(f'<a href="{escape(href)}">{mark}</a>' if href else f"<g>{mark}</g>")
    legend = [(name, *family_style(slug)) for _, slug, name in families]
    out += _legend([*legend, ("state of the art", "#111111", "line")], HEIGHT - 6)
    out.append("</svg>")
    return mark_safe("\n".join(out))


def bars_svg(*, board: Board) -> SafeString:
    """One horizontal bar per zoo model (baselines hatched), the real-data reference as a dashed line."""
    benchmark = board.benchmark
    metric = benchmark.metric
    rows = [row for row in board.rows if row.result.role != Result.Role.REFERENCE]
    reference = next((row.result for row in board.rows if row.result.role == Result.Role.REFERENCE), None)
    if not rows:
        return mark_safe("")
    bar, gap, label_width = 16, 6, 150
    values = [float(row.result.value + (row.result.error or 0)) for row in rows]
    values += [float(reference.value + (reference.error or 0))] if reference else []
    ticks = nice_ticks(0, max(values))
    top_value = ticks[-1] or 1
    plot_width = WIDTH - label_width - RIGHT - 40
    height = TOP + len(rows) * (bar + gap) + 44

    def px(value: float | Decimal) -> float:
        return label_width + float(value) / top_value * plot_width

    title = f"{benchmark.name} ({metric.direction})"
    out = [
        f'<svg class="chart bars" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#dddddd"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#888888" stroke-width="2"/></pattern></defs>',
    ]
    axis_y = TOP + len(rows) * (bar + gap)
    for tick in ticks:
        x = px(tick)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP - 4}" y2="{axis_y}" class="grid"/>')
        out.append(
            f'<text x="{x:.1f}" y="{axis_y + 14}" class="tick" text-anchor="middle">{_tick_text(tick)}</text>'
        )
    for index, row in enumerate(rows):
        result = row.result
        y = TOP + index * (bar + gap)
        colour, _ = family_style(result.family.slug if result.family else None)
        fill = "url(#hatch)" if result.role == Result.Role.BASELINE else colour
        bound = f"{result.bound_symbol} " if result.bound_symbol else ""
        kind = " (baseline)" if result.role == Result.Role.BASELINE else ""
        out.append(
            f'<text x="{label_width - 6}" y="{y + bar - 4}" class="label" text-anchor="end">'
            f"{escape(result.variant + kind)}</text>"
        )
        width = max(px(result.value) - label_width, 1)
        tip = escape(f"{result.variant}{kind}: {bound}{result.value_text}")
        out.append(
            f'<rect x="{label_width}" y="{y}" width="{width:.1f}" height="{bar}" fill="{fill}">'
            f"<title>{tip}</title></rect>"
        )
        text_x = px(result.value) + 4
        if result.error:  # the 95% interval as a whisker across the bar's end
            low, high = px(max(result.value - result.error, 0)), px(result.value + result.error)
            mid = y + bar / 2
            out.append(
                f'<path d="M{low:.1f} {mid:.1f}H{high:.1f}M{low:.1f} {y + 3}V{y + bar - 3}'
                f'M{high:.1f} {y + 3}V{y + bar - 3}" class="interval"/>'
            )
            text_x = high + 4
        shown = bound + result.value_text + (f" ± {result.error_text}" if result.error else "")
        out.append(f'<text x="{text_x:.1f}" y="{y + bar - 4}" class="value">{escape(shown)}</text>')
    if reference is not None:
        x = px(reference.value)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP - 8}" y2="{axis_y}" class="reference"/>')
        out.append(
            f'<text x="{x:.1f}" y="{axis_y + 30}" class="tick" text-anchor="middle">real data: '
            f"{escape(reference.value_text)}</text>"
        )
    out.append("</svg>")
    return mark_safe("\n".join(out))
