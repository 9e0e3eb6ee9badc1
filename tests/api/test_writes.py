"""Writes: staff by session or token create, change and delete; everyone else reads only."""

import pytest

from catalog.models import ExampleModel, Family
from papers.models import Paper

pytestmark = pytest.mark.django_db

NEW_PAPER = {
    "citation_key": "ho2020denoising",
    "entry_type": "inproceedings",
    "title": "Denoising Diffusion Probabilistic Models",
    "authors": [
        {"given": "Jonathan", "family": "Ho"},
        {"given": "Aäron", "von": "van den", "family": "Oord"},
    ],
    "year": 2020,
    "venue": "nips",
    "arxiv_id": "2006.11239",
    "extra_fields": {"keywords": "diffusion"},
}


def test_anonymous_cannot_write(client, api_catalog):
    response = client.post("/api/papers/", NEW_PAPER, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert "WWW-Authenticate" in response  # Token auth names its scheme, so 401 rather than 403
    assert not Paper.objects.filter(citation_key="ho2020denoising").exists()


def test_non_staff_user_is_forbidden(client, api_catalog, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader", password="pw-reader-1"))
    response = client.delete("/api/papers/goodfellow2014generative/")
    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "code": "permission_denied",
        "detail": "You do not have permission to perform this action.",
        "fields": {},
    }


@pytest.mark.parametrize("api", ["staff_client", "token_client"])
def test_staff_create_update_delete_paper(request, api_catalog, api):
    api = request.getfixturevalue(api)
    created = api.post("/api/papers/", NEW_PAPER, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert created["Location"] == body["api_url"] == "http://testserver/api/papers/ho2020denoising/"
    assert [a["name"] for a in body["authors"]] == ["Jonathan Ho", "Aäron van den Oord"]
    # An existing author is reused, not duplicated.
    assert body["authors"][1]["slug"] == "aaron-van-den-oord"
    assert body["venue"]["slug"] == "nips"
    assert body["extra_fields"] == {"keywords": "diffusion"}

    changed = api.patch("/api/papers/ho2020denoising/", {"pages": "6840--6851"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["pages"] == "6840--6851"
    assert len(changed.json()["authors"]) == 2  # authors untouched when not sent

    assert api.delete("/api/papers/ho2020denoising/").status_code == 204
    assert api.get("/api/papers/ho2020denoising/").status_code == 404


def test_paper_validation_errors_name_the_fields(staff_client, api_catalog):
    bad = {**NEW_PAPER, "year": 3000, "venue": "nowhere", "authors": [{"given": "No family"}]}
    response = staff_client.post("/api/papers/", bad, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"year", "venue", "authors.0.family"}
    duplicate = staff_client.post(
        "/api/papers/", {**NEW_PAPER, "citation_key": "goodfellow2014generative"}, format="json"
    )
    assert duplicate.status_code == 400
    assert "citation_key" in duplicate.json()["fields"]


def test_staff_write_family_with_links(token_client, api_catalog):
    payload = {
        "slug": "diffusion-models",
        "name": "Diffusion models",
        "short_name": "Diffusion",
        "taxonomy_node": "explicit-density",
        "summary": "Learn to reverse a noising process.",
        "mechanism": "Forward noising, learned reverse denoising.",
        "key_insight": "Denoising at many noise levels.",
        "likelihood": "bound",
        "sampling": "iterative",
        "concepts": ["minimax-game"],
        "domains": [{"domain": "images", "examples": "photos"}, {"domain": "audio"}],
        "papers": [{"paper": "dinh2015nice", "role": "follow_up", "note": "for contrast"}],
    }
    created = token_client.post("/api/families/", payload, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert [d["slug"] for d in body["domains"]] == ["images", "audio"]
    assert body["papers"][0]["citation_key"] == "dinh2015nice"
    changed = token_client.patch("/api/families/diffusion-models/", {"domains": []}, format="json")
    assert changed.json()["domains"] == []
    assert changed.json()["papers"]  # not sent, not touched
    assert token_client.delete("/api/families/diffusion-models/").status_code == 204
    assert not Family.objects.filter(slug="diffusion-models").exists()


def test_staff_write_example_model_and_taxonomy(staff_client, api_catalog):
    created = staff_client.post(
        "/api/models/",
        {"slug": "glow", "name": "Glow", "year": 2018, "families": ["normalizing-flows"], "paper": None},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["families"][0]["slug"] == "normalizing-flows"
    assert ExampleModel.objects.get(slug="glow").year == 2018
    no_family = staff_client.post("/api/models/", {"slug": "x", "name": "X", "families": []}, format="json")
    assert no_family.status_code == 400 and "families" in no_family.json()["fields"]

    cycle = staff_client.patch("/api/taxonomy/explicit-density/", {"parent": "tractable"}, format="json")
    assert cycle.status_code == 400
    assert cycle.json()["fields"] == {"parent": ["A node cannot sit below itself."]}


def test_deleting_a_record_still_in_use_is_a_409(staff_client, api_catalog):
    response = staff_client.delete("/api/authors/aaron-van-den-oord/")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_patch_rows_keep_their_required_fields(staff_client, api_catalog):
    response = staff_client.patch(
        "/api/families/gans/",
        {"papers": [{"role": "seminal"}], "domains": [{"examples": "x"}]},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"papers.0.paper", "domains.0.domain"}
    authors = staff_client.patch("/api/papers/dinh2015nice/", {"authors": [{"given": "X"}]}, format="json")
    assert authors.status_code == 400 and "authors.0.family" in authors.json()["fields"]
    renamed = staff_client.patch(
        "/api/papers/dinh2015nice/", {"authors": [{"family": "Dinh"}]}, format="json"
    )
    assert [a["name"] for a in renamed.json()["authors"]] == ["Dinh"]


def test_a_paper_write_is_one_transaction(api_catalog):
    """What the API's create and update call: a failure while storing the authors leaves nothing behind."""
    import psycopg
    from django.db import DatabaseError

    from papers.services import paper_create, paper_update

    too_long = {"family": "x" * 500}  # longer than the column; the serializer would refuse it first
    refused = (DatabaseError, psycopg.Error)  # authors go in by COPY, whose errors Django does not wrap
    with pytest.raises(refused):
        paper_create(data={"citation_key": "half2020written", "title": "Half written", "authors": [too_long]})
    assert not Paper.objects.filter(citation_key="half2020written").exists()

    nice = api_catalog["nice"]
    with pytest.raises(refused):
        paper_update(paper=nice, data={"title": "Renamed", "authors": [{"family": "Dinh"}, too_long]})
    nice.refresh_from_db()
    assert nice.title == "NICE: Non-linear Independent Components Estimation"
    assert [a.author.family for a in nice.authorships.order_by("position")] == ["Dinh", "Oord"]


def test_a_family_write_is_one_transaction(api_catalog):
    """A link list that cannot be stored (a domain twice; the serializer refuses it first) undoes the rest."""
    from django.db import IntegrityError

    from catalog.services import family_update

    gans, images = api_catalog["gans"], api_catalog["images"]
    twice = [{"domain": images, "examples": "a"}, {"domain": images, "examples": "b"}]
    with pytest.raises(IntegrityError):
        family_update(family=gans, data={"name": "Renamed", "concepts": [], "domains": twice})
    gans.refresh_from_db()
    assert gans.name == "Generative Adversarial Networks"
    assert [c.slug for c in gans.concepts.all()] == ["minimax-game"]
    assert [d.domain.slug for d in gans.family_domains.all()] == ["images"]
