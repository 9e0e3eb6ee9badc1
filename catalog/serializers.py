"""API representations of the catalog: short links, list rows, full details, and staff write input."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from catalog.models import Concept, Domain, ExampleModel, Family, FamilyDomain, FamilyPaper, TaxonomyNode
from papers.models import Paper
from papers.serializers import ApiLinkField, PaperRefSerializer, WebUrlField


def _link(view_name: str):
    return ApiLinkField(view_name)


class TaxonomyNodeRefSerializer(serializers.ModelSerializer):
    api_url = _link("api:taxonomynode-detail")

    class Meta:
        model = TaxonomyNode
        fields = ["slug", "name", "api_url"]


class ConceptRefSerializer(serializers.ModelSerializer):
    api_url = _link("api:concept-detail")

    class Meta:
        model = Concept
        fields = ["slug", "name", "api_url"]


class DomainRefSerializer(serializers.ModelSerializer):
    api_url = _link("api:domain-detail")

    class Meta:
        model = Domain
        fields = ["slug", "name", "api_url"]


class FamilyRefSerializer(serializers.ModelSerializer):
    api_url = _link("api:family-detail")

    class Meta:
        model = Family
        fields = ["slug", "name", "short_name", "api_url"]


class ExampleModelRefSerializer(serializers.ModelSerializer):
    api_url = _link("api:examplemodel-detail")

    class Meta:
        model = ExampleModel
        fields = ["slug", "name", "kind", "year", "api_url"]


class FamilyDomainSerializer(serializers.ModelSerializer):
    """A domain a family serves, with the overview's examples for it."""

    slug = serializers.CharField(source="domain.slug", read_only=True)
    name = serializers.CharField(source="domain.name", read_only=True)
    api_url = ApiLinkField("api:domain-detail", source="domain")

    class Meta:
        model = FamilyDomain
        fields = ["slug", "name", "examples", "api_url"]


class DomainFamilySerializer(serializers.ModelSerializer):
    """A family serving a domain, with the overview's examples."""

    slug = serializers.CharField(source="family.slug", read_only=True)
    name = serializers.CharField(source="family.name", read_only=True)
    api_url = ApiLinkField("api:family-detail", source="family")

    class Meta:
        model = FamilyDomain
        fields = ["slug", "name", "examples", "api_url"]


class FamilyPaperSerializer(serializers.ModelSerializer):
    """A paper in a family's reading list, with its role."""

    citation_key = serializers.CharField(source="paper.citation_key", read_only=True)
    title = serializers.CharField(source="paper.title", read_only=True)
    year = serializers.IntegerField(source="paper.year", read_only=True, allow_null=True)
    api_url = ApiLinkField("api:paper-detail", source="paper", lookup_field="citation_key")

    class Meta:
        model = FamilyPaper
        fields = ["citation_key", "title", "year", "role", "note", "api_url"]


