"""A small, realistic catalog for the explorer's tests, and a way to pad it with many papers."""

from types import SimpleNamespace

import pytest

from catalog.models import FamilyPaper
from papers.models import Author, Authorship, Paper, PaperLink, Venue
from tests import factories as f


@pytest.fixture
def explorer_catalog(db):
    """The explorer's small catalog, as a namespace of records (``explorer_catalog.gans``): two families with
    their concepts, domains, models and papers, lineage links and an erratum."""
    explicit = f.TaxonomyNodeFactory(slug="explicit-density", name="Explicit density")
    tractable = f.TaxonomyNodeFactory(slug="approximate", name="Approximate density", parent=explicit)
    implicit = f.TaxonomyNodeFactory(slug="implicit-density", name="Implicit density")
    images = f.DomainFactory(slug="images", name="Images")
    audio = f.DomainFactory(slug="audio", name="Audio")
    minimax = f.ConceptFactory(slug="minimax-game", name="Minimax game", description="Two players.")
    denoising = f.ConceptFactory(
        slug="denoising", name="Reverse denoising process", description="Undo noise."
    )
    gans = f.FamilyFactory(
        slug="gans",
        name="Generative Adversarial Networks",
        short_name="GANs",
        taxonomy_node=implicit,
        summary="A generator and a discriminator play a minimax game.",
        mechanism="Two networks, generator against discriminator, in a minimax game.",
        key_insight="Adversarial training gives sharp samples without a likelihood.",
        likelihood="none",
        sampling="one_pass",
        training_stability="Unstable: mode collapse",
        latent_space="Unstructured noise vector",
    )
    diffusion = f.FamilyFactory(
        slug="diffusion-models",
        name="Diffusion Models",
        short_name="Diffusion",
        taxonomy_node=tractable,
        summary="Start from noise and denoise step by step.",
        mechanism="A forward noising process and a learned reverse denoising process.",
        key_insight="Denoising score matching is a stable objective.",
        likelihood="bound",
        sampling="iterative",
    )
    gans.concepts.add(minimax)
    diffusion.concepts.add(denoising)
    f.FamilyDomainFactory(family=gans, domain=images, examples="faces, objects, art")
    f.FamilyDomainFactory(family=diffusion, domain=images, examples="Stable Diffusion, Imagen")
    f.FamilyDomainFactory(family=diffusion, domain=audio, examples="DiffWave")
    neurips = f.VenueFactory(
        slug="neurips", name="Advances in Neural Information Processing Systems", short_name="NeurIPS"
    )
    icml = f.VenueFactory(slug="icml", name="International Conference on Machine Learning", short_name="ICML")
    goodfellow = f.AuthorFactory(slug="ian-goodfellow", given="Ian", family="Goodfellow")
    bengio = f.AuthorFactory(slug="yoshua-bengio", given="Yoshua", family="Bengio")
    ho = f.AuthorFactory(slug="jonathan-ho", given="Jonathan", family="Ho")
    oord = f.AuthorFactory(slug="aaron-van-den-oord", given="Aäron", von="van den", family="Oord")
    gan_paper = f.PaperFactory(
        citation_key="goodfellow2014generative",
        title="Generative Adversarial Nets",
        year=2014,
        venue=neurips,
        booktitle="Advances in Neural Information Processing Systems 27",
        pages="2672--2680",
        arxiv_id="1406.2661",
        abstract="We propose a new framework for estimating generative models via an adversarial process.",
        authors=[goodfellow, bengio],
    )
    dcgan = f.PaperFactory(
        citation_key="radford2016unsupervised",
        year=2016,
        venue=f.VenueFactory(
            slug="iclr", short_name="ICLR", name="International Conference on Learning Representations"
        ),
        title="Unsupervised Representation Learning with Deep Convolutional Generative Adversarial Networks",
        abstract="Convolutional GANs learn a hierarchy of representations.",
        authors=[f.AuthorFactory()],
    )
    thermo = f.PaperFactory(
        citation_key="sohldickstein2015deep",
        year=2015,
        venue=icml,
        title="Deep Unsupervised Learning using Nonequilibrium Thermodynamics",
        abstract="A diffusion process slowly destroys structure; we learn to restore it.",
    )
    ddpm = f.PaperFactory(
        citation_key="ho2020denoising",
        year=2020,
        venue=neurips,
        title="Denoising Diffusion Probabilistic Models",
        doi="10.5555/3495724.3496298",
        arxiv_id="2006.11239",
        abstract="High quality image synthesis using diffusion probabilistic models.",
        authors=[ho],
    )
    wavenet = f.PaperFactory(
        citation_key="oord2016wavenet",
        year=2016,
        venue=f.VenueFactory(slug="arxiv", short_name="arXiv", name="arXiv", kind=Venue.Kind.PREPRINT),
        entry_type=Paper.EntryType.MISC,
        title="WaveNet: A Generative Model for Raw Audio",
        abstract="A deep generative model of raw audio.",
        authors=[oord],
    )
    FamilyPaper.objects.create(family=gans, paper=gan_paper, role="seminal")
    FamilyPaper.objects.create(family=gans, paper=dcgan, role="follow_up")
    FamilyPaper.objects.create(family=diffusion, paper=thermo, role="seminal")
    FamilyPaper.objects.create(family=diffusion, paper=ddpm, role="revival")
    minimax.papers.add(gan_paper)
    denoising.papers.add(thermo, ddpm)
    PaperLink.objects.create(source=dcgan, target=gan_paper, kind="builds_on")
    PaperLink.objects.create(source=ddpm, target=thermo, kind="revives")
    f.ErratumFactory(paper=thermo, field="authors", claimed="Eric Weiss", correction="Eric A. Weiss")
    f.ExampleModelFactory(
        slug="dcgan", name="DCGAN", year=2016, paper=dcgan, families=[gans], domains=[images]
    )
    f.ExampleModelFactory(
        slug="ddpm", name="DDPM", year=2020, paper=ddpm, families=[diffusion], domains=[images]
    )
    f.ExampleModelFactory(
        slug="wavenet",
        name="WaveNet",
        year=2016,
        paper=wavenet,
        families=[diffusion],
        domains=[audio],
        organisation="DeepMind",
    )
    f.ExampleModelFactory(
        slug="stable-diffusion",
        name="Stable Diffusion",
        kind="system",
        year=2022,
        families=[diffusion],
        domains=[images],
        organisation="Stability AI",
    )
    return SimpleNamespace(
        gans=gans,
        diffusion=diffusion,
        images=images,
        audio=audio,
        minimax=minimax,
        denoising=denoising,
        gan_paper=gan_paper,
        dcgan=dcgan,
        thermo=thermo,
        ddpm=ddpm,
        wavenet=wavenet,
        goodfellow=goodfellow,
        oord=oord,
        neurips=neurips,
    )


