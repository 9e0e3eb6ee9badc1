"""BibTeX import: match each entry to a stored paper (DOI, then arXiv id, then normalised title and year),
update what changed, create what is new, all in one transaction unless ``partial``.

The import is bulk: a handful of queries per run whatever the number of entries (load an index of the stored
papers and authors, insert what is new with papers/bulk_insert.py, ``bulk_update`` what changed).
"""

import contextlib
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify

from papers.authors import variant_ids
from papers.bibtex import (
    ENTRYTYPE_KEY,
    ETAL_KEY,
    AuthorName,
    BibtexTooLarge,
    Failure,
    ParsedEntry,
    arxiv_core,
    doi_core,
    parse_bibtex,
)
from papers.bulk_insert import insert_rows
from papers.citekeys import ascii_fold, citation_key_base, is_valid_key, unique_key
from papers.models import Author, Authorship, Paper
from papers.venues import VenueIds

__all__ = ["BibtexTooLarge", "ImportReport", "author_ids", "bibtex_import", "write_entries"]


@dataclass
class ImportReport:
    """What an import did, entry by entry. ``failed`` items unpack as ``(line, key, reason)``."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    duplicates: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)
    rolled_back: bool = False  # True when failures stopped an all-or-nothing run: nothing was written

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        text = (
            f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.failed)} failed, {len(self.duplicates)} duplicates"
        )
        return text + (" — nothing written (all-or-nothing; use --partial to keep the good entries)"
                       if self.rolled_back else "")  # fmt: skip


class _Rollback(Exception):
    pass


def _read(path: Path, report: ImportReport) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        report.failed.append(Failure(0, "", f"cannot read the file: {exc.strerror or exc}", str(path)))
        return None
    try:
        return decode_bibtex(data)
    except BibtexNotUtf8 as exc:
        report.failed.append(Failure(exc.line, "", str(exc), str(path)))
        return None


class BibtexNotUtf8(ValueError):
    """The bytes are not UTF-8: every way in (command line, API, staff page) refuses them alike."""

    def __init__(self, *, byte: int, line: int):
        super().__init__(f"not UTF-8: byte {byte} (line {line}) cannot be decoded; save the file as UTF-8")
        self.byte = byte
        self.line = line


def decode_bibtex(data: bytes) -> str:
    """The one encoding rule of imports: UTF-8 (a byte-order mark is dropped), else BibtexNotUtf8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BibtexNotUtf8(byte=exc.start, line=data.count(b"\n", 0, exc.start) + 1) from exc


def bibtex_import(
    *,
    text: str | None = None,
    paths: Sequence[Path] = (),
    partial: bool = False,
    source_name: str = "",
    max_bytes: int | None = None,
    whole_records: bool = False,
) -> ImportReport:
    """Import BibTeX from files (in order, so a strings file goes first) and/or a text.

    All-or-nothing unless ``partial``: any failed block means nothing is written. ``whole_records`` (the
    catalog's own content file) makes each entry the whole record: a field an entry dropped is cleared on
    update, where an import of someone's file only adds and changes. Raises
    :class:`BibtexTooLarge` when the input is over ``settings.BIBTEX_MAX_BYTES`` (or ``max_bytes``).
    """
    cap = max_bytes if max_bytes is not None else settings.BIBTEX_MAX_BYTES
    report = ImportReport()
    total = 0
    for path in map(Path, paths):
        with contextlib.suppress(OSError):  # reported by _read
            total += path.stat().st_size
        if total > cap:
            raise BibtexTooLarge(f"{path}: the input is over the {cap}-byte limit (BIBTEX_MAX_BYTES)")
    if text is not None:
        total += len(text.encode("utf-8", "surrogatepass"))
        if total > cap:
            raise BibtexTooLarge(f"the input is {total} bytes, over the {cap}-byte limit (BIBTEX_MAX_BYTES)")
    sources: list[tuple[str, str]] = []
    for path in map(Path, paths):
        content = _read(path, report)
        if content is not None:
            sources.append((str(path), content))
    if text is not None:
        sources.append((source_name or "<input>", text))
    cleaned = []
    for name, content in sources:
        if "\x00" in content:
            report.warnings.append(Failure(0, "", "NUL characters removed", name))
            content = content.replace("\x00", "")
        if not content.isascii():
            content = content.encode("utf-8", "replace").decode("utf-8")  # lone surrogates
        cleaned.append((name, content))

    parsed = parse_bibtex(cleaned)
    report.failed.extend(parsed.failed)
    report.duplicates.extend(parsed.duplicates)
    report.warnings.extend(parsed.warnings)
    if report.failed and not partial:
        report.rolled_back = True
        return report
    for entry in parsed.entries:
        entry.whole = whole_records
    _write_all(parsed.entries, report, partial=partial)
    return report


