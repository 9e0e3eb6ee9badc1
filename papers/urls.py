from django.urls import path

from papers import views

app_name = "papers"

# Fixed paths first: a citation key is any text without a slash.
urlpatterns = [
    path("", views.paper_list, name="paper-list"),
    path("export.bib", views.paper_export, name="paper-export"),
    path("import/", views.paper_import, name="paper-import"),
    path("import/cancel/", views.paper_import_cancel, name="paper-import-cancel"),
    path("selection/", views.selection_page, name="selection"),
    path("selection/change/", views.selection_change, name="selection-change"),
    path("selection/clear/", views.selection_clear, name="selection-clear"),
    path("selection/export.bib", views.selection_export, {"fmt": "bib"}, name="selection-export-bib"),
    path("selection/export.ris", views.selection_export, {"fmt": "ris"}, name="selection-export-ris"),
    path("selection/export.json", views.selection_export, {"fmt": "json"}, name="selection-export-json"),
    path("authors/<slug:slug>/", views.author_detail, name="author-detail"),
    path("venues/<slug:slug>/", views.venue_detail, name="venue-detail"),
    path("<str:key>/", views.paper_detail, name="paper-detail"),
    path("<str:key>/cite.bib", views.paper_bibtex, name="paper-bibtex"),
    path("<str:key>/cite.ris", views.paper_ris, name="paper-ris"),
    path("<str:key>/cite.json", views.paper_csl, name="paper-csl"),
]
