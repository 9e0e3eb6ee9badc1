"""Generation pages and partials, mounted at /generation/."""

from django.urls import path

from generation import explorer_views, views

app_name = "generation"

urlpatterns = [
    path("families/<slug:slug>/demo/", views.family_demo, name="family-demo"),
    path("families/<slug:slug>/gallery/", views.family_gallery, name="family-gallery"),
    path(
        "families/<slug:slug>/latest-thumbnail/",
        views.family_latest_thumbnail,
        name="family-latest-thumbnail",
    ),
    path("demos/<slug:slug>/jobs/", views.job_create, name="job-create"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job-detail"),
    path("jobs/<uuid:pk>/cancel/", views.job_cancel, name="job-cancel"),
    path("jobs/<uuid:pk>/preview.png", views.job_preview, name="job-preview"),
    path("samples/<uuid:pk>/", views.sample_detail, name="sample-detail"),
    path("samples/<uuid:pk>/file/", views.sample_file, name="sample-file"),
    # Latent explorer (generation/explorer_views.py)
    path("explore/", explorer_views.explore_index, name="explore-index"),
    path("explore/frames/<str:key>.png", explorer_views.explore_frame_file, name="explore-frame-file"),
    path("explore/<slug:model>/", explorer_views.explore, name="explore"),
    path("explore/<slug:model>/frame/", explorer_views.explore_frame, name="explore-frame"),
]
