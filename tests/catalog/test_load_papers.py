"""load_catalog with the real papers: atlas.bib goes in through papers.services.bibtex_import first."""

import pytest

from catalog.content_files import CatalogContentError
from catalog.models import ExampleModel, Family, FamilyPaper
from catalog.services import BIB_FILE, PAPERS_DIR, catalog_load
from papers.models import Paper
from tests.catalog import overview

pytestmark = pytest.mark.django_db


def test_papers_load_first_and_everything_links(content_dir):
    report = catalog_load()
    assert report.papers is not None and not report.papers.failed
    assert len(report.papers.created) == Paper.objects.count() >= 40
    seminal = set(FamilyPaper.objects.filter(role="seminal").values_list("paper__citation_key", flat=True))
    assert seminal == set().union(*overview.SEMINAL.values())
    assert ExampleModel.objects.get(name="DDPM").paper.citation_key == "ho2020denoising"


def test_seminal_papers_have_their_authors_in_order():
    catalog_load()
    expected = {
        "goodfellow2014generative": ["Goodfellow", "Pouget-Abadie", "Mirza", "Xu", "Warde-Farley", "Ozair"],
        "vaswani2017attention": ["Vaswani", "Shazeer", "Parmar", "Uszkoreit", "Jones", "Gomez", "Kaiser"],
        "lecun2006tutorial": ["LeCun", "Chopra", "Hadsell", "Ranzato", "Huang"],
        "oord2016pixel": ["Oord", "Kalchbrenner", "Kavukcuoglu"],
    }
    for key, families in expected.items():
        paper = Paper.objects.get(citation_key=key)
        names = list(paper.authorships.order_by("position").values_list("author__family", flat=True))
        assert names[: len(families)] == families, key


def test_loading_twice_changes_no_paper_and_no_catalog_record():
    catalog_load()
    papers_before = dict(Paper.objects.values_list("citation_key", "updated_at"))
    families_before = dict(Family.objects.values_list("slug", "updated_at"))
    second = catalog_load()
    assert (second.papers.created, second.papers.updated) == ([], [])
    assert len(second.papers.unchanged) == len(papers_before)
    assert second.changed == 0
    assert dict(Paper.objects.values_list("citation_key", "updated_at")) == papers_before
    assert dict(Family.objects.values_list("slug", "updated_at")) == families_before


def test_a_broken_bib_entry_stops_the_whole_load(tmp_path):
    papers_dir = tmp_path / "papers"
    papers_dir.mkdir()
    text = (PAPERS_DIR / BIB_FILE).read_text(encoding="utf-8")
    (papers_dir / BIB_FILE).write_text(
        text + "\n@article{broken2020entry,\n  title = {Unclosed\n", encoding="utf-8"
    )
    with pytest.raises(CatalogContentError, match=r"atlas\.bib: line \d+"):
        catalog_load(papers_dir=papers_dir)
    assert not Paper.objects.exists()
    assert not Family.objects.exists()


def test_missing_bib_file_is_named(tmp_path):
    with pytest.raises(CatalogContentError, match=r"atlas\.bib: file not found"):
        catalog_load(papers_dir=tmp_path)
