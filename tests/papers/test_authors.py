"""One person, one author page: name variants merge into the person, and citations keep the printed name."""

from pathlib import Path

import pytest

from papers.authors import AuthorsContentError, author_variants_load
from papers.citations import bibtex_export, paper_csl, paper_ris, with_citation_data
from papers.imports import bibtex_import
from papers.models import Author, Paper

pytestmark = pytest.mark.django_db

BIB = r"""
@misc{brock2019large, author = {Brock, Andrew and Simonyan, Karen}, title = {Large Scale GAN}, year = {2019}}
@misc{alayrac2022flamingo, author = {Brock, Andy and Simonyan, Kar{\'e}n}, title = {Flamingo}, year = {2022}}
"""
YAML = """
- name: Simonyan, Karen
  variants: ["Simonyan, Karén"]
  dblp: 13/8253
- name: Brock, Andrew
  variants: ["Brock, Andy"]
"""


@pytest.fixture
def authors_file(tmp_path) -> Path:
    path = tmp_path / "authors.yaml"
    path.write_text(YAML, encoding="utf-8")
    return path


def _check_one_person_each():
    assert Author.objects.filter(family="Simonyan").count() == 1
    assert Author.objects.filter(family="Brock").count() == 1
    karen = Author.objects.get(family="Simonyan")
    assert karen.given == "Karen" and karen.variants == ["Simonyan, Karén"] and karen.dblp == "13/8253"
    assert karen.papers.count() == 2
    flamingo = with_citation_data(Paper.objects.filter(citation_key="alayrac2022flamingo")).get()
    # Citations name the person one way (as DBLP does), so a round trip through .bib changes nothing.
    assert [a["given"] for a in paper_csl(flamingo)["author"]] == ["Andrew", "Karen"]
    assert "AU  - Simonyan, Karen\r\n" in paper_ris(flamingo)
    assert "Brock, Andrew and Simonyan, Karen" in bibtex_export(papers=[flamingo])


def test_loading_variants_merges_authors_already_imported(authors_file):
    assert not bibtex_import(text=BIB).failed
    assert Author.objects.filter(family="Simonyan").count() == 2
    report = author_variants_load(path=authors_file)
    assert sorted(report.merged) == ["Andy Brock -> Andrew Brock", "Karén Simonyan -> Karen Simonyan"]
    _check_one_person_each()
    again = author_variants_load(path=authors_file)
    assert again.merged == [] and again.updated == []


def test_papers_imported_after_find_the_person(authors_file):
    author_variants_load(path=authors_file)
    assert not bibtex_import(text=BIB).failed
    _check_one_person_each()
    # A second import of the same file, or of the export, changes nothing.
    report = bibtex_import(text=BIB)
    assert report.updated == [] and len(report.unchanged) == 2
    exported = bibtex_export(papers=Paper.objects.order_by("citation_key"))
    again = bibtex_import(text=exported)
    assert again.updated == [] and len(again.unchanged) == 2


def test_the_author_page_knows_the_variants(client, authors_file):
    author_variants_load(path=authors_file)
    bibtex_import(text=BIB)
    html = client.get("/papers/authors/karen-simonyan/").content.decode()
    assert "Also published as" in html and "Simonyan, Karén" in html and "dblp.org/pid/13/8253" in html
    assert "Flamingo" in html and "Large Scale" in html


def test_a_bad_authors_file_is_named(tmp_path):
    path = tmp_path / "authors.yaml"
    path.write_text("- variants: [x]\n", encoding="utf-8")
    with pytest.raises(AuthorsContentError, match="item 1 has no name"):
        author_variants_load(path=path)


def test_the_real_catalog_has_one_page_per_person():
    content = Path(__file__).resolve().parents[2] / "papers" / "content"
    author_variants_load(path=content / "authors.yaml")
    assert not bibtex_import(paths=[content / "atlas.bib"]).failed
    for family in ("Simonyan", "Brock", "Kingma", "Hinton", "Nichol"):
        assert Author.objects.filter(family=family).count() == 1, family
    assert Author.objects.get(family="Simonyan").papers.count() >= 4
