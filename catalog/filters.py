"""Query-string filters of the catalog's lists (django-filter)."""

import django_filters as filters
from django.db.models import Exists, OuterRef, Q

from catalog.models import Concept, Domain, ExampleModel, Family, FamilyDomain, TaxonomyNode


def _text(fields: tuple[str, ...]):
    def filter_text(queryset, name, value):
        condition = Q()
        for word in value.split():
            condition &= Q.create([(f"{field}__icontains", word) for field in fields], connector=Q.OR)
        return queryset.filter(condition)

    return filter_text


class FamilyFilter(filters.FilterSet):
    q = filters.CharFilter(
        method=_text(("name", "short_name", "summary", "mechanism", "key_insight")),
        label="Words in the name, summary, mechanism or key insight.",
    )
    domain = filters.CharFilter(method="filter_domain", label="Domain slug the family serves.")
    concept = filters.CharFilter(field_name="concepts__slug", label="Concept slug the mechanism uses.")
    taxonomy = filters.CharFilter(method="filter_taxonomy", label="Taxonomy node slug (or any ancestor).")
    paper = filters.CharFilter(field_name="papers__citation_key", label="Citation key in its reading list.")

    class Meta:
        model = Family
        fields = ["likelihood", "sampling"]

    def filter_domain(self, queryset, name, value):
        return queryset.filter(Exists(FamilyDomain.objects.filter(family=OuterRef("pk"), domain__slug=value)))

    def filter_taxonomy(self, queryset, name, value):
        # The tree is a handful of nodes: collect the subtree in Python, then filter once.
        nodes = {node.pk: node for node in TaxonomyNode.objects.all()}
        roots = [pk for pk, node in nodes.items() if node.slug == value]
        subtree, frontier = set(roots), list(roots)
        while frontier:
            current = frontier.pop()
            children = [pk for pk, node in nodes.items() if node.parent_id == current]
            subtree.update(children)
            frontier.extend(children)
        return queryset.filter(taxonomy_node__in=subtree)


class TaxonomyNodeFilter(filters.FilterSet):
    parent = filters.CharFilter(field_name="parent__slug", label="Parent slug.")
    root = filters.BooleanFilter(field_name="parent", lookup_expr="isnull", label="Only the roots.")

    class Meta:
        model = TaxonomyNode
        fields = []


class ConceptFilter(filters.FilterSet):
    q = filters.CharFilter(method=_text(("name", "description")), label="Words in name or description.")
    family = filters.CharFilter(field_name="families__slug", label="Family slug.")
    paper = filters.CharFilter(field_name="papers__citation_key", label="Citation key.")

    class Meta:
        model = Concept
        fields = []


class DomainFilter(filters.FilterSet):
    q = filters.CharFilter(method=_text(("name", "description")), label="Words in name or description.")
    family = filters.CharFilter(field_name="families__slug", label="Family slug.")

    class Meta:
        model = Domain
        fields = []


class ExampleModelFilter(filters.FilterSet):
    q = filters.CharFilter(
        method=_text(("name", "description", "organisation")),
        label="Words in name, description, organisation.",
    )
    family = filters.CharFilter(method="filter_family", label="Family slug.")
    domain = filters.CharFilter(method="filter_domain", label="Domain slug.")
    year = filters.NumberFilter(field_name="year")
    year_from = filters.NumberFilter(field_name="year", lookup_expr="gte", label="In or after.")
    year_to = filters.NumberFilter(field_name="year", lookup_expr="lte", label="In or before.")
    organisation = filters.CharFilter(field_name="organisation", lookup_expr="icontains")
    paper = filters.CharFilter(field_name="paper__citation_key", label="Citation key of its paper.")

    class Meta:
        model = ExampleModel
        fields = ["kind"]

    def filter_family(self, queryset, name, value):
        through = ExampleModel.families.through
        return queryset.filter(
            Exists(through.objects.filter(examplemodel=OuterRef("pk"), family__slug=value))
        )

    def filter_domain(self, queryset, name, value):
        through = ExampleModel.domains.through
        return queryset.filter(
            Exists(through.objects.filter(examplemodel=OuterRef("pk"), domain__slug=value))
        )
