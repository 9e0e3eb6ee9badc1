"""Pages of the bibliography: the papers list with filters and export, a paper, an author, a venue, downloads
in BibTeX, RIS and CSL-JSON, and the staff BibTeX import.

The list and a paper's page are cached per content version (pages/rendering.py); the visitor's own parts,
the selection panel, a paper's selection button and the list's ticks, are slots rendered per response.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.models import Concept, Domain, Family, FamilyPaper
from pages import fragments
from pages.rendering import download, is_partial, render_cached_page
from papers import citations, listing, selection
from papers.bibtex import BibtexTooLarge
from papers.imports import BibtexNotUtf8, bibtex_import, decode_bibtex
from papers.models import Author, Authorship, Paper, PaperLink, Venue
from papers.selectors import papers_for_export, papers_in_order

IMPORT_SESSION_KEY = "bibtex_import"
EXPORT_LIMIT = 5000


def bibtex_download(papers, *, filename: str) -> HttpResponse:
    """``papers`` as a .bib attachment."""
    return download(
        citations.bibtex_export(papers=papers), filename=filename, content_type="application/x-bibtex"
    )


@require_GET
def paper_list(request: HttpRequest) -> HttpResponse:
    """Filter, search, sort and page the papers. Template: papers/paper_list_content.html (partial
    ``results`` for htmx), cached per content version and canonical query."""
    filters = listing.PaperFilters.from_query(request.GET)
    partial = is_partial(request)
    page_number = (request.GET.get("page") or "1")[:6]

    def build() -> dict:
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
        push_url = f"{request.path}?{query}" if query else request.path
        context |= {"here": push_url, "csrf_token": fragments.CSRF_TOKEN}
        return {
            "html": render_to_string(template, context),
            "title": "Papers",
            "push_url": push_url,
            "count": paginator.count,
        }

    selected = functools.cache(lambda: set(selection.selection_keys(session=request.session)))
    visitor = {
        "selection_panel": lambda: selection_panel(request, next_url=request.get_full_path()),
        "tick": lambda key: " checked" if key in selected() else "",
    }
    key = f"papers:{filters.querystring()}:{page_number}"
    response, page = render_cached_page(request, key=key, build=build, fragments_for=visitor)
    if request.htmx:
        # The address bar gets the canonical URL of this state (no empty fields), ready to share.
        response["HX-Push-Url"] = page["push_url"]
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
            Prefetch("family_papers", queryset=FamilyPaper.objects.select_related("family")),
            "example_models",
            "concepts",
        ),
        citation_key=key,
    )


@require_GET
def paper_detail(request: HttpRequest, key: str) -> HttpResponse:
    """A paper with its citation, lineage, errata and BibTeX. Template: papers/paper_content.html (cached)."""

    def build() -> dict:
        paper = paper_for_page(key=key)
        context = {"paper": paper, "bibtex": citations.bibtex_export(papers=[paper])}
        return {
            "html": render_to_string("papers/paper_content.html", context),
            "title": paper.title,
            "description": (paper.abstract or paper.title)[:300],
        }

    visitor = {"selection_toggle": lambda: paper_selection_toggle(request, key=key)}
    return render_cached_page(request, key=f"paper:{key}", build=build, fragments_for=visitor)[0]


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
    context: dict = {"max_bytes": settings.BIBTEX_MAX_BYTES}
    if request.method == "POST" and request.POST.get("action") == "confirm":
        pending = request.session.get(IMPORT_SESSION_KEY)
        if not pending:
            context["error"] = "Nothing to confirm: upload the file again."
            return render(request, "papers/paper_import.html", context, status=400)
        # The command line's and the API's rule: all or nothing, unless asked to skip the failed entries.
        partial = request.POST.get("partial") == "on"
        report = bibtex_import(text=pending["text"], partial=partial, source_name=pending["name"])
        if report.rolled_back:  # nothing written: offer the same file again, with the choice
            context |= {"report": report, "preview": True, "refused": True, "name": pending["name"]}
            return render(request, "papers/paper_import.html", context | _report_context(report), status=400)
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
            text = decode_bibtex(upload.read())
        except BibtexNotUtf8 as error:
            context["error"] = f"{upload.name}: {error}"
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


# --- the reader's selection (papers/selection.py): rendered per response, never cached ------------------

SELECTION_TEMPLATE = "papers/selection_panel.html"
SELECTION_EXPORTS = {
    "bib": "application/x-bibtex",
    "ris": "application/x-research-info-systems",
    "json": "application/vnd.citationstyles.csl+json",
}


def _next_url(request: HttpRequest, default: str = "") -> str:
    """Where to go back to: the ``next`` the form names when it is on this site, else ``default``."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default or reverse("papers:paper-list")


