"""Import semantics: matching, keys, all-or-nothing, partial, duplicates, size cap, the real-world files."""

import pytest
from django.test import override_settings

from papers.models import Author, Paper, Venue
from papers.services import BibtexTooLarge, bibtex_import
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

GOOD = """
@inproceedings{goodfellow2014generative,
  author = {Goodfellow, Ian and Pouget-Abadie, Jean and Mirza, Mehdi},
  title = {Generative Adversarial Nets},
  booktitle = {Advances in Neural Information Processing Systems},
  year = {2014},
}
@article{kingma,
  author = {Kingma, Diederik P. and Welling, Max},
  title = {Auto-Encoding Variational {Bayes}},
  journal = {arXiv preprint},
  eprint = {1312.6114}, archivePrefix = {arXiv}, primaryClass = {stat.ML},
  year = 2014,
}
"""
BROKEN = """
@article{fine2020, title = {A Fine Paper}, author = {Doe, Jane}, year = {2020}}

@article{broken2020, title = {Unclosed, author = {Roe, Rick}, year = {2020}

@article{notitle2021, author = {Poe, Edgar}, year = {2021}}
"""


def test_import_creates_papers_authors_and_venues():
    report = bibtex_import(text=GOOD)
    assert report.ok
    assert sorted(report.created) == ["goodfellow2014generative", "kingma"]
    gan = Paper.objects.get(citation_key="goodfellow2014generative")
    assert [a.author.family for a in gan.authorships.order_by("position")] == [
        "Goodfellow",
        "Pouget-Abadie",
        "Mirza",
    ]
    assert gan.venue.short_name == "NIPS"  # named as it was in 2014
    vae = Paper.objects.get(citation_key="kingma")
    assert (vae.arxiv_id, vae.arxiv_class, vae.title) == (
        "1312.6114",
        "stat.ML",
        "Auto-Encoding Variational Bayes",
    )
    assert "eprint" not in vae.extra_fields and "archiveprefix" not in vae.extra_fields


def test_neurips_after_2017():
    bibtex_import(text="@inproceedings{ho2020denoising, title={Denoising Diffusion Probabilistic Models},"
                  " author={Ho, Jonathan}, booktitle={NeurIPS}, year={2020}}")  # fmt: skip
    assert Paper.objects.get().venue.short_name == "NeurIPS"


@pytest.mark.parametrize(
    ("stored", "incoming", "how"),
    [
        ({"doi": "10.1000/ABC"}, "doi = {https://doi.org/10.1000/abc}, title = {Other Words}", "DOI"),
        (
            {"arxiv_id": "1406.2661"},
            "eprint = {1406.2661v1}, archivePrefix = {arXiv}, title = {Other}",
            "arXiv",
        ),
        ({}, "title = {GENERATIVE adversarial nets!}", "title"),
    ],
)
def test_existing_paper_is_matched_and_updated_not_duplicated(stored, incoming, how):
    PaperFactory(citation_key="gan", title="Generative Adversarial Nets", year=2014, **stored)
    report = bibtex_import(text=f"@article{{newkey, {incoming}, year = {{2014}}, volume = {{27}}}}")
    assert report.ok, how
    assert report.updated == ["gan"]  # the stored key stays
    assert Paper.objects.count() == 1
    assert Paper.objects.get().volume == "27"


def test_same_year_required_for_title_match():
    PaperFactory(citation_key="gan", title="Generative Adversarial Nets", year=2014)
    report = bibtex_import(text="@article{x, title = {Generative Adversarial Nets}, year = {2019}}")
    assert report.created == ["x"]


def test_reimport_is_unchanged():
    bibtex_import(text=GOOD)
    stamps = dict(Paper.objects.values_list("citation_key", "updated_at"))
    report = bibtex_import(text=GOOD)
    assert sorted(report.unchanged) == ["goodfellow2014generative", "kingma"]
    assert dict(Paper.objects.values_list("citation_key", "updated_at")) == stamps


def test_invalid_or_taken_keys_are_replaced_by_the_rule():
    PaperFactory(citation_key="taken", title="Something Else", year=1999)
    report = bibtex_import(
        text='@article{taken, title={The WaveNet Paper}, author={van den Oord, A{\\"a}ron}, year={2016}}\n'
        "@article{bad key, title={The WaveNet Paper Two}, author={van den Oord, Aaron}, year={2016}}"
    )
    assert report.created == ["oord2016wavenet", "oord2016wavenetb"]


def test_all_or_nothing_by_default():
    report = bibtex_import(text=GOOD + BROKEN)
    assert report.rolled_back
    assert not report.created and Paper.objects.count() == 0 and Author.objects.count() == 0
    assert {(f.line, f.key) for f in report.failed} == {(18, "broken2020"), (20, "notitle2021")}


