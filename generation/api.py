"""The generation API: demos (read), jobs (create, poll, cancel), samples (read). Registered in
``config/api_urls.py`` as ``demos``, ``jobs`` and ``samples``."""

import math
import re

import django_filters
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api import ConditionalGetMixin
from generation import selectors, services
from generation.models import Demo, GenerationJob, Sample
from generation.serializers import (
    DemoSerializer,
    JobCreatedSerializer,
    JobRequestSerializer,
    JobSerializer,
    SampleSerializer,
)
from generation.throttles import SESSION_JOBS, JobRate, client_key

# ``Prefer: wait=N`` (RFC 7240) holds a job's answer until it ends or N seconds pass, at most this many.
MAX_PREFER_WAIT = 10.0
PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def prefer_wait(request) -> float | None:
    """The seconds a client is willing to wait for the job's end (``Prefer: wait=N``), capped; None if it
    did not ask."""
    found = PREFER_WAIT.search(request.headers.get("Prefer", ""))
    return min(float(found.group(1)), MAX_PREFER_WAIT) if found else None


PREFER_PARAMETER = OpenApiParameter(
    "Prefer",
    str,
    OpenApiParameter.HEADER,
    description=(
        f"`wait=N`: hold the answer until the job ends or N seconds (at most {MAX_PREFER_WAIT:g}) pass, "
        "instead of polling. The answer says `Preference-Applied: wait=N`."
    ),
)
TOKEN_PARAMETER = OpenApiParameter(
    "X-Job-Token",
    str,
    OpenApiParameter.HEADER,
    description="The token the job's creation answered with (not needed by staff or the user who asked).",
)


class JobLimit(exceptions.Throttled):
    """429 with Retry-After: too many active jobs for this client, or a full queue."""

    default_detail = "Too many generation jobs."


class DemoFilter(django_filters.FilterSet):
    family = django_filters.CharFilter(
        method="in_family",
        help_text="A family slug, as elsewhere: its own demos and the compositions it is part of.",
    )

    class Meta:
        model = Demo
        fields = ["family_slug"]  # the earlier name of the same filter, kept for existing clients

    def in_family(self, queryset, name, value):
        return queryset.filter(selectors.in_family(value))


