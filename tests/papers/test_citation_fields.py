"""What readers see outside BibTeX: Unicode for LaTeX, the site's summary called a summary (never exported as
an abstract), provenance kept out of bibliographies, and every field RIS and CSL-JSON can hold."""

import json

import pytest

from papers.citations import paper_csl, paper_ris, with_citation_data
from papers.imports import bibtex_import
from papers.latex import latex_to_text, text_to_latex
from papers.models import Paper

pytestmark = pytest.mark.django_db

BIB = r"""
@incollection{lecun2006tutorial,
  author = {LeCun, Yann and Chopra, Sumit},
  title = {A Tutorial on Energy-Based Learning},
  booktitle = {Predicting Structured Data},
  editor = {Bak{\i}r, G{\"o}khan and Hofmann, Thomas},
  series = {Neural Information Processing Series},
  publisher = {MIT Press},
  address = {Cambridge, MA},
  pages = {191--246},
  year = {2006},
  summary = {Our words about energies.},
  provenance = {Pages as in the publisher's PDF; the authors' copy paginates 1--59},
  checked = {https://example.org/lecun}
}
@techreport{radford2019language,
  author = {Radford, Alec},
  title = {Language Models are Unsupervised Multitask Learners},
  institution = {OpenAI},
  year = {2019}
}
@inproceedings{cho2014learning,
  author = {Cho, Kyunghyun and Kaiser, {\L}ukasz},
  title = {Learning Phrase Representations using {RNN} Encoder--Decoder},
  booktitle = {Proceedings of EMNLP, Doha, Qatar, October 25--29, 2014},
  year = {2014},
  eprint = {1406.1078}, archivePrefix = {arXiv},
  summary = {A two-part network.},
  abstract = {The authors' own abstract, as a user's file had it.}
}
@article{higgins2017beta,
  author = {Higgins, Irina},
  title = {$\beta$-{VAE}: Learning Basic Visual Concepts with Deep {B}oltzmann Machines},
  journal = {J},
  year = {2017}
}
"""


@pytest.fixture
def papers(db) -> dict[str, Paper]:
    report = bibtex_import(text=BIB)
    assert not report.failed, report.failed
    return {paper.citation_key: paper for paper in with_citation_data(Paper.objects.all())}


def test_tex_dashes_are_unicode_outside_bibtex_and_round_trip():
    assert latex_to_text("2672--2680") == "2672–2680"
    assert latex_to_text("a---b") == "a—b"
    assert text_to_latex("2672–2680") == "2672--2680"
    assert latex_to_text(text_to_latex("C--")) == "C--"  # two typed hyphens stay two hyphens


def test_stored_text_is_unicode(papers):
    cho = papers["cho2014learning"]
    assert cho.title == "Learning Phrase Representations using RNN Encoder–Decoder"
    assert "October 25–29, 2014" in cho.booktitle
    assert papers["lecun2006tutorial"].pages == "191–246"


def test_csl_carries_every_field_and_no_summary_or_provenance(papers):
    item = paper_csl(papers["lecun2006tutorial"])
    assert item["type"] == "chapter"
    assert item["editor"] == [
        {"family": "Bakır", "given": "Gökhan"},
        {"family": "Hofmann", "given": "Thomas"},
    ]
    assert item["collection-title"] == "Neural Information Processing Series"
    assert item["publisher"] == "MIT Press" and item["publisher-place"] == "Cambridge, MA"
    assert item["page"] == "191-246"
    text = json.dumps(item, ensure_ascii=False)
    assert "abstract" not in item and "note" not in item
    assert "Our words" not in text and "Pages as in" not in text
    report = paper_csl(papers["radford2019language"])
    assert report["type"] == "report" and report["publisher"] == "OpenAI"


def test_csl_protects_greek_letters_and_proper_nouns(papers):
    title = paper_csl(papers["higgins2017beta"])["title"]
    assert title.startswith('<span class="nocase">β-VAE</span>:')
    assert '<span class="nocase">Boltzmann Machines</span>' in title


def test_an_imported_authors_abstract_is_carried_but_the_summary_never(papers):
    cho = papers["cho2014learning"]
    item = paper_csl(cho)
    assert item["abstract"] == "The authors' own abstract, as a user's file had it."
    ris = paper_ris(cho)
    assert "AB  - The authors' own abstract" in ris and "A two-part network" not in ris
    assert "--" not in ris and "Encoder–Decoder" in ris and "Kaiser, Łukasz" in ris


def test_ris_has_editors_place_series_and_institution(papers):
    ris = paper_ris(papers["lecun2006tutorial"])
    assert "ED  - Bakır, Gökhan\r\n" in ris and "ED  - Hofmann, Thomas\r\n" in ris
    assert "CY  - Cambridge, MA\r\n" in ris and "T3  - Neural Information Processing Series\r\n" in ris
    assert "Pages as in" not in ris and "Our words" not in ris
    assert "PB  - OpenAI\r\n" in paper_ris(papers["radford2019language"])


def test_the_paper_page_says_summary_and_links_the_authors_abstract(client, papers):
    html = client.get("/papers/cho2014learning/").content.decode()
    assert ">Summary</h2>" in html and ">Abstract</h2>" not in html
    assert 'href="https://arxiv.org/abs/1406.1078"' in html and "The authors' abstract at the source" in html
    assert "Encoder–Decoder</h1>" in html and "October 25–29, 2014" in html  # "--" only in the BibTeX block
    lecun = client.get("/papers/lecun2006tutorial/").content.decode()
    assert "Pages as in the publisher" in lecun  # provenance has its place on the record, not in citations


def test_the_api_says_summary_and_has_no_latex(client, papers):
    detail = client.get("/api/papers/cho2014learning/").json()
    assert detail["summary"] == "A two-part network." and "abstract" not in detail
    assert detail["abstract_url"] == "https://arxiv.org/abs/1406.1078"
    listing = client.get("/api/papers/").content.decode()
    assert "--" not in listing