def _write_all(entries: list[ParsedEntry], report: ImportReport, *, partial: bool) -> None:
    outcome = ImportReport()
    try:
        with transaction.atomic():
            write_entries(entries, outcome)
            if outcome.failed and not partial:
                raise _Rollback
    except _Rollback:
        report.failed.extend(outcome.failed)
        report.duplicates.extend(outcome.duplicates)
        report.rolled_back = True
        return
    except DatabaseError as exc:
        if not partial:
            report.failed.append(Failure(0, "", f"the database refused the import: {exc}".strip()))
            report.rolled_back = True
            return
        # Find the entries the database refuses, one savepoint each, and keep the rest.
        outcome = ImportReport()
        with transaction.atomic():
            for entry in entries:
                single = ImportReport()
                try:
                    with transaction.atomic():
                        write_entries([entry], single)
                except DatabaseError as entry_exc:
                    reason = f"the database refused it: {str(entry_exc).strip().splitlines()[0]}"
                    single = ImportReport(failed=[Failure(entry.line, entry.key, reason, entry.source)])
                _merge(outcome, single)
    _merge(report, outcome)


def _merge(into: ImportReport, other: ImportReport) -> None:
    into.created.extend(other.created)
    into.updated.extend(other.updated)
    into.unchanged.extend(other.unchanged)
    into.failed.extend(other.failed)
    into.duplicates.extend(other.duplicates)
    into.warnings.extend(other.warnings)


_WORDS = re.compile(r"[A-Za-z0-9]+")


@functools.lru_cache(maxsize=1024)  # match() and add() ask for the same title in turn
def normalised_title(title: str) -> str:
    """'Auto-Encoding Variational {Bayes}' -> 'auto encoding variational bayes'."""
    return " ".join(_WORDS.findall(ascii_fold(title).lower()))


@dataclass
class _New:
    """A paper this run creates."""

    key: str
    entry: ParsedEntry
    columns: dict[str, Any]
    extra: dict[str, Any]
    authors: list[AuthorName]


@dataclass
class _Update:
    """A stored paper this run may change."""

    paper_id: int
    key: str
    entries: list[ParsedEntry] = field(default_factory=list)


class _Index:
    """Stored papers (and those created in this run) by DOI, arXiv id, normalised title + year, and key."""

    def __init__(self) -> None:
        self.by_doi: dict[str, Any] = {}
        self.by_arxiv: dict[str, Any] = {}
        self.by_title: dict[tuple[str, int | None], Any] = {}
        self.keys: set[str] = set()
        self.owner_doi: dict[str, int | _New] = {}
        for pk, key, doi, arxiv_id, title, year in Paper.objects.values_list(
            "id", "citation_key", "doi", "arxiv_id", "title", "year"
        ):
            self.add(pk, key, doi, arxiv_id, title, year)

    def add(self, ref: Any, key: str, doi: str, arxiv_id: str, title: str, year: int | None) -> None:
        if key:
            self.keys.add(key)
        if doi:
            self.by_doi[doi_core(doi)] = ref
        if arxiv_id:
            self.by_arxiv[arxiv_core(arxiv_id)] = ref
        if title:
            self.by_title.setdefault((normalised_title(title), year), ref)

    def match(self, columns: dict[str, Any]) -> tuple[Any, str]:
        doi = columns.get("doi")
        if doi and (ref := self.by_doi.get(doi_core(doi))) is not None:
            return ref, "DOI"
        arxiv_id = columns.get("arxiv_id")
        if arxiv_id and (ref := self.by_arxiv.get(arxiv_core(arxiv_id))) is not None:
            return ref, "arXiv id"
        ref = self.by_title.get((normalised_title(columns.get("title", "")), columns.get("year")))
        return ref, "title and year"


