"""load_catalog: idempotent, updates only what changed, all or nothing on bad content, clear errors."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.content_files import CatalogContentError
from catalog.models import Concept, Domain, ExampleModel, Family, FamilyDomain, FamilyPaper, TaxonomyNode
from catalog.services import catalog_load

pytestmark = pytest.mark.django_db

CATALOG_MODELS = (TaxonomyNode, Concept, Domain, Family, ExampleModel)


def snapshot() -> dict:
    """Every catalog row's updated_at plus every link, to compare before and after a reload."""
    state = {
        model.__name__: dict(model.objects.values_list("slug", "updated_at")) for model in CATALOG_MODELS
    }
    state["links"] = {
        "family_domains": sorted(
            FamilyDomain.objects.values_list("family_id", "domain_id", "examples", "position")
        ),
        "family_papers": sorted(FamilyPaper.objects.values_list("family_id", "paper_id", "role", "note")),
        "family_concepts": sorted(Family.concepts.through.objects.values_list("family_id", "concept_id")),
        "concept_papers": sorted(Concept.papers.through.objects.values_list("concept_id", "paper_id")),
        "model_families": sorted(
            ExampleModel.families.through.objects.values_list("examplemodel_id", "family_id")
        ),
        "model_domains": sorted(
            ExampleModel.domains.through.objects.values_list("examplemodel_id", "domain_id")
        ),
    }
    return state


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_loading_twice_changes_nothing_the_second_time(loaded):
    before = snapshot()
    second = catalog_load(papers_dir=None)
    assert second.changed == 0
    for kind, counts in second.kinds.items():
        assert (counts.created, counts.updated, counts.deleted) == (0, 0, 0), kind
        assert counts.unchanged == loaded[kind].created, kind
    assert snapshot() == before


def test_an_edited_field_updates_only_that_record(stub_papers, content_copy):
    catalog_load(content_dir=content_copy, papers_dir=None)
    before = snapshot()
    edit(
        content_copy / "families.yaml",
        "summary: A generator learns to fool",
        "summary: A generator network learns to fool",
    )
    report = catalog_load(content_dir=content_copy, papers_dir=None)
    assert (report["families"].updated, report["families"].unchanged) == (1, 6)
    assert report.changed == 1
    after = snapshot()
    assert after["Family"]["gans"] > before["Family"]["gans"]
    assert {slug: at for slug, at in after["Family"].items() if slug != "gans"} == {
        slug: at for slug, at in before["Family"].items() if slug != "gans"
    }
    assert after["ExampleModel"] == before["ExampleModel"]
    assert Family.objects.get(slug="gans").summary.startswith("A generator network learns")


def test_a_changed_link_counts_as_an_update(stub_papers, content_copy):
    catalog_load(content_dir=content_copy, papers_dir=None)
    edit(
        content_copy / "models.yaml",
        "domains: [images, representation-learning]\n    year: 2015",
        "domains: [images]\n    year: 2015",
    )
    report = catalog_load(content_dir=content_copy, papers_dir=None)
    assert (report["models"].updated, report.changed) == (1, 1)
    assert list(ExampleModel.objects.get(slug="dcgan").domains.values_list("slug", flat=True)) == ["images"]


def test_a_changed_family_domain_example_and_paper_role_update_the_family(stub_papers, content_copy):
    catalog_load(content_dir=content_copy, papers_dir=None)
    path = content_copy / "families.yaml"
    edit(path, "examples: faces, objects, art", "examples: faces, objects, art, textures")
    edit(
        path,
        "      - key: kingma2014auto\n        role: seminal",
        "      - key: kingma2014auto\n        role: revival",
    )
    report = catalog_load(content_dir=content_copy, papers_dir=None)
    assert report["families"].updated == 2
    assert FamilyDomain.objects.get(family__slug="gans", domain__slug="images").examples.endswith("textures")
    assert (
        FamilyPaper.objects.get(family__slug="vaes", paper__citation_key="kingma2014auto").role == "revival"
    )


def test_records_removed_from_the_files_are_reported_and_pruned_on_request(stub_papers, content_copy):
    catalog_load(content_dir=content_copy, papers_dir=None)
    edit(content_copy / "models.yaml", "  - slug: dall-e\n", "  - slug: dall-e-original\n")
    edit(content_copy / "models.yaml", "    name: DALL·E\n", "    name: DALL·E (2021)\n")
    report = catalog_load(content_dir=content_copy, papers_dir=None)
    assert report["models"].created == 1
    assert report["models"].stale == ["dall-e"]
    assert "not in the files (dall-e)" in str(report["models"])
    report = catalog_load(content_dir=content_copy, papers_dir=None, prune=True)
    assert report["models"].deleted == 1
    assert not ExampleModel.objects.filter(slug="dall-e").exists()
    assert catalog_load(content_dir=content_copy, papers_dir=None).changed == 0


def test_a_renamed_slug_that_keeps_its_name_needs_prune(stub_papers, content_copy):
    catalog_load(content_dir=content_copy, papers_dir=None)
    edit(content_copy / "models.yaml", "  - slug: dall-e\n", "  - slug: dall-e-original\n")
    with pytest.raises(CatalogContentError, match="name 'DALL·E' belongs to stored record 'dall-e'"):
        catalog_load(content_dir=content_copy, papers_dir=None)
    report = catalog_load(content_dir=content_copy, papers_dir=None, prune=True)
    assert (report["models"].created, report["models"].deleted) == (1, 1)
    assert ExampleModel.objects.get(name="DALL·E").slug == "dall-e-original"


def assert_nothing_written() -> None:
    for model in CATALOG_MODELS:
        assert not model.objects.exists(), f"{model.__name__} rows were left behind"


