"""Venues: the record a booktitle or journal names, by the table in papers/venues.yaml, created if new."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, NamedTuple

from django.utils.text import slugify

from config.yaml_items import ContentFileError, yaml_items
from papers.citekeys import ascii_fold
from papers.models import Venue

VENUES_FILE = Path(__file__).with_name("venues.yaml")
# The kind of a venue that no rule names, by the entry type citing it.
KIND_BY_ENTRY_TYPE = {
    "article": "journal", "inproceedings": "conference", "incollection": "book", "inbook": "book",
    "book": "book", "techreport": "report", "proceedings": "conference",
}  # fmt: skip


class VenueSpec(NamedTuple):
    slug: str  # empty for a venue no rule names: its slug comes from its name when it is created
    name: str
    short_name: str
    kind: str


class Rule(NamedTuple):
    pattern: re.Pattern[str]
    spec: VenueSpec
    renamed_in: int | None  # from this year on the venue goes by ``renamed``
    renamed: VenueSpec | None


@functools.cache
def venue_rules(path: Path = VENUES_FILE) -> tuple[Rule, ...]:
    rules = []
    for item in yaml_items(path, top="venues"):
        try:
            value = item.value
            spec = VenueSpec(value["slug"], value["name"], value["short_name"], value["kind"])
            renamed = value.get("renamed") or {}
            later = spec._replace(slug=renamed["slug"], short_name=renamed["short_name"]) if renamed else None
            rules.append(Rule(re.compile(value["pattern"], re.I), spec, renamed.get("year"), later))
        except (KeyError, TypeError, re.error) as exc:
            raise ContentFileError(path, item.line, f"a venue needs slug, name, short_name, kind and a valid "
                                                    f"pattern ({exc!r})") from None  # fmt: skip
    return tuple(rules)


def _rule_spec(slug: str) -> VenueSpec:
    return next(rule.spec for rule in venue_rules() if rule.spec.slug == slug)


def venue_spec(columns: dict[str, Any]) -> VenueSpec | None:
    """What venue a paper's columns name: its booktitle or journal, else arXiv for a preprint, else none."""
    entry_type = columns.get("entry_type") or "misc"
    text = columns.get("booktitle") if entry_type in ("inproceedings", "incollection", "inbook") else ""
    text = (text or columns.get("journal") or columns.get("booktitle") or "").strip()
    if not text:
        return _rule_spec("arxiv") if columns.get("arxiv_id") else None
    return _named_venue(text, entry_type, columns.get("year") or 0)


@functools.lru_cache(maxsize=4096)  # a bibliography names few venues, many times
def _named_venue(text: str, entry_type: str, year: int) -> VenueSpec:
    if "workshop" in text.lower():
        return VenueSpec("", text[:300], "", "workshop")
    for rule in venue_rules():
        if rule.pattern.search(text):
            return rule.renamed if rule.renamed_in is not None and year >= rule.renamed_in else rule.spec
    return VenueSpec("", text[:300], "", KIND_BY_ENTRY_TYPE.get(entry_type, "other"))


class VenueIds:
    """Venue ids by spec, loading the (few) venues once and creating missing ones as they come."""

    def __init__(self) -> None:
        self.by_slug: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        for pk, slug, name in Venue.objects.values_list("id", "slug", "name"):
            self.by_slug[slug] = pk
            self.by_name.setdefault(name.lower(), pk)

    def venue_id(self, columns: dict[str, Any]) -> int | None:
        spec = venue_spec(columns)
        if spec is None:
            return None
        slug, name, short_name, kind = spec
        if slug and slug in self.by_slug:
            return self.by_slug[slug]
        if not slug:
            if name.lower() in self.by_name:
                return self.by_name[name.lower()]
            slug = slugify(ascii_fold(name))[:110] or "venue"
            base, number = slug, 2
            while slug in self.by_slug:
                slug = f"{base}-{number}"
                number += 1
        venue = Venue.objects.create(slug=slug, name=name, short_name=short_name, kind=kind)
        self.by_slug[slug] = venue.pk
        self.by_name.setdefault(name.lower(), venue.pk)
        return venue.pk


def venue_resolve(
    *,
    booktitle: str = "",
    journal: str = "",
    year: int | None = None,
    entry_type: str = "",
    arxiv_id: str = "",
) -> Venue | None:
    """The venue a booktitle or journal names (NIPS before 2018, NeurIPS after), created if new."""
    columns = {"booktitle": booktitle, "journal": journal, "year": year, "entry_type": entry_type,
               "arxiv_id": arxiv_id}  # fmt: skip
    venue_id = VenueIds().venue_id(columns)
    return Venue.objects.get(pk=venue_id) if venue_id else None
