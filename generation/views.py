"""Pages and htmx partials of live generation: the demo form for a family page, the job's progress
partial (polled until the job ends), sample permalinks, family galleries, the home cards' thumbnail, and the
view that serves artefacts. Every partial is also a full page without JavaScript."""

import math
import random

from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from catalog.models import Family
from generation import selectors, services
from generation.forms import demo_form, typed_params
from generation.models import GenerationJob
from generation.showcase import showcase_for
from generation.throttles import SESSION_JOBS, JobRate, client_key
from pages.rendering import render_page

# Content types an artefact may be served inline with; anything else is a download.
INLINE_TYPES = {
    "image/png",
    "image/gif",
    "image/jpeg",
    "image/webp",
    "text/plain",
    "audio/wav",
    "audio/x-wav",
}
POLL_SECONDS = 1
TIMING_LABELS = (
    ("queue_wait", "Waiting in the queue"),
    ("load", "Loading the model"),
    ("sampling", "Sampling"),
    ("store", "Storing the artefacts"),
    ("total", "Request to result"),
)


def _initial_from_query(demo, query) -> dict:
    return {p["name"]: query[p["name"]] for p in demo.params_schema if p["name"] in query}


@require_GET
@vary_on_headers("HX-Request")
def family_demo(request, slug):
    """The demo slot of a family page: a form per demo of the family. Template: generation/demo_panel.html."""
    family = Family.objects.filter(slug=slug).first()
    demos = list(selectors.demo_list(family_slug=slug))
    if family is None and not demos:
        raise Http404("No such family.")
    chosen = request.GET.get("demo")
    panels = [
        {
            "demo": demo,
            "form": demo_form(
                demo, initial=_initial_from_query(demo, request.GET) if chosen == demo.slug else None
            ),
        }
        for demo in demos
    ]
    recent = list(selectors.sample_list(family_slug=slug)[:6])
    context = {
        "family": family,
        "family_slug": slug,
        "panels": panels,
        "recent": recent,
        "showcase": showcase_for(slug),
    }
    return render_page(request, "generation/demo_panel.html", context, partial="panel")


def _too_many(request, wait: float, message: str):
    response = render_page(
        request,
        "generation/job_limit.html",
        {"message": message, "retry_after": math.ceil(wait)},
        partial="limit",
    )
    response.status_code = 200 if request.htmx else 429  # htmx swaps only 2xx answers
    response["Retry-After"] = str(math.ceil(wait))
    return response


@require_POST
def job_create(request, slug):
    """Create a job from the demo form; htmx gets the job partial, a plain form post a redirect to the job."""
    demo = selectors.demo_get(slug=slug)
    if demo is None:
        raise Http404("No such demo.")
    form = demo_form(demo, data=request.POST)
    if form.is_valid():
        try:
            outcome = services.job_request(
                demo_slug=demo.slug,
                raw_params=typed_params(demo, form),
                client=client_key(request),
                rate=JobRate(request),
            )
        except services.JobParamsInvalid as error:
            for name, message in error.errors.items():
                form.add_error(name if name in form.fields else None, message)
        except services.JobLimitExceeded as error:
            return _too_many(request, error.retry_after, str(error))
        except services.DemoUnavailable as error:
            raise Http404("No such demo.") from error
        else:
            if not outcome.reused:
                _remember_job(request, outcome.job)
            if not request.htmx:
                return redirect(outcome.job)
            return _job_partial(request, outcome.job, reused=outcome.reused)
    context = {
        "family": demo.family,
        "family_slug": demo.family_slug,
        "panels": [{"demo": demo, "form": form}],
        "demo": demo,
        "form": form,
        "recent": list(selectors.sample_list(family_slug=demo.family_slug)[:6]),
        "showcase": showcase_for(demo.family_slug),
    }
    if request.htmx:  # into the result box under the form; htmx swaps only 2xx answers
        return render(request, "generation/demo_panel.html#errors", context)
    return render(request, "generation/demo_panel.html", context, status=400)


SESSION_JOBS_KEPT = 50


def _remember_job(request, job) -> None:
    jobs = [job_id for job_id in request.session.get(SESSION_JOBS, []) if job_id != str(job.pk)]
    request.session[SESSION_JOBS] = [*jobs, str(job.pk)][-SESSION_JOBS_KEPT:]


def _owns(request, job) -> bool:
    return services.job_owned_by(
        job=job, user=request.user, session_jobs=request.session.get(SESSION_JOBS, [])
    )


