"""REST endpoints of the catalog: families (with their papers as citations), taxonomy, concepts, domains and
example models."""

from django.db.models import Count, Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from catalog.filters import (
    ConceptFilter,
    DomainFilter,
    ExampleModelFilter,
    FamilyFilter,
    TaxonomyNodeFilter,
)
from catalog.models import Concept, Domain, ExampleModel, Family, FamilyDomain, FamilyPaper, TaxonomyNode
from catalog.serializers import (
    ConceptDetailSerializer,
    ConceptSerializer,
    DomainSerializer,
    ExampleModelSerializer,
    ExampleModelWriteSerializer,
    FamilyDetailSerializer,
    FamilySerializer,
    FamilyWriteSerializer,
    TaxonomyNodeSerializer,
)
from catalog.services import family_create, family_update
from config.api import ApiModelViewSet, ContentCachedReadsMixin
from papers.api import (
    BIBTEX_EXAMPLE,
    FORMAT_PARAMETER,
    CitationRenderersMixin,
    citation_responses,
    wants_citations,
)
from papers.citations import with_citation_data
from papers.models import Paper
from papers.renderers import CITATION_RENDERERS

BASE = "http://localhost:8000/api"

FAMILY_EXAMPLE = {
    "slug": "gans",
    "api_url": f"{BASE}/families/gans/",
    "web_url": "http://localhost:8000/families/gans/",
    "name": "Generative Adversarial Networks",
    "short_name": "GANs",
    "position": 1,
    "summary": "A generator and a discriminator trained against each other.",
    "likelihood": "none",
    "sampling": "one_pass",
    "taxonomy_node": {
        "slug": "implicit-density",
        "name": "Implicit density",
        "api_url": f"{BASE}/taxonomy/implicit-density/",
    },
    "concepts": [
        {"slug": "minimax-game", "name": "Minimax game", "api_url": f"{BASE}/concepts/minimax-game/"}
    ],
    "domains": [
        {
            "slug": "images",
            "name": "Images",
            "examples": "faces, objects, art",
            "api_url": f"{BASE}/domains/images/",
        }
    ],
    "example_models": [
        {"slug": "dcgan", "name": "DCGAN", "kind": "model", "year": 2016, "api_url": f"{BASE}/models/dcgan/"}
    ],
    "key_papers": [
        {
            "citation_key": "goodfellow2014generative",
            "title": "Generative Adversarial Nets",
            "year": 2014,
            "role": "seminal",
            "note": "",
            "api_url": f"{BASE}/papers/goodfellow2014generative/",
        }
    ],
    "paper_count": 12,
    "papers_url": f"{BASE}/papers/?family=gans",
    "updated_at": "2026-11-23T20:00:00Z",
}


KEY_ROLES = (FamilyPaper.Role.SEMINAL, FamilyPaper.Role.REVIVAL)


def family_queryset(*, all_papers: bool):
    """Families with their links; the key papers for a list row, every paper for a detail."""
    papers = FamilyPaper.objects.select_related("paper").order_by(
        "role", "paper__year", "paper__citation_key"
    )
    return (
        Family.objects.select_related("taxonomy_node")
        .annotate(paper_count=Count("family_papers", distinct=True))
        .prefetch_related(
            "concepts",
            Prefetch(
                "family_domains", queryset=FamilyDomain.objects.select_related("domain").order_by("position")
            ),
            Prefetch("example_models", queryset=ExampleModel.objects.order_by("year", "name")),
            Prefetch("family_papers", queryset=papers.filter(role__in=KEY_ROLES), to_attr="key_papers"),
            *([Prefetch("family_papers", queryset=papers)] if all_papers else []),
        )
    )


