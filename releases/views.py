"""The /data/ page: every release in ``RELEASES_DIR`` with its date, schema version, files, sizes, checksums
and change log, and the files themselves as downloads."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from releases import selectors
from releases.schemas import CC0, CC_BY, SCHEMA_VERSION

CONTENT_TYPES = {
    ".jsonl": "application/jsonl; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".bib": "application/x-bibtex; charset=utf-8",
    ".cff": "application/yaml; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}


@require_safe
def data_index(request: HttpRequest) -> HttpResponse:
    """The releases, newest first. Template: releases/index.html."""
    releases = selectors.release_list()
    context = {
        "releases": releases,
        "latest": releases[0] if releases else None,
        "schema_version": SCHEMA_VERSION,
        "licences": {"cc_by": CC_BY, "cc0": CC0},
    }
    return render(request, "releases/index.html", context)


@require_safe
def release_detail(request: HttpRequest, name: str) -> HttpResponse:
    """A release's own URL: its section of the /data/ page."""
    if selectors.release_file_path(name, "datapackage.json") is None:
        raise Http404("No such release.")
    return redirect(reverse("releases:index") + f"#release-{name}")


@require_safe
def release_file(request: HttpRequest, name: str, path: str) -> FileResponse:
    """One file of a release, as listed in its SHA256SUMS."""
    file = selectors.release_file_path(name, path)
    if file is None:
        raise Http404("No such release file.")
    content_type = CONTENT_TYPES.get(file.suffix, "text/plain; charset=utf-8")
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{name}-{file.name}"'
    return response
