"""Suite-wide fixtures. Tests run on PostgreSQL (``make test`` sets DATABASE_URL)."""

from pathlib import Path

import pytest

SHARED_BIB = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bib"


@pytest.fixture
def shared_bib() -> Path:
    """The real-world .bib files beside the checkout; skip with a reason where they are absent."""
    if not SHARED_BIB.is_dir():
        pytest.skip(f"real-world BibTeX files not found at {SHARED_BIB}")
    return SHARED_BIB
