"""Read functions for the explorer's pages: each page's records with their relations, in a fixed number of
queries whatever the size of the catalog (tests/web/test_query_counts.py holds them to it)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Prefetch, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from catalog.models import Concept, Domain, ExampleModel, Family, FamilyDomain, FamilyPaper, TaxonomyNode
from papers.models import Authorship, Paper, PaperLink

FAMILY_PAPERS_SHOWN = 25
# A list row shows neither the abstract nor the other BibTeX fields; leave them in the database.
LIST_DEFER = ("abstract", "extra_fields", "note", "editor")
ROLE_ORDER = Case(
    When(role=FamilyPaper.Role.SEMINAL, then=Value(0)),
    When(role=FamilyPaper.Role.REVIVAL, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
AUTHORS = Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position"))


def _paper_authors(prefix: str = "") -> Prefetch:
    return Prefetch(
        f"{prefix}authorships", queryset=Authorship.objects.select_related("author").order_by("position")
    )


def taxonomy_tree() -> list[dict]:
    """The taxonomy as nested dicts {node, families, children}, roots first: two queries."""
    nodes = list(TaxonomyNode.objects.all())
    families = list(Family.objects.only("slug", "name", "short_name", "taxonomy_node_id", "position"))
    by_parent: dict[int | None, list[TaxonomyNode]] = {}
    for node in nodes:
        by_parent.setdefault(node.parent_id, []).append(node)

    def build(node: TaxonomyNode) -> dict:
        return {
            "node": node,
            "families": [family for family in families if family.taxonomy_node_id == node.id],
            "children": [build(child) for child in by_parent.get(node.id, [])],
        }

    return [build(root) for root in by_parent.get(None, [])]


def families_for_cards() -> QuerySet:
    return Family.objects.select_related("taxonomy_node").prefetch_related(
        Prefetch(
            "family_domains", queryset=FamilyDomain.objects.select_related("domain").order_by("position")
        ),
        Prefetch("example_models", queryset=ExampleModel.objects.only("slug", "name", "year")),
    )


def family_for_page(*, slug: str) -> Family:
    family = get_object_or_404(
        Family.objects.select_related("taxonomy_node__parent__parent").prefetch_related(
            "concepts",
            Prefetch(
                "family_domains", queryset=FamilyDomain.objects.select_related("domain").order_by("position")
            ),
            Prefetch(
                "example_models",
                queryset=ExampleModel.objects.select_related("paper").prefetch_related("domains"),
            ),
        ),
        slug=slug,
    )
    return family


@dataclass
class FamilyReadingList:
    entries: list[FamilyPaper]
    total: int

    @property
    def more(self) -> int:
        return max(self.total - len(self.entries), 0)


def family_papers(*, family: Family, limit: int = FAMILY_PAPERS_SHOWN) -> FamilyReadingList:
    """Seminal papers first, then the revival, then the lineage in time order; the first ``limit``."""
    base = FamilyPaper.objects.filter(family=family)
    entries = list(
        base.select_related("paper__venue")
        .defer(*(f"paper__{name}" for name in LIST_DEFER))
        .prefetch_related(
            _paper_authors("paper__"),
            Prefetch(
                "paper__links_out",
                queryset=PaperLink.objects.select_related("target").only(
                    "source_id", "kind", "target__citation_key", "target__title", "target__year"
                ),
            ),
        )
        .annotate(role_order=ROLE_ORDER)
        .order_by("role_order", "paper__year", "paper__title")[:limit]
    )
    total = base.count()
    return FamilyReadingList(entries=entries, total=total)


def concept_for_page(*, slug: str) -> Concept:
    return get_object_or_404(
        Concept.objects.prefetch_related(
            "families",
            Prefetch("papers", queryset=Paper.objects.select_related("venue").prefetch_related(AUTHORS)),
        ),
        slug=slug,
    )


def domain_for_page(*, slug: str) -> Domain:
    return get_object_or_404(
        Domain.objects.prefetch_related(
            Prefetch("family_domains", queryset=FamilyDomain.objects.select_related("family")),
            Prefetch(
                "example_models",
                queryset=ExampleModel.objects.select_related("paper").prefetch_related("families"),
            ),
        ),
        slug=slug,
    )


def model_for_page(*, slug: str) -> ExampleModel:
    return get_object_or_404(
        ExampleModel.objects.select_related("paper__venue").prefetch_related(
            "families", "domains", _paper_authors("paper__")
        ),
        slug=slug,
    )


def concepts_index() -> QuerySet:
    return Concept.objects.annotate(paper_count=Count("papers", distinct=True)).prefetch_related("families")


def domains_index() -> QuerySet:
    return Domain.objects.prefetch_related(
        Prefetch("family_domains", queryset=FamilyDomain.objects.select_related("family"))
    ).annotate(model_count=Count("example_models", distinct=True))


def models_index() -> QuerySet:
    return ExampleModel.objects.select_related("paper").prefetch_related("families", "domains")


def families_for_compare() -> list[Family]:
    return list(
        Family.objects.select_related("taxonomy_node").prefetch_related(
            Prefetch(
                "family_domains", queryset=FamilyDomain.objects.select_related("domain").order_by("position")
            ),
            Prefetch(
                "example_models",
                queryset=ExampleModel.objects.filter(kind=ExampleModel.Kind.MODEL).only("name"),
            ),
        )
    )
