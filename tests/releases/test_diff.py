"""The diff of two releases made around a change lists exactly that change, by identifier; the change log
keeps every release's section, newest first."""

import json

import pytest

from catalog.models import Domain
from papers.models import Erratum, Paper
from releases.diff import release_diff
from releases.export import release_export

pytestmark = pytest.mark.django_db


def _changes(folder) -> dict:
    """Only the record types where something changed."""
    changes = json.loads((folder / "changes.json").read_text())
    return {name: c for name, c in changes["resources"].items() if c["added"] or c["changed"] or c["removed"]}


def test_one_edited_title_is_the_only_change(small_catalog, tmp_path):
    old = release_export(name="2026-11-28", directory=tmp_path / "2026-11-28")
    Paper.objects.filter(citation_key="ho2020denoising").update(title="Denoising Diffusion Models, Corrected")
    new = release_export(name="2026-11-29", directory=tmp_path / "2026-11-29")

    assert new.previous == "2026-11-28"
    assert _changes(new.directory) == {
        "papers": {"added": [], "changed": {"ho2020denoising": ["title"]}, "removed": []}
    }
    changelog = (new.directory / "CHANGELOG.md").read_text()
    assert (
        "## 2026-11-29 (schema 1.0.0)\n\nSince 2026-11-28:\n\n- papers changed (1): `ho2020denoising` (title)"
        in changelog
    )
    folders = release_diff(old.directory, new.directory)  # any two release folders compare the same way
    assert folders.as_dict(release="2026-11-29") == json.loads((new.directory / "changes.json").read_text())
    assert changelog.index("## 2026-11-29") < changelog.index(
        "## 2026-11-28 (schema 1.0.0)\n\nFirst release."
    )


def test_added_and_removed_records_are_listed_by_identifier(small_catalog, tmp_path):
    release_export(name="2026-11-28", directory=tmp_path / "2026-11-28")
    Domain.objects.create(slug="audio", name="Audio")
    Erratum.objects.all().delete()
    new = release_export(name="2026-11-29", directory=tmp_path / "2026-11-29")

    assert _changes(new.directory) == {
        "domains": {"added": ["audio"], "changed": {}, "removed": []},
        "errata": {"added": [], "changed": {}, "removed": ["oord2016pixel/venue"]},
    }


def test_no_change_gives_an_empty_diff(small_catalog, tmp_path):
    release_export(name="2026-11-28", directory=tmp_path / "2026-11-28")
    new = release_export(name="2026-11-29", directory=tmp_path / "2026-11-29")

    assert _changes(new.directory) == {}
    assert "No changes since 2026-11-28." in (new.directory / "CHANGELOG.md").read_text()
