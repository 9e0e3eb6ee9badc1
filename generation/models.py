"""Live generation: the demos the zoo ships, the jobs users ask for, and the samples they produce."""

import uuid

from django.db import models
from django.db.models import Q
from django.urls import reverse

from catalog.models import ExampleModel, Family


class Demo(models.Model):
    """One runnable zoo entry, synced from ``generation.zoo.demos.list_demos()`` by ``demos_sync``."""

    slug = models.SlugField(max_length=80, unique=True)
    family_slug = models.SlugField(max_length=80, help_text="The catalog family slug the zoo declares.")
    family = models.ForeignKey(Family, null=True, blank=True, on_delete=models.SET_NULL, related_name="demos")
    also_families = models.ManyToManyField(
        Family,
        blank=True,
        related_name="composition_demos",
        help_text="Further families whose pages show the demo: a composition of families belongs to each.",
    )
    example_model = models.ForeignKey(
        ExampleModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="demos"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    model_name = models.CharField(max_length=80, help_text="The zoo registry name.")
    citation_key = models.CharField(max_length=120, blank=True)
    params_schema = models.JSONField(default=list, help_text="The zoo's Param list, as dicts.")
    checkpoint_sha256 = models.CharField(max_length=64, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True, help_text="False once the zoo no longer lists it.")
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_slug", "position", "slug"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("generation:family-demo", kwargs={"slug": self.family_slug}) + f"?demo={self.slug}"

    def param(self, name: str) -> dict | None:
        return next((p for p in self.params_schema if p["name"] == name), None)

    def families(self) -> list[Family]:
        """Every catalog family the demo belongs to, its own first (a composition has several)."""
        others = sorted(self.also_families.all(), key=lambda family: family.position)
        return [family for family in (self.family, *others) if family is not None]


class GenerationJob(models.Model):
    """A request for samples from a demo, and what became of it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    demo = models.ForeignKey(Demo, on_delete=models.PROTECT, related_name="jobs")
    params = models.JSONField(help_text="Validated parameters, defaults filled, seed included.")
    seed = models.BigIntegerField()
    checkpoint_sha256 = models.CharField(max_length=64, blank=True)
    cache_key = models.CharField(
        max_length=64, db_index=True, help_text="SHA-256 of demo, parameters, seed and checkpoint."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    queue = models.CharField(max_length=120, help_text="The Celery queue the task was sent to.")
    progress_step = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    client = models.CharField(max_length=120, blank=True, help_text="Who asked: user:<id> or ip:<addr>.")
    worker = models.CharField(max_length=200, blank=True, help_text="Celery node name of the last run.")
    worker_pid = models.PositiveIntegerField(null=True, blank=True)
    device = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds: queue_wait, load, sampling ...")
    preview_name = models.CharField(
        max_length=255,
        blank=True,
        help_text="Storage name of the newest intermediate frame of a running job.",
    )
    preview_step = models.PositiveIntegerField(null=True, blank=True, help_text="The step that frame shows.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    sampling_started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="genjob_status_created"),
            models.Index(fields=["client", "status"], name="genjob_client_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_step__lte=models.F("progress_total")), name="genjob_progress_le_total"
            )
        ]

    def __str__(self) -> str:
        return f"{self.demo_id} job {self.id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("generation:job-detail", kwargs={"pk": self.pk})

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def progress_fraction(self) -> float:
        return self.progress_step / self.progress_total if self.progress_total else 0.0


class Sample(models.Model):
    """One artefact a job produced: the result (PNG grid, text, audio) or an intermediate frame."""

    class Role(models.TextChoices):
        RESULT = "result", "Result"
        FRAME = "frame", "Frame"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="samples")
    name = models.CharField(max_length=200, help_text="The zoo's artefact name, unique within the job.")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.RESULT)
    kind = models.CharField(max_length=10, help_text="image, text, audio ... (from the content type).")
    content_type = models.CharField(max_length=100)
    file = models.FileField(upload_to="generation/", max_length=300)
    size = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["job", "position"]
        constraints = [
            # The last line of defence of idempotency: a job never stores the same artefact twice.
            models.UniqueConstraint(fields=["job", "name"], name="sample_unique_name_per_job")
        ]

    def __str__(self) -> str:
        return f"{self.name} of job {self.job_id}"

    def get_absolute_url(self) -> str:
        return reverse("generation:sample-detail", kwargs={"pk": self.pk})

    def get_file_url(self) -> str:
        return reverse("generation:sample-file", kwargs={"pk": self.pk})
