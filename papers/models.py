"""Papers, their authors and venues, lineage between papers, and errata against the overview document."""

from django.db import models
from django.db.models import Q
from django.urls import reverse

YEAR_CHECK = Q(year__gte=1600) & Q(year__lte=2100)


class Venue(models.Model):
    """A conference, journal, workshop, publisher series or preprint server, named as it was at the time."""

    class Kind(models.TextChoices):
        CONFERENCE = "conference", "Conference"
        JOURNAL = "journal", "Journal"
        WORKSHOP = "workshop", "Workshop"
        BOOK = "book", "Book or collection"
        PREPRINT = "preprint", "Preprint server"
        REPORT = "report", "Technical report"
        OTHER = "other", "Other"

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=300, help_text="Full name at the time, e.g. 'Advances in Neural ...'.")
    short_name = models.CharField(max_length=60, blank=True, help_text="e.g. NIPS, ICML, ICLR, arXiv.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    url = models.URLField(blank=True)

    class Meta:
        ordering = ["short_name", "name"]

    def __str__(self) -> str:
        return self.short_name or self.name

    def get_absolute_url(self) -> str:
        return reverse("papers:venue-detail", kwargs={"slug": self.slug})


class Author(models.Model):
    """A person, with BibTeX name parts kept apart so that names round-trip ("van den Oord, Aäron")."""

    slug = models.SlugField(max_length=120, unique=True)
    given = models.CharField(max_length=120, blank=True, help_text="First names, e.g. 'Aäron'.")
    von = models.CharField(max_length=60, blank=True, help_text="Particle, e.g. 'van den'.")
    family = models.CharField(max_length=120, help_text="Last name, e.g. 'Oord'.")
    suffix = models.CharField(max_length=30, blank=True, help_text="e.g. 'Jr.'.")
    variants = models.JSONField(
        default=list,
        blank=True,
        help_text="Other names this person published under, in BibTeX form ('Simonyan, Karén').",
    )
    dblp = models.CharField(
        max_length=80, blank=True, verbose_name="DBLP id", help_text="e.g. 's/KarenSimonyan'."
    )
    orcid = models.CharField(max_length=19, blank=True, verbose_name="ORCID", help_text="0000-0000-0000-0000")

    class Meta:
        ordering = ["family", "given"]
        constraints = [
            models.UniqueConstraint(fields=["given", "von", "family", "suffix"], name="author_unique_name"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("papers:author-detail", kwargs={"slug": self.slug})

    @property
    def last_name(self) -> str:
        """The sorting name with its particle: 'van den Oord'."""
        return f"{self.von} {self.family}".strip()

    @property
    def display_name(self) -> str:
        """'Aäron van den Oord', 'Martin Luther King Jr.'."""
        return " ".join(part for part in (self.given, self.von, self.family, self.suffix) if part)

    @property
    def bibtex_name(self) -> str:
        """'van den Oord, Aäron' or 'King, Jr., Martin' (BibTeX's von-last-jr-first form)."""
        if self.suffix:
            return f"{self.last_name}, {self.suffix}, {self.given}".rstrip(", ")
        return f"{self.last_name}, {self.given}" if self.given else self.last_name


class Paper(models.Model):
    """One bibliographic record. Every BibTeX field that has no column here is kept in ``extra_fields``."""

    class EntryType(models.TextChoices):
        ARTICLE = "article", "Journal article"
        INPROCEEDINGS = "inproceedings", "Conference paper"
        INCOLLECTION = "incollection", "Chapter in a collection"
        BOOK = "book", "Book"
        MISC = "misc", "Preprint or other"
        TECHREPORT = "techreport", "Technical report"
        PHDTHESIS = "phdthesis", "PhD thesis"
        MASTERSTHESIS = "mastersthesis", "Master's thesis"
        UNPUBLISHED = "unpublished", "Unpublished"
        INBOOK = "inbook", "Part of a book"
        PROCEEDINGS = "proceedings", "Proceedings"
        MANUAL = "manual", "Manual"
        BOOKLET = "booklet", "Booklet"
        ONLINE = "online", "Online resource"

    citation_key = models.CharField(max_length=120, unique=True)
    entry_type = models.CharField(max_length=20, choices=EntryType.choices, default=EntryType.MISC)
    title = models.TextField()
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    month = models.CharField(max_length=20, blank=True)
    venue = models.ForeignKey(Venue, null=True, blank=True, on_delete=models.SET_NULL, related_name="papers")
    booktitle = models.TextField(blank=True)
    journal = models.CharField(max_length=300, blank=True)
    volume = models.CharField(max_length=40, blank=True)
    number = models.CharField(max_length=40, blank=True)
    pages = models.CharField(max_length=40, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    editor = models.TextField(blank=True, help_text="Editors as BibTeX writes them ('A and B').")
    institution = models.CharField(max_length=200, blank=True)
    doi = models.CharField(max_length=200, blank=True, verbose_name="DOI")
    arxiv_id = models.CharField(max_length=40, blank=True, verbose_name="arXiv id")
    arxiv_class = models.CharField(max_length=40, blank=True, help_text="arXiv primary class, e.g. cs.LG.")
    url = models.URLField(max_length=500, blank=True)
    abstract = models.TextField(blank=True)
    note = models.TextField(blank=True)
    extra_fields = models.JSONField(default=dict, blank=True, help_text="Other BibTeX fields, kept verbatim.")
    authors = models.ManyToManyField(Author, through="Authorship", related_name="papers")
    source_url = models.URLField(
        max_length=500, blank=True, help_text="Provenance: the primary source where these facts were checked."
    )
    checked_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(year__isnull=True) | YEAR_CHECK, name="paper_year_range"),
            models.UniqueConstraint(fields=["doi"], condition=~Q(doi=""), name="paper_unique_doi"),
            models.UniqueConstraint(
                fields=["arxiv_id"], condition=~Q(arxiv_id=""), name="paper_unique_arxiv"
            ),
        ]
        indexes = [models.Index(fields=["year"]), models.Index(fields=["updated_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    def get_absolute_url(self) -> str:
        return reverse("papers:paper-detail", kwargs={"key": self.citation_key})

    @property
    def page_range(self) -> str:
        """Pages for reading: BibTeX's '2672--2680' as '2672–2680'."""
        return self.pages.replace("--", "–")

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else ""

    @property
    def summary(self) -> str:
        """The site's own short summary (BibTeX field ``summary``), never the paper's abstract."""
        return self.abstract

    @property
    def abstract_url(self) -> str:
        """Where readers find the authors' abstract: the arXiv page, else the DOI, else the publisher's."""
        return self.arxiv_url or self.doi_url or self.web_url

    @property
    def provenance(self) -> str:
        """Editorial notes on how the record was checked (BibTeX ``provenance``; no style prints it)."""
        return str((self.extra_fields or {}).get("provenance", ""))

    @property
    def web_url(self) -> str:
        """The publisher's URL when it is http(s): the only kind the pages link (never javascript:)."""
        from papers.bibtex import is_web_url

        return self.url if self.url and is_web_url(self.url) else ""


class Authorship(models.Model):
    """An author's place in a paper's author list (0 is first)."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="authorships")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="authorships")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["paper", "position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="authorship_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.author} #{self.position + 1} on {self.paper.citation_key}"


class PaperLink(models.Model):
    """Lineage: ``source`` builds on, revives or extends ``target``."""

    class Kind(models.TextChoices):
        BUILDS_ON = "builds_on", "builds on"
        REVIVES = "revives", "revives"
        EXTENDS = "extends", "extends"

    source = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["source", "kind", "target"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="paperlink_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="paperlink_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source.citation_key} {self.get_kind_display()} {self.target.citation_key}"


class Erratum(models.Model):
    """Where the overview is wrong about a paper: what it claimed, what is right, and the evidence."""

    class Field(models.TextChoices):
        TITLE = "title", "Title"
        AUTHORS = "authors", "Authors"
        YEAR = "year", "Year"
        VENUE = "venue", "Venue"
        OTHER = "other", "Other"

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="errata")
    field = models.CharField(max_length=20, choices=Field.choices)
    claimed = models.TextField(help_text="What the overview says, quoted.")
    correction = models.TextField(help_text="What is right.")
    source_url = models.URLField(max_length=500, help_text="Where the correction was checked.")

    class Meta:
        ordering = ["paper", "field"]
        verbose_name_plural = "errata"
        constraints = [models.UniqueConstraint(fields=["paper", "field"], name="erratum_unique_field")]

    def __str__(self) -> str:
        return f"Erratum ({self.field}) on {self.paper.citation_key}"
