from django.contrib import admin

from papers.models import Author, Authorship, Erratum, Paper, PaperLink, Venue


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    extra = 0
    autocomplete_fields = ["author"]
    ordering = ["position"]


class LinkOutInline(admin.TabularInline):
    model = PaperLink
    fk_name = "source"
    extra = 0
    autocomplete_fields = ["target"]
    verbose_name = "lineage link"


class ErratumInline(admin.StackedInline):
    model = Erratum
    extra = 0


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["citation_key", "title", "year", "venue", "entry_type", "doi", "arxiv_id"]
    list_filter = ["entry_type", "venue", "year"]
    search_fields = ["citation_key", "title", "abstract", "doi", "arxiv_id", "authors__family"]
    autocomplete_fields = ["venue"]
    inlines = [AuthorshipInline, LinkOutInline, ErratumInline]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["display_name", "family", "given", "slug"]
    search_fields = ["family", "given", "slug"]


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["short_name", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]


@admin.register(PaperLink)
class PaperLinkAdmin(admin.ModelAdmin):
    list_display = ["source", "kind", "target"]
    list_filter = ["kind"]
    autocomplete_fields = ["source", "target"]


@admin.register(Erratum)
class ErratumAdmin(admin.ModelAdmin):
    list_display = ["paper", "field", "claimed"]
    list_filter = ["field"]
    search_fields = ["claimed", "correction", "paper__title"]