class FamilySerializer(serializers.ModelSerializer):
    """A family with its links: taxonomy node, concepts, domains, example models and papers."""

    api_url = _link("api:family-detail")
    web_url = WebUrlField()
    taxonomy_node = TaxonomyNodeRefSerializer(read_only=True)
    concepts = ConceptRefSerializer(many=True, read_only=True)
    domains = FamilyDomainSerializer(source="family_domains", many=True, read_only=True)
    example_models = ExampleModelRefSerializer(many=True, read_only=True)
    key_papers = FamilyPaperSerializer(
        many=True, read_only=True, help_text="The seminal and revival papers (all papers: papers_url)."
    )
    paper_count = serializers.IntegerField(read_only=True)
    papers_url = serializers.SerializerMethodField(
        help_text="The family's papers, filterable and exportable."
    )

    class Meta:
        model = Family
        fields = [
            "slug",
            "api_url",
            "web_url",
            "name",
            "short_name",
            "position",
            "summary",
            "likelihood",
            "sampling",
            "taxonomy_node",
            "concepts",
            "domains",
            "example_models",
            "key_papers",
            "paper_count",
            "papers_url",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_papers_url(self, family) -> str:
        url = reverse("api:paper-list", request=self.context.get("request"))
        return f"{url}?family={family.slug}"


class FamilyDetailSerializer(FamilySerializer):
    """A family with every paper of its reading list."""

    papers = FamilyPaperSerializer(source="family_papers", many=True, read_only=True)

    class Meta(FamilySerializer.Meta):
        fields = [
            *FamilySerializer.Meta.fields[:-1],
            "papers",
            "mechanism",
            "key_insight",
            "strengths",
            "known_problems",
            "training_stability",
            "latent_space",
            "erratum",
            "created_at",
            "updated_at",
        ]


class _RowSerializer(serializers.Serializer):
    """A row of a replaced list: its required fields stay required under PATCH (DRF would skip them)."""

    def validate(self, attrs):
        missing = [name for name, field in self.fields.items() if field.required and name not in attrs]
        if missing:
            raise serializers.ValidationError({name: ["This field is required."] for name in missing})
        return attrs


class FamilyDomainInputSerializer(_RowSerializer):
    domain = serializers.SlugRelatedField(slug_field="slug", queryset=Domain.objects.all())
    examples = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class FamilyPaperInputSerializer(_RowSerializer):
    paper = serializers.SlugRelatedField(slug_field="citation_key", queryset=Paper.objects.all())
    role = serializers.ChoiceField(choices=FamilyPaper.Role.choices, default=FamilyPaper.Role.FOLLOW_UP)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


# It validates only: the view hands validated_data to catalog.services.family_create or family_update.
class FamilyWriteSerializer(serializers.ModelSerializer):
    """Input for a family (staff). ``domains`` and ``papers``, when given, replace the whole list."""

    taxonomy_node = serializers.SlugRelatedField(slug_field="slug", queryset=TaxonomyNode.objects.all())
    concepts = serializers.SlugRelatedField(
        slug_field="slug", queryset=Concept.objects.all(), many=True, required=False
    )
    domains = FamilyDomainInputSerializer(many=True, required=False)
    papers = FamilyPaperInputSerializer(many=True, required=False)

    class Meta:
        model = Family
        fields = [
            "slug",
            "name",
            "short_name",
            "position",
            "taxonomy_node",
            "summary",
            "mechanism",
            "key_insight",
            "strengths",
            "known_problems",
            "likelihood",
            "sampling",
            "training_stability",
            "latent_space",
            "erratum",
            "concepts",
            "domains",
            "papers",
        ]

    def validate_domains(self, value):
        slugs = [row["domain"].slug for row in value]
        if len(set(slugs)) != len(slugs):
            raise serializers.ValidationError("A domain may appear only once.")
        return value

    def validate_papers(self, value):
        keys = [row["paper"].citation_key for row in value]
        if len(set(keys)) != len(keys):
            raise serializers.ValidationError("A paper may appear only once.")
        return value


class TaxonomyNodeSerializer(serializers.ModelSerializer):
    api_url = _link("api:taxonomynode-detail")
    parent = serializers.SlugRelatedField(
        slug_field="slug", queryset=TaxonomyNode.objects.all(), allow_null=True, required=False
    )
    children = TaxonomyNodeRefSerializer(many=True, read_only=True)
    families = FamilyRefSerializer(many=True, read_only=True)

    class Meta:
        model = TaxonomyNode
        fields = ["slug", "api_url", "name", "parent", "description", "position", "children", "families"]

    def validate_parent(self, parent):
        node, ancestor = self.instance, parent
        while node is not None and ancestor is not None:
            if ancestor.pk == node.pk:
                raise serializers.ValidationError("A node cannot sit below itself.")
            ancestor = ancestor.parent
        return parent


class ConceptSerializer(serializers.ModelSerializer):
    api_url = _link("api:concept-detail")
    web_url = WebUrlField()
    families = FamilyRefSerializer(many=True, read_only=True)
    papers = serializers.SlugRelatedField(
        slug_field="citation_key", queryset=Paper.objects.all(), many=True, required=False
    )

    class Meta:
        model = Concept
        fields = ["slug", "api_url", "web_url", "name", "description", "families", "papers"]


class ConceptDetailSerializer(ConceptSerializer):
    papers = PaperRefSerializer(many=True, read_only=True)


class DomainSerializer(serializers.ModelSerializer):
    api_url = _link("api:domain-detail")
    web_url = WebUrlField()
    families = DomainFamilySerializer(source="family_domains", many=True, read_only=True)
    example_models = ExampleModelRefSerializer(many=True, read_only=True)

    class Meta:
        model = Domain
        fields = ["slug", "api_url", "web_url", "name", "description", "families", "example_models"]


class ExampleModelSerializer(serializers.ModelSerializer):
    api_url = _link("api:examplemodel-detail")
    web_url = WebUrlField()
    paper = PaperRefSerializer(read_only=True, allow_null=True)
    families = FamilyRefSerializer(many=True, read_only=True)
    domains = DomainRefSerializer(many=True, read_only=True)

    class Meta:
        model = ExampleModel
        fields = [
            "slug",
            "api_url",
            "web_url",
            "name",
            "kind",
            "description",
            "year",
            "organisation",
            "url",
            "paper",
            "families",
            "domains",
            "erratum",
        ]


class ExampleModelWriteSerializer(serializers.ModelSerializer):
    paper = serializers.SlugRelatedField(
        slug_field="citation_key", queryset=Paper.objects.all(), allow_null=True, required=False
    )
    families = serializers.SlugRelatedField(slug_field="slug", queryset=Family.objects.all(), many=True)
    domains = serializers.SlugRelatedField(
        slug_field="slug", queryset=Domain.objects.all(), many=True, required=False
    )

    class Meta:
        model = ExampleModel
        fields = [
            "slug",
            "name",
            "kind",
            "description",
            "year",
            "organisation",
            "url",
            "paper",
            "families",
            "domains",
            "erratum",
        ]
        extra_kwargs = {"year": {"min_value": 1900, "max_value": 2100}}

    def validate_families(self, value):
        if not value:
            raise serializers.ValidationError("An example model belongs to at least one family.")
        return value
