"""URL map of the site: the apps' pages, the API under /api/, and the admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("papers/", include("papers.urls")),
    path("generation/", include("generation.urls")),
    path("benchmarks/", include("benchmarks.urls")),
    path("data/", include("releases.urls")),
    path("", include("catalog.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
