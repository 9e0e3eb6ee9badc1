"""The database refuses a result without its provenance, whatever wrote it (admin, shell, SQL)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from benchmarks.models import Result
from tests import factories as f


def _refused(**fields) -> bool:
    try:
        with transaction.atomic():
            f.PublishedResultFactory(**fields)
    except IntegrityError:
        return True
    return False


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"source_table": ""},
        {"source_row": ""},
        {"source_version": ""},
        {"source_url": ""},
        {"paper": None},
        {"zoo_model": "dcgan"},  # a published figure is not a zoo measurement
        {"family": None},  # a model's figure belongs to a family
        {"error": Decimal("-1")},
        {"year": 1800},
    ],
    ids=lambda fields: next(iter(fields)),
)
def test_a_published_result_needs_its_source(fields):
    assert _refused(**fields)


@pytest.mark.django_db
def test_a_measured_result_needs_its_command_and_file():
    for missing in ("command", "results_file", "zoo_model"):
        with pytest.raises(IntegrityError), transaction.atomic():
            f.MeasuredResultFactory(**{missing: ""})
    f.MeasuredResultFactory(role=Result.Role.REFERENCE, family=None, checkpoint_sha256="")


@pytest.mark.django_db
def test_one_row_per_paper_and_variant_on_a_board():
    first = f.PublishedResultFactory(variant="Ours")
    with pytest.raises(IntegrityError), transaction.atomic():
        f.PublishedResultFactory(benchmark=first.benchmark, paper=first.paper, variant="Ours")
    f.PublishedResultFactory(benchmark=first.benchmark, paper=first.paper, variant="Ours (large)")
    f.PublishedResultFactory(paper=first.paper, variant="Ours")  # another board


@pytest.mark.django_db
def test_labels_and_bounds_as_pages_print_them():
    result = f.PublishedResultFactory(
        value=Decimal("3.700"), is_bound=True, benchmark__metric__bound="upper", variant="Ours (L)"
    )
    assert (result.value_text, result.bound_symbol) == ("3.7", "≤")
    assert f.PublishedResultFactory(value=Decimal("2.20")).bound_symbol == ""
    measured = f.MeasuredResultFactory(value=Decimal("94.48"), benchmark__metric__decimals=0)
    assert measured.value_text == "94"
    assert measured.source_label.startswith("generation/zoo/results/")
