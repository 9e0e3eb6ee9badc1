"""The lineage picture: time runs down the page, one row per paper; each family has a column, a dot marks
the paper in its family's column and its label sits in the label column beside, so no two labels can overlap
whatever the number of papers in a year. Arrows join a paper to the work it builds on, revives or extends.

Pure layout over records read in a fixed number of queries; the template draws it as inline SVG that scales
to the page's width (no sideways scroll), every node a link to its paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from catalog.models import Family, FamilyPaper
from papers.models import Authorship, Paper, PaperLink

YEAR_WIDTH, GUTTER, LANE_WIDTH, TOP, ROW_HEIGHT, YEAR_GAP, LABEL_WIDTH = 44, 64, 30, 132, 22, 10, 250
LABEL_CHARS = 34  # longer labels are cut (the full title is the node's tooltip)
CHAR_WIDTH = 7.0  # a generous estimate of one character at the labels' 12 px, for the layout's own checks
MAX_NODES = 300
# The same colours as the benchmarks' charts (Okabe–Ito), so a family looks the same across the site.
LANE_COLOURS = {
    "gans": "#D55E00",
    "vaes": "#0072B2",
    "autoregressive-models": "#009E73",
    "normalizing-flows": "#CC79A7",
    "diffusion-models": "#E69F00",
    "energy-based-models": "#56B4E9",
    "generative-transformers": "#333333",
}
EDGE_KINDS = (  # kind, legend, how the template draws it
    ("builds_on", "builds on", "solid"),
    ("revives", "revives", "dashed"),
    ("extends", "extends", "dotted"),
)


@dataclass
class Node:
    paper: Paper
    label: str
    x: float
    y: float
    lane: str
    label_x: float = 0
    colour: str = "#777777"

    @property
    def label_box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the label as laid out: what must not overlap another's."""
        return (self.label_x, self.y - 8, self.label_x + CHAR_WIDTH * len(self.label), self.y + 6)


@dataclass
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str
    title: str

    @property
    def path(self) -> str:
        """A curve that leaves the source to the left and reaches the earlier target from the left, so that
        edges between papers in one column do not run along the column itself."""
        bend = 12 + min(abs(self.y1 - self.y2) / 8, GUTTER - 16)  # stays right of the years
        return (
            f"M{self.x1:.1f},{self.y1:.1f} C{self.x1 - bend:.1f},{self.y1:.1f} "
            f"{self.x2 - bend:.1f},{self.y2:.1f} {self.x2 - 6:.1f},{self.y2:.1f}"
        )


@dataclass
class Lane:
    """A family's column."""

    label: str
    url: str
    x: float
    colour: str


@dataclass
class YearRow:
    year: int
    y: float  # where the year's first paper sits
    rule_y: float  # the line above it


@dataclass
class Lineage:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    lanes: list[Lane] = field(default_factory=list)
    years: list[YearRow] = field(default_factory=list)
    edge_kinds: tuple = EDGE_KINDS
    width: float = 0
    height: float = 0


def _label(paper: Paper) -> str:
    models = list(paper.example_models.all())
    authorships = list(paper.authorships.all())
    name = authorships[0].author.family if authorships else paper.citation_key
    label = f"{models[0].name} ({name})" if models else f"{name} {paper.year or ''}".strip()
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


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
    names = {family.slug: family for family in families}

    def lane_of(paper: Paper) -> str:
        slugs = sorted(
            (fp.family.slug for fp in paper.family_papers.all()), key=lambda s: family_order.get(s, 99)
        )
        if family_slug and family_slug in slugs:
            return family_slug
        return slugs[0] if slugs else ""

    lane_slugs = sorted({lane_of(paper) for paper in papers}, key=lambda s: family_order.get(s, 99))
    lane_x = {slug: YEAR_WIDTH + GUTTER + index * LANE_WIDTH for index, slug in enumerate(lane_slugs)}
    label_x = YEAR_WIDTH + GUTTER + len(lane_slugs) * LANE_WIDTH + 8

    picture = Lineage()
    for slug in lane_slugs:
        family = names.get(slug)
        picture.lanes.append(
            Lane(
                label=family.short_name if family else "Other",
                url=family.get_absolute_url() if family else "",
                x=lane_x[slug],
                colour=LANE_COLOURS.get(slug, "#777777"),
            )
        )
    # Within a year, papers follow the columns from left to right, so that a year's dots read as a diagonal.
    ordered = sorted(papers, key=lambda p: (p.year, family_order.get(lane_of(p), 99), p.title))
    y, year = TOP, None
    for paper in ordered:
        if paper.year != year:
            if year is not None:
                y += YEAR_GAP
            picture.years.append(YearRow(year=paper.year, y=y, rule_y=y - ROW_HEIGHT / 2 - YEAR_GAP / 2))
            year = paper.year
        slug = lane_of(paper)
        picture.nodes.append(
            Node(
                paper=paper,
                label=_label(paper),
                x=lane_x[slug],
                y=y,
                lane=slug,
                label_x=label_x,
                colour=LANE_COLOURS.get(slug, "#777777"),
            )
        )
        y += ROW_HEIGHT

    position = {node.paper.id: node for node in picture.nodes}
    for link in links:
        source, target = position[link.source_id], position[link.target_id]
        picture.edges.append(
            Edge(
                x1=source.x,
                y1=source.y,
                x2=target.x,
                y2=target.y,
                kind=link.kind,
                title=f"{source.label} {link.get_kind_display()} {target.label}",
            )
        )
    picture.width = label_x + LABEL_WIDTH
    picture.height = y + 4
    return picture
