"""Who is asking for jobs: a client is its address (X-Forwarded-For only from a trusted proxy), owning a job
is holding its token or the session that asked, and the demo's rate counts only accepted new work; polling
is never throttled."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from generation.models import GenerationJob
from tests.generation.test_services import first_demo, small

pytestmark = pytest.mark.django_db


def post_job(client, demo, *, seed: int = 0, forwarded_for: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    body = {"demo": demo.slug, "params": small(demo, seed=seed)}
    return client.post("/api/jobs/", body, format="json", **headers)


def test_a_rotating_forwarded_for_header_does_not_make_new_clients(demos, settings):
    settings.GENERATION_MAX_ACTIVE_PER_CLIENT = 3
    demo = first_demo(demos)
    flooder = APIClient(REMOTE_ADDR="203.0.113.9")
    codes = [
        post_job(flooder, demo, seed=seed, forwarded_for=f"198.51.100.{seed}").status_code
        for seed in range(20)
    ]
    assert codes.count(202) == 3 and codes.count(429) == 17
    assert set(GenerationJob.objects.values_list("client", flat=True)) == {"ip:203.0.113.9"}
    # Everybody else still gets in.
    assert post_job(APIClient(REMOTE_ADDR="192.0.2.50"), demo, seed=99).status_code == 202


def test_the_api_throttle_ignores_forwarded_for_from_an_untrusted_peer(demos, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "3/minute"},
    }
    reader = APIClient(REMOTE_ADDR="203.0.113.10")
    codes = [reader.get("/api/demos/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_a_trusted_proxy_s_forwarded_for_names_the_client(demos, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.GENERATION_MAX_ACTIVE_PER_CLIENT = 1
    demo = first_demo(demos)
    proxy = APIClient(REMOTE_ADDR="10.0.0.2")
    # The client wrote the first hop itself; the proxy appended the address it saw.
    first = post_job(proxy, demo, seed=1, forwarded_for="6.6.6.6, 192.0.2.7")
    assert first.status_code == 202
    assert GenerationJob.objects.get(pk=first.json()["id"]).client == "ip:192.0.2.7"
    again = post_job(proxy, demo, seed=2, forwarded_for="7.7.7.7, 192.0.2.7")
    assert again.status_code == 429
    other = post_job(proxy, demo, seed=3, forwarded_for="192.0.2.8")
    assert other.status_code == 202


def test_only_the_token_holder_cancels_a_job_through_the_api(demos):
    demo = first_demo(demos)
    victim = APIClient(REMOTE_ADDR="192.0.2.1")
    created = post_job(victim, demo).json()
    cancel = created["url"] + "cancel/"
    attacker = APIClient(REMOTE_ADDR="203.0.113.66")
    assert attacker.post(cancel, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 403
    # Same address (a shared NAT) is not ownership either.
    assert APIClient(REMOTE_ADDR="192.0.2.1").post(cancel).status_code == 403
    assert attacker.post(cancel, HTTP_X_JOB_TOKEN="0" * 64).status_code == 403
    assert GenerationJob.objects.get(pk=created["id"]).status == "queued"
    done = victim.post(cancel, HTTP_X_JOB_TOKEN=created["token"])
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    # A reused job's answer carries no token: the second asker does not own the first one's job.
    again = post_job(APIClient(REMOTE_ADDR="192.0.2.2"), demo, seed=5)
    repeat = post_job(APIClient(REMOTE_ADDR="192.0.2.3"), demo, seed=5)
    assert again.json()["token"] and repeat.json()["reused"] and repeat.json()["token"] is None


def test_only_the_session_that_asked_cancels_a_job_from_the_page(demos):
    demo = first_demo(demos)
    owner = Client(REMOTE_ADDR="192.0.2.1")
    owner.post(reverse("generation:job-create", kwargs={"slug": demo.slug}), {"n": "1", "seed": "3"})
    job = GenerationJob.objects.get()
    cancel = reverse("generation:job-cancel", kwargs={"pk": job.pk})
    neighbour = Client(REMOTE_ADDR="192.0.2.1")  # same address, another browser
    assert neighbour.post(cancel).status_code == 403
    assert "Cancel</button>" not in neighbour.get(job.get_absolute_url()).content.decode()
    assert "Cancel</button>" in owner.get(job.get_absolute_url()).content.decode()
    assert owner.post(cancel).status_code == 302
    assert GenerationJob.objects.get(pk=job.pk).status == "cancelled"


def test_the_rate_counts_only_accepted_new_work(demos, settings):
    settings.GENERATION_RATE_ANON = "2/hour"
    demo = first_demo(demos)
    api = APIClient(REMOTE_ADDR="192.0.2.20")
    assert post_job(api, demo, seed=1).status_code == 202
    for _ in range(5):  # the same request again: answered from the store, free
        assert post_job(api, demo, seed=1).status_code == 200
    for _ in range(5):  # invalid requests: refused, free
        assert (
            api.post("/api/jobs/", {"demo": demo.slug, "params": {"n": 10**6}}, format="json").status_code
            == 400
        )
    assert post_job(api, demo, seed=2).status_code == 202
    third = post_job(api, demo, seed=3)
    assert third.status_code == 429 and int(third["Retry-After"]) > 0
    # The form has the same rule.
    form = Client(REMOTE_ADDR="192.0.2.21")
    create = reverse("generation:job-create", kwargs={"slug": demo.slug})
    for _ in range(4):
        assert form.post(create, {"n": "1", "seed": "8"}).status_code == 302
    assert form.post(create, {"n": "1", "seed": "9"}).status_code == 302
    limited = form.post(create, {"n": "1", "seed": "10"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0


def test_polling_a_job_is_never_throttled(demos, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "5/minute", "user": "5/minute"},
    }
    api = APIClient(REMOTE_ADDR="192.0.2.30")
    url = post_job(api, first_demo(demos)).json()["url"]
    assert [api.get(url).status_code for _ in range(30)] == [200] * 30


def test_prefer_wait_holds_the_answer_at_most_as_long_as_asked(demos):
    api = APIClient(REMOTE_ADDR="192.0.2.40")
    url = post_job(api, first_demo(demos)).json()["url"]
    held = api.get(url, HTTP_PREFER="wait=1")
    assert held.status_code == 200 and held["Preference-Applied"] == "wait=1"
    assert held.json()["status"] == "queued"  # no worker here: it waited the second, then answered


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_prefer_wait_answers_with_the_finished_job_instead_of_polling(demos, worker_factory):
    worker = worker_factory()
    demo = first_demo(demos)
    api = APIClient(REMOTE_ADDR="192.0.2.41")
    body = {"demo": demo.slug, "params": small(demo, seed=4242)}
    created = api.post("/api/jobs/", body, format="json", HTTP_PREFER="wait=10")
    assert created.status_code == 202 and created["Preference-Applied"] == "wait=10"
    answer = created.json()
    if answer["status"] != "succeeded":  # a cold worker may need longer: one held GET more
        answer = api.get(answer["url"], HTTP_PREFER="wait=10").json()
    assert answer["status"] == "succeeded", worker.text()[-2000:]
    assert api.get(created.json()["url"]).json()["samples"]
