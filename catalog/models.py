"""The knowledge base: a taxonomy of families, the concepts their mechanisms use, the domains they serve,
and the example models and systems the overview names. Papers live in the ``papers`` app."""

from django.db import models
from django.db.models import Q
from django.urls import reverse

from papers.models import Paper


class Timestamped(models.Model):
    """When a record was created and last changed; ``load_catalog`` writes only what differs, so an
    unchanged ``updated_at`` shows that a reload touched nothing."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TaxonomyNode(Timestamped):
    """A node of the density-based taxonomy (explicit → tractable → ...). Families hang on nodes."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="taxonomy_not_own_parent")
        ]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list["TaxonomyNode"]:
        """Root first; the tree is a handful of nodes deep, so walking parents is cheap."""
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]


class Concept(Timestamped):
    """A part of a mechanism: minimax game, reparameterization trick, Langevin dynamics, self-attention ..."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    papers = models.ManyToManyField(
        Paper, blank=True, related_name="concepts", help_text="Introduce or use it."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:concept-detail", kwargs={"slug": self.slug})


class Domain(Timestamped):
    """An application domain: images, audio, text, molecular generation ..."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:domain-detail", kwargs={"slug": self.slug})


class Family(Timestamped):
    """A family of generative models, as in a row of the overview's table."""

    class Likelihood(models.TextChoices):
        EXACT = "exact", "Exact"
        BOUND = "bound", "Lower bound"
        UNNORMALISED = "unnormalised", "Unnormalised"
        NONE = "none", "None (implicit)"

    class Sampling(models.TextChoices):
        ONE_PASS = "one_pass", "One network pass"
        ITERATIVE = "iterative", "Iterative refinement"
        SEQUENTIAL = "sequential", "Sequential, one element at a time"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120, unique=True)
    short_name = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    taxonomy_node = models.ForeignKey(TaxonomyNode, on_delete=models.PROTECT, related_name="families")
    summary = models.CharField(max_length=300, help_text="One line for cards.")
    mechanism = models.TextField(help_text="How it works, in the overview's terms, corrected where needed.")
    key_insight = models.TextField()
    strengths = models.TextField(blank=True)
    known_problems = models.TextField(blank=True)
    likelihood = models.CharField(max_length=20, choices=Likelihood.choices)
    sampling = models.CharField(max_length=20, choices=Sampling.choices)
    training_stability = models.CharField(max_length=200, blank=True)
    latent_space = models.CharField(max_length=200, blank=True)
    erratum = models.TextField(blank=True, help_text="Where the overview's row is wrong, and the fix.")
    concepts = models.ManyToManyField(Concept, blank=True, related_name="families")
    domains = models.ManyToManyField(Domain, through="FamilyDomain", related_name="families")
    papers = models.ManyToManyField(Paper, through="FamilyPaper", related_name="families")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "families"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:family-detail", kwargs={"slug": self.slug})


class FamilyDomain(models.Model):
    """A domain a family serves, with the overview's examples for it ("faces, objects, art")."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="family_domains")
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="family_domains")
    examples = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["family", "position"]
        constraints = [models.UniqueConstraint(fields=["family", "domain"], name="familydomain_unique")]

    def __str__(self) -> str:
        return f"{self.family.short_name} → {self.domain}"


class FamilyPaper(models.Model):
    """A paper in a family's reading list, with its role."""

    class Role(models.TextChoices):
        SEMINAL = "seminal", "Seminal"
        REVIVAL = "revival", "Modern revival"
        FOLLOW_UP = "follow_up", "Follow-up"

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="family_papers")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="family_papers")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.FOLLOW_UP)
    note = models.CharField(max_length=300, blank=True, help_text="e.g. '(text)' in the overview's table.")

    class Meta:
        ordering = ["family", "role", "paper__year"]
        constraints = [models.UniqueConstraint(fields=["family", "paper"], name="familypaper_unique")]

    def __str__(self) -> str:
        return f"{self.family.short_name}: {self.paper.citation_key} ({self.role})"


class ExampleModel(Timestamped):
    """A named model (DCGAN, DDPM) or a deployed system (Stable Diffusion, ChatGPT) the overview mentions."""

    class Kind(models.TextChoices):
        MODEL = "model", "Model"
        SYSTEM = "system", "System"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MODEL)
    description = models.TextField(blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    paper = models.ForeignKey(
        Paper, null=True, blank=True, on_delete=models.SET_NULL, related_name="example_models"
    )
    families = models.ManyToManyField(Family, related_name="example_models")
    domains = models.ManyToManyField(Domain, blank=True, related_name="example_models")
    erratum = models.TextField(
        blank=True, help_text="Where the overview places or names it wrongly, and the fix."
    )

    class Meta:
        ordering = ["year", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__isnull=True) | (Q(year__gte=1900) & Q(year__lte=2100)),
                name="examplemodel_year",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:model-detail", kwargs={"slug": self.slug})
