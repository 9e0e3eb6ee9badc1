from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("search/", views.search_page, name="search"),
    path("lineage/", views.lineage_page, name="lineage"),
    path("compare/", views.compare, name="compare"),
    path("about/", views.about, name="about"),
    path("families/<slug:slug>/", views.family_detail, name="family-detail"),
    path("families/<slug:slug>/cite.bib", views.family_bibtex, name="family-bibtex"),
    path("concepts/", views.concept_list, name="concept-list"),
    path("concepts/<slug:slug>/", views.concept_detail, name="concept-detail"),
    path("domains/", views.domain_list, name="domain-list"),
    path("domains/<slug:slug>/", views.domain_detail, name="domain-detail"),
    path("models/", views.model_list, name="model-list"),
    path("models/<slug:slug>/", views.model_detail, name="model-detail"),
]
