"""API representations of papers, authors and venues: short links, list rows, full details, write input."""

from urllib.parse import quote

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from papers.models import Author, Erratum, Paper, PaperLink, Venue


class WebUrlField(serializers.ReadOnlyField):
    """The object's HTML page on the site, absolute when a request is at hand."""

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, value):
        path = value.get_absolute_url()
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


WebUrlField = extend_schema_field(OpenApiTypes.URI)(WebUrlField)


_LOOKUP_PLACEHOLDER = "zzlookupzz"


class ApiLinkField(serializers.Field):
    """A record's URL in the API. DRF's hyperlinked fields call reverse() for every object, which was most
    of a list's time; this reverses once per view name and request, then fills in the lookup value."""

    def __init__(self, view_name: str, *, lookup_field: str = "slug", source: str = "*", **kwargs):
        super().__init__(source=source, read_only=True, **kwargs)
        self.view_name, self.lookup_field = view_name, lookup_field

    def to_representation(self, value):
        templates = self.context.setdefault("_api_link_templates", {})
        template = templates.get(self.view_name)
        if template is None:
            template = templates[self.view_name] = reverse(
                self.view_name,
                kwargs={self.lookup_field: _LOOKUP_PLACEHOLDER},
                request=self.context.get("request"),
            )
        # The same escaping as Django's reverse() applies to a path argument.
        lookup = quote(str(getattr(value, self.lookup_field)), safe="/~:@!$&'()*+,;=")
        return template.replace(_LOOKUP_PLACEHOLDER, lookup)


ApiLinkField = extend_schema_field(OpenApiTypes.URI)(ApiLinkField)


# Short links: what other records embed.


class VenueRefSerializer(serializers.ModelSerializer):
    """A venue as a paper names it."""

    api_url = ApiLinkField("api:venue-detail")

    class Meta:
        model = Venue
        fields = ["slug", "name", "short_name", "api_url"]


class AuthorRefSerializer(serializers.ModelSerializer):
    api_url = ApiLinkField("api:author-detail")
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Author
        fields = ["slug", "name", "given", "von", "family", "suffix", "api_url"]


class PaperRefSerializer(serializers.ModelSerializer):
    api_url = ApiLinkField("api:paper-detail", lookup_field="citation_key")

    class Meta:
        model = Paper
        fields = ["citation_key", "title", "year", "api_url"]


class _FamilyLinkSerializer(serializers.Serializer):
    """A family that lists this paper, with the paper's role there (seminal, revival, follow-up)."""

    slug = serializers.CharField(source="family.slug")
    name = serializers.CharField(source="family.name")
    role = serializers.CharField()
    api_url = ApiLinkField("api:family-detail", source="family")


class AuthorshipRefSerializer(serializers.Serializer):
    """An author in a paper's list, flattened from the authorship (one serializer for the whole list)."""

    slug = serializers.CharField(source="author.slug")
    name = serializers.CharField(source="author.display_name")
    given = serializers.CharField(source="author.given")
    von = serializers.CharField(source="author.von")
    family = serializers.CharField(source="author.family")
    suffix = serializers.CharField(source="author.suffix")
    api_url = ApiLinkField("api:author-detail", source="author")


class PaperListSerializer(serializers.ModelSerializer):
    """A row of a paper list."""

    # Authorships come prefetched in position order; see papers.api.paper_queryset.
    authors = AuthorshipRefSerializer(source="authorships", many=True, read_only=True, help_text="In order.")
    api_url = ApiLinkField("api:paper-detail", lookup_field="citation_key")
    web_url = WebUrlField()
    venue = VenueRefSerializer(read_only=True, allow_null=True)
    families = _FamilyLinkSerializer(source="family_papers", many=True, read_only=True)
    doi_url = serializers.CharField(read_only=True)
    arxiv_url = serializers.CharField(read_only=True)

    class Meta:
        model = Paper
        fields = [
            "citation_key",
            "api_url",
            "web_url",
            "entry_type",
            "title",
            "authors",
            "year",
            "venue",
            "booktitle",
            "journal",
            "doi",
            "doi_url",
            "arxiv_id",
            "arxiv_url",
            "url",
            "families",
            "updated_at",
        ]


class _LinkSerializer(serializers.ModelSerializer):
    source = PaperRefSerializer(read_only=True)
    target = PaperRefSerializer(read_only=True)

    class Meta:
        model = PaperLink
        fields = ["kind", "source", "target", "note"]


class _ErratumSerializer(serializers.ModelSerializer):
    class Meta:
        model = Erratum
        fields = ["field", "claimed", "correction", "source_url"]


class _ConceptRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    api_url = ApiLinkField("api:concept-detail")