def _new_key(entry: ParsedEntry, authors: list[AuthorName], index: _Index) -> str:
    if is_valid_key(entry.key) and entry.key not in index.keys:
        return entry.key
    family = authors[0].family if authors else ""
    base = citation_key_base(family=family, year=entry.columns.get("year"), title=entry.columns["title"])
    return unique_key(base, index.keys)


def write_entries(entries: list[ParsedEntry], report: ImportReport) -> None:
    index = _Index()
    news: list[_New] = []
    updates: dict[int, _Update] = {}
    for entry in entries:
        ref, how = index.match(entry.columns)
        if ref is None:
            authors = entry.authors or []
            new = _New(
                _new_key(entry, authors, index), entry, dict(entry.columns), dict(entry.extra), authors
            )
            news.append(new)
            c = new.columns
            index.add(new, new.key, c.get("doi", ""), c.get("arxiv_id", ""), c["title"], c.get("year"))
            continue
        if isinstance(ref, _New):
            report.duplicates.append(
                Failure(entry.line, entry.key, f"same paper as {ref.key} (by {how}); merged", entry.source)
            )
            ref.columns.update(entry.columns)
            _merge_extra(ref.extra, entry)
            if entry.authors is not None:
                ref.authors = entry.authors
            continue
        conflict = _identifier_conflict(entry, ref, index)
        if conflict:
            report.failed.append(Failure(entry.line, entry.key, conflict, entry.source))
            continue
        update = updates.setdefault(ref, _Update(ref, ""))
        update.entries.append(entry)
        c = entry.columns
        index.add(ref, "", c.get("doi", ""), c.get("arxiv_id", ""), c["title"], c.get("year"))

    names = [a for new in news for a in new.authors]
    names += [a for u in updates.values() for e in u.entries for a in (e.authors or [])]
    ids = author_ids(names)
    venues = VenueIds()

    paper_ids = insert_rows(
        Paper,
        [
            {
                **new.columns,
                "citation_key": new.key,
                "venue_id": venues.venue_id(new.columns),
                "extra_fields": new.extra,
            }
            for new in news
        ],
    )
    insert_rows(
        Authorship,
        [
            {"paper_id": paper_id, "author_id": ids[name], "position": position}
            for paper_id, new in zip(paper_ids, news, strict=True)
            for position, name in enumerate(_dedupe(new.authors))
        ],
        ids=False,
    )
    report.created.extend(new.key for new in news)
    if updates:
        _apply_updates(updates, ids, venues, report)


def _dedupe(names: list[AuthorName]) -> list[AuthorName]:
    # The same person twice in one author list would break the (paper, author) pairing on display.
    seen: set[AuthorName] = set()
    return [n for n in names if not (n in seen or seen.add(n))]


def _merge_extra(extra: dict[str, Any], entry: ParsedEntry) -> None:
    extra.update(entry.extra)
    if ENTRYTYPE_KEY not in entry.extra:
        extra.pop(ENTRYTYPE_KEY, None)
    if entry.authors is not None and ETAL_KEY not in entry.extra:
        extra.pop(ETAL_KEY, None)


def _identifier_conflict(entry: ParsedEntry, paper_id: int, index: _Index) -> str:
    for column, table, core in (("doi", index.by_doi, doi_core), ("arxiv_id", index.by_arxiv, arxiv_core)):
        value = entry.columns.get(column)
        if not value:
            continue
        owner = table.get(core(value))
        if owner is not None and owner != paper_id:
            other = owner.key if isinstance(owner, _New) else _key_of(owner)
            return f"{column} {value} already belongs to {other}"
    return ""


def _key_of(paper_id: int) -> str:
    return Paper.objects.filter(pk=paper_id).values_list("citation_key", flat=True).first() or "?"


_VENUE_INPUT = ("entry_type", "booktitle", "journal", "year", "arxiv_id")
UPDATABLE = [
    "entry_type", "title", "year", "month", "booktitle", "journal", "volume", "number", "pages", "publisher",
    "editor", "institution", "doi", "arxiv_id", "arxiv_class", "url", "abstract", "note", "source_url",
    "checked_on", "extra_fields", "venue", "updated_at",
]  # fmt: skip


