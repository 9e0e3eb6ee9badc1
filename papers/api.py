"""REST endpoints of the bibliography: papers (with citation formats), authors, venues, and BibTeX import."""

from django.conf import settings
from django.db.models import Count, Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import BaseParser, FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAdminUser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import FamilyPaper
from config.api import ApiModelViewSet, ConditionalGetMixin, ContentCachedReadsMixin, PayloadTooLarge
from papers.citations import with_citation_data
from papers.filters import AuthorFilter, PaperFilter, VenueFilter
from papers.imports import BibtexNotUtf8, decode_bibtex
from papers.models import Authorship, Paper
from papers.renderers import (
    CITATION_RENDERERS,
    BibtexRenderer,
    CitationRenderer,
    CslJsonRenderer,
    RisRenderer,
)
from papers.serializers import (
    AuthorDetailSerializer,
    AuthorSerializer,
    ImportInputSerializer,
    ImportReportSerializer,
    PaperDetailSerializer,
    PaperListSerializer,
    PaperWriteSerializer,
    VenueDetailSerializer,
    VenueSerializer,
)
from papers.services import author_get_or_create, paper_create, paper_delete, paper_update

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=["json", *(r.format for r in CITATION_RENDERERS)],
    description="Instead of an Accept header: json, bibtex (.bib), ris or csljson (CSL-JSON).",
)


def citation_responses(json_response, *, description: str) -> dict:
    """The JSON answer plus the three citation formats, each a text body (.bib, .ris, CSL-JSON)."""
    text = OpenApiResponse(OpenApiTypes.STR, description=description)
    csl = OpenApiResponse(
        {"type": "array", "items": {"type": "object", "additionalProperties": True}},
        description=description + " (CSL-JSON: an array of items)",
    )
    return {
        (200, "application/json"): json_response,
        (200, BibtexRenderer.media_type): text,
        (200, RisRenderer.media_type): text,
        (200, CslJsonRenderer.media_type): csl,
    }


class CitationRenderersMixin:
    """BibTeX, RIS and CSL-JSON for reading lists and details; every other action answers JSON only."""

    citation_actions = ("list", "retrieve")

    def get_renderers(self):
        request = getattr(self, "request", None)
        if (
            request is not None
            and request.method in ("GET", "HEAD")
            and getattr(self, "action", None) in self.citation_actions
        ):
            return [JSONRenderer(), *(renderer() for renderer in CITATION_RENDERERS)]
        return [JSONRenderer()]


def wants_citations(request) -> bool:
    return isinstance(getattr(request, "accepted_renderer", None), CitationRenderer)


def paper_queryset():
    """Papers with everything a list row or a citation needs, in a fixed number of queries."""
    return Paper.objects.select_related("venue").prefetch_related(
        Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position")),
        Prefetch(
            "family_papers",
            queryset=FamilyPaper.objects.select_related("family"),
        ),
    )


PAPER_EXAMPLE = {
    "citation_key": "goodfellow2014generative",
    "api_url": "http://localhost:8000/api/papers/goodfellow2014generative/",
    "web_url": "http://localhost:8000/papers/goodfellow2014generative/",
    "entry_type": "inproceedings",
    "title": "Generative Adversarial Nets",
    "authors": [
        {
            "slug": "ian-goodfellow",
            "name": "Ian Goodfellow",
            "given": "Ian",
            "von": "",
            "family": "Goodfellow",
            "suffix": "",
            "api_url": "http://localhost:8000/api/authors/ian-goodfellow/",
        }
    ],
    "year": 2014,
    "venue": {
        "slug": "nips",
        "name": "Advances in Neural Information Processing Systems",
        "short_name": "NIPS",
        "api_url": "http://localhost:8000/api/venues/nips/",
    },
    "booktitle": "Advances in Neural Information Processing Systems 27",
    "journal": "",
    "doi": "",
    "doi_url": "",
    "arxiv_id": "1406.2661",
    "arxiv_url": "https://arxiv.org/abs/1406.2661",
    "url": "https://papers.nips.cc/paper/5423-generative-adversarial-nets",
    "families": [
        {
            "slug": "gans",
            "name": "Generative Adversarial Networks",
            "role": "seminal",
            "api_url": "http://localhost:8000/api/families/gans/",
        }
    ],
    "updated_at": "2026-11-23T20:00:00Z",
}
PAPER_WRITE_EXAMPLE = {
    "citation_key": "goodfellow2014generative",
    "entry_type": "inproceedings",
    "title": "Generative Adversarial Nets",
    "authors": [{"given": "Ian", "family": "Goodfellow"}, {"given": "Jean", "family": "Pouget-Abadie"}],
    "year": 2014,
    "venue": "nips",
    "booktitle": "Advances in Neural Information Processing Systems 27",
    "pages": "2672--2680",
    "arxiv_id": "1406.2661",
    "extra_fields": {"keywords": "adversarial"},
}
BIBTEX_EXAMPLE = """@inproceedings{goodfellow2014generative,
  author = {Goodfellow, Ian and Pouget-Abadie, Jean},
  title = {Generative Adversarial Nets},
  booktitle = {Advances in Neural Information Processing Systems 27},
  year = {2014},
}
"""


