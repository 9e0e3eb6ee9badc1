"""Pages of the catalog: home, a family, a concept, a domain, a model or system, their indexes, search,
lineage and the comparison of families. Reads go through catalog/selectors.py (shared with the API),
catalog/search.py and catalog/lineage.py; views only parse, call and render.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from catalog import lineage, search, selectors
from catalog.models import ExampleModel, Family
from pages.rendering import is_partial, render_cached_page, render_page
from papers.views import bibtex_download


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The trivial view: the benchmark's yardstick and a load balancer's health check."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The taxonomy, the seven families as cards, a search box. Template: catalog/home.html."""
    context = {"tree": selectors.taxonomy_tree(), "families": selectors.family_cards()}
    return render(request, "catalog/home.html", context)


def _diagram_template(slug: str) -> str | None:
    """The family's mechanism picture (templates/catalog/diagrams/<slug>.html), if it has one."""
    name = f"catalog/diagrams/{slug}.html"
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    """What the overview is, and how the catalog was checked against primary sources. Template:
    catalog/about.html."""
    return render(request, "catalog/about.html")


@require_GET
def family_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A family with its concepts, domains, models and reading list. Template: catalog/family_content.html,
    cached per content version."""

    def build() -> dict:
        family = selectors.family_detail(slug=slug, papers=False)
        context = {
            "family": family,
            "reading": selectors.family_reading_list(family=family),
            "diagram": _diagram_template(family.slug),
        }
        return {
            "html": render_to_string("catalog/family_content.html", context),
            "title": family.name,
            "description": family.summary,
        }

    return render_cached_page(request, key=f"family:{slug}", build=build)[0]


@require_GET
def family_bibtex(request: HttpRequest, slug: str) -> HttpResponse:
    """'Cite all': every paper of the family as one .bib file."""
    family = get_object_or_404(Family, slug=slug)
    papers = family.papers.order_by("year", "citation_key")
    return bibtex_download(papers, filename=f"{slugify(family.slug)}.bib")


@require_GET
def concept_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/concept_list.html", {"concepts": selectors.concept_list()})


@require_GET
def concept_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A mechanism part and the families and papers that use it. Template: catalog/concept_detail.html."""
    return render(request, "catalog/concept_detail.html", {"concept": selectors.concept_detail(slug=slug)})


@require_GET
def domain_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/domain_list.html", {"domains": selectors.domain_list()})


@require_GET
def domain_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A domain, the families serving it with examples, its models. Template: catalog/domain_detail.html."""
    return render(request, "catalog/domain_detail.html", {"domain": selectors.domain_detail(slug=slug)})


@require_GET
def model_list(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/model_list.html", {"models": selectors.model_list()})


@require_GET
def model_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A model or system with its families, domains and paper. Template: catalog/model_detail.html."""
    return render(request, "catalog/model_detail.html", {"model": selectors.model_detail(slug=slug)})


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """Everything matching ``q``, grouped by kind. Template: catalog/search_content.html (partial ``results``
    for htmx), cached per content version and query."""
    text = (request.GET.get("q") or "").strip()[:200]
    partial = is_partial(request)

    def build() -> dict:
        context = {"q": text, "results": search.search_everything(text=text)}
        template = "catalog/search_content.html" + ("#results" if partial else "")
        return {
            "html": render_to_string(template, context),
            "title": f"{text} · Search" if text else "Search",
        }

    return render_cached_page(request, key=f"search:{text}", build=build, header_query=text)[0]


@require_GET
def lineage_page(request: HttpRequest) -> HttpResponse:
    """Papers over time, by family, with their lineage links. Template: catalog/lineage.html."""
    family_slug = (request.GET.get("family") or "").strip()[:80]
    context = {
        "picture": lineage.lineage(family_slug=family_slug),
        "families": Family.objects.only("slug", "short_name"),
        "family_slug": family_slug,
    }
    return render_page(request, "catalog/lineage.html", context, partial="picture")


@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """The families side by side, from their records. Template: catalog/compare.html."""
    families = list(selectors.family_cards(model_kind=ExampleModel.Kind.MODEL))
    rows = [
        ("Likelihood", [family.get_likelihood_display() for family in families]),
        ("Sampling", [family.get_sampling_display() for family in families]),
        ("Training stability", [family.training_stability or "—" for family in families]),
        ("Latent space", [family.latent_space or "—" for family in families]),
    ]
    return render(request, "catalog/compare.html", {"families": families, "rows": rows})
