"""factory-boy factories shared by the whole suite. Papers models first; other apps append theirs below."""

import datetime
from decimal import Decimal

import factory

from benchmarks.models import Benchmark, Dataset, Metric, Result
from catalog.models import Concept, Domain, ExampleModel, Family, FamilyDomain, FamilyPaper, TaxonomyNode
from papers.models import Author, Authorship, Erratum, Paper, PaperLink, Venue


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"venue-{n}")
    name = factory.Sequence(lambda n: f"Proceedings of Conference {n}")
    short_name = factory.Sequence(lambda n: f"CONF{n}")
    kind = Venue.Kind.CONFERENCE


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    slug = factory.Sequence(lambda n: f"author-{n}")
    given = factory.Faker("first_name")
    family = factory.Sequence(lambda n: f"Family{n}")


class PaperFactory(factory.django.DjangoModelFactory):
    """A conference paper; ``PaperFactory(authors=[a, b])`` sets the ordered author list."""

    class Meta:
        model = Paper
        skip_postgeneration_save = True

    citation_key = factory.Sequence(lambda n: f"paper{n}")
    entry_type = Paper.EntryType.INPROCEEDINGS
    title = factory.Sequence(lambda n: f"Learning Generative Models Number {n}")
    year = 2017
    venue = factory.SubFactory(VenueFactory)
    booktitle = factory.SelfAttribute("venue.name")

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if not create:
            return
        people = extracted if extracted is not None else [AuthorFactory(), AuthorFactory()]
        for position, person in enumerate(people):
            Authorship.objects.create(paper=self, author=person, position=position)


class AuthorshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authorship

    paper = factory.SubFactory(PaperFactory, authors=[])
    author = factory.SubFactory(AuthorFactory)
    position = 0


class PaperLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaperLink

    source = factory.SubFactory(PaperFactory)
    target = factory.SubFactory(PaperFactory)
    kind = PaperLink.Kind.BUILDS_ON


class ErratumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Erratum

    paper = factory.SubFactory(PaperFactory)
    field = Erratum.Field.TITLE
    claimed = "A title the overview gives"
    correction = "The title as published"
    source_url = "https://dblp.org/"


class StubPaperFactory(PaperFactory):
    """A bare ``misc`` paper (no venue, no authors) for the catalog to link to; year taken from the key."""

    class Meta:
        django_get_or_create = ("citation_key",)

    citation_key = factory.Sequence(lambda n: f"author{2000 + n % 50}paper{n}")
    entry_type = Paper.EntryType.MISC
    title = factory.LazyAttribute(lambda p: f"A paper called {p.citation_key}")
    year = factory.LazyAttribute(lambda p: int("".join(c for c in p.citation_key if c.isdigit())[:4] or 2000))
    venue = None
    booktitle = ""

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if create and extracted:
            Authorship.objects.bulk_create(
                Authorship(paper=self, author=person, position=index)
                for index, person in enumerate(extracted)
            )


# Catalog records.


class TaxonomyNodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxonomyNode

    slug = factory.Sequence(lambda n: f"node-{n}")
    name = factory.Sequence(lambda n: f"Node {n}")


class ConceptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Concept

    slug = factory.Sequence(lambda n: f"concept-{n}")
    name = factory.Sequence(lambda n: f"Concept {n}")
    description = "A part of a mechanism."


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain

    slug = factory.Sequence(lambda n: f"domain-{n}")
    name = factory.Sequence(lambda n: f"Domain {n}")


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family

    slug = factory.Sequence(lambda n: f"family-{n}")
    name = factory.Sequence(lambda n: f"Family {n}")
    short_name = factory.Sequence(lambda n: f"F{n}")
    position = factory.Sequence(lambda n: n)
    taxonomy_node = factory.SubFactory(TaxonomyNodeFactory)
    summary = "A family of models."
    mechanism = "It works by doing things."
    key_insight = "It matters because of reasons."
    strengths = "Fast sampling."
    known_problems = "Mode collapse."
    likelihood = Family.Likelihood.EXACT
    sampling = Family.Sampling.ONE_PASS
    training_stability = "Stable"
    latent_space = "None"


class FamilyDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FamilyDomain

    family = factory.SubFactory(FamilyFactory)
    domain = factory.SubFactory(DomainFactory)
    examples = "faces, objects"


class FamilyPaperFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FamilyPaper

    family = factory.SubFactory(FamilyFactory)
    paper = factory.SubFactory(PaperFactory)
    role = FamilyPaper.Role.FOLLOW_UP


class ExampleModelFactory(factory.django.DjangoModelFactory):
    """``families=[...]`` and ``domains=[...]`` set the many-to-many links."""

    class Meta:
        model = ExampleModel
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"model-{n}")
    name = factory.Sequence(lambda n: f"Model {n}")
    year = 2015
    organisation = "A Lab"
    description = "A named model."

    @factory.post_generation
    def families(self, create, extracted, **kwargs):
        if create and extracted:
            self.families.set(extracted)

    @factory.post_generation
    def domains(self, create, extracted, **kwargs):
        if create and extracted:
            self.domains.set(extracted)


# --- benchmarks ---------------------------------------------------------------------------------------------


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    slug = factory.Sequence(lambda n: f"dataset-{n}")
    name = factory.Sequence(lambda n: f"Dataset {n}")
    shape = "32×32×3"
    resolution = 32


class MetricFactory(factory.django.DjangoModelFactory):
    """Lower is better unless ``higher_is_better=True``."""

    class Meta:
        model = Metric

    slug = factory.Sequence(lambda n: f"metric-{n}")
    name = factory.Sequence(lambda n: f"Metric {n}")
    abbreviation = factory.Sequence(lambda n: f"M{n}")
    higher_is_better = False
    definition = "What it measures."


class BenchmarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Benchmark

    slug = factory.Sequence(lambda n: f"board-{n}")
    name = factory.Sequence(lambda n: f"Board {n}")
    dataset = factory.SubFactory(DatasetFactory)
    metric = factory.SubFactory(MetricFactory)
    protocol = "50,000 samples against the training set."


class PublishedResultFactory(factory.django.DjangoModelFactory):
    """A figure from a paper's table, with its provenance."""

    class Meta:
        model = Result

    benchmark = factory.SubFactory(BenchmarkFactory)
    kind = Result.Kind.PUBLISHED
    family = factory.SubFactory(FamilyFactory)
    paper = factory.SubFactory(PaperFactory)
    variant = factory.Sequence(lambda n: f"Variant {n}")
    value = Decimal("3.17")
    year = factory.LazyAttribute(lambda o: o.paper.year if o.paper else 2020)
    source_table = "Table 1"
    source_row = factory.LazyAttribute(lambda o: o.variant)
    source_page = 6
    source_version = "arXiv v2"
    source_url = "https://arxiv.org/abs/2006.11239v2"
    checked_on = datetime.date(2026, 11, 29)


class MeasuredResultFactory(factory.django.DjangoModelFactory):
    """A figure the zoo measured, with its checkpoint and command."""

    class Meta:
        model = Result

    benchmark = factory.SubFactory(BenchmarkFactory, measured_field="fd")
    kind = Result.Kind.MEASURED
    family = factory.SubFactory(FamilyFactory)
    variant = factory.Sequence(lambda n: f"zoo-model-{n}")
    zoo_model = factory.LazyAttribute(lambda o: o.variant)
    value = Decimal("94.48")
    year = 2026
    checkpoint_sha256 = "e86e261b37cb8bed6b56ea2c6b5cae5d75576dff336d060a1c57ef828b859ec4"
    command = factory.LazyAttribute(lambda o: f"python -m generation.zoo evaluate {o.zoo_model}")
    results_file = factory.LazyAttribute(lambda o: f"generation/zoo/results/{o.zoo_model}.json")
    checked_on = datetime.date(2026, 11, 23)
