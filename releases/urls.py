from django.urls import path, re_path

from releases import views

app_name = "releases"

urlpatterns = [
    path("", views.data_index, name="index"),
    re_path(r"^(?P<name>\d{4}-\d{2}-\d{2})/$", views.release_detail, name="detail"),
    re_path(r"^(?P<name>\d{4}-\d{2}-\d{2})/(?P<path>[A-Za-z0-9_./-]+)$", views.release_file, name="file"),
]
