"""The lineage picture's geometry: however many papers share a year, no two labels overlap, every mark is
inside the picture, and the lines keep clear of the year column."""

import itertools
import re

import pytest

from catalog import lineage
from catalog.models import FamilyPaper
from papers.models import PaperLink
from tests import factories as f


@pytest.fixture
def crowded(db):
    """Thirty seminal papers in one year across two families, each building on the one before."""
    gans = f.FamilyFactory(slug="gans", short_name="GANs", position=1)
    flows = f.FamilyFactory(slug="normalizing-flows", short_name="Flows", position=4)
    papers = []
    for index in range(30):
        paper = f.PaperFactory(year=2016 + index // 20, title=f"A Rather Long Paper Title Number {index}")
        family = gans if index % 2 else flows
        f.FamilyPaperFactory(family=family, paper=paper, role=FamilyPaper.Role.SEMINAL)
        if papers:
            PaperLink.objects.create(source=paper, target=papers[-1], kind="builds_on")
        papers.append(paper)
    return papers


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_no_two_labels_overlap_and_everything_is_inside(crowded):
    picture = lineage.lineage()
    assert len(picture.nodes) == 30 and len(picture.edges) == 29
    boxes = [node.label_box for node in picture.nodes]
    assert not any(_overlap(a, b) for a, b in itertools.combinations(boxes, 2))
    for node, box in zip(picture.nodes, boxes, strict=True):
        assert 0 < node.x < node.label_x and box[2] <= picture.width and 0 < node.y < picture.height
    for edge in picture.edges:
        xs = [float(x) for x, _ in re.findall(r"(-?[\d.]+),(-?[\d.]+)", edge.path)]
        assert min(xs) > lineage.YEAR_WIDTH  # the curves bend into the gutter, never over the years
    assert [row.year for row in picture.years] == [2016, 2017]
    assert [lane.label for lane in picture.lanes] == ["GANs", "Flows"]


def test_the_page_has_a_legend_for_families_and_link_kinds(client, crowded):
    html = client.get("/lineage/").content.decode()
    assert 'class="lineage-legend"' in html
    assert "builds on" in html and "revives" in html and "extends" in html
    assert 'class="svg-scroll"' not in html  # it scales to the page instead of scrolling sideways