def selection_panel(request: HttpRequest, *, next_url: str) -> str:
    """The list page's 'N selected' bar with its links, and any message about the last change."""
    context = {"count": len(selection.selection_keys(session=request.session)), "next": next_url}
    return render_to_string(f"{SELECTION_TEMPLATE}#panel", context, request=request)


def paper_selection_toggle(request: HttpRequest, *, key: str) -> str:
    """A paper page's 'Add to selection' or 'Remove from selection' button."""
    keys = selection.selection_keys(session=request.session)
    context = {
        "key": key,
        "selected": key in keys,
        "count": len(keys),
        "next": reverse("papers:paper-detail", kwargs={"key": key}),
    }
    return render_to_string(f"{SELECTION_TEMPLATE}#paper", context, request=request)


@require_POST
def selection_change(request: HttpRequest) -> HttpResponse:
    """Add or remove papers: ``add``/``remove`` keys; an htmx checkbox's ``toggle`` (ticked when it is among
    the ``key`` values sent); or a list page's form without JavaScript, whose ``shown`` keys are set to
    whether they are among the ticked ``key`` values.

    htmx gets the panel or button it targets; a plain form is redirected back to ``next``.
    """
    ticked = request.POST.getlist("key")
    add, remove = request.POST.getlist("add"), request.POST.getlist("remove")
    toggle = request.POST.get("toggle")
    if toggle:
        (add if toggle in ticked else remove).append(toggle)
    elif "shown" in request.POST:
        shown = request.POST.getlist("shown")
        add += [key for key in ticked if key in shown]
        remove += [key for key in shown if key not in ticked]
    change = selection.selection_change(session=request.session, add=add, remove=remove)
    for problem in change.problems:
        messages.warning(request, problem)
    if not is_partial(request):
        return redirect(_next_url(request))
    if request.htmx.target == "paper-selection" and (add or remove):
        html = paper_selection_toggle(request, key=(add or remove)[0])
    else:
        html = selection_panel(request, next_url=_next_url(request, request.htmx.current_url_abs_path or ""))
    response = HttpResponse(html)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
def selection_clear(request: HttpRequest) -> HttpResponse:
    """Empty the selection and go back to ``next``."""
    count = selection.selection_clear(session=request.session)
    if count:
        messages.info(request, f"Selection cleared ({count} paper{pluralize(count)}).")
    return redirect(_next_url(request))


@require_GET
def selection_page(request: HttpRequest) -> HttpResponse:
    """The selected papers, each with a remove button, and the exports. Template: papers/selection.html."""
    papers = papers_in_order(keys=selection.selection_keys(session=request.session))
    return render(request, "papers/selection.html", {"papers": papers, "limit": selection.LIMIT})


@require_GET
def selection_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The selected papers as BibTeX, RIS or CSL-JSON, ordered by citation key."""
    papers = papers_for_export(keys=selection.selection_keys(session=request.session))
    if fmt == "bib":
        return bibtex_download(papers, filename="selection.bib")
    papers = list(citations.with_citation_data(papers))
    text = citations.papers_ris(papers=papers) if fmt == "ris" else citations.papers_csl_json(papers=papers)
    return download(text, filename=f"selection.{fmt}", content_type=SELECTION_EXPORTS[fmt])