@extend_schema(tags=["catalog"])
class FamilyViewSet(ContentCachedReadsMixin, CitationRenderersMixin, ApiModelViewSet):
    """Families of generative models. A family's detail also answers its papers as BibTeX, RIS or CSL-JSON."""

    lookup_field = "slug"
    serializer_class = FamilyDetailSerializer
    list_serializer_class = FamilySerializer
    write_serializer_class = FamilyWriteSerializer
    filterset_class = FamilyFilter
    ordering_fields = ["position", "name", "updated_at"]
    ordering = ["position", "name"]
    renderer_classes = [JSONRenderer, *CITATION_RENDERERS]  # for the schema; see get_renderers
    citation_actions = ("retrieve",)  # a family's papers; the family list answers JSON only
    schema_example = FAMILY_EXAMPLE
    schema_write_example = {
        "slug": "gans",
        "name": "Generative Adversarial Networks",
        "short_name": "GANs",
        "taxonomy_node": "implicit-density",
        "summary": "A generator and a discriminator trained against each other.",
        "mechanism": "The generator maps noise to samples; the discriminator tells them from data.",
        "key_insight": "Adversarial training needs no likelihood.",
        "likelihood": "none",
        "sampling": "one_pass",
        "concepts": ["minimax-game"],
        "domains": [{"domain": "images", "examples": "faces, objects, art"}],
        "papers": [{"paper": "goodfellow2014generative", "role": "seminal"}],
    }

    def perform_create(self, serializer):
        return family_create(data=serializer.validated_data)

    def perform_update(self, serializer):
        return family_update(family=serializer.instance, data=serializer.validated_data)

    def get_queryset(self):
        return family_queryset(all_papers=self.action != "list")

    @extend_schema(
        parameters=[FORMAT_PARAMETER],
        responses=citation_responses(FamilyDetailSerializer, description="The family's papers as one file."),
        examples=[OpenApiExample("BibTeX", value=BIBTEX_EXAMPLE, media_type="application/x-bibtex")],
    )
    def retrieve(self, request, *args, **kwargs):
        family = self.get_object()
        if not wants_citations(request):
            return Response(self.get_serializer(family).data)
        self.citation_filename = family.slug
        papers = with_citation_data(Paper.objects.filter(family_papers__family=family))
        return Response(papers.order_by("year", "citation_key"))


@extend_schema(tags=["catalog"])
class TaxonomyNodeViewSet(ContentCachedReadsMixin, ApiModelViewSet):
    """The taxonomy tree: each node with its parent, children and the families hanging on it."""

    lookup_field = "slug"
    serializer_class = TaxonomyNodeSerializer
    filterset_class = TaxonomyNodeFilter
    ordering_fields = ["position", "name"]
    ordering = ["position", "name"]
    schema_example = {
        "slug": "explicit-density",
        "api_url": f"{BASE}/taxonomy/explicit-density/",
        "name": "Explicit density",
        "parent": None,
        "description": "Models that write down a density.",
        "position": 0,
        "children": [
            {"slug": "tractable", "name": "Tractable density", "api_url": f"{BASE}/taxonomy/tractable/"}
        ],
        "families": [],
    }
    schema_write_example = {"slug": "tractable", "name": "Tractable density", "parent": "explicit-density"}

    def get_queryset(self):
        return TaxonomyNode.objects.select_related("parent").prefetch_related("children", "families")


@extend_schema(tags=["catalog"])
class ConceptViewSet(ContentCachedReadsMixin, ApiModelViewSet):
    """Parts of mechanisms (minimax game, reparameterization trick ...) with their families and papers."""

    lookup_field = "slug"
    serializer_class = ConceptDetailSerializer
    list_serializer_class = ConceptDetailSerializer
    write_serializer_class = ConceptSerializer
    filterset_class = ConceptFilter
    ordering_fields = ["name"]
    ordering = ["name"]
    schema_example = {
        "slug": "reparameterization-trick",
        "api_url": f"{BASE}/concepts/reparameterization-trick/",
        "web_url": "http://localhost:8000/concepts/reparameterization-trick/",
        "name": "Reparameterization trick",
        "description": "Sample z = mu + sigma * eps so gradients flow through the sampling.",
        "families": [
            {
                "slug": "vaes",
                "name": "Variational Autoencoders",
                "short_name": "VAEs",
                "api_url": f"{BASE}/families/vaes/",
            }
        ],
        "papers": [
            {
                "citation_key": "kingma2014auto",
                "title": "Auto-Encoding Variational Bayes",
                "year": 2014,
                "api_url": f"{BASE}/papers/kingma2014auto/",
            }
        ],
    }
    schema_write_example = {
        "slug": "reparameterization-trick",
        "name": "Reparameterization trick",
        "description": "Sample z = mu + sigma * eps so gradients flow through the sampling.",
        "papers": ["kingma2014auto"],
    }

    def get_queryset(self):
        return Concept.objects.prefetch_related(
            "families", Prefetch("papers", queryset=Paper.objects.order_by("year", "citation_key"))
        )


