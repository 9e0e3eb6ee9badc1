"""One view, the whole page or its htmx partial; and the same for pages cached per content version.

Every response says ``Vary: HX-Request`` so that caches keep the page and the partial apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe

from pages import cache, fragments


def is_partial(request: HttpRequest) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    return bool(getattr(request, "htmx", False)) and not request.htmx.history_restore_request


def render_page(
    request: HttpRequest, template: str, context: dict, *, partial: str, status: int = 200
) -> HttpResponse:
    """The full page, or ``template#partial`` for an htmx request that is not a history restore."""
    name = f"{template}#{partial}" if is_partial(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def render_cached_page(
    request: HttpRequest,
    *,
    key: str,
    build: Callable[[], dict],
    header_query: str = "",
    fragments_for: Mapping[str, Callable[..., str]] | None = None,
) -> tuple[HttpResponse, dict]:
    """A page whose content ``build()`` renders (``{"html": ..., "title": ...}``), cached per content version.

    htmx gets the content alone; a browser gets it inside the layout, cached too, per path and staff flag.
    Render the content with ``fragments.CSRF_TOKEN`` as its ``csrf_token`` and ``{% visitor %}`` slots for
    what belongs to one visitor; ``fragments_for`` names the function that renders each slot per response
    (the CSRF token's is built in). Returns the response and what ``build()`` returned, less its HTML.
    """
    partial = is_partial(request)
    variant = "partial" if partial else f"page:{request.path}:{int(request.user.is_staff)}:{header_query}"

    def build_parts() -> dict:
        page = build()
        html = page.pop("html")
        if not partial:
            context = {
                "content": mark_safe(html),  # our own template's output, escaped when rendered
                "title": page["title"],
                "description": page.get("description", ""),
                "header_query": header_query,
                "csrf_token": fragments.CSRF_TOKEN,
            }
            html = render_to_string("cached_page.html", context, request=request)
        return page | {"parts": fragments.split(html)}

    page = cache.cached(f"{key}:{variant}", build_parts)
    renderers = {"csrf_token": lambda: get_token(request), **(fragments_for or {})}
    response = HttpResponse(fragments.compose(page["parts"], renderers))
    patch_vary_headers(response, ["HX-Request"])
    return response, page


def download(content: str, *, filename: str, content_type: str) -> HttpResponse:
    """``content`` as an attachment named ``filename``."""
    response = HttpResponse(content, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
