"""The real content: a release of the whole catalog validates and survives the round trip byte for byte."""

import pytest
from frictionless import validate

from catalog.services import catalog_load
from releases.export import release_export
from releases.importing import release_import
from tests.releases.conftest import release_bytes, wipe_catalog

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_a_release_of_the_real_catalog_validates_and_round_trips(tmp_path):
    catalog_load()
    first = release_export(name="2026-11-29", directory=tmp_path / "a" / "2026-11-29")
    assert first.counts["papers"] >= 100 and first.counts["results"] >= 100 and first.counts["demos"] >= 7

    report = validate(str(first.directory / "datapackage.json"))
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "note"])[:10]

    wipe_catalog()
    release_import(folder=first.directory)
    second = release_export(name="2026-11-29", directory=tmp_path / "b" / "2026-11-29")
    assert release_bytes(first.directory) == release_bytes(second.directory)