class PaperDetailSerializer(PaperListSerializer):
    """Every field of a paper, its lineage, errata and where its facts were checked."""

    concepts = _ConceptRefSerializer(many=True, read_only=True)
    links_out = _LinkSerializer(many=True, read_only=True, help_text="This paper builds on / revives ...")
    links_in = _LinkSerializer(many=True, read_only=True, help_text="Papers that build on this one.")
    errata = _ErratumSerializer(many=True, read_only=True)
    summary = serializers.CharField(
        source="abstract", read_only=True, help_text="The site's own summary, not the authors' abstract."
    )
    abstract_url = serializers.CharField(read_only=True, help_text="Where the authors' abstract is.")

    class Meta(PaperListSerializer.Meta):
        fields = [
            *PaperListSerializer.Meta.fields[:-1],
            "month",
            "volume",
            "number",
            "pages",
            "publisher",
            "editor",
            "institution",
            "arxiv_class",
            "summary",
            "abstract_url",
            "note",
            "extra_fields",
            "concepts",
            "links_out",
            "links_in",
            "errata",
            "source_url",
            "checked_on",
            "created_at",
            "updated_at",
        ]


class AuthorNameSerializer(serializers.Serializer):
    """An author in write input, in name parts: {"given": "Aäron", "von": "van den", "family": "Oord"}."""

    given = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    von = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    family = serializers.CharField(max_length=120)
    suffix = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        # Under PATCH DRF skips required fields of nested rows; an author without a family name is no author.
        if not attrs.get("family"):
            raise serializers.ValidationError({"family": ["This field is required."]})
        return {"given": "", "von": "", "suffix": "", **attrs}


# It validates only: the view hands validated_data to papers.services.paper_create or paper_update.
class PaperWriteSerializer(serializers.ModelSerializer):
    """Input for creating or changing a paper (staff). Authors replace the whole list, in order."""

    authors = AuthorNameSerializer(many=True, required=False)
    venue = serializers.SlugRelatedField(
        slug_field="slug", queryset=Venue.objects.all(), required=False, allow_null=True
    )
    summary = serializers.CharField(
        source="abstract", required=False, allow_blank=True, help_text="A short summary in your own words."
    )

    class Meta:
        model = Paper
        fields = [
            "citation_key",
            "entry_type",
            "title",
            "authors",
            "year",
            "month",
            "venue",
            "booktitle",
            "journal",
            "volume",
            "number",
            "pages",
            "publisher",
            "editor",
            "institution",
            "doi",
            "arxiv_id",
            "arxiv_class",
            "url",
            "summary",
            "note",
            "extra_fields",
            "source_url",
            "checked_on",
        ]
        extra_kwargs = {"year": {"min_value": 1600, "max_value": 2100}}

    def validate_extra_fields(self, value):
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise serializers.ValidationError("An object of BibTeX field names to string values.")
        return value


class AuthorSerializer(serializers.ModelSerializer):
    api_url = ApiLinkField("api:author-detail")
    web_url = WebUrlField()
    name = serializers.CharField(source="display_name", read_only=True)
    bibtex_name = serializers.CharField(read_only=True)
    paper_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Author
        fields = [
            "slug",
            "api_url",
            "web_url",
            "name",
            "given",
            "von",
            "family",
            "suffix",
            "bibtex_name",
            "paper_count",
        ]
        read_only_fields = ["slug"]


class AuthorDetailSerializer(AuthorSerializer):
    papers = serializers.SerializerMethodField()

    class Meta(AuthorSerializer.Meta):
        fields = [*AuthorSerializer.Meta.fields, "papers"]

    @extend_schema_field(PaperRefSerializer(many=True))
    def get_papers(self, author):
        papers = [a.paper for a in author.authorships.all()]
        return PaperRefSerializer(papers, many=True, context=self.context).data


class VenueSerializer(serializers.ModelSerializer):
    api_url = ApiLinkField("api:venue-detail")
    web_url = WebUrlField()
    paper_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Venue
        fields = ["slug", "api_url", "web_url", "name", "short_name", "kind", "url", "paper_count"]


class VenueDetailSerializer(VenueSerializer):
    papers = PaperRefSerializer(many=True, read_only=True)

    class Meta(VenueSerializer.Meta):
        fields = [*VenueSerializer.Meta.fields, "papers"]


class ImportFailureSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True, help_text="Line of the entry in the .bib.")
    key = serializers.CharField(allow_blank=True)
    reason = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    """The importer's per-entry report."""

    created = serializers.ListField(child=serializers.CharField(), help_text="Citation keys created.")
    updated = serializers.ListField(child=serializers.CharField())
    unchanged = serializers.ListField(child=serializers.CharField())
    failed = ImportFailureSerializer(many=True, help_text="Entries that could not be imported, and why.")
    duplicates = ImportFailureSerializer(many=True, help_text="Entries already present under another key.")
    warnings = ImportFailureSerializer(many=True)
    partial = serializers.BooleanField(help_text="Whether good entries were kept beside failed ones.")
    committed = serializers.BooleanField(help_text="False when an all-or-nothing import rolled back.")


class ImportInputSerializer(serializers.Serializer):
    """A .bib as a multipart upload (``file``) or as the text of a ``text/x-bibtex`` body."""

    file = serializers.FileField(required=False, help_text="The .bib file (multipart/form-data).")
    text = serializers.CharField(required=False, help_text="The .bib text (form or JSON field).")
