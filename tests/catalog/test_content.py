"""The loaded catalog holds everything the overview names, linked, with errata where it is wrong."""

import pytest

from catalog.models import Concept, Domain, ExampleModel, Family, FamilyPaper, TaxonomyNode
from tests.catalog import overview

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(loaded_once, db):
    """Read-only tests share one load per module (see conftest)."""
    return loaded_once


def test_first_load_creates_every_record(loaded):
    assert loaded["families"].created == 7
    assert loaded["domains"].created == len(Domain.objects.all()) >= 12
    assert loaded["models"].created == ExampleModel.objects.count()
    assert loaded["concepts"].created == Concept.objects.count()
    assert loaded["taxonomy"].created == TaxonomyNode.objects.count()
    assert all(counts.updated == 0 and counts.unchanged == 0 for counts in loaded.kinds.values())


def test_the_seven_families_in_the_overviews_order(loaded):
    families = list(Family.objects.order_by("position"))
    assert [f.slug for f in families] == list(overview.FAMILIES)
    for family in families:
        assert family.name == overview.FAMILIES[family.slug]
        for field in ("summary", "mechanism", "key_insight", "strengths", "known_problems"):
            assert getattr(family, field).strip(), f"{family.slug}.{field} is empty"


@pytest.mark.parametrize(
    ("slug", "likelihood", "sampling"),
    [
        ("gans", "none", "one_pass"),
        ("vaes", "bound", "one_pass"),
        ("autoregressive-models", "exact", "sequential"),
        ("normalizing-flows", "exact", "one_pass"),
        ("diffusion-models", "bound", "iterative"),
        ("energy-based-models", "unnormalised", "iterative"),
        ("generative-transformers", "exact", "sequential"),
    ],
)
def test_family_likelihood_and_sampling(loaded, slug, likelihood, sampling):
    family = Family.objects.get(slug=slug)
    assert (family.likelihood, family.sampling) == (likelihood, sampling)


def test_gans_known_problems_name_mode_collapse_and_instability(loaded):
    problems = Family.objects.get(slug="gans").known_problems.lower()
    assert "mode collapse" in problems
    assert "unstable" in problems or "instability" in problems


@pytest.mark.parametrize("family_slug", list(overview.TAXONOMY))
def test_taxonomy_places_each_family(loaded, family_slug):
    node = Family.objects.get(slug=family_slug).taxonomy_node
    assert [n.slug for n in [*node.ancestors(), node]] == overview.TAXONOMY[family_slug]


def test_transformers_placement_is_explained(loaded):
    node = Family.objects.get(slug="generative-transformers").taxonomy_node
    assert "architecture" in node.description
    assert "architecture" in Family.objects.get(slug="generative-transformers").mechanism


def test_every_domain_exists(loaded):
    assert set(Domain.objects.values_list("slug", flat=True)) >= overview.DOMAINS


@pytest.mark.parametrize("family_slug", list(overview.FAMILY_DOMAINS))
def test_family_domains_carry_the_overviews_examples(loaded, family_slug):
    rows = {
        fd.domain.slug: fd.examples
        for fd in Family.objects.get(slug=family_slug).family_domains.select_related("domain")
    }
    for domain_slug, examples in overview.FAMILY_DOMAINS[family_slug]:
        assert domain_slug in rows, f"{family_slug} lacks domain {domain_slug}"
        assert examples in rows[domain_slug], f"{family_slug}/{domain_slug}: {rows[domain_slug]!r}"
        assert rows[domain_slug], f"{family_slug}/{domain_slug} has no examples"


@pytest.mark.parametrize(("name", "expected"), list(overview.EXAMPLE_MODELS.items()))
def test_example_models_exist_with_the_right_families(loaded, name, expected):
    overview_family, families = expected
    model = ExampleModel.objects.get(name=name)
    assert set(model.families.values_list("slug", flat=True)) == families
    assert model.domains.exists(), f"{name} has no domain"
    assert model.description
    if overview_family not in families:
        assert model.erratum, f"{name} is placed under {overview_family} by the overview; say why not"


@pytest.mark.parametrize(("name", "expected"), list(overview.SYSTEMS.items()))
def test_applications_systems_exist_with_the_right_families(loaded, name, expected):
    overview_family, families = expected
    model = ExampleModel.objects.get(name=name)
    assert set(model.families.values_list("slug", flat=True)) == families
    assert model.year and model.organisation
    if overview_family not in families:
        assert model.erratum


def test_fourteen_systems_of_the_applications_column():
    assert len(overview.SYSTEMS) == 14


def test_models_with_papers_link_them(loaded):
    without_paper = set(ExampleModel.objects.filter(paper__isnull=True).values_list("name", flat=True))
    # Only a product with no publication and a community checkpoint have no paper.
    assert without_paper == {"Pika", "ViT-GPT"}


@pytest.mark.parametrize("name", sorted(overview.MODELS_WITH_ERRATA))
def test_misplaced_or_misnamed_models_carry_errata(loaded, name):
    assert ExampleModel.objects.get(name=name).erratum


def test_specific_corrections(loaded):
    assert "autoregressive" in ExampleModel.objects.get(name="AudioLM").erratum
    assert "VideoDiffusion" in ExampleModel.objects.get(name="Video Diffusion Models").erratum
    assert "caption" in ExampleModel.objects.get(name="ViT-GPT").erratum
    assert "diffusion" in ExampleModel.objects.get(name="DALL·E 2").erratum
    assert "masked" in ExampleModel.objects.get(name="BERT").erratum


@pytest.mark.parametrize("family_slug", list(overview.SEMINAL))
def test_seminal_papers_are_linked(loaded, family_slug):
    seminal = set(
        FamilyPaper.objects.filter(family__slug=family_slug, role="seminal").values_list(
            "paper__citation_key", flat=True
        )
    )
    assert seminal == overview.SEMINAL[family_slug]


def test_ddpm_is_the_modern_revival(loaded):
    row = FamilyPaper.objects.get(family__slug="diffusion-models", paper__citation_key="ho2020denoising")
    assert row.role == FamilyPaper.Role.REVIVAL


def test_twelve_rows_of_the_seminal_table():
    rows = sum(len(keys) for keys in overview.SEMINAL.values()) + sum(map(len, overview.REVIVAL.values()))
    assert rows == 12


def test_example_model_papers_are_on_their_family_reading_lists(loaded):
    for model in ExampleModel.objects.exclude(paper=None).prefetch_related("families"):
        on_list = FamilyPaper.objects.filter(paper=model.paper, family__in=model.families.all())
        assert on_list.exists(), f"{model.name}: {model.paper.citation_key} is on none of its families' lists"


@pytest.mark.parametrize(("concept_slug", "family_slug"), list(overview.MECHANISM_CONCEPTS.items()))
def test_mechanism_concepts_are_linked_to_their_family(loaded, concept_slug, family_slug):
    concept = Concept.objects.get(slug=concept_slug)
    assert family_slug in set(concept.families.values_list("slug", flat=True))
    assert concept.description


def test_every_concept_is_used_by_a_family_and_cites_a_paper(loaded):
    for concept in Concept.objects.all():
        assert concept.families.exists(), f"{concept.slug} belongs to no family"
        assert concept.papers.exists(), f"{concept.slug} cites no paper"


def test_families_without_an_overview_key_insight_say_so(loaded):
    assert "overview" in Family.objects.get(slug="energy-based-models").key_insight


def test_family_errata_flag_the_seminal_table_errors(loaded):
    erratum = Family.objects.get(slug="energy-based-models").erratum
    assert "A Connectionist Approach" in erratum
    assert "V. R. Javier" in erratum