def pad_papers(count: int, *, family, venue=None, prefix: str = "pad") -> None:
    """``count`` more papers in ``family``, each with two authors and a lineage link, in a few queries."""
    venue = venue or Venue.objects.get_or_create(slug="padding", defaults={"name": "Padding Workshop"})[0]
    start = Paper.objects.count()
    papers = Paper.objects.bulk_create(
        Paper(
            citation_key=f"{prefix}{start + n}",
            title=f"Padded study {n} of generative sampling",
            abstract=f"Filler abstract {n} about score matching and sampling. " * 8,
            year=1990 + n % 35,
            venue=venue,
        )
        for n in range(count)
    )
    authors = Author.objects.bulk_create(
        Author(slug=f"{prefix}-author-{start + n}", given="Pat", family=f"Padder{start + n}")
        for n in range(count)
    )
    Authorship.objects.bulk_create(
        [
            Authorship(paper=paper, author=author, position=0)
            for paper, author in zip(papers, authors, strict=True)
        ]
        + [Authorship(paper=paper, author=authors[0], position=1) for paper in papers[1:]]
    )
    FamilyPaper.objects.bulk_create(FamilyPaper(family=family, paper=paper) for paper in papers)
    PaperLink.objects.bulk_create(
        PaperLink(source=paper, target=papers[index - 1], kind="builds_on")
        for index, paper in enumerate(papers)
        if index
    )
