"""papers/bulk_insert.py: rows go in by COPY, each value prepared by its field as save() would."""

import datetime

import pytest
from django.utils.translation import gettext_lazy

from papers.bulk_insert import insert_rows
from papers.models import Paper, Venue

pytestmark = pytest.mark.django_db


def test_rows_go_in_with_their_ids_in_order_and_defaults_for_what_they_leave_out():
    venue = Venue.objects.create(slug="icml", name="International Conference on Machine Learning")
    ids = insert_rows(
        Paper,
        [
            {"citation_key": "a2020x", "title": "Tab\there, newline\nthere, back\\slash", "year": 2020},
            {
                "citation_key": "b2021y",
                "title": gettext_lazy("A lazy title"),  # a str only once the field prepares it
                "venue_id": venue.pk,
                "checked_on": datetime.date(2026, 11, 29),
                "extra_fields": {"note": "ünïcode", "tags": ["x", "y"]},
            },
        ],
    )
    first, second = (Paper.objects.get(pk=pk) for pk in ids)
    assert (first.citation_key, first.title, first.year) == (
        "a2020x",
        "Tab\there, newline\nthere, back\\slash",
        2020,
    )
    assert (first.extra_fields, first.checked_on, first.venue_id, first.doi) == ({}, None, None, "")
    assert first.created_at is not None and first.updated_at is not None
    assert (second.title, second.venue_id, second.checked_on) == (
        "A lazy title",
        venue.pk,
        datetime.date(2026, 11, 29),
    )
    assert second.extra_fields == {"note": "ünïcode", "tags": ["x", "y"]}


def test_nothing_to_insert_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert insert_rows(Paper, []) == []
