"""A release validates with the frictionless library and against its own JSON Schemas, and the same content
gives the same bytes."""

import hashlib
import json

import jsonschema
import pytest
from frictionless import validate

from releases.export import ReleaseError, release_export
from releases.schemas import RESOURCES
from tests.releases.conftest import release_bytes

pytestmark = pytest.mark.django_db


def test_release_validates_with_frictionless_and_the_json_schemas(small_catalog, tmp_path):
    folder = release_export(name="2026-11-29", directory=tmp_path / "2026-11-29").directory

    report = validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["title", "resourcePath", "rowNumber", "fieldName", "note"])
    assert report.stats["tasks"] == 2 * len(RESOURCES) + 6  # data and JSON Schema per type, 6 other files

    for resource in RESOURCES:
        schema = json.loads((folder / resource.schema_path).read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        lines = (folder / resource.path).read_text().splitlines()
        assert lines, f"{resource.path} is empty; the small catalog should cover every record type"
        for number, line in enumerate(lines, 1):
            errors = [e.message for e in validator.iter_errors(json.loads(line))]
            assert not errors, f"{resource.path}:{number}: {errors}"


def test_datapackage_describes_every_file_with_licence_size_and_sha256(small_catalog, tmp_path):
    folder = release_export(name="2026-11-29", directory=tmp_path / "2026-11-29").directory
    package = json.loads((folder / "datapackage.json").read_text())

    assert package["schema_version"] == "1.0.0"
    assert package["version"] == "2026-11-29"
    licences = {r["name"]: r["licenses"][0]["name"] for r in package["resources"]}
    assert licences["papers"] == licences["bibtex"] == licences["csl-json"] == "CC0-1.0"
    assert licences["families"] == licences["results"] == "CC-BY-4.0"
    assert licences["summaries"] == "CC-BY-4.0"
    for resource in package["resources"]:
        data = (folder / resource["path"]).read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    files = release_bytes(folder)
    assert {r["path"] for r in package["resources"]} == set(files) - {"datapackage.json", "SHA256SUMS"}
    sums = dict(reversed(line.split("  ")) for line in (folder / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == set(files) - {"SHA256SUMS"}
    assert all(hashlib.sha256(files[path]).hexdigest() == digest for path, digest in sums.items())


def test_records_link_by_identifier_and_the_bibliography_has_no_summaries(small_catalog, tmp_path):
    folder = release_export(name="2026-11-29", directory=tmp_path / "r").directory

    (result,) = [json.loads(line) for line in (folder / "data/results.jsonl").read_text().splitlines()][:1]
    assert result["id"] == "cifar10-fid/ho2020denoising/Ours (L_simple)"
    assert (result["value"], result["paper"], result["model"]) == (3.17, "ho2020denoising", "ddpm")
    papers = {
        json.loads(line)["citation_key"]: json.loads(line) for line in (folder / "data/papers.jsonl").open()
    }
    assert papers["ho2020denoising"]["authors"] == ["ho-jonathan", "oord-aaron"]
    assert "abstract" not in papers["ho2020denoising"]
    assert "image synthesis" in (folder / "data/summaries.jsonl").read_text()
    assert "ho2020denoising" in (folder / "atlas.bib").read_text()
    assert "image synthesis" not in (folder / "atlas.bib").read_text()
    assert "image synthesis" not in (folder / "atlas.csl.json").read_text()
    demo = json.loads((folder / "data/demos.jsonl").read_text())
    assert (demo["checkpoint_sha256"], demo["metrics"]["fd"]) == ("ab" * 32, 101.2)


def test_the_same_content_gives_byte_identical_files(small_catalog, tmp_path):
    first = release_export(name="2026-11-29", directory=tmp_path / "a" / "2026-11-29").directory
    second = release_export(name="2026-11-29", directory=tmp_path / "b" / "2026-11-29").directory

    assert release_bytes(first) == release_bytes(second)
    assert "2026-11-29" in (first / "CITATION.cff").read_text()


def test_an_existing_release_is_replaced_only_with_force(small_catalog, tmp_path):
    folder = tmp_path / "2026-11-29"
    release_export(name="2026-11-29", directory=folder)
    with pytest.raises(ReleaseError, match="exists; pass --force"):
        release_export(name="2026-11-29", directory=folder)
    release_export(name="2026-11-29", directory=folder, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-11-29"]  # nothing left aside


@pytest.mark.parametrize("name", ["29-11-2026", "2026-13-01", "latest"])
def test_a_release_date_must_be_a_real_date(name, tmp_path):
    with pytest.raises(ReleaseError, match="release date"):
        release_export(name=name, directory=tmp_path / "x")
