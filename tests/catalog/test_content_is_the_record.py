"""The bibliography file is the whole record of each of its papers: a field removed from an entry is gone from
the database after the next load_catalog (an import of someone else's file only adds and changes)."""

import shutil

import pytest

from catalog.services import PAPERS_DIR, catalog_load
from papers.imports import bibtex_import
from papers.models import Paper


@pytest.mark.django_db
def test_a_field_removed_from_atlas_bib_is_cleared_on_the_next_load(tmp_path):
    papers_dir = tmp_path / "papers"
    shutil.copytree(PAPERS_DIR, papers_dir)
    catalog_load(papers_dir=papers_dir)
    ddpm = Paper.objects.get(citation_key="ho2020denoising")
    assert ddpm.pages == "6840--6851".replace("--", "–") and "keywords" in ddpm.extra_fields

    bib = papers_dir / "atlas.bib"
    text = bib.read_text()
    start = text.index("@inproceedings{ho2020denoising,")
    entry = text[start : text.index("\n}\n", start)]
    trimmed = "\n".join(
        line for line in entry.splitlines() if not line.lstrip().startswith(("pages ", "keywords "))
    )
    bib.write_text(text.replace(entry, trimmed))
    report = catalog_load(papers_dir=papers_dir)
    ddpm.refresh_from_db()
    assert ddpm.pages == "" and "keywords" not in ddpm.extra_fields
    assert "ho2020denoising" in report.papers.updated


@pytest.mark.django_db
def test_an_import_of_another_file_keeps_what_its_entry_does_not_name():
    bibtex_import(text="@misc{x2020y, title = {A Title}, author = {Doe, Jane}, year = {2020}, note = {Kept}}")
    bibtex_import(text="@misc{x2020y, title = {A Title}, author = {Doe, Jane}, year = {2020}}")
    assert Paper.objects.get(citation_key="x2020y").note == "Kept"
