"""API representations of demos, jobs and samples, and the input of a job request."""

import dataclasses
import typing

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from generation import selectors
from generation.models import Demo, GenerationJob, Sample
from generation.zoo.params import KINDS, Param


def _param_field(spec: dataclasses.Field, python_type) -> serializers.Field:
    """The API field of one of Param's fields: its type and description come from the dataclass."""
    help_text = spec.metadata.get("help", "")
    if spec.name == "kind":
        return serializers.ChoiceField(choices=KINDS, help_text=help_text)
    if python_type is str:
        return serializers.CharField(allow_blank=True, help_text=help_text)
    if python_type is tuple:
        return serializers.ListField(child=serializers.JSONField(), help_text=help_text)
    if python_type == float | None:
        return serializers.FloatField(allow_null=True, help_text=help_text)
    return serializers.JSONField(help_text=help_text)


_PARAM_TYPES = typing.get_type_hints(Param)
ParamSerializer = type(
    "ParamSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "One parameter a request may set: the zoo's Param, field for field.",
        **{spec.name: _param_field(spec, _PARAM_TYPES[spec.name]) for spec in dataclasses.fields(Param)},
    },
)


class DemoSerializer(serializers.ModelSerializer):
    family = serializers.CharField(source="family_slug", help_text="The catalog family slug.")
    also_families = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        read_only=True,
        help_text="Further family slugs a composition belongs to (it shows on their pages too).",
    )
    params = serializers.SerializerMethodField(help_text="What a request may set.")
    api_url = serializers.SerializerMethodField()
    family_url = serializers.SerializerMethodField()

    class Meta:
        model = Demo
        fields = [
            "slug",
            "title",
            "description",
            "family",
            "also_families",
            "family_url",
            "model_name",
            "citation_key",
            "params",
            "checkpoint_sha256",
            "metrics",
            "api_url",
        ]

    @extend_schema_field(ParamSerializer(many=True))
    def get_params(self, demo) -> list[dict]:
        return [param.as_dict() for param in selectors.demo_params(demo=demo)]

    def get_api_url(self, demo) -> str:
        return self._absolute(reverse("api:demo-detail", kwargs={"slug": demo.slug}))

    def get_family_url(self, demo) -> str | None:
        if demo.family_id is None:
            return None
        return self._absolute(demo.family.get_absolute_url())

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class SampleSerializer(serializers.ModelSerializer):
    job = serializers.UUIDField(source="job_id", read_only=True)
    demo = serializers.CharField(source="job.demo.slug", read_only=True)
    family = serializers.CharField(source="job.demo.family_slug", read_only=True)
    seed = serializers.IntegerField(source="job.seed", read_only=True)
    # Plain text, not an enum: "role" names another choice set in the catalog (FamilyPaper.role).
    role = serializers.CharField(read_only=True, help_text="result, or frame (a step of a trajectory).")
    url = serializers.SerializerMethodField(help_text="The artefact's bytes, served with its content type.")
    page_url = serializers.SerializerMethodField(help_text="The sample's permalink page.")

    class Meta:
        model = Sample
        fields = [
            "id",
            "job",
            "demo",
            "family",
            "seed",
            "name",
            "role",
            "kind",
            "content_type",
            "size",
            "url",
            "page_url",
            "created_at",
        ]

    def get_url(self, sample) -> str:
        return self._absolute(sample.get_file_url())

    def get_page_url(self, sample) -> str:
        return self._absolute(sample.get_absolute_url())

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ProgressSerializer(serializers.Serializer):
    step = serializers.IntegerField(source="progress_step")
    total = serializers.IntegerField(source="progress_total")


class PreviewSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The newest intermediate frame (PNG); the query names its step.")
    step = serializers.IntegerField(help_text="The step of the trajectory that frame shows.")


class JobSerializer(serializers.ModelSerializer):
    demo = serializers.CharField(source="demo.slug")
    progress = serializers.SerializerMethodField()
    preview = serializers.SerializerMethodField(
        help_text="While a frame-making job (diffusion, Langevin) runs: its newest frame; otherwise null."
    )
    queue_position = serializers.SerializerMethodField(help_text="Jobs ahead of this one (queued jobs only).")
    eta_seconds = serializers.SerializerMethodField(help_text="Estimated seconds until the job ends.")
    note = serializers.SerializerMethodField(
        help_text="Why an active job is not moving (its worker went silent or was lost); empty otherwise."
    )
    samples = serializers.SerializerMethodField(help_text="The artefacts, once the job has succeeded.")
    url = serializers.SerializerMethodField(help_text="This job in the API.")
    page_url = serializers.SerializerMethodField(help_text="This job's page in the browser.")

    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "url",
            "page_url",
            "demo",
            "status",
            "params",
            "seed",
            "checkpoint_sha256",
            "progress",
            "preview",
            "queue_position",
            "eta_seconds",
            "note",
            "attempts",
            "worker",
            "device",
            "timings",
            "error",
            "samples",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def _state(self, job):
        cache = self.context.setdefault("_states", {})
        if job.pk not in cache:
            cache[job.pk] = selectors.job_state(job=job)
        return cache[job.pk]

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, job) -> dict:
        return {"step": job.progress_step, "total": job.progress_total}

    @extend_schema_field(PreviewSerializer(allow_null=True))
    def get_preview(self, job) -> dict | None:
        if job.status != GenerationJob.Status.RUNNING or not job.preview_name:
            return None
        path = reverse("generation:job-preview", kwargs={"pk": job.pk})
        return {"url": self._absolute(f"{path}?step={job.preview_step}"), "step": job.preview_step}

    def get_queue_position(self, job) -> int | None:
        return self._state(job).queue_position

    def get_eta_seconds(self, job) -> float | None:
        eta = self._state(job).eta_seconds
        return round(eta, 2) if eta is not None else None

    def get_note(self, job) -> str:
        return self._state(job).note

    @extend_schema_field(SampleSerializer(many=True))
    def get_samples(self, job) -> list:
        if job.status != GenerationJob.Status.SUCCEEDED:
            return []
        return SampleSerializer(job.samples.all(), many=True, context=self.context).data

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, job) -> str:
        return self._absolute(reverse("api:job-detail", kwargs={"pk": job.pk}))

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, job) -> str:
        return self._absolute(job.get_absolute_url())

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class JobRequestSerializer(serializers.Serializer):
    demo = serializers.SlugField(help_text="A demo slug from GET /api/demos/.")
    params = serializers.DictField(
        required=False,
        default=dict,
        help_text="Parameter values by name (see the demo's params); left out: the demo's defaults.",
    )


class JobCreatedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField(help_text="Poll this for status, progress and samples.")
    status = serializers.CharField()
    reused = serializers.BooleanField(help_text="True when an identical earlier request answers this one.")
    token = serializers.CharField(
        allow_null=True,
        help_text="Proves you asked for this job: send it as X-Job-Token to cancel it. Null when reused.",
    )
