"""Each family page pictures its mechanism in accessible inline SVG, and 'the overview' is explained once,
on the about page, which the pages link to."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests import factories as f

DIAGRAMS = Path(__file__).resolve().parents[2] / "templates" / "catalog" / "diagrams"
SVG = "{http://www.w3.org/2000/svg}"
FAMILIES = [
    "gans", "vaes", "autoregressive-models", "normalizing-flows", "diffusion-models",
    "energy-based-models", "generative-transformers",
]  # fmt: skip


@pytest.mark.parametrize("slug", FAMILIES)
def test_each_family_has_a_diagram_with_a_title_and_a_description(slug):
    root = ET.parse(DIAGRAMS / f"{slug}.html").getroot()
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None and len(desc.text) > 80
    assert set(root.get("aria-labelledby").split()) == {title.get("id"), desc.get("id")}
    styled = [el.tag for el in root.iter() if el.tag == f"{SVG}style" or "style" in el.attrib]
    assert styled == []  # the Content-Security-Policy allows no inline styles


@pytest.mark.django_db
def test_the_family_page_shows_its_diagram_and_links_the_overview(client):
    family = f.FamilyFactory(slug="diffusion-models", erratum="The overview says otherwise.")
    html = client.get(family.get_absolute_url()).content.decode()
    assert 'class="diagram"' in html and "the forward noising chain and the learned reverse chain" in html
    assert html.count('href="/about/#overview"') == 2  # the key insight and the erratum
    other = f.FamilyFactory(slug="a-family-without-a-picture")
    assert 'class="diagram"' not in client.get(other.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_the_about_page_says_what_the_overview_is(client):
    html = client.get("/about/").content.decode()
    assert 'id="overview"' in html and "seven model families" in html
    assert 'href="/benchmarks/"' in html and "primary record" in html