@extend_schema(tags=["papers"])
class PaperViewSet(ContentCachedReadsMixin, CitationRenderersMixin, ApiModelViewSet):
    """Papers. Lists and details also answer BibTeX, RIS and CSL-JSON (Accept header or ``?format=``)."""

    lookup_field = "citation_key"
    lookup_value_regex = "[^/]+"
    serializer_class = PaperDetailSerializer
    list_serializer_class = PaperListSerializer
    write_serializer_class = PaperWriteSerializer
    filterset_class = PaperFilter
    ordering_fields = ["year", "title", "citation_key", "updated_at", "created_at"]
    ordering = ["-year", "title"]
    renderer_classes = [JSONRenderer, *CITATION_RENDERERS]  # for the schema; see get_renderers
    schema_example = PAPER_EXAMPLE
    schema_write_example = PAPER_WRITE_EXAMPLE

    def perform_create(self, serializer):
        return paper_create(data=serializer.validated_data)

    def perform_update(self, serializer):
        return paper_update(paper=serializer.instance, data=serializer.validated_data)

    def delete_instance(self, instance) -> None:
        paper_delete(paper=instance)

    def get_queryset(self):
        queryset = paper_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                "concepts",
                "errata",
                "links_out__target",
                "links_in__source",
                "links_out__source",
                "links_in__target",
            )
        return queryset

    @extend_schema(
        parameters=[FORMAT_PARAMETER],
        responses=citation_responses(
            PaperListSerializer(many=True),
            description="The page's papers (or, with no page/page_size, every matching paper) as one file.",
        ),
        examples=[OpenApiExample("BibTeX", value=BIBTEX_EXAMPLE, media_type="application/x-bibtex")],
    )
    def list(self, request, *args, **kwargs):
        """Papers, filtered, searched (``q``), ordered and paginated. A citation format exports them all."""
        if not wants_citations(request):
            return super().list(request, *args, **kwargs)
        papers = self.filter_queryset(with_citation_data(Paper.objects.all()))
        if {"page", "page_size"} & set(request.query_params):
            papers = self.paginate_queryset(papers)
        self.citation_filename = "papers"
        return Response(papers)

    @extend_schema(
        parameters=[FORMAT_PARAMETER],
        responses=citation_responses(PaperDetailSerializer, description="The paper as a citation."),
    )
    def retrieve(self, request, *args, **kwargs):
        paper = self.get_object()
        if wants_citations(request):
            self.citation_filename = paper.citation_key
            response = Response([paper])
        else:
            response = Response(self.get_serializer(paper).data)
        response["Last-Modified"] = _http_date(paper.updated_at)
        return response


def _http_date(moment) -> str:
    from django.utils.http import http_date

    return http_date(moment.timestamp())


AUTHOR_EXAMPLE = {
    "slug": "aaron-van-den-oord",
    "api_url": "http://localhost:8000/api/authors/aaron-van-den-oord/",
    "web_url": "http://localhost:8000/papers/authors/aaron-van-den-oord/",
    "name": "Aäron van den Oord",
    "given": "Aäron",
    "von": "van den",
    "family": "Oord",
    "suffix": "",
    "bibtex_name": "van den Oord, Aäron",
    "paper_count": 5,
}


@extend_schema(tags=["papers"])
class AuthorViewSet(ContentCachedReadsMixin, ApiModelViewSet):
    """Authors, with BibTeX's name parts kept apart."""

    lookup_field = "slug"
    serializer_class = AuthorDetailSerializer
    list_serializer_class = AuthorSerializer
    write_serializer_class = AuthorSerializer
    filterset_class = AuthorFilter
    ordering_fields = ["family", "given", "paper_count"]
    ordering = ["family", "given"]
    schema_example = AUTHOR_EXAMPLE
    schema_write_example = {"given": "Aäron", "von": "van den", "family": "Oord", "suffix": ""}

    def perform_create(self, serializer):
        # The serializer's unique-name validator has refused a duplicate already.
        return author_get_or_create(**serializer.validated_data)

    def get_queryset(self):
        from papers.models import Author

        queryset = Author.objects.annotate(paper_count=Count("authorships"))
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("authorships", queryset=Authorship.objects.select_related("paper"))
            )
        return queryset


VENUE_EXAMPLE = {
    "slug": "iclr",
    "api_url": "http://localhost:8000/api/venues/iclr/",
    "web_url": "http://localhost:8000/papers/venues/iclr/",
    "name": "International Conference on Learning Representations",
    "short_name": "ICLR",
    "kind": "conference",
    "url": "https://iclr.cc/",
    "paper_count": 9,
}


