"""Evidence: datasets, metrics, benchmarks (a dataset, a metric and a protocol) and results on them.

A result is either *published* (a figure from a paper's own table, with the table, row, page and version it
came from) or *measured* (a figure the project's own model zoo wrote to ``generation/zoo/results/``, with the
checkpoint's hash and the command that made it). Leaderboards rank the results of one benchmark only, so
figures measured under different protocols never meet on one board.
"""

from django.db import models
from django.db.models import Q
from django.urls import reverse

from catalog.models import Domain, ExampleModel, Family
from papers.models import Paper


class Dataset(models.Model):
    """A dataset that benchmarks are run on: CIFAR-10, FFHQ, the zoo's 8x8 digits ..."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120, unique=True)
    domain = models.ForeignKey(Domain, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    shape = models.CharField(max_length=60, blank=True, help_text="e.g. 32×32×3, or 'word tokens'.")
    resolution = models.PositiveIntegerField(null=True, blank=True, help_text="Pixels per side.")
    train_size = models.PositiveIntegerField(null=True, blank=True)
    validation_size = models.PositiveIntegerField(null=True, blank=True)
    test_size = models.PositiveIntegerField(null=True, blank=True)
    classes = models.PositiveIntegerField(null=True, blank=True)
    licence = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    paper = models.ForeignKey(
        Paper, null=True, blank=True, on_delete=models.SET_NULL, related_name="datasets"
    )
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Metric(models.Model):
    """How a result is scored: FID, NLL in bits/dim, perplexity ... and which way is better."""

    class Bound(models.TextChoices):
        NONE = "", "Always exact"
        UPPER = "upper", "May be an upper bound (≤)"
        LOWER = "lower", "May be a lower bound (≥)"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120, unique=True)
    abbreviation = models.CharField(max_length=40)
    unit = models.CharField(max_length=40, blank=True)
    higher_is_better = models.BooleanField()
    bound = models.CharField(max_length=10, choices=Bound.choices, blank=True)
    definition = models.TextField()
    paper = models.ForeignKey(Paper, null=True, blank=True, on_delete=models.SET_NULL, related_name="metrics")
    decimals = models.PositiveSmallIntegerField(default=2, help_text="Digits shown after the point.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.abbreviation

    @property
    def error_text(self) -> str:
        """The ± of the value: as printed for a paper's figure, to the metric's decimals (at least one) for a
        measured interval's half-width; empty when there is none."""
        if self.error is None:
            return ""
        if self.kind == self.Kind.PUBLISHED:
            return format(self.error.normalize(), "f")
        return f"{self.error:,.{max(self.benchmark.metric.decimals, 1)}f}"

    @property
    def bound_symbol(self) -> str:
        return {"upper": "≤", "lower": "≥"}.get(self.bound, "")

    @property
    def direction(self) -> str:
        return "higher is better" if self.higher_is_better else "lower is better"

    @property
    def arrow(self) -> str:
        return "↑" if self.higher_is_better else "↓"


class Benchmark(models.Model):
    """A dataset, a metric and a protocol. Only results under the same protocol are ranked together."""

    class Conditioning(models.TextChoices):
        UNCONDITIONAL = "unconditional", "Unconditional"
        CLASS = "class-conditional", "Class-conditional"
        TEXT = "text-conditional", "Text-conditional"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=160, unique=True)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="benchmarks")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="benchmarks")
    conditioning = models.CharField(
        max_length=20, choices=Conditioning.choices, default=Conditioning.UNCONDITIONAL
    )
    resolution = models.PositiveIntegerField(null=True, blank=True, help_text="Pixels per side.")
    split = models.CharField(max_length=40, blank=True, help_text="The reference or evaluated split.")
    samples = models.PositiveIntegerField(null=True, blank=True, help_text="Generated samples per figure.")
    protocol = models.TextField(help_text="What a reader needs to reproduce or compare a figure.")
    measured_field = models.CharField(
        max_length=40, blank=True, help_text="The zoo results field this board is measured from, if any."
    )
    position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("benchmarks:leaderboard", kwargs={"slug": self.slug})

    @property
    def is_measured(self) -> bool:
        return bool(self.measured_field)


