"""Reads of the catalog for the explorer's pages and the API, with the joins and prefetches each one needs.

Every function is keyword-only and returns querysets or model instances whose related records are already
loaded, so a template or serializer that walks the documented relations issues no further queries, and a
page costs the same number of queries whatever the size of the catalog (tests/web/test_query_counts.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Prefetch, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from catalog.models import (
    Concept,
    Domain,
    ExampleModel,
    Family,
    FamilyDomain,
    FamilyPaper,
    TaxonomyNode,
)
from papers.models import Authorship, Paper, PaperLink
from papers.selectors import LIST_DEFER

# How many papers a family's page lists before it links to the rest.
FAMILY_PAPERS_SHOWN = 25

# Seminal first, then the modern revival, then follow-ups; alphabetical order of the role values is wrong.
ROLE_ORDER = Case(
    When(role=FamilyPaper.Role.SEMINAL, then=Value(0)),
    When(role=FamilyPaper.Role.REVIVAL, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _authorships() -> Prefetch:
    return Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position"))


def papers_with_authors(queryset: QuerySet[Paper] | None = None) -> QuerySet[Paper]:
    """Papers with venue and ordered authors loaded (``paper.authorships.all()`` → author)."""
    queryset = Paper.objects.all() if queryset is None else queryset
    return queryset.select_related("venue").prefetch_related(_authorships())


def _family_domains() -> Prefetch:
    return Prefetch(
        "family_domains", queryset=FamilyDomain.objects.select_related("domain").order_by("position")
    )


def _family_papers() -> Prefetch:
    return Prefetch(
        "family_papers",
        queryset=FamilyPaper.objects.select_related("paper__venue")
        .prefetch_related(Prefetch("paper__authorships", queryset=_authorship_qs()))
        .annotate(role_order=ROLE_ORDER)
        .order_by("role_order", "paper__year", "paper__citation_key"),
    )


def _authorship_qs() -> QuerySet[Authorship]:
    return Authorship.objects.select_related("author").order_by("position")


def _example_models() -> Prefetch:
    return Prefetch(
        "example_models",
        queryset=ExampleModel.objects.select_related("paper").order_by("kind", "year", "name"),
    )


# --- families ------------------------------------------------------------------------------------------


def family_list() -> QuerySet[Family]:
    """Families in the overview's order, with taxonomy node, domains (with examples) and model counts."""
    return (
        Family.objects.select_related("taxonomy_node")
        .prefetch_related(_family_domains())
        .annotate(model_count=Count("example_models", distinct=True))
        .order_by("position", "name")
    )


def family_cards(*, model_kind: str | None = None) -> QuerySet[Family]:
    """``family_list()`` with each family's example models (name, year: what a card or column shows),
    only those of ``model_kind`` ('model' or 'system') if given."""
    models = ExampleModel.objects.only("slug", "name", "year", "kind")
    if model_kind:
        models = models.filter(kind=model_kind)
    return family_list().prefetch_related(Prefetch("example_models", queryset=models))


def family_detail(*, slug: str, papers: bool = True) -> Family:
    """One family with everything its page shows: node, concepts, domains, models, papers with authors.

    ``papers=False`` leaves out the reading list, for a page that shows only its head
    (``family_reading_list``). Raises Http404 for an unknown slug.
    """
    queryset = Family.objects.select_related("taxonomy_node__parent__parent").prefetch_related(
        Prefetch("concepts", queryset=Concept.objects.order_by("name")),
        _family_domains(),
        _example_models(),
        *([_family_papers()] if papers else []),
    )
    return get_object_or_404(queryset, slug=slug)


def family_domains(*, family: Family) -> QuerySet[FamilyDomain]:
    """The domains a family serves, in the overview's order, with the examples for each."""
    return FamilyDomain.objects.filter(family=family).select_related("domain").order_by("position")


def family_example_models(*, family: Family, kind: str | None = None) -> QuerySet[ExampleModel]:
    """Models and systems of a family (``kind`` 'model' or 'system' to filter), with paper and domains."""
    queryset = (
        family.example_models.select_related("paper")
        .prefetch_related("domains", "families")
        .order_by("kind", "year", "name")
    )
    return queryset.filter(kind=kind) if kind else queryset


def family_papers(*, family: Family, role: str | None = None) -> QuerySet[FamilyPaper]:
    """A family's reading list: seminal first, then revival, then follow-ups, each by year; authors loaded."""
    queryset = (
        FamilyPaper.objects.filter(family=family)
        .select_related("paper__venue")
        .prefetch_related(Prefetch("paper__authorships", queryset=_authorship_qs()))
        .annotate(role_order=ROLE_ORDER)
        .order_by("role_order", "paper__year", "paper__citation_key")
    )
    return queryset.filter(role=role) if role else queryset


@dataclass
class FamilyReadingList:
    """The head of a family's reading list and the length of the whole list."""

    entries: list[FamilyPaper]
    total: int

    @property
    def more(self) -> int:
        return max(self.total - len(self.entries), 0)