@extend_schema(tags=["papers"])
class VenueViewSet(ContentCachedReadsMixin, ApiModelViewSet):
    """Conferences, journals, workshops and preprint servers."""

    lookup_field = "slug"
    serializer_class = VenueDetailSerializer
    list_serializer_class = VenueSerializer
    write_serializer_class = VenueSerializer
    filterset_class = VenueFilter
    ordering_fields = ["short_name", "name", "paper_count"]
    ordering = ["short_name", "name"]
    schema_example = VENUE_EXAMPLE
    schema_write_example = {
        "slug": "iclr",
        "name": "International Conference on Learning Representations",
        "short_name": "ICLR",
        "kind": "conference",
        "url": "https://iclr.cc/",
    }

    def get_queryset(self):
        from papers.models import Venue

        queryset = Venue.objects.annotate(paper_count=Count("papers"))
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("papers")
        return queryset


class BibtexTextParser(BaseParser):
    """A raw .bib as the request body."""

    media_type = "text/x-bibtex"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return {"text": decode_bibtex(raw)}
        except BibtexNotUtf8 as exc:
            raise ParseError(f"The .bib is {exc}.") from exc


class ApplicationBibtexParser(BibtexTextParser):
    media_type = "application/x-bibtex"


class PlainTextParser(BibtexTextParser):
    media_type = "text/plain"


IMPORT_REPORT_EXAMPLE = {
    "created": ["goodfellow2014generative"],
    "updated": ["kingma2014auto"],
    "unchanged": [],
    "failed": [{"line": 17, "key": "broken2020", "reason": "missing closing brace"}],
    "duplicates": [],
    "warnings": [],
    "partial": True,
    "committed": True,
}


class PaperImportView(ConditionalGetMixin, APIView):
    """Import a .bib (staff): an upload (``file``), a ``text`` field, or the raw body as text/x-bibtex.

    All-or-nothing unless ``?partial=true``: with a failed entry and no ``partial`` nothing is written and
    the answer is 422 with the report. Larger than the configured cap: 413.
    """

    permission_classes = [IsAdminUser]
    parser_classes = [
        BibtexTextParser,
        ApplicationBibtexParser,
        PlainTextParser,
        MultiPartParser,
        FormParser,
        JSONParser,
    ]

    @extend_schema(
        tags=["papers"],
        operation_id="papers_import",
        parameters=[
            OpenApiParameter(
                "partial", bool, description="Keep the good entries when some fail (default: false)."
            )
        ],
        request={
            "text/x-bibtex": OpenApiTypes.STR,
            "multipart/form-data": ImportInputSerializer,
            "application/json": ImportInputSerializer,
        },
        responses={
            200: ImportReportSerializer,
            422: OpenApiResponse(
                ImportReportSerializer, description="Entries failed and nothing was written (all-or-nothing)."
            ),
        },
        examples=[
            OpenApiExample(
                "A .bib body", value=BIBTEX_EXAMPLE, media_type="text/x-bibtex", request_only=True
            ),
            OpenApiExample("Report", value=IMPORT_REPORT_EXAMPLE, response_only=True, status_codes=["200"]),
        ],
    )
    def post(self, request):
        limit = settings.BIBTEX_MAX_BYTES
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > limit + 64 * 1024:  # room for multipart framing
            raise PayloadTooLarge(f"The .bib is larger than the {limit:,}-byte limit.")
        text = _bib_text(request.data, limit=limit)
        partial = request.query_params.get("partial", "").lower() in ("1", "true", "yes", "on")

        from papers.bibtex import BibtexTooLarge
        from papers.imports import bibtex_import

        try:
            report = bibtex_import(text=text, partial=partial, source_name="api")
        except BibtexTooLarge as exc:
            raise PayloadTooLarge(str(exc)) from exc
        committed = not report.rolled_back
        body = {
            "created": list(report.created),
            "updated": list(report.updated),
            "unchanged": list(report.unchanged),
            "failed": _notes(report.failed),
            "duplicates": _notes(report.duplicates),
            "warnings": _notes(report.warnings),
            "partial": partial,
            "committed": committed,
        }
        return Response(
            body, status=status.HTTP_200_OK if committed else status.HTTP_422_UNPROCESSABLE_ENTITY
        )


def _notes(items) -> list[dict]:
    return [{"line": line, "key": key or "", "reason": reason} for line, key, reason in items]


def _bib_text(data, *, limit: int) -> str:
    upload = data.get("file") if hasattr(data, "get") else None
    if upload is not None and hasattr(upload, "read"):
        if upload.size > limit:
            raise PayloadTooLarge(f"The .bib is larger than the {limit:,}-byte limit.")
        try:
            return decode_bibtex(upload.read())
        except BibtexNotUtf8 as exc:
            raise ValidationError({"file": [f"{str(exc)[0].upper()}{str(exc)[1:]}."]}) from exc
    text = data.get("text") if hasattr(data, "get") else None
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(
            {"file": ["Send a .bib as 'file' (multipart), 'text', or a text/x-bibtex body."]}
        )
    if len(text.encode("utf-8")) > limit:
        raise PayloadTooLarge(f"The .bib is larger than the {limit:,}-byte limit.")
    return text