def _job_context(job, *, request=None, **extra) -> dict:
    state = selectors.job_state(job=job)
    samples = list(job.samples.all())
    return {
        "job": job,
        "state": state,
        "results": [s for s in samples if s.role == "result"],
        "frames": [s for s in samples if s.role == "frame"],
        "poll_seconds": POLL_SECONDS,
        "may_cancel": request is not None and _owns(request, job),
        **extra,
    }


def _job_partial(request, job, **extra):
    job = selectors.job_get(job_id=job.pk)
    return render(request, "generation/job.html#job", _job_context(job, request=request, **extra))


@require_GET
@vary_on_headers("HX-Request")
def job_detail(request, pk):
    """A job's page, or (htmx) its status partial: polling while active; the final fragment has no trigger,
    so swapping it in (outerHTML) ends the polling. Template: generation/job.html."""
    job = selectors.job_get(job_id=pk)
    if job is None:
        raise Http404("No such job.")
    response = render_page(request, "generation/job.html", _job_context(job, request=request), partial="job")
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def job_cancel(request, pk):
    """Cancel a job: queued jobs never run, running jobs stop at their next step."""
    job = get_object_or_404(GenerationJob, pk=pk)
    if not _owns(request, job):
        return HttpResponse("Only whoever asked for this job may cancel it.", status=403)
    services.job_cancel(job_id=job.pk)
    if not request.htmx:
        return redirect(job)
    return _job_partial(request, job)


@require_GET
def sample_detail(request, pk):
    """A sample's permalink: the artefact, its parameters, seed, checkpoint, timings, "generate again"."""
    sample = selectors.sample_get(sample_id=pk)
    if sample is None:
        raise Http404("No such sample.")
    job = sample.job
    again = {**job.params, "demo": job.demo.slug}
    again["seed"] = random.randrange(2**31)
    again_url = (
        reverse("generation:family-demo", kwargs={"slug": job.demo.family_slug}) + "?" + urlencode(again)
    )
    context = {
        "sample": sample,
        "job": job,
        "frames": list(job.samples.filter(role="frame").order_by("position")),
        "again_url": again_url,
        "timings": [(label, job.timings[key]) for key, label in TIMING_LABELS if key in job.timings],
    }
    return render(request, "generation/sample_detail.html", context)


@require_http_methods(["GET", "HEAD"])
def job_preview(request, pk):
    """The newest intermediate frame of a job (PNG), nosniff, never cached: it changes while the job runs."""
    job = get_object_or_404(GenerationJob, pk=pk)
    if not job.preview_name or not default_storage.exists(job.preview_name):
        raise Http404("No preview yet.")
    response = FileResponse(default_storage.open(job.preview_name, "rb"), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD"])
def sample_file(request, pk):
    """The artefact's bytes, with its own Content-Type, nosniff, and a long cache (artefacts never change)."""
    sample = selectors.sample_get(sample_id=pk)
    if sample is None or not default_storage.exists(sample.file.name):
        raise Http404("No such artefact.")
    inline = sample.content_type in INLINE_TYPES
    content_type = sample.content_type if inline else "application/octet-stream"
    if content_type == "text/plain":
        content_type = "text/plain; charset=utf-8"
    filename = sample.file.name.rsplit("/", 1)[-1]
    response = FileResponse(
        default_storage.open(sample.file.name, "rb"),
        content_type=content_type,
        as_attachment=not inline,
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@require_GET
@vary_on_headers("HX-Request")
def family_gallery(request, slug):
    """Recent samples of a family, newest first. Template: generation/gallery.html."""
    family = Family.objects.filter(slug=slug).first()
    page = Paginator(selectors.sample_list(family_slug=slug), 24).get_page(request.GET.get("page"))
    if family is None and not page.object_list:
        raise Http404("No such family.")
    context = {"family": family, "family_slug": slug, "page": page}
    return render_page(request, "generation/gallery.html", context, partial="gallery")


@require_GET
def family_latest_thumbnail(request, slug):
    """The home page card's pictures (an htmx-loaded fragment): the family's showcase grid from the start,
    and beside it the newest sample made live, or before anyone has generated, an invitation to; empty for
    a family with neither a showcase nor a demo."""
    sample = selectors.sample_latest(family_slug=slug)
    has_demo = sample is not None or selectors.demo_list(family_slug=slug).exists()
    context = {"sample": sample, "family_slug": slug, "has_demo": has_demo, "showcase": showcase_for(slug)}
    return render(request, "generation/latest_thumbnail.html", context)
