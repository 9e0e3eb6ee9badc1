"""Pages of the bibliography: the papers list with filters and export, a paper, an author, a venue, downloads
in BibTeX, RIS and CSL-JSON, and the staff BibTeX import.

Interactive pages follow one pattern (``render_page``): the view renders the whole template, or only its named
partial when htmx asks, and says so in ``Vary`` so that caches keep the two apart.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from papers import citations, listing, page_cache
from papers.models import Authorship, Paper, PaperLink, Venue

IMPORT_SESSION_KEY = "bibtex_import"
EXPORT_LIMIT = 5000


def render_page(
    request: HttpRequest, template: str, context: dict, *, partial: str, status: int = 200
) -> HttpResponse:
    """The full page, or ``template#partial`` for an htmx request that is not a history restore."""
    name = template
    if getattr(request, "htmx", False) and not request.htmx.history_restore_request:
        name = f"{template}#{partial}"
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def is_partial(request: HttpRequest) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    return bool(getattr(request, "htmx", False)) and not request.htmx.history_restore_request


CSRF_PLACEHOLDER = "atlas-csrf-token-placeholder-5b1e"


def render_cached_page(
    request: HttpRequest, *, key: str, build: Callable[[], dict], header_query: str = ""
) -> tuple[HttpResponse, dict]:
    """A page whose content ``build()`` renders, cached per content version (papers/page_cache.py).

    htmx gets the content alone; a browser gets it inside the layout, which is cached too, per path and
    staff flag, with a placeholder where each response then puts its own CSRF token.
    """
    partial = is_partial(request)
    variant = "partial" if partial else f"page:{request.path}:{int(request.user.is_staff)}:{header_query}"

    def build_response() -> dict:
        fragment = build()
        if partial:
            return fragment
        context = {
            "content": mark_safe(fragment["html"]),  # our own template's output, escaped when rendered
            "title": fragment["title"],
            "description": fragment.get("description", ""),
            "header_query": header_query,
            "csrf_token": CSRF_PLACEHOLDER,
        }
        return fragment | {"html": render_to_string("cached_page.html", context, request=request)}

    fragment = page_cache.cached(f"{key}:{variant}", build_response)
    html = fragment["html"] if partial else fragment["html"].replace(CSRF_PLACEHOLDER, get_token(request))
    response = HttpResponse(html)
    patch_vary_headers(response, ["HX-Request"])
    return response, fragment