@extend_schema(tags=["catalog"])
class DomainViewSet(ContentCachedReadsMixin, ApiModelViewSet):
    """Application domains, the families serving each (with the overview's examples) and example models."""

    lookup_field = "slug"
    serializer_class = DomainSerializer
    filterset_class = DomainFilter
    ordering_fields = ["name"]
    ordering = ["name"]
    schema_example = {
        "slug": "audio",
        "api_url": f"{BASE}/domains/audio/",
        "web_url": "http://localhost:8000/domains/audio/",
        "name": "Audio",
        "description": "Speech, music and sound.",
        "families": [
            {
                "slug": "autoregressive-models",
                "name": "Autoregressive models",
                "examples": "WaveNet",
                "api_url": f"{BASE}/families/autoregressive-models/",
            }
        ],
        "example_models": [
            {
                "slug": "wavenet",
                "name": "WaveNet",
                "kind": "model",
                "year": 2016,
                "api_url": f"{BASE}/models/wavenet/",
            }
        ],
    }
    schema_write_example = {"slug": "audio", "name": "Audio", "description": "Speech, music and sound."}

    def get_queryset(self):
        return Domain.objects.prefetch_related(
            Prefetch("family_domains", queryset=FamilyDomain.objects.select_related("family")),
            "example_models",
        )


@extend_schema(tags=["catalog"])
class ExampleModelViewSet(ContentCachedReadsMixin, ApiModelViewSet):
    """Named models (DCGAN, DDPM ...) and deployed systems (Stable Diffusion, ChatGPT ...)."""

    lookup_field = "slug"
    serializer_class = ExampleModelSerializer
    write_serializer_class = ExampleModelWriteSerializer
    filterset_class = ExampleModelFilter
    ordering_fields = ["year", "name"]
    ordering = ["year", "name"]
    schema_example = {
        "slug": "ddpm",
        "api_url": f"{BASE}/models/ddpm/",
        "web_url": "http://localhost:8000/models/ddpm/",
        "name": "DDPM",
        "kind": "model",
        "description": "Denoising diffusion probabilistic model.",
        "year": 2020,
        "organisation": "UC Berkeley",
        "url": "",
        "paper": {
            "citation_key": "ho2020denoising",
            "title": "Denoising Diffusion Probabilistic Models",
            "year": 2020,
            "api_url": f"{BASE}/papers/ho2020denoising/",
        },
        "families": [
            {
                "slug": "diffusion-models",
                "name": "Diffusion models",
                "short_name": "Diffusion",
                "api_url": f"{BASE}/families/diffusion-models/",
            }
        ],
        "domains": [{"slug": "images", "name": "Images", "api_url": f"{BASE}/domains/images/"}],
        "erratum": "",
    }
    schema_write_example = {
        "slug": "ddpm",
        "name": "DDPM",
        "kind": "model",
        "year": 2020,
        "organisation": "UC Berkeley",
        "paper": "ho2020denoising",
        "families": ["diffusion-models"],
        "domains": ["images"],
    }

    def get_queryset(self):
        return ExampleModel.objects.select_related("paper").prefetch_related("families", "domains")
