"""The explorer's pages through the test client: each answers with its title and heading and shows the
records of the small catalog (tests/web/conftest.py) that belong on it; htmx gets the partial alone."""

import re

import pytest

pytestmark = pytest.mark.django_db

# url, <title> (before " · Generative Atlas"), <h1>, what the page must show of the small catalog
PAGES = [
    ("/", "Generative Atlas", "Generative Atlas",
     ['href="/families/gans/"', "Generative Adversarial Networks", "Diffusion Models", "Implicit density"]),
    ("/families/gans/", "Generative Adversarial Networks", "Generative Adversarial Networks",
     ['href="/concepts/minimax-game/"', "Generative Adversarial Nets", "DCGAN", "faces, objects, art",
      "Adversarial training gives sharp samples"]),
    ("/families/diffusion-models/", "Diffusion Models", "Diffusion Models",
     ["Denoising Diffusion Probabilistic Models", "DiffWave", "Stable Diffusion",
      "Reverse denoising process"]),
    ("/concepts/", "Concepts", "Concepts", ['href="/concepts/minimax-game/"', "Reverse denoising process"]),
    ("/concepts/minimax-game/", "Minimax game", "Minimax game",
     ['href="/families/gans/"', 'href="/papers/goodfellow2014generative/"']),
    ("/domains/", "Domains", "Domains", ['href="/domains/images/"', 'href="/domains/audio/"']),
    ("/domains/images/", "Images", "Images", ["faces, objects, art", 'href="/models/dcgan/"']),
    ("/models/", "Models and systems", "Models and systems",
     ['href="/models/dcgan/"', 'href="/models/stable-diffusion/"', "Stability AI"]),
    ("/models/dcgan/", "DCGAN", "DCGAN",
     ['href="/families/gans/"', 'href="/papers/radford2016unsupervised/"', 'href="/domains/images/"']),
    ("/papers/", "Papers", "Papers",
     ["<strong>5</strong> papers", "Generative Adversarial Nets", "WaveNet: A Generative Model for Raw Audio",
      'id="filters"']),
    ("/papers/goodfellow2014generative/", "Generative Adversarial Nets", "Generative Adversarial Nets",
     ['href="/papers/authors/ian-goodfellow/"', "Yoshua Bengio", "arXiv:1406.2661",
      "@inproceedings{goodfellow2014generative", 'href="/papers/radford2016unsupervised/"',
      "Add to selection"]),
    ("/papers/authors/ian-goodfellow/", "Ian Goodfellow", "Ian Goodfellow",
     ['href="/papers/goodfellow2014generative/"', "Yoshua Bengio"]),
    ("/papers/venues/neurips/", "NeurIPS", "Advances in Neural Information Processing Systems",
     ["Generative Adversarial Nets", "Denoising Diffusion Probabilistic Models"]),
    ("/papers/selection/", "Your selection", "Your selection", ["at most 500 papers"]),
    ("/search/?q=diffusion", "diffusion · Search", "Search",
     ['href="/families/diffusion-models/"', 'href="/papers/ho2020denoising/"']),
    ("/lineage/", "Lineage", "Lineage", ['href="/papers/ho2020denoising/"', "<svg"]),
    ("/compare/", "Compare the families", "Compare the families",
     ['href="/families/gans/"', 'href="/families/diffusion-models/"', "Unstable: mode collapse"]),
]  # fmt: skip


@pytest.mark.parametrize(("url", "title", "heading", "shown"), PAGES)
def test_every_page_shows_its_records(client, explorer_catalog, url, title, heading, shown):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    html = response.content.decode()
    assert re.search(r"<title>\s*(.*?)\s*</title>", html, re.S)[1] in (title, f"{title} · Generative Atlas")
    assert re.sub(r"\s+", " ", re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)[1]).strip() == heading
    missing = [text for text in shown if text not in html]
    assert not missing, f"{url} does not show {missing}"


def test_the_trivial_view(client):
    response = client.get("/healthz/")
    assert (response.status_code, response.content, response["Content-Type"]) == (200, b"ok", "text/plain")


@pytest.mark.parametrize(
    ("url", "partial", "shown"),
    [
        ("/papers/?family=gans", 'id="results"', "Generative Adversarial Nets"),
        ("/search/?q=diffusion", 'id="search-results"', 'href="/papers/ho2020denoising/"'),
        ("/lineage/?family=gans", "<svg", 'href="/papers/radford2016unsupervised/"'),
    ],
)
def test_htmx_gets_the_partial_alone(client, explorer_catalog, url, partial, shown):
    page = client.get(url).content.decode()
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" in page and "<html" not in fragment
    assert partial in fragment and shown in fragment
    assert "site-header" not in fragment
