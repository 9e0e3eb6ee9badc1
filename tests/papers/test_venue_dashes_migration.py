"""Migration papers 0006: a venue read with a LaTeX dash gets its Unicode name and its twin's papers back."""

import importlib

import pytest
from django.apps import apps

from papers.models import Venue
from tests import factories as f

migration = importlib.import_module("papers.migrations.0006_venue_dashes")


@pytest.mark.django_db
def test_the_old_venue_keeps_its_slug_and_takes_its_twins_papers():
    old = f.VenueFactory(slug="ssw-2016", name="SSW 2016, September 13--15, 2016")
    twin = f.VenueFactory(slug="ssw-2016-2", name="SSW 2016, September 13\u201315, 2016")
    paper = f.PaperFactory(venue=twin)
    migration.forwards(apps, None)
    assert list(Venue.objects.filter(slug__startswith="ssw").values_list("slug", "name")) == [
        ("ssw-2016", "SSW 2016, September 13\u201315, 2016")
    ]
    paper.refresh_from_db()
    assert paper.venue_id == old.pk
