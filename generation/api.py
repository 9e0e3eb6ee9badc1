"""The generation API: demos (read), jobs (create, poll, cancel), samples (read). Registered in
``config/api_urls.py`` as ``demos``, ``jobs`` and ``samples``."""

import math

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
from generation.throttles import JOB_CREATE_THROTTLES, client_key


class JobLimit(exceptions.Throttled):
    """429 with Retry-After: too many active jobs for this client, or a full queue."""

    default_detail = "Too many generation jobs."


class DemoFilter(django_filters.FilterSet):
    family = django_filters.CharFilter(field_name="family_slug", help_text="A family slug, as elsewhere.")

    class Meta:
        model = Demo
        fields = ["family_slug"]  # the earlier name of the same filter, kept for existing clients


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
            "new queued job. 429 with Retry-After when the client has too many active jobs, the queue is "
            "full, "
            "or the creation rate is exceeded."
        ),
    ),
    retrieve=extend_schema(summary="A job's status, progress and (when done) samples"),
    cancel=extend_schema(
        summary="Cancel a job: a queued job never runs, a running job stops at its next step",
        request=None,
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
        throttles = super().get_throttles()
        if self.action == "create":
            throttles += [throttle() for throttle in JOB_CREATE_THROTTLES]
        return throttles

    def create(self, request, *args, **kwargs):
        data = JobRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            outcome = services.job_request(
                demo_slug=data.validated_data["demo"],
                raw_params=data.validated_data["params"],
                client=client_key(request),
            )
        except services.DemoUnavailable as error:
            raise exceptions.ValidationError({"demo": [f"no demo '{error}'; see /api/demos/"]}) from error
        except services.JobParamsInvalid as error:
            raise exceptions.ValidationError(
                {"params": {name: [message] for name, message in error.errors.items()}}
            ) from error
        except services.JobLimitExceeded as error:
            raise JobLimit(wait=math.ceil(error.retry_after), detail=str(error)) from error
        job = outcome.job
        url = JobSerializer(job, context=self.get_serializer_context()).get_url(job)
        answer = {"id": job.pk, "url": url, "status": job.status, "reused": outcome.reused}
        code = status.HTTP_200_OK if outcome.reused else status.HTTP_202_ACCEPTED
        return Response(answer, status=code, headers={"Location": answer["url"]})

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        job = self.get_object()
        if job.client and job.client != client_key(request) and not request.user.is_staff:
            raise exceptions.PermissionDenied("Only the client that asked for this job may cancel it.")
        services.job_cancel(job_id=job.pk)
        job = self.get_queryset().get(pk=job.pk)
        return Response(JobSerializer(job, context=self.get_serializer_context()).data)
