"""A small catalog covering every record type a release holds, built with the suite's factories, and the
helpers the release tests share."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from generation.models import Demo
from papers.models import PaperLink
from releases.importing import IMPORTED_MODELS
from tests import factories as f


@pytest.fixture
def small_catalog(db):
    venue = f.VenueFactory(
        slug="nips", name="Advances in Neural Information Processing Systems", short_name="NIPS"
    )
    oord = f.AuthorFactory(slug="oord-aaron", given="Aäron", von="van den", family="Oord")
    ho = f.AuthorFactory(slug="ho-jonathan", given="Jonathan", family="Ho")
    ddpm = f.PaperFactory(
        citation_key="ho2020denoising",
        title="Denoising Diffusion Probabilistic Models",
        year=2020,
        venue=venue,
        doi="10.5555/3495724.3496298",
        arxiv_id="2006.11239",
        abstract="We present high quality image synthesis results using diffusion probabilistic models.",
        extra_fields={"keywords": "diffusion-models"},
        source_url="https://arxiv.org/abs/2006.11239",
        checked_on=datetime.date(2026, 11, 23),
        authors=[ho, oord],
    )
    pixelcnn = f.StubPaperFactory(
        citation_key="oord2016pixel", title="Pixel Recurrent Neural Networks", authors=[oord]
    )
    f.PaperLinkFactory(source=ddpm, target=pixelcnn, kind=PaperLink.Kind.BUILDS_ON, note="likelihood view")
    f.ErratumFactory(paper=pixelcnn, field="venue", claimed="NeurIPS 2016", correction="ICML 2016")
    root = f.TaxonomyNodeFactory(slug="explicit-density", name="Explicit density")
    node = f.TaxonomyNodeFactory(slug="approximate", name="Approximate density", parent=root)
    concept = f.ConceptFactory(slug="denoising", name="Denoising")
    concept.papers.set([ddpm])
    images = f.DomainFactory(slug="images", name="Images")
    family = f.FamilyFactory(slug="diffusion-models", name="Diffusion models", taxonomy_node=node)
    family.concepts.set([concept])
    f.FamilyDomainFactory(family=family, domain=images, examples="faces, bedrooms")
    f.FamilyPaperFactory(family=family, paper=ddpm, role="seminal")
    model = f.ExampleModelFactory(
        slug="ddpm", name="DDPM", year=2020, paper=ddpm, families=[family], domains=[images]
    )
    board = f.BenchmarkFactory(
        slug="cifar10-fid", name="CIFAR-10, FID", dataset__slug="cifar10", metric__slug="fid"
    )
    f.PublishedResultFactory(
        benchmark=board,
        family=family,
        model=model,
        paper=ddpm,
        variant="Ours (L_simple)",
        value=Decimal("3.17"),
    )
    measured = f.BenchmarkFactory(slug="digits-fd", name="Digits, FD", measured_field="fd", metric__slug="fd")
    f.MeasuredResultFactory(
        benchmark=measured, family=family, variant="ddpm", zoo_model="ddpm", value=Decimal("101.2")
    )
    Demo.objects.create(
        slug="ddpm-digits",
        family_slug=family.slug,
        family=family,
        example_model=model,
        title="DDPM on 8×8 digits",
        model_name="ddpm",
        citation_key="ho2020denoising",
        params_schema=[{"name": "n", "kind": "int", "min": 1, "max": 64, "default": 16}],
        checkpoint_sha256="ab" * 32,
        metrics={"fd": 101.2, "bits_per_dim": 2.874},
        manifest={"sha256": "ab" * 32, "seed": 0, "metrics": {"fd": 101.2}},
    )
    return {"paper": ddpm, "family": family, "domain": images}


def wipe_catalog() -> None:
    """Delete every record an import writes, so that the same test database is empty again."""
    from catalog.models import TaxonomyNode

    TaxonomyNode.objects.update(parent=None)
    for model in IMPORTED_MODELS:
        model.objects.all().delete()


def release_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
