"""import_release loads a release into an empty database, and release → empty database → release gives the
same bytes; it refuses a database that holds records, and a release whose files do not match their sums."""

import json

import pytest
from django.core.management import CommandError, call_command

from papers.models import Paper
from releases.export import release_export, sha256_of
from releases.importing import ReleaseError, database_counts, release_import
from tests.releases.conftest import release_bytes, wipe_catalog

pytestmark = pytest.mark.django_db


def test_release_to_empty_database_to_release_is_byte_identical(small_catalog, tmp_path):
    first = release_export(name="2026-11-29", directory=tmp_path / "a" / "2026-11-29").directory
    wipe_catalog()
    assert database_counts() == {}

    report = release_import(folder=first)
    second = release_export(name="2026-11-29", directory=tmp_path / "b" / "2026-11-29").directory

    assert report.counts["papers"] == 2 and report.counts["results"] == 2
    assert release_bytes(first) == release_bytes(second)
    paper = Paper.objects.get(citation_key="ho2020denoising")
    assert paper.abstract.startswith("We present")
    assert [a.slug for a in paper.authors.order_by("authorships__position")] == ["ho-jonathan", "oord-aaron"]


def test_a_database_with_records_is_refused_and_left_as_it_was(small_catalog, tmp_path):
    folder = release_export(name="2026-11-29", directory=tmp_path / "2026-11-29").directory
    before = database_counts()

    with pytest.raises(CommandError, match=r"database is not empty \(.*2 papers.*\); import_release loads"):
        call_command("import_release", str(folder))
    assert database_counts() == before


def test_a_file_that_does_not_match_its_checksum_is_refused(small_catalog, tmp_path):
    folder = release_export(name="2026-11-29", directory=tmp_path / "2026-11-29").directory
    wipe_catalog()
    with (folder / "data/papers.jsonl").open("a") as file:
        file.write("\n")

    with pytest.raises(ReleaseError, match=r"data/papers\.jsonl: size or sha256 differs"):
        release_import(folder=folder)
    assert database_counts() == {}


def test_a_newer_major_schema_is_refused(small_catalog, tmp_path):
    folder = release_export(name="2026-11-29", directory=tmp_path / "2026-11-29").directory
    package = json.loads((folder / "datapackage.json").read_text())
    package["schema_version"] = "2.0.0"
    (folder / "datapackage.json").write_text(json.dumps(package))
    wipe_catalog()

    with pytest.raises(ReleaseError, match=r"schema version 2\.0\.0 is not readable"):
        release_import(folder=folder)


def test_commands_print_what_they_wrote_and_loaded(small_catalog, tmp_path, capsys):
    folder = tmp_path / "2026-11-29"
    call_command("export_release", "--date", "2026-11-29", "-o", str(folder))
    wipe_catalog()
    call_command("import_release", str(folder))

    out = capsys.readouterr().out
    assert "papers: 2 records; 2 added, 0 changed, 0 removed" in out
    assert f"wrote {folder} (first release, no previous one)" in out
    assert "loaded release 2026-11-29 (schema 1.0.0)" in out


def test_a_reference_to_nothing_names_the_file_line_and_field(small_catalog, tmp_path):
    folder = release_export(name="2026-11-29", directory=tmp_path / "2026-11-29").directory
    path = folder / "data/families.jsonl"
    row = json.loads(path.read_text())
    row["taxonomy_node"] = "nowhere"
    path.write_text(json.dumps(row, sort_keys=True) + "\n")
    package = json.loads((folder / "datapackage.json").read_text())
    (resource,) = [r for r in package["resources"] if r["name"] == "families"]
    resource["bytes"], resource["hash"] = len(path.read_bytes()), "sha256:" + sha256_of(path)
    (folder / "datapackage.json").write_text(json.dumps(package))
    wipe_catalog()

    with pytest.raises(
        ReleaseError, match=r"data/families\.jsonl:1: taxonomy_node 'nowhere' is not in taxonomy"
    ):
        release_import(folder=folder)
    assert database_counts() == {}
