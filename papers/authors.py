"""One person, one author page: the names a person published under (``papers/content/authors.yaml``).

An author record keeps its canonical name and its ``variants`` ("Simonyan, Karén" for Karen Simonyan), with
a DBLP or ORCID identifier where one was checked. Loading the file merges authors that are only a variant
into the person; importing BibTeX resolves a variant to the person. Citations print the person's canonical
name (as DBLP does), so export, import and export again change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import transaction
from django.utils.text import slugify

from papers.bibtex import AuthorName, _split_name
from papers.citekeys import ascii_fold
from papers.models import Author, Authorship


class AuthorsContentError(ValueError):
    """A problem in authors.yaml, with the item it is in."""


@dataclass
class AuthorsReport:
    merged: list[str] = field(default_factory=list)  # "Karén Simonyan -> Karen Simonyan"
    updated: list[str] = field(default_factory=list)


def bibtex_form(name: AuthorName) -> str:
    """'Simonyan, Karén', 'van den Oord, Aäron': plain text, as authors.yaml holds it."""
    last = f"{name.von} {name.family}".strip()
    if name.suffix:
        return f"{last}, {name.suffix}, {name.given}".rstrip(", ")
    return f"{last}, {name.given}" if name.given else last


def parse_name(text: str) -> AuthorName:
    return _split_name(text)


def variant_ids() -> dict[AuthorName, int]:
    """Every known variant name -> the id of the person it belongs to."""
    found: dict[AuthorName, int] = {}
    for pk, variants in Author.objects.exclude(variants=[]).values_list("id", "variants"):
        for text in variants or []:
            found[parse_name(text)] = pk
    return found


def _slug(name: AuthorName) -> str:
    display = " ".join(part for part in (name.given, name.von, name.family, name.suffix) if part)
    base = slugify(ascii_fold(display))[:110] or "author"
    slug, number = base, 2
    while Author.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


def _read(path: Path) -> list[dict]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(items, list):
        raise AuthorsContentError(f"{path.name}: a list of authors expected")
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise AuthorsContentError(f"{path.name}: item {index} has no name")
        unknown = set(item) - {"name", "variants", "dblp", "orcid", "checked"}
        if unknown:
            raise AuthorsContentError(f"{path.name}: {item['name']}: unknown keys {sorted(unknown)}")
        if not isinstance(item.get("variants", []), list):
            raise AuthorsContentError(f"{path.name}: {item['name']}: variants must be a list")
    return items


def author_variants_load(*, path: Path) -> AuthorsReport:
    """Give each listed person their variants and identifiers, merging the authors that are only a variant.

    Loading twice changes nothing. Runs before the BibTeX import, so that new papers find the person.
    """
    report = AuthorsReport()
    items = _read(path)
    with transaction.atomic():
        for item in items:
            name = parse_name(item["name"])
            person = Author.objects.filter(**name._asdict()).first()
            if person is None:
                person = Author.objects.create(slug=_slug(name), **name._asdict())
            variants = [bibtex_form(parse_name(text)) for text in item.get("variants", [])]
            for text in variants:
                other = Author.objects.filter(**parse_name(text)._asdict()).exclude(pk=person.pk).first()
                if other is None:
                    continue
                Authorship.objects.filter(author=other).update(author=person)
                report.merged.append(f"{other.display_name} -> {person.display_name}")
                other.delete()
            values = {"variants": variants, "dblp": item.get("dblp", ""), "orcid": item.get("orcid", "")}
            if any(getattr(person, key) != value for key, value in values.items()):
                Author.objects.filter(pk=person.pk).update(**values)
                report.updated.append(person.display_name)
    return report