class Result(models.Model):
    """One figure on one benchmark, with where it came from."""

    class Kind(models.TextChoices):
        PUBLISHED = "published", "Published"
        MEASURED = "measured", "Measured here"

    class Role(models.TextChoices):
        MODEL = "model", "Model"
        BASELINE = "baseline", "Baseline"
        REFERENCE = "reference", "Real data (reference)"

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="results")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MODEL)
    family = models.ForeignKey(
        Family, null=True, blank=True, on_delete=models.PROTECT, related_name="results"
    )
    model = models.ForeignKey(
        ExampleModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="results"
    )
    paper = models.ForeignKey(Paper, null=True, blank=True, on_delete=models.PROTECT, related_name="results")
    variant = models.CharField(max_length=200, help_text="The row's name as the paper prints it.")
    value = models.DecimalField(max_digits=16, decimal_places=6)
    value_places = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Digits after the point as the paper prints the value (2.20: 2)."
    )
    is_bound = models.BooleanField(default=False, help_text="The value is a bound (e.g. a variational NLL).")
    error = models.DecimalField(max_digits=16, decimal_places=6, null=True, blank=True, help_text="±")
    extra_data = models.BooleanField(default=False, help_text="Trained on more than the benchmark's data.")
    year = models.PositiveSmallIntegerField(help_text="The paper's year, or the year it was measured.")
    # Provenance of a published figure: the paper's own table.
    source_table = models.CharField(max_length=80, blank=True)
    source_row = models.CharField(max_length=200, blank=True)
    source_page = models.PositiveIntegerField(null=True, blank=True)
    source_version = models.CharField(max_length=200, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    checked_on = models.DateField(null=True, blank=True)
    # Provenance of a measured figure: the zoo's results file.
    zoo_model = models.CharField(max_length=80, blank=True)
    checkpoint_sha256 = models.CharField(max_length=64, blank=True)
    command = models.CharField(max_length=300, blank=True)
    results_file = models.CharField(max_length=300, blank=True)
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["benchmark", "value"]
        constraints = [
            models.CheckConstraint(
                name="result_provenance",
                condition=(
                    Q(kind="published", paper__isnull=False, zoo_model="")
                    & ~Q(source_table="")
                    & ~Q(source_row="")
                    & ~Q(source_version="")
                    & ~Q(source_url="")
                )
                | (Q(kind="measured") & ~Q(zoo_model="") & ~Q(command="") & ~Q(results_file="")),
            ),
            models.CheckConstraint(
                name="result_model_has_family", condition=~Q(role="model") | Q(family__isnull=False)
            ),
            models.CheckConstraint(
                name="result_error_positive", condition=Q(error__isnull=True) | Q(error__gte=0)
            ),
            models.CheckConstraint(name="result_year_range", condition=Q(year__gte=1900) & Q(year__lte=2100)),
            models.UniqueConstraint(
                fields=["benchmark", "paper", "variant"],
                condition=Q(kind="published"),
                name="result_unique_published",
            ),
            models.UniqueConstraint(
                fields=["benchmark", "zoo_model"], condition=Q(kind="measured"), name="result_unique_measured"
            ),
        ]
        indexes = [models.Index(fields=["benchmark", "value"]), models.Index(fields=["year"])]

    def __str__(self) -> str:
        return f"{self.benchmark.slug}: {self.variant} {self.value}"

    @property
    def value_exact(self) -> str:
        """The value as a plain decimal string with the digits the paper printed (2.20), for data files."""
        if self.value_places is not None:
            return f"{self.value:.{self.value_places}f}"
        return format(self.value.normalize(), "f")

    @property
    def value_text(self) -> str:
        """As the paper prints it (2.20 stays 2.20); a measured figure to its metric's decimals."""
        if self.value_places is not None:
            return f"{self.value:.{self.value_places}f}"
        if self.kind == self.Kind.PUBLISHED:
            return format(self.value.normalize(), "f")
        return f"{self.value:,.{self.benchmark.metric.decimals}f}"

    @property
    def error_text(self) -> str:
        """The ± of the value: as printed for a paper's figure, to the metric's decimals (at least one) for a
        measured interval's half-width; empty when there is none."""
        if self.error is None:
            return ""
        if self.kind == self.Kind.PUBLISHED:
            return format(self.error.normalize(), "f")
        return f"{self.error:,.{max(self.benchmark.metric.decimals, 1)}f}"

    @property
    def bound_symbol(self) -> str:
        """'≤' (or '≥') before a bound, empty for an exact figure."""
        return (self.benchmark.metric.bound_symbol or "≤") if self.is_bound else ""

    @property
    def label(self) -> str:
        """The row's name on a board: the catalog model's, else the variant."""
        if self.model is not None and self.model.name.lower() not in self.variant.lower():
            return f"{self.model.name}: {self.variant}"
        return self.variant

    @property
    def source_label(self) -> str:
        """'Table 2, row "NCSN++ cont. (deep, VE)", p. 8, arXiv v2' or the zoo's command."""
        if self.kind == self.Kind.MEASURED:
            return f"{self.results_file} ({self.command})"
        parts = [f'{self.source_table}, row "{self.source_row}"']
        if self.source_page:
            parts.append(f"p. {self.source_page}")
        parts.append(self.source_version)
        return ", ".join(parts)
