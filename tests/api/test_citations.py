"""Citations by content negotiation: BibTeX, RIS and CSL-JSON on paper lists, paper details and families."""

import json
import re

import pytest

from papers.models import Paper
from tests.factories import AuthorFactory, PaperFactory

pytestmark = pytest.mark.django_db

BIBTEX = "application/x-bibtex"
RIS = "application/x-research-info-systems"
CSL = "application/vnd.citationstyles.csl+json"


@pytest.mark.parametrize(
    ("accept", "fmt", "content_type", "filename"),
    [
        (BIBTEX, "bibtex", f"{BIBTEX}; charset=utf-8", "goodfellow2014generative.bib"),
        (RIS, "ris", f"{RIS}; charset=utf-8", "goodfellow2014generative.ris"),
        (CSL, "csljson", f"{CSL}; charset=utf-8", "goodfellow2014generative.json"),
    ],
)
def test_paper_detail_by_accept_header_and_by_format(
    client, api_catalog, accept, fmt, content_type, filename
):
    by_header = client.get("/api/papers/goodfellow2014generative/", HTTP_ACCEPT=accept)
    by_query = client.get(f"/api/papers/goodfellow2014generative/?format={fmt}")
    for response in (by_header, by_query):
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert "Generative Adversarial Nets" in response.content.decode()
    assert by_header.content == by_query.content
    assert "Accept" in by_header["Vary"]


def test_paper_list_as_bibtex_respects_filters(client, api_catalog):
    response = client.get("/api/papers/?family=normalizing-flows", HTTP_ACCEPT=BIBTEX)
    text = response.content.decode()
    assert response["Content-Disposition"] == 'attachment; filename="papers.bib"'
    assert "@misc{dinh2015nice," in text and "dinh2017density," in text
    assert "goodfellow2014generative" not in text


def test_family_detail_exports_its_papers(client, api_catalog):
    response = client.get("/api/families/normalizing-flows/", HTTP_ACCEPT=RIS)
    assert response["Content-Disposition"] == 'attachment; filename="normalizing-flows.ris"'
    text = response.content.decode()
    assert text.count("ER  -") == 2 and "goodfellow" not in text.lower()
    items = json.loads(client.get("/api/families/gans/?format=csljson").content)
    assert [item["id"] for item in items] == ["goodfellow2014generative"]


def test_every_paper_as_one_bib_with_page_size_500(client, db):
    PaperFactory.create_batch(320, authors=[])
    response = client.get("/api/papers/?page_size=500", HTTP_ACCEPT=BIBTEX)
    assert response.status_code == 200
    assert response.content.decode().count("\n@") + 1 == 320 == Paper.objects.count()


def test_paginated_export_holds_the_page_only(client, db):
    PaperFactory.create_batch(12, authors=[])
    first = client.get("/api/papers/?page_size=5&ordering=citation_key&format=bibtex").content.decode()
    third = client.get("/api/papers/?page_size=5&page=3&ordering=citation_key&format=bibtex").content.decode()
    assert first.count("@inproceedings{") == 5 and third.count("@inproceedings{") == 2


def _paper_facts(paper: dict) -> dict:
    keep = ["citation_key", "entry_type", "title", "year", "pages", "doi", "arxiv_id", "booktitle", "journal"]
    facts = {key: paper[key] for key in keep}
    facts["authors"] = [(a["given"], a["von"], a["family"], a["suffix"]) for a in paper["authors"]]
    facts["extra_fields"] = paper["extra_fields"]
    return facts


