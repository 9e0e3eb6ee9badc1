"""errata_load and lineage_load: the papers-content YAML files."""

from pathlib import Path

import bibtexparser
import pytest

from papers.models import Erratum, Paper, PaperLink
from papers.services import PapersContentError, bibtex_export, bibtex_import, errata_load, lineage_load
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

CONTENT = Path(__file__).resolve().parents[2] / "papers" / "content"


@pytest.fixture
def two_papers():
    return PaperFactory(citation_key="gan2014"), PaperFactory(citation_key="dcgan2016")


def write(tmp_path, text):
    path = tmp_path / "file.yaml"
    path.write_text(text)
    return path


def test_errata_load_is_idempotent(tmp_path, two_papers):
    path = write(
        tmp_path,
        """
- key: gan2014
  field: venue
  claimed: "NeurIPS 2014"
  correction: >-
    NIPS 2014: Advances in Neural Information
    Processing Systems 27.
  source_url: https://papers.nips.cc/paper/5423-generative-adversarial-nets
""",
    )
    report = errata_load(path=path)
    assert report.created == ["gan2014/venue"]
    erratum = Erratum.objects.get()
    assert erratum.correction == "NIPS 2014: Advances in Neural Information Processing Systems 27."
    assert errata_load(path=path).unchanged == ["gan2014/venue"]
    path.write_text(path.read_text().replace("27.", "27, pages 2672-2680."))
    assert errata_load(path=path).updated == ["gan2014/venue"]
    assert Erratum.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- {key: nope, field: title, claimed: a, correction: b, source_url: 'https://x.org'}", "no paper"),
        ("- {key: gan2014, field: colour, claimed: a, correction: b, source_url: 'https://x'}",
         "field must be one of"),
        ("- {key: gan2014, field: title, claimed: a, source_url: 'https://x'}", "'correction'"),
        ("- {key: gan2014, field: title, claimed: a, correction: b, source_url: 'ftp://x'}",
         "source_url"),
        ("- key: [unclosed", "not valid YAML"),
    ],
)  # fmt: skip
def test_bad_errata_name_the_line_and_write_nothing(tmp_path, two_papers, text, message):
    good = "- {key: dcgan2016, field: title, claimed: a, correction: b, source_url: 'https://x'}\n"
    with pytest.raises(PapersContentError, match=message) as info:
        errata_load(path=write(tmp_path, good + text))
    assert info.value.line == 2
    assert Erratum.objects.count() == 0


def test_lineage_load_and_prune(tmp_path, two_papers):
    path = write(
        tmp_path,
        "- {source: dcgan2016, target: gan2014, kind: builds_on, note: 'Conv'}\n",
    )
    assert lineage_load(path=path).created == ["dcgan2016 builds_on gan2014"]
    assert lineage_load(path=path).unchanged
    link = PaperLink.objects.get()
    assert (link.source.citation_key, link.kind, link.note) == (
        "dcgan2016",
        "builds_on",
        "Conv",
    )
    with pytest.raises(PapersContentError, match="itself"):
        lineage_load(path=write(tmp_path, "- {source: dcgan2016, target: dcgan2016, "
                                          "kind: extends}"))  # fmt: skip
    with pytest.raises(PapersContentError, match="kind must be one of"):
        lineage_load(path=write(tmp_path, "- {source: dcgan2016, target: gan2014, "
                                          "kind: cites}"))  # fmt: skip
    assert PaperLink.objects.count() == 1
    assert lineage_load(path=write(tmp_path, "[]"), prune=True).deleted
    assert PaperLink.objects.count() == 0


@pytest.mark.skipif(not (CONTENT / "atlas.bib").is_file(), reason="papers/content not present")
def test_the_project_content_loads_cleanly_twice():
    report = bibtex_import(paths=[CONTENT / "atlas.bib"])
    assert report.ok, [str(f) for f in report.failed]
    assert not report.duplicates
    errata, lineage = errata_load(path=CONTENT / "errata.yaml"), lineage_load(path=CONTENT / "lineage.yaml")
    assert errata.created and lineage.created
    assert not errata_load(path=CONTENT / "errata.yaml").created
    again = bibtex_import(paths=[CONTENT / "atlas.bib"])
    assert len(again.unchanged) == len(report.created) and not again.updated
    assert not lineage_load(path=CONTENT / "lineage.yaml").updated
    # The real bibliography survives export and import unchanged.
    exported = bibtex_export(papers=Paper.objects.all())
    assert bibtexparser.parse_string(exported).failed_blocks == []
    before = list(Paper.objects.order_by("citation_key").values())
    assert len(bibtex_import(text=exported).unchanged) == len(report.created)
    assert list(Paper.objects.order_by("citation_key").values()) == before