def test_partial_keeps_the_good_entries_and_reports_the_bad_by_line():
    report = bibtex_import(text=GOOD + BROKEN, partial=True)
    assert not report.rolled_back
    assert "fine2020" in report.created and "goodfellow2014generative" in report.created
    lines = {f.line: f.reason for f in report.failed}
    assert "no title" in lines[20]
    assert "looking for field-value closing" in lines[18]  # the unclosed entry
    for failure in report.failed:
        line, key, reason = failure  # the (line, key, reason) contract
        assert key == failure.key
        assert isinstance(line, int) and reason


def test_duplicate_keys_are_reported():
    text = "@misc{a, title={One}}\n@misc{a, title={Two}}\n"
    report = bibtex_import(text=text, partial=True)
    assert report.created == ["a"]
    assert [(d.line, d.key) for d in report.duplicates] == [(2, "a")]
    assert "duplicate" in report.failed[0].reason


def test_size_cap_is_a_clear_error(tmp_path):
    with override_settings(BIBTEX_MAX_BYTES=100), pytest.raises(BibtexTooLarge, match="100-byte limit"):
        bibtex_import(text=GOOD)
    big = tmp_path / "big.bib"
    big.write_text(GOOD)
    with override_settings(BIBTEX_MAX_BYTES=100), pytest.raises(BibtexTooLarge, match="BIBTEX_MAX_BYTES"):
        bibtex_import(paths=[big])
    assert Paper.objects.count() == 0


def test_missing_comma_fails_the_entry():
    report = bibtex_import(text="@misc{y, title={a} author={b}}")
    assert report.rolled_back and "missing comma" in report.failed[0].reason


def test_identifier_owned_by_another_paper_fails_that_entry():
    PaperFactory(citation_key="one", title="One", doi="10.1/one")
    PaperFactory(citation_key="two", title="Two", arxiv_id="2001.00001")
    report = bibtex_import(text="@misc{x, title={One}, doi={10.1/one}, eprint={2001.00001}}")
    assert report.rolled_back and "already belongs to two" in report.failed[0].reason


def test_too_long_values_fail_their_entry_not_the_database():
    report = bibtex_import(text="@misc{x, title={T}, pages={" + "1" * 50 + "}}", partial=True)
    assert report.failed[0].reason == "pages: longer than 40 characters"


def test_real_world_bibliography_imports_all_345_entries(shared_bib):
    report = bibtex_import(paths=[shared_bib / "standardstrings.bib", shared_bib / "bibliography.bib"])
    assert report.ok, report.failed[:3]
    assert len(report.created) == 345
    assert Paper.objects.count() == 345
    acz = Paper.objects.get(citation_key="Aczel1963")
    assert [a.author.display_name for a in acz.authorships.order_by("position")] == [
        "János Aczél",
        "Zoltán Daróczy",
    ]
    ajan = Paper.objects.get(citation_key="Ajanthan2017")
    assert ajan.journal == "Proceedings of the IEEE Conference on Computer Vision and Pattern Recognition"
    assert ajan.venue == Venue.objects.get(slug="cvpr")
    again = bibtex_import(paths=[shared_bib / "standardstrings.bib", shared_bib / "bibliography.bib"])
    assert len(again.unchanged) == 345 and Paper.objects.count() == 345


def test_real_world_dirty_file_partial(shared_bib):
    strict = bibtex_import(paths=[shared_bib / "standardstrings.bib", shared_bib / "dirty.bib"])
    assert strict.rolled_back and Paper.objects.count() == 0
    report = bibtex_import(paths=[shared_bib / "standardstrings.bib", shared_bib / "dirty.bib"], partial=True)
    assert len(report.failed) == 23
    by_line = {f.line: f for f in report.failed}
    assert by_line[965].key == "CONTEXTADAPTIVEENTROPYMODEL" and "duplicate" in by_line[965].reason
    assert "journal" in by_line[1387].reason
    assert all(f.source.endswith("dirty.bib") for f in report.failed)
    merged = [d for d in report.duplicates if "merged" in d.reason]  # same DOI/arXiv/title, other key
    assert len(report.created) + len(merged) == 144 - 23
    assert Paper.objects.count() == len(report.created)


@pytest.mark.parametrize(
    "value",
    ["{" * 3000 + "x" + "}" * 3000, "\\emph{" * 2000 + "x" + "}" * 2000, "\\'" * 3000 + "x"],
)
def test_pathological_nesting_is_refused_quickly(value):
    import time

    started = time.perf_counter()
    report = bibtex_import(text="@misc{a, title={" + value + "}}", partial=True)
    assert time.perf_counter() - started < 2
    assert report.created == ["a"] or "nested deeper" in report.failed[0].reason
