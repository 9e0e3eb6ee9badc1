"""Fixtures of the API tests: clients (anonymous, staff by session, staff by token) and a small catalog."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import (
    AuthorFactory,
    ConceptFactory,
    DomainFactory,
    ExampleModelFactory,
    FamilyDomainFactory,
    FamilyFactory,
    FamilyPaperFactory,
    PaperFactory,
    TaxonomyNodeFactory,
    VenueFactory,
)


@pytest.fixture(autouse=True)
def _api_settings(settings):
    """Generous throttles (the throttle tests set their own) and a clean throttle history per test."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client() -> APIClient:
    return APIClient()


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("editor", password="pw-editor-1", is_staff=True)


@pytest.fixture
def staff_client(staff) -> APIClient:
    api = APIClient()
    api.force_login(staff)
    return api


@pytest.fixture
def token_client(staff) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")
    return api


@pytest.fixture
def api_catalog(db) -> dict:
    """The API's small catalog, as a dict of records by name: two families with papers, domains, concepts
    and models; enough to tell filters apart."""
    root = TaxonomyNodeFactory(slug="explicit-density", name="Explicit density")
    tractable = TaxonomyNodeFactory(slug="tractable", name="Tractable", parent=root)
    implicit = TaxonomyNodeFactory(slug="implicit-density", name="Implicit density")
    gans = FamilyFactory(
        slug="gans", name="Generative Adversarial Networks", taxonomy_node=implicit, position=1
    )
    flows = FamilyFactory(
        slug="normalizing-flows", name="Normalizing flows", taxonomy_node=tractable, position=2
    )
    images, audio = DomainFactory(slug="images", name="Images"), DomainFactory(slug="audio", name="Audio")
    FamilyDomainFactory(family=gans, domain=images, examples="faces, objects, art")
    FamilyDomainFactory(family=flows, domain=audio, examples="speech")
    minimax = ConceptFactory(slug="minimax-game", name="Minimax game")
    gans.concepts.add(minimax)
    nips = VenueFactory(
        slug="nips", name="Advances in Neural Information Processing Systems", short_name="NIPS"
    )
    iclr = VenueFactory(
        slug="iclr", name="International Conference on Learning Representations", short_name="ICLR"
    )
    goodfellow = AuthorFactory(slug="ian-goodfellow", given="Ian", family="Goodfellow")
    oord = AuthorFactory(slug="aaron-van-den-oord", given="Aäron", von="van den", family="Oord")
    gan = PaperFactory(
        citation_key="goodfellow2014generative",
        title="Generative Adversarial Nets",
        year=2014,
        venue=nips,
        arxiv_id="1406.2661",
        abstract="We propose a new framework for estimating generative models via an adversarial process.",
        authors=[goodfellow],
    )
    dinh = AuthorFactory(slug="laurent-dinh", given="Laurent", family="Dinh")
    nice = PaperFactory(
        citation_key="dinh2015nice",
        title="NICE: Non-linear Independent Components Estimation",
        year=2015,
        venue=iclr,
        entry_type="misc",
        doi="10.1000/nice",
        authors=[dinh, oord],
    )
    realnvp = PaperFactory(
        citation_key="dinh2017density",
        title="Density estimation using Real NVP",
        year=2017,
        venue=iclr,
        arxiv_id="1605.08803",
        authors=[dinh],
    )
    minimax.papers.add(gan)
    FamilyPaperFactory(family=gans, paper=gan, role="seminal")
    FamilyPaperFactory(family=flows, paper=nice, role="seminal")
    FamilyPaperFactory(family=flows, paper=realnvp, role="follow_up")
    dcgan = ExampleModelFactory(slug="dcgan", name="DCGAN", year=2016, families=[gans], domains=[images])
    return {
        "gans": gans,
        "flows": flows,
        "gan": gan,
        "nice": nice,
        "realnvp": realnvp,
        "dcgan": dcgan,
        "images": images,
        "audio": audio,
        "minimax": minimax,
        "nips": nips,
        "iclr": iclr,
        "oord": oord,
        "root": root,
    }
