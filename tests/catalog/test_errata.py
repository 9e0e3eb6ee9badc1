"""After load_catalog, the papers the overview gets wrong carry Erratum records quoting its claim, and the
family and model records where the overview misplaces something say so."""

import pytest

from catalog.models import ExampleModel, Family
from catalog.services import catalog_load
from papers.models import Erratum, PaperLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded_with_papers():
    report = catalog_load()
    assert not report.warnings, report.warnings
    return report


@pytest.mark.parametrize(
    ("key", "field", "claimed"),
    [
        (
            "hinton1983optimal",
            "title",
            "A Connectionist Approach to Knowledge and Its Application to the Problem of AI",
        ),
        ("hinton1983optimal", "venue", "Cognition & Brain Theory"),
        ("lecun2006tutorial", "title", "Energy-based Models for Structured Prediction"),
        ("lecun2006tutorial", "authors", "V. R. Javier"),
        ("lecun2006tutorial", "venue", "ICML 2006"),
        ("oord2016wavenet", "venue", "DeepMind Tech Report 2016"),
        ("dinh2015nice", "venue", "arXiv 2014"),
    ],
)
def test_papers_the_overview_gets_wrong_carry_an_erratum_quoting_it(loaded_with_papers, key, field, claimed):
    erratum = Erratum.objects.get(paper__citation_key=key, field=field)
    assert claimed in erratum.claimed
    assert erratum.correction and erratum.source_url.startswith("http")


def test_the_real_ebm_papers_are_stored_and_seminal(loaded_with_papers):
    ebm = Family.objects.get(slug="energy-based-models")
    titles = {fp.paper.title for fp in ebm.family_papers.filter(role="seminal").select_related("paper")}
    assert titles == {"Optimal Perceptual Inference", "A Tutorial on Energy-Based Learning"}


def test_lineage_links_the_revival_to_the_seminal_paper(loaded_with_papers):
    assert PaperLink.objects.filter(
        source__citation_key="ho2020denoising", target__citation_key="sohldickstein2015deep"
    ).exists()


def test_errata_and_lineage_load_idempotently(loaded_with_papers):
    errata, links = Erratum.objects.count(), PaperLink.objects.count()
    again = catalog_load()
    assert again.changed == 0
    assert (Erratum.objects.count(), PaperLink.objects.count()) == (errata, links)


def test_catalog_records_say_where_the_overview_misplaces_things(loaded_with_papers):
    assert "autoregressive" in ExampleModel.objects.get(slug="audiolm").erratum
    assert Family.objects.exclude(erratum="").count() == 7


def test_a_bad_errata_file_stops_the_whole_load(tmp_path):
    from catalog.content_files import CatalogContentError
    from catalog.services import BIB_FILE, ERRATA_FILE, PAPERS_DIR
    from papers.models import Paper

    papers_dir = tmp_path / "papers"
    papers_dir.mkdir()
    (papers_dir / BIB_FILE).write_text((PAPERS_DIR / BIB_FILE).read_text(encoding="utf-8"), encoding="utf-8")
    (papers_dir / ERRATA_FILE).write_text(
        "- key: nosuch2020paper\n  field: title\n  claimed: x\n  correction: y\n  source_url: https://example.org\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogContentError, match=r"errata\.yaml: line 1 .*nosuch2020paper"):
        catalog_load(papers_dir=papers_dir)
    assert not Paper.objects.exists()
    assert not Family.objects.exists()
