from django.urls import path

from benchmarks import views

app_name = "benchmarks"

urlpatterns = [
    path("", views.benchmark_list, name="benchmark-list"),
    path("zoo/", views.zoo, name="zoo"),
    path("<slug:slug>/", views.leaderboard, name="leaderboard"),
    path("<slug:slug>/results.csv", views.leaderboard_csv, name="leaderboard-csv"),
    path("<slug:slug>/results.json", views.leaderboard_json, name="leaderboard-json"),
    path("<slug:slug>/papers.bib", views.leaderboard_bibtex, name="leaderboard-bibtex"),
]