# The columns a BibTeX entry fills, and the empty value of those that are not text.
BIBTEX_COLUMNS = [
    name for name in UPDATABLE if name not in ("entry_type", "extra_fields", "venue", "updated_at")
]
CLEARED = {"year": None, "checked_on": None}


def _apply_updates(
    updates: dict[int, _Update],
    ids: dict[AuthorName, int],
    venues: VenueIds,
    report: ImportReport,
) -> None:
    papers = Paper.objects.in_bulk(list(updates))
    stored_authors: dict[int, list[int]] = {}
    for paper_id, author_id in (
        Authorship.objects.filter(paper_id__in=list(updates))
        .order_by("paper_id", "position")
        .values_list("paper_id", "author_id")
    ):
        stored_authors.setdefault(paper_id, []).append(author_id)
    changed: list[Paper] = []
    new_authorships: list[Authorship] = []
    reauthored: list[int] = []
    now = timezone.now()
    for paper_id, update in updates.items():
        paper = papers[paper_id]
        dirty = venue_text_changed = False
        authors: list[int] | None = None
        for entry in update.entries:
            columns = dict(entry.columns)
            if entry.whole:
                columns = {name: CLEARED.get(name, "") for name in BIBTEX_COLUMNS} | columns
            for column, value in columns.items():
                if getattr(paper, column) != value:
                    setattr(paper, column, value)
                    dirty = True
                    venue_text_changed |= column in ("booktitle", "journal", "entry_type", "year")
            extra = {} if entry.whole else dict(paper.extra_fields or {})
            _merge_extra(extra, entry)
            if extra != paper.extra_fields:
                paper.extra_fields = extra
                dirty = True
            if entry.authors is not None:
                authors = [ids[name] for name in _dedupe(entry.authors)]
        # A venue set by hand stays unless the entry now names another one.
        if venue_text_changed:
            paper.venue_id = venues.venue_id({c: getattr(paper, c) for c in _VENUE_INPUT})
        if authors is not None and authors != stored_authors.get(paper_id, []):
            reauthored.append(paper_id)
            new_authorships += [
                Authorship(paper_id=paper_id, author_id=a, position=i) for i, a in enumerate(authors)
            ]
            dirty = True
        if dirty:
            paper.updated_at = now
            changed.append(paper)
            report.updated.append(paper.citation_key)
        else:
            report.unchanged.append(paper.citation_key)
    if changed:
        Paper.objects.bulk_update(changed, UPDATABLE, batch_size=1000)
    if reauthored:
        Authorship.objects.filter(paper_id__in=reauthored).delete()
        Authorship.objects.bulk_create(new_authorships, batch_size=5000)


# --- authors --------------------------------------------------------------------------------------------


def _author_slug(name: AuthorName, taken: set[str]) -> str:
    display = " ".join(part for part in (name.given, name.von, name.family, name.suffix) if part)
    base = slugify(ascii_fold(display))[:110] or "author"
    slug = base
    number = 2
    while slug in taken:
        slug = f"{base}-{number}"
        number += 1
    taken.add(slug)
    return slug


def author_ids(names: Iterable[AuthorName]) -> dict[AuthorName, int]:
    """Ids for these names, creating the authors that do not exist yet (two queries, three when creating)."""
    wanted = set(names)
    if not wanted:
        return {}
    ids: dict[AuthorName, int] = {}
    for pk, given, von, family, suffix in Author.objects.filter(
        family__in={n.family for n in wanted}
    ).values_list("id", "given", "von", "family", "suffix"):
        ids[AuthorName(given, von, family, suffix)] = pk
    missing = [n for n in wanted if n not in ids]
    if missing:
        # A name a known person also published under is that person (papers/authors.py).
        variants = variant_ids()
        ids.update({n: variants[n] for n in missing if n in variants})
        missing = [n for n in missing if n not in ids]
    if missing:
        missing.sort()
        taken = set(Author.objects.values_list("slug", flat=True))
        created = insert_rows(Author, [{"slug": _author_slug(n, taken), **n._asdict()} for n in missing])
        ids.update(zip(missing, created, strict=True))
    return ids
