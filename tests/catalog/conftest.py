"""Fixtures for the catalog tests: the real content files, and stored papers for them to link to."""

import shutil
from pathlib import Path

import pytest
from django.db import transaction

from benchmarks.content import content_read as benchmarks_content_read
from benchmarks.services import CONTENT_DIR as BENCHMARKS_CONTENT_DIR
from catalog.content_files import content_read, paper_keys_used
from catalog.services import CONTENT_DIR, catalog_load
from tests.factories import StubPaperFactory


@pytest.fixture
def content_dir() -> Path:
    return CONTENT_DIR


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A private copy of catalog/content/ that a test may edit."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def _content_keys() -> list[str]:
    """Every citation key the catalog's content uses, and the benchmarks' that load with it."""
    keys = {key for _, _, key in paper_keys_used(content_read(directory=CONTENT_DIR))}
    keys |= {key for _, _, key in benchmarks_content_read(directory=BENCHMARKS_CONTENT_DIR).paper_keys()}
    return sorted(keys)


@pytest.fixture
def stub_papers(db) -> dict:
    """One bare paper per citation key the content files use, so the catalog can load on its own."""
    return {key: StubPaperFactory(citation_key=key) for key in _content_keys()}


@pytest.fixture
def loaded(stub_papers):
    """The catalog loaded from the real content files against stub papers; returns the LoadReport."""
    return catalog_load(papers_dir=None)


@pytest.fixture(scope="module")
def loaded_once(django_db_setup, django_db_blocker):
    """Like ``loaded`` but once per module, for read-only tests; rolled back when the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        for key in _content_keys():
            StubPaperFactory(citation_key=key)
        yield catalog_load(papers_dir=None)
        transaction.set_rollback(True)
