"""The server-rendered charts: valid SVG, one mark per result coloured by family, the running best drawn
better-up, and the zoo's bars with the reference line."""

import itertools
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from benchmarks import charts, selectors
from tests import factories as f

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


@pytest.mark.django_db
def test_the_timeline_has_a_linked_mark_per_result_and_a_legend(board):
    result = selectors.leaderboard(benchmark=board.benchmark)
    root = _parse(charts.timeline_svg(board=result))
    links = root.findall(f"{SVG}a")
    assert len(links) == 7
    assert {link.get("href") for link in links} == {
        r.paper.get_absolute_url() for r in board.results.values()
    }
    titles = [link.find(f"{SVG}title").text for link in links]
    assert "EDM: 1.97 (2022)" in titles
    colours = {el.get("fill") for link in links for el in link if el.tag != f"{SVG}title"}
    assert colours == {charts.FAMILY_STYLE["gans"][0], charts.FAMILY_STYLE["diffusion-models"][0]}
    legend = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert legend == ["GANs", "Diffusion", "state of the art"]
    assert root.get("role") == "img" and root.find(f"{SVG}title").text.startswith("Toy FID")


@pytest.mark.django_db
def test_the_state_of_the_art_line_only_ever_climbs(board):
    root = _parse(charts.timeline_svg(board=selectors.leaderboard(benchmark=board.benchmark)))
    [line] = [p for p in root.iter(f"{SVG}polyline") if p.get("class") == "sota"]
    points = [tuple(map(float, pair.split(","))) for pair in line.get("points").split()]
    xs, ys = zip(*points, strict=True)
    assert list(xs) == sorted(xs)
    assert all(later <= earlier for earlier, later in itertools.pairwise(ys))  # better is up
    assert ys[-1] < ys[0]


@pytest.mark.django_db
def test_a_bound_is_marked_in_the_chart_and_text_is_escaped():
    benchmark = f.BenchmarkFactory(metric__bound="upper")
    f.PublishedResultFactory(benchmark=benchmark, variant="<Ours & co>", value=Decimal("3.7"), is_bound=True)
    svg = charts.timeline_svg(board=selectors.leaderboard(benchmark=benchmark))
    assert "&lt;Ours &amp; co&gt;: ≤ 3.7" in svg
    _parse(svg)


@pytest.mark.django_db
def test_the_bars_mark_baselines_and_the_real_data_reference():
    benchmark = f.BenchmarkFactory(measured_field="fd", metric__decimals=0)
    f.MeasuredResultFactory(benchmark=benchmark, variant="dcgan", value=Decimal("94.5"))
    f.MeasuredResultFactory(
        benchmark=benchmark, variant="kde", value=Decimal("164"), role="baseline", family=None
    )
    f.MeasuredResultFactory(
        benchmark=benchmark, variant="real", value=Decimal("116"), role="reference", family=None
    )
    root = _parse(charts.bars_svg(board=selectors.leaderboard(benchmark=benchmark)))
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [b.find(f"{SVG}title").text for b in bars] == ["dcgan: 94", "kde (baseline): 164"]
    assert bars[1].get("fill") == "url(#hatch)"
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] < widths[1]
    [reference] = [line for line in root.iter(f"{SVG}line") if line.get("class") == "reference"]
    assert any(re.match(r"real data: 116", t.text or "") for t in root.iter(f"{SVG}text"))
    assert float(reference.get("x1")) > 150


def test_ticks_are_round_and_cover_the_range():
    ticks = charts.nice_ticks(1.97, 37.1)
    assert ticks[0] <= 1.97 and ticks[-1] >= 37.1 and len(ticks) <= 8
    assert all(float(t).is_integer() or round(t, 1) == t for t in ticks)