def test_unknown_concept_slug_is_a_clear_error_and_writes_nothing(stub_papers, content_copy):
    edit(content_copy / "families.yaml", "concepts: [minimax-game,", "concepts: [minmax-game,")
    with pytest.raises(CatalogContentError) as error:
        catalog_load(content_dir=content_copy, papers_dir=None)
    assert str(error.value) == "families.yaml: family 'gans': unknown concept 'minmax-game'"
    assert_nothing_written()


def test_a_bad_edit_leaves_a_loaded_catalog_exactly_as_it_was(stub_papers, content_copy):
    catalog_load(content_dir=content_copy, papers_dir=None)
    before = snapshot()
    # A valid change early in the load (a family's text) and a bad reference late (a model's paper).
    edit(content_copy / "families.yaml", "summary: A generator learns", "summary: Changed")
    edit(content_copy / "models.yaml", "paper: ho2022video", "paper: ho2022videos")
    with pytest.raises(
        CatalogContentError, match=r"models\.yaml: model 'video-diffusion-models': unknown paper"
    ):
        catalog_load(content_dir=content_copy, papers_dir=None)
    assert snapshot() == before
    assert Family.objects.get(slug="gans").summary.startswith("A generator learns")


def test_an_error_found_midway_rolls_back_what_was_already_written(stub_papers, content_copy):
    catalog_load(content_dir=content_copy, papers_dir=None)
    before = snapshot()
    # Families are written before models; the clash is only found when the models are written.
    edit(content_copy / "families.yaml", "summary: A generator learns", "summary: Changed")
    edit(content_copy / "models.yaml", "  - slug: dall-e\n", "  - slug: dall-e-original\n")
    with pytest.raises(CatalogContentError, match="belongs to stored record 'dall-e'"):
        catalog_load(content_dir=content_copy, papers_dir=None)
    assert snapshot() == before
    assert Family.objects.get(slug="gans").summary.startswith("A generator learns")


@pytest.mark.parametrize(
    ("filename", "old", "new", "message"),
    [
        (
            "models.yaml",
            "families: [gans]\n    domains: [images, representation-learning]",
            "families: [gan]\n    domains: [images, representation-learning]",
            "models.yaml: model 'dcgan': unknown family 'gan'",
        ),
        (
            "models.yaml",
            "domains: [images, representation-learning]\n    year: 2015",
            "domains: [imagery]\n    year: 2015",
            "models.yaml: model 'dcgan': unknown domain 'imagery'",
        ),
        (
            "families.yaml",
            "taxonomy: direct-sampling",
            "taxonomy: implicit",
            "families.yaml: family 'gans': unknown taxonomy node 'implicit'",
        ),
        (
            "families.yaml",
            "likelihood: none",
            "likelihood: maybe",
            "families.yaml: family 'gans': 'likelihood' is 'maybe'; expected one of",
        ),
        (
            "families.yaml",
            "      - key: goodfellow2014generative\n        role: seminal",
            "      - key: goodfellow2014generative\n        role: founding",
            "'role' is 'founding'",
        ),
        (
            "concepts.yaml",
            "papers: [goodfellow2014generative, radford2016unsupervised]",
            "papers: [goodfellow2014generativ]",
            "concepts.yaml: concept 'minimax-game': unknown paper citation key 'goodfellow2014generativ'",
        ),
        ("models.yaml", "year: 2015", "year: 15", "models.yaml: model 'dcgan': 'year' must be a whole year"),
        (
            "models.yaml",
            "  - slug: stylegan\n",
            "  - slug: dcgan\n",
            "models.yaml: model 'dcgan': slug appears twice",
        ),
        (
            "models.yaml",
            "    kind: model\n    families: [gans]\n    domains: [images, representation-learning]",
            "    kind: model\n    famillies: [gans]\n    domains: [images, representation-learning]",
            "models.yaml: model 'dcgan': unknown keys: famillies",
        ),
        (
            "domains.yaml",
            "  - slug: 3d\n",
            "  - slug: 3D data\n",
            "domains.yaml: domain '3D data': slug '3D data' must be lowercase",
        ),
        ("taxonomy.yaml", "name: Implicit density", "name: [Implicit density", "taxonomy.yaml: line"),
        (
            "concepts.yaml",
            "  - slug: discriminator\n",
            "  - slug: discriminator\n    families: [gans]\n",
            "list a concept's families in families.yaml",
        ),
    ],
)
def test_bad_content_names_file_and_item_and_writes_nothing(
    stub_papers, content_copy, filename, old, new, message
):
    edit(content_copy / filename, old, new)
    with pytest.raises(CatalogContentError) as error:
        catalog_load(content_dir=content_copy, papers_dir=None)
    assert message in str(error.value)
    assert_nothing_written()


def test_missing_file_is_named(stub_papers, content_copy):
    (content_copy / "domains.yaml").unlink()
    with pytest.raises(CatalogContentError, match=r"domains\.yaml: file not found"):
        catalog_load(content_dir=content_copy, papers_dir=None)


def test_command_reports_counts_and_is_quiet_the_second_time(stub_papers, capsys):
    call_command("load_catalog", "--no-papers")
    first = capsys.readouterr().out
    assert "families: 7 created, 0 updated, 0 unchanged" in first
    call_command("load_catalog", "--no-papers")
    second = capsys.readouterr().out
    assert "families: 0 created, 0 updated, 7 unchanged" in second
    assert "nothing changed" in second


def test_command_turns_bad_content_into_a_command_error(stub_papers, content_copy):
    edit(content_copy / "families.yaml", "concepts: [minimax-game,", "concepts: [minmax-game,")
    with pytest.raises(CommandError, match=r"unknown concept 'minmax-game' \(nothing was written\)"):
        call_command("load_catalog", "--no-papers", "--content-dir", str(content_copy))
    assert_nothing_written()
