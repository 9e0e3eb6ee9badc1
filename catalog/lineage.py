"""The lineage picture: papers placed by year (x) in their family's lane (y), arrows for "builds on".

Pure layout over records read in a fixed number of queries; the template draws it as inline SVG, every node a
link to its paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from catalog.models import Family, FamilyPaper
from papers.models import Authorship, Paper, PaperLink

LEFT, TOP, YEAR_WIDTH, ROW_HEIGHT, LANE_GAP, RIGHT = 150, 40, 96, 34, 18, 150
MAX_NODES = 300


@dataclass
class Node:
    paper: Paper
    label: str
    x: float
    y: float
    lane: str


@dataclass
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str
    title: str


@dataclass
class Lane:
    label: str
    url: str
    y: float
    height: float


@dataclass
class YearColumn:
    year: int
    x: float
    gap: bool  # years without papers were skipped just before this one


@dataclass
class Lineage:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    lanes: list[Lane] = field(default_factory=list)
    years: list[YearColumn] = field(default_factory=list)
    width: float = 0
    height: float = 0


def _label(paper: Paper) -> str:
    models = list(paper.example_models.all())
    if models:
        return models[0].name
    authorships = list(paper.authorships.all())
    name = authorships[0].author.family if authorships else paper.citation_key
    return f"{name} {paper.year or ''}".strip()


def lineage(*, family_slug: str = "") -> Lineage:
    """Seminal and revival papers and every paper in a lineage link (or one family's papers), laid out."""
    families = list(Family.objects.only("slug", "name", "short_name", "position"))
    roles = FamilyPaper.objects.select_related("family").only("paper_id", "role", "family__slug")
    if family_slug:
        selection = Q(family_papers__family__slug=family_slug)
    else:
        selection = (
            Q(family_papers__role__in=[FamilyPaper.Role.SEMINAL, FamilyPaper.Role.REVIVAL])
            | Q(links_out__isnull=False)
            | Q(links_in__isnull=False)
        )
    papers = list(
        Paper.objects.filter(id__in=Paper.objects.filter(selection).values("id"), year__isnull=False)
        .prefetch_related(
            Prefetch(
                "authorships", queryset=Authorship.objects.select_related("author").order_by("position")
            ),
            Prefetch("family_papers", queryset=roles),
            "example_models",
        )
        .order_by("year", "title")[:MAX_NODES]
    )
    if not papers:
        return Lineage()
    ids = {paper.id for paper in papers}
    links = list(PaperLink.objects.filter(source_id__in=ids, target_id__in=ids))

    family_order = {family.slug: index for index, family in enumerate(families)}

    def lane_of(paper: Paper) -> str:
        slugs = sorted(
            (fp.family.slug for fp in paper.family_papers.all()), key=lambda s: family_order.get(s, 99)
        )
        if family_slug and family_slug in slugs:
            return family_slug
        return slugs[0] if slugs else ""

    # Only the years that have papers get a column: 1983 and 2014 should not be 31 empty columns apart.
    years = sorted({p.year for p in papers})
    column = {year: LEFT + index * YEAR_WIDTH for index, year in enumerate(years)}
    lanes_used: dict[str, list[Paper]] = {}
    for paper in papers:
        lanes_used.setdefault(lane_of(paper), []).append(paper)

    lineage_picture = Lineage()
    y = TOP
    names = {family.slug: family for family in families}
    for slug in sorted(lanes_used, key=lambda s: family_order.get(s, 99)):
        rows_per_year: dict[int, int] = {}
        placed = []
        for paper in lanes_used[slug]:
            row = rows_per_year.get(paper.year, 0)
            rows_per_year[paper.year] = row + 1
            placed.append((paper, row))
        depth = max(rows_per_year.values())
        height = depth * ROW_HEIGHT
        family = names.get(slug)
        lineage_picture.lanes.append(
            Lane(
                label=family.short_name if family else "Other",
                url=family.get_absolute_url() if family else "",
                y=y,
                height=height,
            )
        )
        for paper, row in placed:
            lineage_picture.nodes.append(
                Node(
                    paper=paper,
                    label=_label(paper),
                    x=column[paper.year],
                    y=y + row * ROW_HEIGHT + ROW_HEIGHT / 2,
                    lane=slug,
                )
            )
        y += height + LANE_GAP

    position = {node.paper.id: node for node in lineage_picture.nodes}
    for link in links:
        source, target = position[link.source_id], position[link.target_id]
        lineage_picture.edges.append(
            Edge(
                x1=source.x,
                y1=source.y,
                x2=target.x,
                y2=target.y,
                kind=link.kind,
                title=f"{source.label} {link.get_kind_display()} {target.label}",
            )
        )
    lineage_picture.years = [
        YearColumn(year=year, x=column[year], gap=index > 0 and year - years[index - 1] > 1)
        for index, year in enumerate(years)
    ]
    lineage_picture.width = LEFT + (len(years) - 1) * YEAR_WIDTH + RIGHT
    lineage_picture.height = y + 10
    return lineage_picture
