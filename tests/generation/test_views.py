"""The generation pages and htmx partials through the test client."""

import pytest
from django.urls import reverse

from generation import services
from generation.models import GenerationJob
from tests.generation.test_services import first_demo, small

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_demo_panel_is_built_from_the_parameter_schema(client, demos):
    demo = first_demo(demos)
    url = reverse("generation:family-demo", kwargs={"slug": demo.family_slug})
    page = client.get(url)
    assert page.status_code == 200 and b"<html" in page.content
    partial = client.get(url, **HTMX)
    html = partial.content.decode()
    assert "<html" not in html and partial["Vary"] and "HX-Request" in partial["Vary"]
    assert f'hx-post="{reverse("generation:job-create", kwargs={"slug": demo.slug})}"' in html
    for param in demo.params_schema:
        assert f'name="{param["name"]}"' in html
    n = demo.param("n")
    assert f'max="{n["maximum"]}"' in html and f'min="{n["minimum"]}"' in html
    assert client.get(reverse("generation:family-demo", kwargs={"slug": "no-such-family"})).status_code == 404


def test_the_form_creates_a_job_and_answers_with_the_polling_partial(client, demos):
    demo = first_demo(demos)
    create = reverse("generation:job-create", kwargs={"slug": demo.slug})
    response = client.post(create, {"n": "1", "seed": "3"}, **HTMX)
    assert response.status_code == 200
    job = GenerationJob.objects.get()
    html = response.content.decode()
    assert f'id="job-{job.pk}"' in html and "hx-trigger=" in html and "<progress" in html
    assert job.client.startswith("ip:") and job.params["n"] == 1 and job.seed == 3
    # Without JavaScript: a redirect to the job's page, which reloads itself (noscript) while active.
    plain = client.post(create, {"n": "1", "seed": "4"})
    assert plain.status_code == 302
    page = client.get(plain["Location"])
    assert page.status_code == 200 and b'<noscript><meta http-equiv="refresh"' in page.content


def test_form_errors_name_the_field(client, demos):
    demo = first_demo(demos)
    create = reverse("generation:job-create", kwargs={"slug": demo.slug})
    response = client.post(create, {"n": "1000"}, **HTMX)
    assert response.status_code == 200 and b'role="alert"' in response.content and b"n" in response.content
    assert client.post(create, {"n": "1000"}).status_code == 400
    assert not GenerationJob.objects.exists()


def test_the_form_and_the_api_refuse_a_value_with_the_same_words(client, demos):
    demo = first_demo(demos)
    for value in ("1000", "x"):
        api = client.post(
            "/api/jobs/", {"demo": demo.slug, "params": {"n": value}}, content_type="application/json"
        )
        [message] = api.json()["fields"]["params.n"]
        page = client.post(reverse("generation:job-create", kwargs={"slug": demo.slug}), {"n": value}, **HTMX)
        assert message in page.content.decode(), (value, message)
    assert not GenerationJob.objects.exists()


def test_a_text_parameter_carries_its_pattern_to_the_browser_and_the_server(client, demos):
    demo = next(d for d in demos.values() if d.param("prefix"))
    url = reverse("generation:family-demo", kwargs={"slug": demo.family_slug})
    assert 'pattern="[A-Za-z]*"' in client.get(url, **HTMX).content.decode()
    create = reverse("generation:job-create", kwargs={"slug": demo.slug})
    refused = client.post(create, {"n": "1", "prefix": "Jo3"}, **HTMX)
    assert refused.status_code == 200 and "may hold only the letters a-z" in refused.content.decode()
    assert not GenerationJob.objects.exists()


