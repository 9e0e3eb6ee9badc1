"""The home page's cards show each family's showcase grid in the server's HTML, so it is there without
JavaScript; a family without a showcase gets no broken image."""

import pytest

from tests import factories as f


@pytest.mark.django_db
def test_the_home_cards_carry_the_showcase_without_javascript(client):
    f.FamilyFactory(slug="gans", short_name="GANs")
    f.FamilyFactory(slug="a-family-without-a-showcase", short_name="New")
    html = client.get("/").content.decode()
    assert html.count('class="pixelated showcase-thumb"') == 1
    assert 'src="/static/generation/showcase/gans.png"' in html
    assert 'hx-get="/generation/families/gans/latest-thumbnail/"' in html  # htmx adds the latest beside it