def family_reading_list(*, family: Family, limit: int = FAMILY_PAPERS_SHOWN) -> FamilyReadingList:
    """The first ``limit`` rows of ``family_papers()``, with what a list row shows (venue, authors, the
    papers each builds on) and not the abstracts; two queries more for the count and the lineage."""
    links = PaperLink.objects.select_related("target").only(
        "source_id", "kind", "target__citation_key", "target__title", "target__year"
    )
    entries = (
        family_papers(family=family)
        .defer(*(f"paper__{name}" for name in LIST_DEFER))
        .prefetch_related(Prefetch("paper__links_out", queryset=links))
    )
    return FamilyReadingList(
        entries=list(entries[:limit]), total=FamilyPaper.objects.filter(family=family).count()
    )


def family_paper_keys(*, family_slug: str) -> list[str]:
    """Citation keys of a family's papers (for BibTeX export of a family)."""
    return list(
        FamilyPaper.objects.filter(family__slug=family_slug)
        .annotate(role_order=ROLE_ORDER)
        .order_by("role_order", "paper__year")
        .values_list("paper__citation_key", flat=True)
    )


# --- concepts, domains, models ---------------------------------------------------------------------------


def concept_list() -> QuerySet[Concept]:
    """Concepts by name, with the families that use them and their number of papers (``paper_count``)."""
    return (
        Concept.objects.annotate(paper_count=Count("papers", distinct=True))
        .prefetch_related(Prefetch("families", queryset=Family.objects.order_by("position")))
        .order_by("name")
    )


def concept_detail(*, slug: str) -> Concept:
    """A concept with its families and its papers (authors loaded). Raises Http404."""
    queryset = Concept.objects.prefetch_related(
        Prefetch("families", queryset=Family.objects.order_by("position")),
        Prefetch("papers", queryset=papers_with_authors().order_by("year", "citation_key")),
    )
    return get_object_or_404(queryset, slug=slug)


def domain_list() -> QuerySet[Domain]:
    """Domains by name, with family and model counts and the families serving each (``family_domains``)."""
    return (
        Domain.objects.annotate(
            family_count=Count("family_domains", distinct=True),
            model_count=Count("example_models", distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "family_domains",
                queryset=FamilyDomain.objects.select_related("family").order_by("family__position"),
            )
        )
        .order_by("name")
    )


def domain_detail(*, slug: str) -> Domain:
    """A domain with the families serving it (and their examples) and its models. Raises Http404."""
    queryset = Domain.objects.prefetch_related(
        Prefetch(
            "family_domains",
            queryset=FamilyDomain.objects.select_related("family").order_by("family__position"),
        ),
        Prefetch(
            "example_models",
            queryset=ExampleModel.objects.select_related("paper")
            .prefetch_related("families")
            .order_by("year", "name"),
        ),
    )
    return get_object_or_404(queryset, slug=slug)


def model_list(
    *, kind: str | None = None, family_slug: str | None = None, domain_slug: str | None = None
) -> QuerySet[ExampleModel]:
    """Example models and systems, optionally filtered, with paper, families and domains loaded."""
    queryset = ExampleModel.objects.select_related("paper").prefetch_related(
        Prefetch("families", queryset=Family.objects.order_by("position")), "domains"
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    if family_slug:
        queryset = queryset.filter(families__slug=family_slug)
    if domain_slug:
        queryset = queryset.filter(domains__slug=domain_slug)
    return queryset.distinct().order_by("year", "name")


def model_detail(*, slug: str) -> ExampleModel:
    """A model or system with its paper (venue, authors), families and domains. Raises Http404."""
    queryset = ExampleModel.objects.select_related("paper__venue").prefetch_related(
        Prefetch("paper__authorships", queryset=_authorship_qs()),
        Prefetch("families", queryset=Family.objects.order_by("position")),
        Prefetch("domains", queryset=Domain.objects.order_by("name")),
    )
    return get_object_or_404(queryset, slug=slug)


def models_with_errata() -> QuerySet[ExampleModel]:
    """Models and systems the overview places or names wrongly."""
    return model_list().exclude(erratum="")


# --- taxonomy ---------------------------------------------------------------------------------------------


@dataclass
class TaxonomyBranch:
    """A node of the taxonomy with its children and the families hanging on it."""

    node: TaxonomyNode
    children: list[TaxonomyBranch] = field(default_factory=list)
    families: list[Family] = field(default_factory=list)
    depth: int = 0

    def all_families(self) -> list[Family]:
        """Families on this node and below, in tree order."""
        out = list(self.families)
        for child in self.children:
            out += child.all_families()
        return out


def taxonomy_tree() -> list[TaxonomyBranch]:
    """The whole taxonomy as a forest of branches (roots first), built from two queries."""
    nodes = list(TaxonomyNode.objects.order_by("position", "name"))
    branches = {node.pk: TaxonomyBranch(node=node) for node in nodes}
    for family in Family.objects.order_by("position", "name"):
        branches[family.taxonomy_node_id].families.append(family)
    roots = []
    for node in nodes:  # ordered by position, so children keep their order
        branch = branches[node.pk]
        if node.parent_id is None:
            roots.append(branch)
        else:
            branches[node.parent_id].children.append(branch)

    def set_depth(branch: TaxonomyBranch, depth: int) -> None:
        branch.depth = depth
        for child in branch.children:
            set_depth(child, depth + 1)

    for root in roots:
        set_depth(root, 0)
    return roots


def taxonomy_path(*, family: Family) -> list[TaxonomyNode]:
    """Root-first chain of nodes down to the family's own node."""
    node = family.taxonomy_node
    return [*node.ancestors(), node]
