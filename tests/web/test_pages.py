"""The explorer's pages through the test client: status, context, full page or htmx partial."""

import pytest

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/families/gans/",
    "/families/diffusion-models/",
    "/concepts/",
    "/concepts/minimax-game/",
    "/domains/",
    "/domains/images/",
    "/models/",
    "/models/dcgan/",
    "/papers/",
    "/papers/goodfellow2014generative/",
    "/papers/authors/ian-goodfellow/",
    "/papers/venues/neurips/",
    "/papers/selection/",
    "/search/?q=diffusion",
    "/lineage/",
    "/compare/",
    "/healthz/",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_answers(client, atlas, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
