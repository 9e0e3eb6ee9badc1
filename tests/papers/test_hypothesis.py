"""Malformed BibTeX from Hypothesis: no exception escapes the service, no partial write, each case fast.

Each example runs inside a savepoint that is rolled back, so examples do not see each other's papers.
"""

import time
from contextlib import contextmanager

import bibtexparser
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papers.latex import latex_to_text, protect_capitals, text_to_latex
from papers.models import Author, Authorship, Paper, Venue
from papers.services import bibtex_export, bibtex_import

pytestmark = pytest.mark.django_db(transaction=False)

FAST = 2.0  # seconds an example may take, parse and database included
SETTINGS = settings(
    max_examples=60,
    deadline=None,  # timed by hand below: the first example pays for the connection
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SEED = r"""@string{nips = "Advances in Neural Information Processing Systems"}
@inproceedings{goodfellow2014generative,
  author = {Goodfellow, Ian and Pouget-Abadie, Jean and Mirza, Mehdi and Xu, Bing},
  title = {Generative Adversarial Nets},
  booktitle = nips,
  year = {2014},
  pages = {2672--2680},
}

@article{kingma2014auto,
  author = {Kingma, Diederik P. and Welling, Max},
  title = {Auto-Encoding Variational {Bayes}},
  journal = {arXiv preprint},
  eprint = {1312.6114}, archivePrefix = {arXiv},
  year = 2014,
}

@misc{oord2016wavenet,
  author = {van den Oord, A{\"a}ron and Dieleman, Sander and {\L}ukasz Kaiser},
  title = {{WaveNet}: A Generative Model for Raw Audio},
  year = {2016},
  note = {50\% \& more},
}
"""
SPECIAL = '{}@,="#\\%$~^_ \n\tabcAZ09éß{}{}'


def counts() -> tuple[int, int, int, int]:
    return (Paper.objects.count(), Author.objects.count(), Authorship.objects.count(), Venue.objects.count())


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def check_import(text: str, partial: bool):
    """Import ``text``: no exception, and a refused (all-or-nothing) run writes nothing."""
    before = counts()
    started = time.perf_counter()
    report = bibtex_import(text=text, partial=partial)
    elapsed = time.perf_counter() - started
    assert elapsed < FAST, f"{elapsed:.2f}s for {len(text)} characters"
    after = counts()
    if report.rolled_back:
        assert after == before, "a refused import left rows behind"
        assert report.failed
    else:
        assert after[0] == before[0] + len(report.created)
    lines = text.count("\n") + 1
    for failure in report.failed:
        line, _key, reason = failure
        assert 0 <= line <= lines and reason
    return report


@SETTINGS
@given(text=st.text(max_size=400), partial=st.booleans())
def test_random_text_never_raises(text, partial):
    with rolled_back():
        check_import(text, partial)


@SETTINGS
@given(
    text=st.lists(
        st.sampled_from([*SPECIAL, "@article{", "@string{", "title=", " and ", "}\n"]), max_size=120
    ).map("".join),
    partial=st.booleans(),
)
def test_bibtex_shaped_noise_never_raises(text, partial):
    with rolled_back():
        check_import(text, partial)


@st.composite
def mutated_seed(draw):
    text = SEED
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "truncate", "swap"]))
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        if kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif kind == "insert":
            text = text[:at] + draw(st.text(alphabet=SPECIAL, min_size=1, max_size=5)) + text[at:]
        elif kind == "duplicate":
            end = min(len(text), at + draw(st.integers(1, 200)))
            text = text[:end] + text[at:end] + text[end:]
        elif kind == "truncate":
            text = text[:at]
        else:
            other = draw(st.integers(0, max(len(text) - 1, 0)))
            chars = list(text)
            if chars:
                chars[at], chars[other] = chars[other], chars[at]
            text = "".join(chars)
    return text


@SETTINGS
@given(text=mutated_seed(), partial=st.booleans())
def test_mutated_bibtex_never_raises_nor_half_writes(text, partial):
    with rolled_back():
        report = check_import(text, partial)
        if not partial and not report.rolled_back:
            assert not report.failed  # all-or-nothing: a run that wrote something had no failure


@SETTINGS
@given(text=mutated_seed())
def test_mutated_bibtex_over_existing_papers_is_all_or_nothing(text):
    with rolled_back():
        bibtex_import(text=SEED)
        stored = list(Paper.objects.order_by("id").values())
        report = check_import(text, partial=False)
        if report.rolled_back:
            assert list(Paper.objects.order_by("id").values()) == stored


plain_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="{}\\$"),
    max_size=80,
).map(lambda s: " ".join(s.split()))


@settings(max_examples=300, deadline=None)
@given(text=plain_text)
def test_encoding_round_trips_and_stays_balanced(text):
    encoded = text_to_latex(protect_capitals(text))
    depth = 0
    for char in encoded:
        depth += (char == "{") - (char == "}")
        assert depth >= 0
    assert depth == 0
    assert latex_to_text(encoded) == text


names = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll"), max_codepoint=0x17F), min_size=1, max_size=12
)


@SETTINGS
@given(
    title=plain_text.filter(lambda s: any(c.isalnum() for c in s)),
    note=plain_text,
    given_name=names,
    family=names,
    year=st.one_of(st.none(), st.integers(1600, 2100)),
)
def test_random_records_export_and_import_back_identically(title, note, given_name, family, year):
    from papers.services import paper_upsert

    with rolled_back():
        paper, outcome = paper_upsert(
            citation_key="k", title=title, note=note, year=year, entry_type="article",
            authors=[(given_name, "", family, "")],
        )  # fmt: skip
        assert outcome == "created"
        text = bibtex_export(papers=Paper.objects.filter(pk=paper.pk))
        assert bibtexparser.parse_string(text).failed_blocks == []
        report = bibtex_import(text=text)
        assert report.unchanged == ["k"], (text, report.failed, report.updated)
