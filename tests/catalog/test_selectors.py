"""Catalog selectors return what pages need with a fixed number of queries."""

import pytest
from django.http import Http404

from catalog import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(loaded_once, db):
    return loaded_once


def test_family_list_in_order_with_domains_in_fixed_queries(loaded, django_assert_num_queries):
    with django_assert_num_queries(2):
        families = list(selectors.family_list())
        rows = [(f.taxonomy_node.name, [fd.domain.slug for fd in f.family_domains.all()]) for f in families]
    assert families[0].slug == "gans"
    assert rows[0][1] == ["images", "video", "audio", "3d"]
    assert {f.slug: f.model_count for f in families}["gans"] == 9


def test_family_detail_loads_everything_its_page_shows(loaded, django_assert_num_queries):
    with django_assert_num_queries(6):
        family = selectors.family_detail(slug="diffusion-models")
        [c.name for c in family.concepts.all()]
        [(fd.domain.name, fd.examples) for fd in family.family_domains.all()]
        [(m.name, m.paper and m.paper.title) for m in family.example_models.all()]
        papers = [
            (fp.role, fp.paper.citation_key, [a.author.family for a in fp.paper.authorships.all()])
            for fp in family.family_papers.all()
        ]
        [node.slug for node in [family.taxonomy_node.parent.parent, family.taxonomy_node.parent]]
    roles = [role for role, _, _ in papers]
    assert roles[:2] == ["seminal", "revival"]
    assert roles[2:] == ["follow_up"] * (len(roles) - 2)


def test_family_papers_seminal_first_then_by_year(loaded):
    family = selectors.family_detail(slug="autoregressive-models")
    rows = list(selectors.family_papers(family=family))
    assert [r.role for r in rows[:3]] == ["seminal"] * 3
    years = [r.paper.year for r in rows[3:]]
    assert years == sorted(years)
    assert [r.paper.citation_key for r in selectors.family_papers(family=family, role="seminal")] == [
        "sutskever2014sequence",
        "oord2016pixel",
        "oord2016wavenet",
    ]


def test_unknown_slugs_are_404(loaded):
    for function in (
        selectors.family_detail,
        selectors.concept_detail,
        selectors.domain_detail,
        selectors.model_detail,
    ):
        with pytest.raises(Http404):
            function(slug="no-such-thing")


def test_concept_domain_and_model_detail(loaded, django_assert_num_queries):
    with django_assert_num_queries(4):
        concept = selectors.concept_detail(slug="langevin-dynamics")
        assert [f.slug for f in concept.families.all()] == ["energy-based-models"]
    assert "du2019implicit" in [p.citation_key for p in concept.papers.all()]
    domain = selectors.domain_detail(slug="audio")
    assert "wavenet" in [m.slug for m in domain.example_models.all()]
    assert domain.family_domains.all()[0].family.slug == "gans"
    model = selectors.model_detail(slug="audiolm")
    assert {f.slug for f in model.families.all()} == {"generative-transformers", "autoregressive-models"}
    assert model.erratum


def test_model_list_filters(loaded):
    systems = {m.name for m in selectors.model_list(kind="system")}
    assert {"ChatGPT", "Stable Diffusion", "Pika"} <= systems
    assert "DDPM" not in systems
    gans = [m.name for m in selectors.model_list(family_slug="gans")]
    assert set(gans) == {
        "DCGAN", "StyleGAN", "CycleGAN", "BigGAN", "WGAN", "Progressive GAN", "StyleGAN2", "StyleGAN2-ADA",
        "VQGAN",
    }  # fmt: skip
    audio_transformers = {
        m.name for m in selectors.model_list(family_slug="generative-transformers", domain_slug="audio")
    }
    assert audio_transformers == {"AudioLM", "MusicLM", "Sparse Transformer"}
    assert "AudioLM" in {m.name for m in selectors.models_with_errata()}


def test_taxonomy_tree_in_two_queries(loaded, django_assert_num_queries):
    with django_assert_num_queries(2):
        roots = selectors.taxonomy_tree()
    assert [r.node.slug for r in roots] == ["generative-models"]
    explicit, implicit = roots[0].children
    assert (explicit.node.slug, implicit.node.slug) == ("explicit-density", "implicit-density")
    assert [f.slug for f in implicit.all_families()] == ["gans"]
    assert len(roots[0].all_families()) == 7
    tractable = explicit.children[0]
    assert tractable.depth == 2
    assert [f.slug for f in tractable.all_families()] == [
        "autoregressive-models",
        "generative-transformers",
        "normalizing-flows",
    ]


def test_taxonomy_path(loaded):
    family = selectors.family_detail(slug="energy-based-models")
    assert [n.slug for n in selectors.taxonomy_path(family=family)][-2:] == [
        "approximate-density",
        "unnormalised-density",
    ]
