"""The generation API through HTTP: demos, job creation (202, 200 reuse, 400 field errors, 429 with
Retry-After), polling, cancel, samples, and the OpenAPI schema."""

import pytest
from rest_framework.test import APIClient

from generation import services
from generation.models import GenerationJob
from tests.generation.test_services import first_demo, small

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def test_demos_list_their_family_and_parameter_schema(api, demos):
    response = api.get("/api/demos/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert sorted(r["slug"] for r in rows) == sorted(demos)
    row = rows[0]
    assert row["family"] == demos[row["slug"]].family_slug
    names = {p["name"] for p in row["params"]}
    assert {"seed", "n"} <= names
    n = next(p for p in row["params"] if p["name"] == "n")
    assert n["kind"] == "int" and n["minimum"] == 1 and n["maximum"] <= 64
    detail = api.get(f"/api/demos/{row['slug']}/")
    assert detail.status_code == 200 and detail.json()["checkpoint_sha256"] == row["checkpoint_sha256"]
    family = row["family"]
    expected = sorted(slug for slug, demo in demos.items() if demo.family_slug == family)
    for query in ({"family": family}, {"family_slug": family}):  # the papers' name, and the earlier one
        rows = api.get("/api/demos/", query).json()["results"]
        assert sorted(r["slug"] for r in rows) == expected and len(expected) < len(demos)


def test_post_a_job_then_poll_it(api, demos):
    demo = first_demo(demos)
    response = api.post("/api/jobs/", {"demo": demo.slug, "params": small(demo)}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["reused"] is False
    assert body["url"].endswith(f"/api/jobs/{body['id']}/") and response["Location"] == body["url"]
    polled = api.get(body["url"]).json()
    assert polled["status"] == "queued" and polled["demo"] == demo.slug
    assert polled["progress"] == {"step": 0, "total": 0} and polled["samples"] == []
    assert polled["queue_position"] == 0
    # The worker's side, in-process here (the worker tests run it in a real worker).
    assert services.job_run(job_id=body["id"]) == "succeeded"
    done = api.get(body["url"]).json()
    assert done["status"] == "succeeded" and done["attempts"] == 1
    assert done["progress"]["step"] == done["progress"]["total"] > 0
    sample = done["samples"][0]
    artefact = api.get(sample["url"])
    assert artefact.status_code == 200
    assert artefact["Content-Type"].split(";")[0] == sample["content_type"]
    assert artefact["X-Content-Type-Options"] == "nosniff"
    # The same request again is answered at once by the stored job.
    again = api.post("/api/jobs/", {"demo": demo.slug, "params": small(demo)}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"] and again.json()["reused"]
    listed = api.get("/api/samples/", {"family": demo.family_slug}).json()["results"]
    assert sample["id"] in {s["id"] for s in listed}


def test_bad_parameters_answer_400_with_field_errors(api, demos):
    demo = first_demo(demos)
    response = api.post("/api/jobs/", {"demo": demo.slug, "params": {"n": 65, "nonsense": 1}}, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert "params.n" in fields and "params.nonsense" in fields
    named = next(d for d in demos.values() if d.param("prefix"))
    letters = api.post("/api/jobs/", {"demo": named.slug, "params": {"prefix": "x_y"}}, format="json")
    assert letters.status_code == 400 and letters.json()["fields"]["params.prefix"] == [
        "may hold only the letters a-z"
    ]
    unknown = api.post("/api/jobs/", {"demo": "no-such-demo"}, format="json")
    assert unknown.status_code == 400 and "demo" in unknown.json()["fields"]
    assert not GenerationJob.objects.exists()


def test_too_many_active_jobs_answer_429_with_retry_after(api, demos, settings):
    demo = first_demo(demos)
    settings.GENERATION_MAX_ACTIVE_PER_CLIENT = 1
    first = api.post("/api/jobs/", {"demo": demo.slug, "params": small(demo)}, format="json")
    assert first.status_code == 202
    second = api.post("/api/jobs/", {"demo": demo.slug, "params": small(demo, seed=1)}, format="json")
    assert second.status_code == 429
    assert int(second["Retry-After"]) > 0 and second.json()["code"] == "throttled"


def test_the_creation_rate_is_throttled(api, demos, settings):
    demo = first_demo(demos)
    settings.GENERATION_RATE_ANON = "2/minute"
    codes = [
        api.post("/api/jobs/", {"demo": demo.slug, "params": small(demo, seed=s)}, format="json").status_code
        for s in range(3)
    ]
    assert codes == [202, 202, 429]
    # Reading is not creation: polling stays allowed.
    assert api.get("/api/demos/").status_code == 200


def test_cancel_through_the_api(api, demos):
    demo = first_demo(demos)
    created = api.post("/api/jobs/", {"demo": demo.slug, "params": small(demo)}, format="json").json()
    job_url = created["url"]
    cancelled = api.post(job_url + "cancel/", HTTP_X_JOB_TOKEN=created["token"])
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    stranger = APIClient(REMOTE_ADDR="10.9.8.7")
    assert stranger.post(job_url + "cancel/").status_code == 403


def test_the_schema_documents_the_generation_endpoints(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/jobs/"] and "202" in paths["/api/jobs/"]["post"]["responses"]
    assert "get" in paths["/api/jobs/{id}/"]
    assert "post" in paths["/api/jobs/{id}/cancel/"]
    assert "/api/demos/" in paths and "/api/samples/" in paths
