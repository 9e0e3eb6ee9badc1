from django.contrib import admin

from catalog.models import Concept, Domain, ExampleModel, Family, FamilyDomain, FamilyPaper, TaxonomyNode


class FamilyDomainInline(admin.TabularInline):
    model = FamilyDomain
    extra = 0


class FamilyPaperInline(admin.TabularInline):
    model = FamilyPaper
    extra = 0
    autocomplete_fields = ["paper"]


@admin.register(Family)
class FamilyAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "taxonomy_node", "likelihood", "sampling", "position"]
    list_filter = ["taxonomy_node", "likelihood", "sampling"]
    search_fields = ["name", "short_name", "mechanism", "key_insight"]
    prepopulated_fields = {"slug": ["short_name"]}
    filter_horizontal = ["concepts"]
    inlines = [FamilyDomainInline, FamilyPaperInline]


@admin.register(TaxonomyNode)
class TaxonomyNodeAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "position"]
    list_filter = ["parent"]
    search_fields = ["name"]


@admin.register(Concept)
class ConceptAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    list_filter = ["families"]
    search_fields = ["name", "description"]
    autocomplete_fields = ["papers"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    list_filter = ["families"]
    search_fields = ["name", "description"]


@admin.register(ExampleModel)
class ExampleModelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "year", "organisation", "paper"]
    list_filter = ["kind", "families", "domains"]
    search_fields = ["name", "description", "organisation"]
    autocomplete_fields = ["paper"]
    filter_horizontal = ["families", "domains"]