@extend_schema_view(
    list=extend_schema(summary="Demos you can request samples from, with their parameter schemas"),
    retrieve=extend_schema(summary="One demo"),
)
class DemoViewSet(ConditionalGetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = DemoSerializer
    lookup_field = "slug"
    queryset = selectors.demo_list()
    filterset_class = DemoFilter
    ordering_fields = ["slug", "family_slug"]

    def get_queryset(self):
        return selectors.demo_list()


@extend_schema_view(
    list=extend_schema(
        summary="Recent samples (results of succeeded jobs), newest first",
        parameters=[
            OpenApiParameter("family", str, description="A family slug"),
            OpenApiParameter("demo", str, description="A demo slug"),
        ],
    ),
    retrieve=extend_schema(summary="One sample"),
)
class SampleViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SampleSerializer
    queryset = selectors.sample_list()
    filter_backends = []  # the two filters below; ordering is newest first

    def get_queryset(self):
        if self.action == "retrieve":
            return Sample.objects.select_related("job", "job__demo")
        return selectors.sample_list(
            family_slug=self.request.query_params.get("family"),
            demo_slug=self.request.query_params.get("demo"),
        )


@extend_schema_view(
    create=extend_schema(
        summary="Ask for samples from a demo",
        request=JobRequestSerializer,
        responses={202: JobCreatedSerializer, 200: JobCreatedSerializer},
        examples=[
            OpenApiExample(
                "Sixteen digits",
                value={"demo": "ddpm-digits", "params": {"n": 16, "seed": 0, "sampler": "ddim", "steps": 50}},
                request_only=True,
            ),
            OpenApiExample(
                "Queued",
                value={
                    "id": "0b7c5e1e-2f4a-4d59-9f1c-5d2b0f6d8a11",
                    "url": "http://127.0.0.1:8000/api/jobs/0b7c5e1e-2f4a-4d59-9f1c-5d2b0f6d8a11/",
                    "status": "queued",
                    "reused": False,
                },
                response_only=True,
                status_codes=["202"],
            ),
        ],
        description=(
            "Validates the parameters against the demo's schema (400 with field errors), then answers "
            "200 with an identical earlier job (same demo, parameters, seed and checkpoint) or 202 with a "
            "new queued job and the token that proves you asked for it (to cancel it). 429 with "
            "Retry-After when the client has too many active jobs, the queue is full, or its rate of new "
            "jobs is exceeded (only created jobs count)."
        ),
        parameters=[PREFER_PARAMETER],
    ),
    retrieve=extend_schema(
        summary="A job's status, progress and (when done) samples; never throttled",
        parameters=[PREFER_PARAMETER],
    ),
    cancel=extend_schema(
        summary="Cancel a job: a queued job never runs, a running job stops at its next step",
        description="Only whoever asked for the job (its token, its user or its browser session) or staff.",
        request=None,
        parameters=[TOKEN_PARAMETER],
        responses={200: JobSerializer},
    ),
)
class JobViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = JobSerializer
    # Anyone may ask for samples and poll a job (its id is unguessable); only its client or staff cancel it.
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return GenerationJob.objects.select_related("demo").prefetch_related("samples")

    def get_throttles(self):
        # Polling is a read of one row: never throttled. Creation has its own rate (JobRate), counted in
        # the service once a job is created, besides the API's general one.
        if self.action == "retrieve":
            return []
        return super().get_throttles()

    def create(self, request, *args, **kwargs):
        data = JobRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            outcome = services.job_request(
                demo_slug=data.validated_data["demo"],
                raw_params=data.validated_data["params"],
                client=client_key(request),
                rate=JobRate(request),
            )
        except services.DemoUnavailable as error:
            raise exceptions.ValidationError({"demo": [f"no demo '{error}'; see /api/demos/"]}) from error
        except services.JobParamsInvalid as error:
            raise exceptions.ValidationError(
                {"params": {name: [message] for name, message in error.errors.items()}}
            ) from error
        except services.JobLimitExceeded as error:
            raise JobLimit(wait=math.ceil(error.retry_after), detail=str(error)) from error
        job, headers = self._waited(request, outcome.job)
        url = JobSerializer(job, context=self.get_serializer_context()).get_url(job)
        token = None if outcome.reused else services.job_owner_token(job_id=job.pk)
        answer = {"id": job.pk, "url": url, "status": job.status, "reused": outcome.reused, "token": token}
        code = status.HTTP_200_OK if outcome.reused else status.HTTP_202_ACCEPTED
        return Response(answer, status=code, headers={"Location": answer["url"], **headers})

    def retrieve(self, request, *args, **kwargs):
        job, headers = self._waited(request, self.get_object())
        job = self.get_queryset().get(pk=job.pk)
        return Response(JobSerializer(job, context=self.get_serializer_context()).data, headers=headers)

    def _waited(self, request, job):
        """The job after waiting for its end as long as ``Prefer: wait=N`` allows, and the headers saying
        so."""
        wait = prefer_wait(request)
        if wait is None:
            return job, {}
        return selectors.job_wait(job_id=job.pk, seconds=wait), {"Preference-Applied": f"wait={wait:g}"}

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        job = self.get_object()
        token = request.headers.get("X-Job-Token", "")
        session_jobs = request.session.get(SESSION_JOBS, []) if hasattr(request, "session") else []
        if not services.job_owned_by(job=job, user=request.user, token=token, session_jobs=session_jobs):
            raise exceptions.PermissionDenied(
                "Only whoever asked for this job may cancel it: send the token its creation answered with "
                "as X-Job-Token."
            )
        services.job_cancel(job_id=job.pk)
        job = self.get_queryset().get(pk=job.pk)
        return Response(JobSerializer(job, context=self.get_serializer_context()).data)
