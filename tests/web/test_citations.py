"""RIS and CSL-JSON formatters (papers/citations.py), shared with the API."""

import json

import pytest

from papers import citations
from papers.models import Paper
from tests import factories as f

pytestmark = pytest.mark.django_db


def _paper(**fields):
    authors = fields.pop("authors", None)
    paper = f.PaperFactory(**fields, authors=authors)
    return citations.with_citation_data(Paper.objects.filter(pk=paper.pk)).get()


def test_ris_record_for_a_journal_article():
    king = f.AuthorFactory(given="Martin Luther", family="King", suffix="Jr.")
    paper = _paper(
        citation_key="king1963letter",
        entry_type="article",
        title="Letter\nfrom Jail",
        journal="The Atlantic",
        volume="212",
        number="2",
        pages="78--88",
        month="aug",
        year=1963,
        doi="10.1000/x",
        authors=[king],
    )
    ris = citations.paper_ris(paper)
    lines = ris.split("\r\n")
    assert lines[0] == "TY  - JOUR"
    assert "AU  - King, Jr., Martin Luther" in lines
    assert "TI  - Letter from Jail" in lines  # a newline in a value would break the record
    assert {"JO  - The Atlantic", "VL  - 212", "IS  - 2", "SP  - 78", "EP  - 88", "DO  - 10.1000/x"} <= set(
        lines
    )
    assert "DA  - 1963/08//" in lines
    assert lines[-2] == "ER  - "


def test_csl_json_for_a_conference_paper():
    oord = f.AuthorFactory(given="Aäron", von="van den", family="Oord")
    paper = _paper(
        citation_key="oord2016pixel",
        title="Pixel Recurrent Neural Networks",
        year=2016,
        booktitle="Proceedings of ICML",
        pages="1747--1756",
        arxiv_id="1601.06759",
        authors=[oord],
    )
    item = json.loads(citations.papers_csl_json(papers=[paper]))[0]
    assert item["type"] == "paper-conference" and item["id"] == "oord2016pixel"
    assert item["author"] == [{"family": "Oord", "given": "Aäron", "non-dropping-particle": "van den"}]
    assert item["container-title"] == "Proceedings of ICML" and item["page"] == "1747-1756"
    assert item["URL"] == "https://arxiv.org/abs/1601.06759"


def test_formatters_cost_a_fixed_number_of_queries(django_assert_num_queries):
    for n in range(20):
        f.PaperFactory(citation_key=f"many{n}")
    with django_assert_num_queries(2):
        papers = list(citations.with_citation_data(Paper.objects.all()))
        citations.papers_ris(papers=papers)
        citations.papers_csl_json(papers=papers)
