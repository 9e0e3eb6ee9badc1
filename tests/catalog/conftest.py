"""Fixtures for the catalog tests: the real content files, and stored papers for them to link to."""

import shutil
from pathlib import Path

import pytest
from django.db import transaction

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


@pytest.fixture
def stub_papers(db) -> dict:
    """One bare paper per citation key the content files use, so the catalog can load on its own."""
    keys = sorted({key for _, _, key in paper_keys_used(content_read(directory=CONTENT_DIR))})
    return {key: StubPaperFactory(citation_key=key) for key in keys}


@pytest.fixture
def loaded(stub_papers):
    """The catalog loaded from the real content files against stub papers; returns the LoadReport."""
    return catalog_load(papers_dir=None)


@pytest.fixture(scope="module")
def loaded_once(django_db_setup, django_db_blocker):
    """Like ``loaded`` but once per module, for read-only tests; rolled back when the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        keys = sorted({key for _, _, key in paper_keys_used(content_read(directory=CONTENT_DIR))})
        for key in keys:
            StubPaperFactory(citation_key=key)
        yield catalog_load(papers_dir=None)
        transaction.set_rollback(True)