def download(content: str, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def bibtex_download(papers, *, filename: str) -> HttpResponse:
    from papers.services import bibtex_export

    return download(bibtex_export(papers=papers), filename=filename, content_type="application/x-bibtex")


@require_GET
def paper_list(request: HttpRequest) -> HttpResponse:
    """Filter, search, sort and page the papers. Template: papers/paper_list_content.html (partial
    ``results`` for htmx), cached per content version and canonical query."""
    filters = listing.PaperFilters.from_query(request.GET)
    partial = is_partial(request)
    page_number = (request.GET.get("page") or "1")[:6]

    def build() -> dict:
        from catalog.models import (
            Concept,
            Domain,
            Family,
        )  # options only: the list filters by catalog records

        paginator = Paginator(listing.papers_for_list(filters=filters), listing.PAGE_SIZE)
        page = paginator.get_page(page_number)
        context = {
            "filters": filters,
            "page": page,
            "papers": list(page.object_list),
            "sorts": [(key, label) for key, (label, _) in listing.SORTS.items()],
            "author": listing.named_author(slug=filters.author),
            "without_author": filters.querystring(author=""),
        }
        if not partial:
            context |= {
                "families": Family.objects.only("slug", "short_name", "name"),
                "domains": Domain.objects.only("slug", "name"),
                "concepts": Concept.objects.only("slug", "name"),
                "venues": listing.venues_with_papers(),
            }
        template = "papers/paper_list_content.html" + ("#results" if partial else "")
        query = filters.querystring(**({"page": page.number} if page.number > 1 else {}))
        return {
            "html": render_to_string(template, context),
            "title": "Papers",
            "push_url": f"{request.path}?{query}" if query else request.path,
            "count": paginator.count,
            "keys": [paper.citation_key for paper in context["papers"]],
        }

    key = f"papers:{filters.querystring()}:{page_number}"
    response, fragment = render_cached_page(request, key=key, build=build)
    if request.htmx:
        # The address bar gets the canonical URL of this state (no empty fields), ready to share.
        response["HX-Push-Url"] = fragment["push_url"]
    return response


@require_GET
def paper_export(request: HttpRequest) -> HttpResponse:
    """BibTeX of the ticked papers (``?key=...&key=...``), or of every paper matching the list's filters."""
    keys = [key for key in request.GET.getlist("key") if key][:EXPORT_LIMIT]
    if keys:
        papers = Paper.objects.filter(citation_key__in=keys).order_by("citation_key")
        name = "selection"
    else:
        filters = listing.PaperFilters.from_query(request.GET)
        papers = filters.apply(Paper.objects.all())[:EXPORT_LIMIT]
        name = "papers"
    return bibtex_download(papers, filename=f"{name}.bib")


def paper_for_page(*, key: str) -> Paper:
    return get_object_or_404(
        Paper.objects.select_related("venue").prefetch_related(
            Prefetch(
                "authorships", queryset=Authorship.objects.select_related("author").order_by("position")
            ),
            Prefetch(
                "links_out",
                queryset=PaperLink.objects.select_related("target").order_by("target__year", "target__title"),
            ),
            Prefetch(
                "links_in",
                queryset=PaperLink.objects.select_related("source").order_by("source__year", "source__title"),
            ),
            "errata",
            Prefetch("family_papers", queryset=_family_papers()),
            "example_models",
            "concepts",
        ),
        citation_key=key,
    )


def _family_papers() -> QuerySet:
    from catalog.models import FamilyPaper

    return FamilyPaper.objects.select_related("family")


@require_GET
def paper_detail(request: HttpRequest, key: str) -> HttpResponse:
    """A paper with its citation, lineage, errata and BibTeX. Template: papers/paper_content.html (cached)."""

    def build() -> dict:
        from papers.services import bibtex_export

        paper = paper_for_page(key=key)
        context = {"paper": paper, "bibtex": bibtex_export(papers=[paper])}
        return {
            "html": render_to_string("papers/paper_content.html", context),
            "title": paper.title,
            "description": (paper.abstract or paper.title)[:300],
        }

    return render_cached_page(request, key=f"paper:{key}", build=build)[0]


@require_GET
def paper_bibtex(request: HttpRequest, key: str) -> HttpResponse:
    paper = get_object_or_404(Paper, citation_key=key)
    return bibtex_download([paper], filename=f"{slugify(key) or 'paper'}.bib")


@require_GET
def paper_ris(request: HttpRequest, key: str) -> HttpResponse:
    papers = list(citations.with_citation_data(Paper.objects.filter(citation_key=key)))
    if not papers:
        return get_object_or_404(Paper, citation_key=key)
    return download(
        citations.papers_ris(papers=papers),
        filename=f"{slugify(key) or 'paper'}.ris",
        content_type="application/x-research-info-systems",
    )


@require_GET
def paper_csl(request: HttpRequest, key: str) -> HttpResponse:
    papers = list(citations.with_citation_data(Paper.objects.filter(citation_key=key)))
    if not papers:
        return get_object_or_404(Paper, citation_key=key)
    return download(
        citations.papers_csl_json(papers=papers),
        filename=f"{slugify(key) or 'paper'}.json",
        content_type="application/vnd.citationstyles.csl+json",
    )


def _papers_with_authors(queryset: QuerySet) -> QuerySet:
    return citations.with_citation_data(queryset).order_by("-year", "title")


@require_GET
def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """An author and their papers, newest first. Template: papers/author_detail.html."""
    from papers.models import Author

    author = get_object_or_404(Author, slug=slug)
    papers = list(_papers_with_authors(Paper.objects.filter(authorships__author=author)))
    coauthors = {}
    for paper in papers:
        for authorship in paper.authorships.all():
            if authorship.author_id != author.id:
                coauthors.setdefault(authorship.author_id, [authorship.author, 0])[1] += 1
    ranked = sorted(coauthors.values(), key=lambda pair: (-pair[1], pair[0].family))[:12]
    context = {"author": author, "papers": papers, "coauthors": ranked}
    return render(request, "papers/author_detail.html", context)


@require_GET
def venue_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A venue and its papers (paged). Template: papers/venue_detail.html."""
    venue = get_object_or_404(Venue, slug=slug)
    paginator = Paginator(_papers_with_authors(Paper.objects.filter(venue=venue)), listing.PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "papers/venue_detail.html", {"venue": venue, "page": page})


@staff_member_required
@require_http_methods(["GET", "POST"])
def paper_import(request: HttpRequest) -> HttpResponse:
    """Staff upload a .bib, see what would change (a dry run rolled back), then confirm.

    The uploaded text waits in the session between preview and confirm, so the confirmed import is exactly
    what was previewed. Template: papers/paper_import.html.
    """
    from papers.bibtex import BibtexTooLarge
    from papers.services import bibtex_import

    context: dict = {"max_bytes": settings.BIBTEX_MAX_BYTES}
    if request.method == "POST" and request.POST.get("action") == "confirm":
        pending = request.session.get(IMPORT_SESSION_KEY)
        if not pending:
            context["error"] = "Nothing to confirm: upload the file again."
            return render(request, "papers/paper_import.html", context, status=400)
        report = bibtex_import(text=pending["text"], partial=True, source_name=pending["name"])
        del request.session[IMPORT_SESSION_KEY]
        context |= {"report": report, "confirmed": True, "name": pending["name"], **_report_context(report)}
        return render(request, "papers/paper_import.html", context)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = "Choose a .bib file to upload."
            return render(request, "papers/paper_import.html", context, status=400)
        if upload.size > settings.BIBTEX_MAX_BYTES:
            context["error"] = (
                f"{upload.name} is {upload.size:,} bytes; the limit is {settings.BIBTEX_MAX_BYTES:,} bytes."
            )
            return render(request, "papers/paper_import.html", context, status=413)
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            context["error"] = f"{upload.name} is not UTF-8 text (byte {error.start})."
            return render(request, "papers/paper_import.html", context, status=400)
        try:
            with transaction.atomic():
                report = bibtex_import(text=text, partial=True, source_name=upload.name)
                transaction.set_rollback(True)  # a preview: nothing is written
        except BibtexTooLarge as error:
            context["error"] = str(error)
            return render(request, "papers/paper_import.html", context, status=413)
        request.session[IMPORT_SESSION_KEY] = {"text": text, "name": upload.name}
        context |= {"report": report, "preview": True, "name": upload.name, **_report_context(report)}
        return render(request, "papers/paper_import.html", context)
    request.session.pop(IMPORT_SESSION_KEY, None)
    return render(request, "papers/paper_import.html", context)


def _report_context(report) -> dict:
    """What the import template shows: counts, the keys per outcome, and the problems with line numbers."""
    summary = [
        ("new", len(report.created), list(report.created)),
        ("updated", len(report.updated), list(report.updated)),
        ("unchanged", len(report.unchanged), list(report.unchanged)),
        ("duplicates", len(report.duplicates), []),
        ("failed", len(report.failed), []),
    ]
    problems = [
        ("Failed", [tuple(item) for item in report.failed]),
        ("Duplicates", [tuple(item) for item in report.duplicates]),
        ("Warnings", [tuple(item) for item in getattr(report, "warnings", [])]),
    ]
    return {
        "summary": summary,
        "failures": [tuple(item) for item in report.failed],
        "problems": [(title, rows) for title, rows in problems if rows],
    }


@staff_member_required
@require_POST
def paper_import_cancel(request: HttpRequest) -> HttpResponse:
    request.session.pop(IMPORT_SESSION_KEY, None)
    return redirect("papers:paper-import")
