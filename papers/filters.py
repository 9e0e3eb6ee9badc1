"""Query-string filters of the paper, author and venue lists (django-filter)."""

import django_filters as filters
from django.db.models import Exists, OuterRef, Q

from catalog.models import FamilyPaper
from papers.models import Author, Authorship, Paper, Venue
from papers.search import filter_papers


class PaperFilter(filters.FilterSet):
    """``?family=gans&year_from=2014&has_arxiv=true&q=adversarial`` and so on; filters combine with AND."""

    q = filters.CharFilter(
        method="filter_q", label="Full-text search in title, abstract and author names (as on the site)."
    )
    family = filters.CharFilter(method="filter_family", label="Family slug, e.g. gans.")
    role = filters.ChoiceFilter(
        field_name="family_papers__role",
        choices=[("seminal", "Seminal"), ("revival", "Modern revival"), ("follow_up", "Follow-up")],
        method="filter_role",
        label="Role in a family's reading list (with family: in that family).",
    )
    domain = filters.CharFilter(method="filter_domain", label="Domain slug: papers of families serving it.")
    concept = filters.CharFilter(method="filter_concept", label="Concept slug the paper introduces or uses.")
    year = filters.NumberFilter(field_name="year")
    year_from = filters.NumberFilter(field_name="year", lookup_expr="gte", label="Published in or after.")
    year_to = filters.NumberFilter(field_name="year", lookup_expr="lte", label="Published in or before.")
    venue = filters.CharFilter(field_name="venue__slug", label="Venue slug, e.g. neurips.")
    author = filters.CharFilter(method="filter_author", label="Author slug.")
    entry_type = filters.ChoiceFilter(choices=Paper.EntryType.choices)
    has_arxiv = filters.BooleanFilter(method="filter_has_arxiv", label="Has an arXiv id.")
    has_doi = filters.BooleanFilter(method="filter_has_doi", label="Has a DOI.")
    key = filters.BaseInFilter(field_name="citation_key", label="Comma-separated citation keys.")

    class Meta:
        model = Paper
        fields = []

    # Filters over many-to-many links use EXISTS rather than JOIN, so a paper never appears twice and the
    # list needs no DISTINCT (which would fight with ORDER BY and the search rank).

    def filter_q(self, queryset, name, value):
        return filter_papers(queryset, text=value) if value.strip() else queryset

    def filter_family(self, queryset, name, value):
        rows = FamilyPaper.objects.filter(paper=OuterRef("pk"), family__slug=value)
        role = self.data.get("role")
        if role:
            rows = rows.filter(role=role)
        return queryset.filter(Exists(rows))

    def filter_role(self, queryset, name, value):
        if self.data.get("family"):
            return queryset  # applied together with the family
        return queryset.filter(Exists(FamilyPaper.objects.filter(paper=OuterRef("pk"), role=value)))

    def filter_domain(self, queryset, name, value):
        rows = FamilyPaper.objects.filter(paper=OuterRef("pk"), family__family_domains__domain__slug=value)
        return queryset.filter(Exists(rows))

    def filter_concept(self, queryset, name, value):
        return queryset.filter(
            Exists(Paper.concepts.through.objects.filter(paper=OuterRef("pk"), concept__slug=value))
        )

    def filter_author(self, queryset, name, value):
        return queryset.filter(Exists(Authorship.objects.filter(paper=OuterRef("pk"), author__slug=value)))

    def filter_has_arxiv(self, queryset, name, value):
        return queryset.exclude(arxiv_id="") if value else queryset.filter(arxiv_id="")

    def filter_has_doi(self, queryset, name, value):
        return queryset.exclude(doi="") if value else queryset.filter(doi="")


class AuthorFilter(filters.FilterSet):
    name = filters.CharFilter(method="filter_name", label="Part of any name part, case-insensitive.")
    paper = filters.CharFilter(method="filter_paper", label="Citation key of one of their papers.")

    class Meta:
        model = Author
        fields = ["family"]

    def filter_name(self, queryset, name, value):
        condition = Q()
        for word in value.split():
            condition &= Q(given__icontains=word) | Q(von__icontains=word) | Q(family__icontains=word)
        return queryset.filter(condition)

    def filter_paper(self, queryset, name, value):
        return queryset.filter(
            Exists(Authorship.objects.filter(author=OuterRef("pk"), paper__citation_key=value))
        )


class VenueFilter(filters.FilterSet):
    name = filters.CharFilter(method="filter_name", label="Part of the name or short name.")

    class Meta:
        model = Venue
        fields = ["kind"]

    def filter_name(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(short_name__icontains=value))
