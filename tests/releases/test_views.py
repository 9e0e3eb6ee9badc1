"""/data/ lists the releases in RELEASES_DIR with date, schema version, sizes, checksums and changes, and
serves exactly the files each release lists."""

import hashlib

import pytest

from releases.export import release_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def releases(small_catalog, tmp_path, settings):
    settings.RELEASES_DIR = tmp_path
    release_export(name="2026-11-28", directory=tmp_path / "2026-11-28")
    small_catalog["domain"].delete()
    release_export(name="2026-11-29", directory=tmp_path / "2026-11-29")
    return tmp_path


def test_data_page_lists_releases_newest_first_with_sizes_checksums_and_changes(releases, client):
    response = client.get("/data/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Release 2026-11-29") < html.index("Release 2026-11-28")
    papers = (releases / "2026-11-29" / "data" / "papers.jsonl").read_bytes()
    assert hashlib.sha256(papers).hexdigest() in html
    assert f'<td class="num">{len(papers)}</td>' in html
    assert 'href="/data/2026-11-29/data/papers.jsonl"' in html
    assert "schema 1.0.0" in html
    assert "compared with 2026-11-28" in html
    assert '<td>domains</td><td class="num">0</td><td class="num">0</td><td class="num">1</td>' in html
    assert "CC0-1.0" in html and "CC-BY-4.0" in html


def test_release_files_download_as_written(releases, client):
    response = client.get("/data/2026-11-29/datapackage.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert b"".join(response.streaming_content) == (releases / "2026-11-29" / "datapackage.json").read_bytes()
    assert client.get("/data/2026-11-29/data/papers.jsonl")["Content-Type"].startswith("application/jsonl")


@pytest.mark.parametrize(
    "path",
    [
        "/data/2026-11-29/nothing.json",
        "/data/2026-11-30/datapackage.json",
        "/data/2026-11-29/../2026-11-28/README.md",
    ],
)
def test_anything_a_release_does_not_list_is_not_found(releases, client, path):
    assert client.get(path).status_code == 404


def test_data_page_without_releases_says_how_to_make_one(db, client, settings, tmp_path):
    settings.RELEASES_DIR = tmp_path / "none"

    response = client.get("/data/")

    assert response.status_code == 200
    assert "make release" in response.content.decode()


def test_a_release_url_leads_to_its_section_of_the_page(releases, client):
    response = client.get("/data/2026-11-28/")

    assert response.status_code == 302
    assert response["Location"] == "/data/#release-2026-11-28"
    assert client.get("/data/2026-11-30/").status_code == 404
    assert client.head("/data/").status_code == 200