@pytest.fixture
def tricky(db):
    """Papers whose names, accents and fields trip up exporters."""
    PaperFactory(
        citation_key="oord2016pixel",
        title="Pixel Recurrent Neural Networks",
        year=2016,
        entry_type="inproceedings",
        booktitle="Proceedings of the 33rd International Conference on Machine Learning",
        pages="1747--1756",
        arxiv_id="1601.06759",
        authors=[
            AuthorFactory(given="Aäron", von="van den", family="Oord"),
            AuthorFactory(given="Nal", family="Kalchbrenner"),
        ],
        extra_fields={"keywords": "autoregressive, pixels"},
    )
    PaperFactory(
        citation_key="king1963dream",
        title="Flow++ & Friends: 50% of GANs in $x^2$ Space",
        year=1963,
        entry_type="article",
        booktitle="",
        journal="Journal of Things",
        doi="10.1000/xyz-1",
        venue=None,
        authors=[
            AuthorFactory(given="Martin Luther", family="King", suffix="Jr."),
            AuthorFactory(given="José", family="Müller-Løken"),
        ],
    )


def test_bibtex_round_trip_through_the_import_endpoint(client, staff_client, tricky):
    before = sorted((_paper_facts(p) for p in _details(client)), key=lambda p: p["citation_key"])
    bib = client.get("/api/papers/", HTTP_ACCEPT=BIBTEX).content.decode()
    Paper.objects.all().delete()
    report = staff_client.post("/api/papers/import/", data=bib.encode(), content_type="text/x-bibtex")
    assert report.status_code == 200, report.content
    assert sorted(report.json()["created"]) == ["king1963dream", "oord2016pixel"]
    after = sorted((_paper_facts(p) for p in _details(client)), key=lambda p: p["citation_key"])
    assert after == before


def _details(client):
    keys = [row["citation_key"] for row in client.get("/api/papers/").json()["results"]]
    return [client.get(f"/api/papers/{key}/").json() for key in keys]


def _parse_ris(text: str) -> list[dict[str, list[str]]]:
    records, current = [], {}
    for line in text.splitlines():
        if not line.strip():
            continue
        tag, _, value = line.partition("  - ")
        if tag == "ER":
            records.append(current)
            current = {}
        else:
            current.setdefault(tag, []).append(value)
    return records


def test_ris_round_trip(client, tricky):
    records = {r["ID"][0]: r for r in _parse_ris(client.get("/api/papers/?format=ris").content.decode())}
    for paper in _details(client):
        record = records[paper["citation_key"]]
        assert record["TI"] == [paper["title"]]
        assert record["PY"][0].startswith(str(paper["year"]))
        expected = [
            ", ".join(part for part in (f"{a['von']} {a['family']}".strip(), a["given"], a["suffix"]) if part)
            for a in paper["authors"]
        ]
        assert [name.replace(", Jr.", "") for name in record["AU"]] == [
            name.replace(", Jr.", "") for name in expected
        ]
        if paper["doi"]:
            assert record["DO"] == [paper["doi"]]
    assert records["oord2016pixel"]["TY"] == ["CPAPER"]
    assert records["king1963dream"]["TY"] == ["JOUR"]


def test_csl_json_round_trip(client, tricky):
    items = {item["id"]: item for item in json.loads(client.get("/api/papers/", HTTP_ACCEPT=CSL).content)}
    for paper in _details(client):
        item = items[paper["citation_key"]]
        # Words a style must not recase sit in CSL's nocase spans; the text is the paper's title.
        assert re.sub(r'<span class="nocase">|</span>', "", item["title"]) == paper["title"]
        assert item["issued"]["date-parts"][0][0] == paper["year"]
        names = [
            (n.get("given", ""), n.get("non-dropping-particle", ""), n["family"], n.get("suffix", ""))
            for n in item["author"]
        ]
        assert names == [(a["given"], a["von"], a["family"], a["suffix"]) for a in paper["authors"]]
    assert items["king1963dream"]["DOI"] == "10.1000/xyz-1"
    assert items["king1963dream"]["container-title"] == "Journal of Things"


def test_format_parameter_wins_over_the_accept_header(client, api_catalog):
    response = client.get("/api/papers/dinh2015nice/?format=bibtex", HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == f"{BIBTEX}; charset=utf-8"
    unknown = client.get("/api/papers/dinh2015nice/?format=pdf")
    assert unknown.status_code == 406 and unknown.json()["code"] == "not_acceptable"