def test_the_form_answers_429_under_the_limits(client, demos, settings):
    demo = first_demo(demos)
    settings.GENERATION_MAX_ACTIVE_PER_CLIENT = 1
    create = reverse("generation:job-create", kwargs={"slug": demo.slug})
    assert client.post(create, {"n": "1", "seed": "1"}).status_code == 302
    refused = client.post(create, {"n": "1", "seed": "2"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    settings.GENERATION_MAX_ACTIVE_PER_CLIENT = 100
    settings.GENERATION_RATE_ANON = "1/minute"
    throttled = client.post(create, {"n": "1", "seed": "3"})
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0


def test_the_final_fragment_stops_polling_and_shows_the_samples(client, demos):
    demo = first_demo(demos)
    job = services.job_request(demo_slug=demo.slug, raw_params=small(demo)).job
    url = reverse("generation:job-detail", kwargs={"pk": job.pk})
    assert "hx-trigger" in client.get(url, **HTMX).content.decode()
    services.job_run(job_id=job.pk)
    html = client.get(url, **HTMX).content.decode()
    assert f'id="job-{job.pk}"' in html and "hx-trigger" not in html and "hx-get" not in html
    result = job.samples.get(role="result")
    assert result.get_absolute_url() in html
    assert result.get_file_url() in html or result.metadata.get("preview", "")[:20] in html


def test_sample_permalink_artefact_gallery_and_thumbnail(client, demos):
    demo = first_demo(demos)
    job = services.job_request(demo_slug=demo.slug, raw_params=small(demo)).job
    services.job_run(job_id=job.pk)
    sample = job.samples.get(role="result")
    page = client.get(sample.get_absolute_url()).content.decode()
    assert str(job.seed) in page and job.checkpoint_sha256 in page and "Generate again" in page
    for label in ("Waiting in the queue", "Sampling", "Request to result"):
        assert label in page
    artefact = client.get(sample.get_file_url())
    assert artefact["Content-Type"].split(";")[0] == sample.content_type
    assert artefact["X-Content-Type-Options"] == "nosniff"
    assert b"".join(artefact.streaming_content) == sample.file.open("rb").read()
    gallery = client.get(reverse("generation:family-gallery", kwargs={"slug": demo.family_slug}))
    assert sample.get_absolute_url() in gallery.content.decode()
    thumbnail = client.get(reverse("generation:family-latest-thumbnail", kwargs={"slug": demo.family_slug}))
    if sample.kind == "image":
        assert sample.get_file_url() in thumbnail.content.decode()
    empty = client.get(reverse("generation:family-latest-thumbnail", kwargs={"slug": "nobody"}))
    assert empty.status_code == 200 and not empty.content.strip()  # no demo: nothing to show or invite to


def test_a_family_card_without_samples_invites_a_first_generation(client, demos):
    demo = first_demo(demos)
    url = reverse("generation:family-latest-thumbnail", kwargs={"slug": demo.family_slug})
    html = client.get(url).content
    family_page = reverse("catalog:family-detail", kwargs={"slug": demo.family_slug})
    assert f'href="{family_page}#demo-slot"'.encode() in html and b"Make the first live sample" in html


def test_an_artefact_with_an_unexpected_type_is_a_download(client, demos):
    demo = first_demo(demos)
    job = services.job_request(demo_slug=demo.slug, raw_params=small(demo)).job
    services.job_run(job_id=job.pk)
    sample = job.samples.get(role="result")
    sample.content_type = "text/html"
    sample.save()
    response = client.get(sample.get_file_url())
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_a_composition_shows_on_both_families_pages_after_their_own_demos(client, demos):
    composition = next(demo for demo in demos.values() if demo.also_families.exists())
    pages = [composition.family_slug, *composition.also_families.values_list("slug", flat=True)]
    assert len(pages) == 2
    for slug in pages:
        html = client.get(reverse("generation:family-demo", kwargs={"slug": slug}), **HTMX).content.decode()
        own = [d for d in demos.values() if d.family_slug == slug]
        assert f'id="demo-{composition.slug}"' in html
        assert "A composition of two families" in html
        if slug != composition.family_slug:  # the family's own demos come first, the composition after
            first_own = min(html.index(f'id="demo-{d.slug}"') for d in own)
            assert first_own < html.index(f'id="demo-{composition.slug}"')
    other = next(d for d in demos.values() if d.family_slug not in pages)
    html = client.get(reverse("generation:family-demo", kwargs={"slug": other.family_slug}), **HTMX)
    assert f'id="demo-{composition.slug}"' not in html.content.decode()
    listed = client.get(reverse("api:demo-list"), {"family": pages[1], "page_size": 100}).json()
    slugs = [demo["slug"] for demo in listed["results"]]
    expected = {
        s
        for s, d in demos.items()
        if pages[1] in (d.family_slug, *d.also_families.values_list("slug", flat=True))
    }
    assert composition.slug in slugs and set(slugs) == expected
    detail = client.get(reverse("api:demo-detail", kwargs={"slug": composition.slug})).json()
    assert detail["family"] == composition.family_slug and detail["also_families"] == [pages[1]]
