"""Read endpoints: every record by slug or key, links as URLs, filters, ordering, search and pagination."""

import pytest

from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "families": ("gans", "slug"),
    "taxonomy": ("tractable", "slug"),
    "concepts": ("minimax-game", "slug"),
    "domains": ("images", "slug"),
    "models": ("dcgan", "slug"),
    "papers": ("goodfellow2014generative", "citation_key"),
    "authors": ("aaron-van-den-oord", "slug"),
    "venues": ("iclr", "slug"),
}


def keys(response, field="citation_key"):
    return [row[field] for row in response.json()["results"]]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_list_and_detail_carry_their_urls(client, api_catalog, name):
    lookup, field = ENDPOINTS[name]
    listing = client.get(f"/api/{name}/")
    assert listing.status_code == 200
    body = listing.json()
    assert {"count", "next", "previous", "results"} <= set(body)
    assert all(row["api_url"].startswith("http://testserver/api/") for row in body["results"])

    detail = client.get(f"/api/{name}/{lookup}/")
    assert detail.status_code == 200, detail.content
    assert detail.json()[field] == lookup
    assert detail.json()["api_url"] == f"http://testserver/api/{name}/{lookup}/"
    assert client.get(detail.json()["api_url"]).status_code == 200


def test_family_links_every_related_record(client, api_catalog):
    family = client.get("/api/families/gans/").json()
    assert family["taxonomy_node"]["api_url"] == "http://testserver/api/taxonomy/implicit-density/"
    assert [c["slug"] for c in family["concepts"]] == ["minimax-game"]
    assert family["domains"] == [
        {
            "slug": "images",
            "name": "Images",
            "examples": "faces, objects, art",
            "api_url": "http://testserver/api/domains/images/",
        }
    ]
    assert family["example_models"][0]["api_url"] == "http://testserver/api/models/dcgan/"
    assert family["paper_count"] == 1
    assert family["papers_url"] == "http://testserver/api/papers/?family=gans"
    assert family["key_papers"] == family["papers"]
    assert family["papers"][0] | {"note": ""} == {
        "citation_key": "goodfellow2014generative",
        "title": "Generative Adversarial Nets",
        "year": 2014,
        "role": "seminal",
        "note": "",
        "api_url": "http://testserver/api/papers/goodfellow2014generative/",
    }
    assert family["web_url"] == "http://testserver/families/gans/"
    assert family["mechanism"]


def test_family_list_rows_carry_key_papers_and_a_link_to_all(client, api_catalog):
    rows = {row["slug"]: row for row in client.get("/api/families/").json()["results"]}
    flows = rows["normalizing-flows"]
    assert (flows["paper_count"], [p["citation_key"] for p in flows["key_papers"]]) == (2, ["dinh2015nice"])
    assert "papers" not in flows
    assert [p["citation_key"] for p in client.get(flows["papers_url"]).json()["results"]] == [
        "dinh2017density",
        "dinh2015nice",
    ]


def test_paper_detail_keeps_author_order_and_name_parts(client, api_catalog):
    paper = client.get("/api/papers/dinh2015nice/").json()
    assert [a["family"] for a in paper["authors"]] == ["Dinh", "Oord"]
    assert paper["authors"][1] | {} == paper["authors"][1]
    assert paper["authors"][1]["von"] == "van den"
    assert paper["authors"][1]["name"] == "Aäron van den Oord"
    assert paper["venue"]["slug"] == "iclr"
    assert paper["families"][0]["role"] == "seminal"
    assert paper["doi_url"] == "https://doi.org/10.1000/nice"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("family=gans", ["goodfellow2014generative"]),
        ("family=normalizing-flows", ["dinh2017density", "dinh2015nice"]),
        ("family=normalizing-flows&role=seminal", ["dinh2015nice"]),
        ("role=seminal&ordering=year", ["goodfellow2014generative", "dinh2015nice"]),
        ("domain=audio", ["dinh2017density", "dinh2015nice"]),
        ("concept=minimax-game", ["goodfellow2014generative"]),
        ("year=2015", ["dinh2015nice"]),
        ("year_from=2015", ["dinh2017density", "dinh2015nice"]),
        ("year_from=2014&year_to=2015", ["dinh2015nice", "goodfellow2014generative"]),
        ("venue=iclr", ["dinh2017density", "dinh2015nice"]),
        ("author=aaron-van-den-oord", ["dinh2015nice"]),
        ("has_arxiv=true", ["dinh2017density", "goodfellow2014generative"]),
        ("has_arxiv=false", ["dinh2015nice"]),
        ("has_doi=true", ["dinh2015nice"]),
        ("entry_type=misc", ["dinh2015nice"]),
        ("key=dinh2015nice,dinh2017density", ["dinh2017density", "dinh2015nice"]),
        ("ordering=year", ["goodfellow2014generative", "dinh2015nice", "dinh2017density"]),
        ("ordering=-citation_key", ["goodfellow2014generative", "dinh2017density", "dinh2015nice"]),
        ("q=adversarial", ["goodfellow2014generative"]),
        ("q=oord", ["dinh2015nice"]),
        ("q=density&venue=iclr", ["dinh2017density"]),
        ("family=gans&year_from=2015", []),
    ],
)
def test_paper_filters(client, api_catalog, query, expected):
    response = client.get(f"/api/papers/?{query}")
    assert response.status_code == 200, response.content
    assert keys(response) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/families/?domain=audio", ["normalizing-flows"]),
        ("/api/families/?concept=minimax-game", ["gans"]),
        ("/api/families/?taxonomy=explicit-density", ["normalizing-flows"]),
        ("/api/families/?likelihood=exact&ordering=-name", ["normalizing-flows", "gans"]),
        ("/api/families/?q=adversarial", ["gans"]),
        ("/api/models/?family=gans", ["dcgan"]),
        ("/api/models/?domain=audio", []),
        ("/api/models/?year_from=2016&year_to=2016", ["dcgan"]),
        ("/api/concepts/?family=gans", ["minimax-game"]),
        ("/api/domains/?family=normalizing-flows", ["audio"]),
        ("/api/taxonomy/?root=true", ["explicit-density", "implicit-density"]),
        ("/api/taxonomy/?parent=explicit-density", ["tractable"]),
        ("/api/venues/?name=learning", ["iclr"]),
        ("/api/authors/?name=oord", ["aaron-van-den-oord"]),
    ],
)
def test_catalog_filters(client, api_catalog, path, expected):
    response = client.get(path)
    assert response.status_code == 200, response.content
    assert keys(response, "slug") == expected


def test_invalid_filter_value_is_a_400_naming_the_field(client, api_catalog):
    response = client.get("/api/papers/?year=abc")
    assert response.status_code == 400
    assert response.json()["fields"] == {"year": ["Enter a number."]}


def test_page_size_is_honoured_and_capped(client, db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "MAX_PAGE_SIZE": 7}
    PaperFactory.create_batch(9, authors=[])
    body = client.get("/api/papers/?page_size=3").json()
    assert (body["count"], len(body["results"])) == (9, 3)
    assert "page=2" in body["next"]
    assert len(client.get("/api/papers/?page_size=500").json()["results"]) == 7
    assert client.get("/api/papers/?page=99").json()["status"] == 404
