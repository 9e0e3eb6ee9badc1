"""Writes for papers: BibTeX import and export, authors, venues, errata and lineage.

The import is bulk: a handful of queries per run whatever the number of entries (load an index of the stored
papers and authors, ``bulk_create`` what is new, ``bulk_update`` what changed), inside one transaction.
"""

import contextlib
import datetime
import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from psycopg import sql

from papers.bibtex import (
    ENTRYTYPE_KEY,
    ETAL_KEY,
    AuthorName,
    BibtexTooLarge,
    Failure,
    ParsedEntry,
    arxiv_core,
    doi_core,
    format_bibtex,
    parse_bibtex,
)
from papers.citekeys import ascii_fold, citation_key_base, is_valid_key, unique_key
from papers.models import Author, Authorship, Erratum, Paper, PaperLink, Venue

__all__ = [
    "BibtexTooLarge",
    "ContentReport",
    "ImportReport",
    "PapersContentError",
    "author_get_or_create",
    "bibtex_export",
    "bibtex_import",
    "errata_load",
    "lineage_load",
    "paper_create",
    "paper_delete",
    "paper_update",
    "paper_upsert",
    "venue_resolve",
]


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


# --- import ---------------------------------------------------------------------------------------------


def _read(path: Path, report: ImportReport) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        report.failed.append(Failure(0, "", f"cannot read the file: {exc.strerror or exc}", str(path)))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.warnings.append(Failure(0, "", f"not UTF-8 (byte {exc.start}); read as Latin-1", str(path)))
        return data.decode("latin-1")


def bibtex_import(
    *,
    text: str | None = None,
    paths: Sequence[Path] = (),
    partial: bool = False,
    source_name: str = "",
    max_bytes: int | None = None,
) -> ImportReport:
    """Import BibTeX from files (in order, so a strings file goes first) and/or a text.

    All-or-nothing unless ``partial``: any failed block means nothing is written. Raises
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
    _write_all(parsed.entries, report, partial=partial)
    return report


def _write_all(entries: list[ParsedEntry], report: ImportReport, *, partial: bool) -> None:
    outcome = ImportReport()
    try:
        with transaction.atomic():
            _write_entries(entries, outcome)
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
                        _write_entries([entry], single)
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


def _write_entries(entries: list[ParsedEntry], report: ImportReport) -> None:
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
    author_ids = _author_ids(names)
    venues = _VenueCache()

    paper_ids = _insert(
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
    _insert(
        Authorship,
        [
            {"paper_id": paper_id, "author_id": author_ids[name], "position": position}
            for paper_id, new in zip(paper_ids, news, strict=True)
            for position, name in enumerate(_dedupe(new.authors))
        ],
        ids=False,
    )
    report.created.extend(new.key for new in news)
    if updates:
        _apply_updates(updates, author_ids, venues, report)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.date):  # dates and datetimes
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).translate(_COPY_ESCAPES)
    return str(value)


_MISSING = object()


def _insert(model: type[models.Model], rows: list[dict[str, Any]], *, ids: bool = True) -> list[int]:
    """Insert rows (dicts by attname; missing fields take their defaults) and return their new ids.

    On PostgreSQL this is one COPY, with ids drawn from the table's sequence first: several times faster
    than ``bulk_create`` for thousands of rows, because no model instances or parameter lists are built.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = model.objects.bulk_create([model(**row) for row in rows], batch_size=1000)
        return [obj.pk for obj in created]
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    columns: list[tuple[str, str]] = []  # (attname, the default already in COPY text)
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default = now
        elif f.has_default():
            default = f.get_default()
        else:
            default = None if f.null else ""
        columns.append((f.attname, _copy_value(default)))
    new_ids: list[int] = []
    with connection.cursor() as cursor:
        if ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, len(rows)],
            )
            new_ids = [row[0] for row in cursor.fetchall()]
        names = (["id"] if ids else []) + [f.column for f in fields]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names))
        )
        lines: list[str] = []
        escapes = _COPY_ESCAPES
        with cursor.cursor.copy(statement) as copy:
            for index, row in enumerate(rows):
                # Text is the common case: translated inline; other types go through _copy_value.
                out = [str(new_ids[index])] if ids else []
                for name, default in columns:
                    value = row.get(name, _MISSING)
                    if value is _MISSING:
                        out.append(default)
                    elif type(value) is str:
                        out.append(value.translate(escapes))
                    elif type(value) is int:
                        out.append(str(value))
                    elif value is None:
                        out.append("\\N")
                    else:
                        out.append(_copy_value(value))
                lines.append("\t".join(out))
                if len(lines) >= 2000:
                    copy.write("\n".join(lines) + "\n")
                    lines.clear()
            if lines:
                copy.write("\n".join(lines) + "\n")
    return new_ids


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


def _apply_updates(
    updates: dict[int, _Update],
    author_ids: dict[AuthorName, int],
    venues: "_VenueCache",
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
            for column, value in entry.columns.items():
                if getattr(paper, column) != value:
                    setattr(paper, column, value)
                    dirty = True
                    venue_text_changed |= column in ("booktitle", "journal", "entry_type", "year")
            extra = dict(paper.extra_fields or {})
            _merge_extra(extra, entry)
            if extra != paper.extra_fields:
                paper.extra_fields = extra
                dirty = True
            if entry.authors is not None:
                authors = [author_ids[name] for name in _dedupe(entry.authors)]
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


def _author_ids(names: Iterable[AuthorName]) -> dict[AuthorName, int]:
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
        missing.sort()
        taken = set(Author.objects.values_list("slug", flat=True))
        created = _insert(Author, [{"slug": _author_slug(n, taken), **n._asdict()} for n in missing])
        ids.update(zip(missing, created, strict=True))
    return ids


def author_get_or_create(*, given: str = "", von: str = "", family: str, suffix: str = "") -> Author:
    """The author with exactly these name parts, created with a unique slug if new."""
    name = AuthorName(given.strip(), von.strip(), family.strip(), suffix.strip())
    return Author.objects.get(pk=_author_ids([name])[name])


# --- venues ---------------------------------------------------------------------------------------------

# Well-known venues, matched by pattern so that "Proc. ICML", "ICML" and the full name meet in one record.
# (slug, name, short name, kind); NIPS became NeurIPS in 2018 and keeps the name it had at the time.
KNOWN_VENUES: list[tuple[re.Pattern[str], tuple[str, str, str, str]]] = [
    (re.compile(p, re.I), v)
    for p, v in [
        (r"\barxiv\b|\bcorr\b", ("arxiv", "arXiv", "arXiv", "preprint")),
        (r"neural information processing systems|\bnips\b|\bneurips\b",
         ("nips", "Advances in Neural Information Processing Systems", "NIPS", "conference")),
        (r"international conference on machine learning|\bicml\b",
         ("icml", "International Conference on Machine Learning", "ICML", "conference")),
        (r"international conference on learning representations|\biclr\b",
         ("iclr", "International Conference on Learning Representations", "ICLR", "conference")),
        (r"computer vision and pattern recognition|\bcvpr\b",
         ("cvpr", "IEEE Conference on Computer Vision and Pattern Recognition", "CVPR", "conference")),
        (r"international conference on computer vision|\biccv\b",
         ("iccv", "IEEE International Conference on Computer Vision", "ICCV", "conference")),
        (r"european conference on computer vision|\beccv\b",
         ("eccv", "European Conference on Computer Vision", "ECCV", "conference")),
        (r"artificial intelligence and statistics|\baistats\b",
         ("aistats", "International Conference on Artificial Intelligence and Statistics", "AISTATS",
          "conference")),
        (r"uncertainty in artificial intelligence|\buai\b",
         ("uai", "Conference on Uncertainty in Artificial Intelligence", "UAI", "conference")),
        (r"journal of machine learning research|\bjmlr\b",
         ("jmlr", "Journal of Machine Learning Research", "JMLR", "journal")),
        (r"transactions on machine learning research|\btmlr\b",
         ("tmlr", "Transactions on Machine Learning Research", "TMLR", "journal")),
        (r"pattern analysis and machine intelligence|\btpami\b",
         ("tpami", "IEEE Transactions on Pattern Analysis and Machine Intelligence", "TPAMI", "journal")),
        (r"^neural computation$", ("neural-computation", "Neural Computation", "Neural Comput.", "journal")),
        (r"empirical methods in natural language processing|\bemnlp\b",
         ("emnlp", "Conference on Empirical Methods in Natural Language Processing", "EMNLP", "conference")),
        (r"association for computational linguistics|\bacl\b",
         ("acl", "Annual Meeting of the Association for Computational Linguistics", "ACL", "conference")),
        (r"national conference on artificial intelligence|aaai conference|\baaai\b",
         ("aaai", "AAAI Conference on Artificial Intelligence", "AAAI", "conference")),
        (r"international joint conference on artificial intelligence|\bijcai\b",
         ("ijcai", "International Joint Conference on Artificial Intelligence", "IJCAI", "conference")),
    ]
]  # fmt: skip
_VENUE_KIND = {
    "article": "journal", "inproceedings": "conference", "incollection": "book", "inbook": "book",
    "book": "book", "techreport": "report", "proceedings": "conference",
}  # fmt: skip


def _venue_spec(columns: dict[str, Any]) -> tuple[str, str, str, str] | None:
    entry_type = columns.get("entry_type") or "misc"
    text = columns.get("booktitle") if entry_type in ("inproceedings", "incollection", "inbook") else ""
    text = (text or columns.get("journal") or columns.get("booktitle") or "").strip()
    if not text:
        return ("arxiv", "arXiv", "arXiv", "preprint") if columns.get("arxiv_id") else None
    return _named_venue(text, entry_type, (columns.get("year") or 0) >= 2018)


@functools.lru_cache(maxsize=4096)  # a bibliography names few venues, many times
def _named_venue(text: str, entry_type: str, neurips_era: bool) -> tuple[str, str, str, str]:
    if "workshop" not in text.lower():
        for pattern, spec in KNOWN_VENUES:
            if pattern.search(text):
                if spec[0] == "nips" and neurips_era:
                    return ("neurips", spec[1], "NeurIPS", spec[3])
                return spec
    kind = "workshop" if "workshop" in text.lower() else _VENUE_KIND.get(entry_type, "other")
    return ("", text[:300], "", kind)


class _VenueCache:
    """Venue ids by spec, loading the (few) venues once and creating missing ones as they come."""

    def __init__(self) -> None:
        self.by_slug: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.slugs: set[str] = set()
        for pk, slug, name in Venue.objects.values_list("id", "slug", "name"):
            self.by_slug[slug] = pk
            self.by_name.setdefault(name.lower(), pk)
            self.slugs.add(slug)

    def venue_id(self, columns: dict[str, Any]) -> int | None:
        spec = _venue_spec(columns)
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
            while slug in self.slugs:
                slug = f"{base}-{number}"
                number += 1
        venue = Venue.objects.create(slug=slug, name=name, short_name=short_name, kind=kind)
        self.by_slug[slug] = venue.pk
        self.by_name.setdefault(name.lower(), venue.pk)
        self.slugs.add(slug)
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
    venue_id = _VenueCache().venue_id(columns)
    return Venue.objects.get(pk=venue_id) if venue_id else None


# --- single papers --------------------------------------------------------------------------------------


@transaction.atomic
def paper_upsert(
    *, citation_key: str = "", authors: Sequence[AuthorName] | None = None, **columns: Any
) -> tuple[Paper, str]:
    """Create or update one paper (matched like an import: DOI, arXiv id, title + year).

    Returns the paper and what happened: "created", "updated" or "unchanged". Raises ValueError with the
    reason when the record cannot be stored.
    """
    extra = columns.pop("extra_fields", None) or {}
    names = None if authors is None else [AuthorName(*a) for a in authors]
    # Only the columns given change on an update; a new paper takes the model's defaults for the rest.
    entry = ParsedEntry("", 0, citation_key, columns.get("entry_type", "misc"), columns, extra, names)
    if not entry.columns.get("title"):
        raise ValueError("a paper needs a title")
    report = ImportReport()
    _write_entries([entry], report)
    if report.failed:
        raise ValueError(report.failed[0].reason)
    for outcome in ("created", "updated", "unchanged"):
        keys = getattr(report, outcome)
        if keys:
            return Paper.objects.get(citation_key=keys[0]), outcome
    raise ValueError("nothing was written")  # pragma: no cover - every path above reports


def paper_authors_set(*, paper: Paper, names: Sequence[dict[str, str]]) -> None:
    """Replace the paper's authors with these name parts, in order; existing authors are reused."""
    wanted = [
        AuthorName(*(n.get(part, "").strip() for part in ("given", "von", "family", "suffix"))) for n in names
    ]
    ids = _author_ids(wanted)
    Authorship.objects.filter(paper=paper).delete()
    Authorship.objects.bulk_create(
        Authorship(paper=paper, author_id=ids[name], position=position)
        for position, name in enumerate(wanted)
    )


@transaction.atomic
def paper_create(*, data: dict[str, Any]) -> Paper:
    """A new paper from validated input: its columns, ``venue`` (a Venue or None) and ``authors`` (name parts
    in order). Unlike ``paper_upsert`` it never merges into a matching paper: the caller named a new key."""
    columns = dict(data)
    authors = columns.pop("authors", [])
    paper = Paper.objects.create(**columns)
    paper_authors_set(paper=paper, names=authors)
    return paper


@transaction.atomic
def paper_update(*, paper: Paper, data: dict[str, Any]) -> Paper:
    """Change the columns given; ``authors``, when given, replaces the whole list."""
    columns = dict(data)
    authors = columns.pop("authors", None)
    for name, value in columns.items():
        setattr(paper, name, value)
    paper.save()
    if authors is not None:
        paper_authors_set(paper=paper, names=authors)
    return paper


@transaction.atomic
def paper_delete(*, paper: Paper) -> None:
    """Delete the paper with its authorships, lineage links and family links (authors and venues stay)."""
    paper.delete()


# --- export ---------------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "id", "citation_key", "entry_type", "title", "year", "month", "booktitle", "journal", "volume", "number",
    "pages", "publisher", "editor", "institution", "doi", "arxiv_id", "arxiv_class", "url", "abstract",
    "note", "source_url", "checked_on", "extra_fields",
)  # fmt: skip


def bibtex_export(*, papers: QuerySet[Paper] | Iterable[Paper]) -> str:
    """The papers as .bib text, in the order given; two queries whatever the number of papers."""
    if isinstance(papers, QuerySet):
        rows = list(papers.values(*EXPORT_COLUMNS, "venue__name"))
        authorships = Authorship.objects.filter(paper__in=papers.values("id"))
    else:
        objects = list(papers)
        rows = []
        for paper in objects:
            row = {column: getattr(paper, column) for column in EXPORT_COLUMNS}
            row["venue__name"] = paper.venue.name if paper.venue_id else ""
            rows.append(row)
        authorships = Authorship.objects.filter(paper_id__in=[p.pk for p in objects])
    authors: dict[int, list[AuthorName]] = {}
    for paper_id, *parts in authorships.order_by("paper_id", "position").values_list(
        "paper_id", "author__given", "author__von", "author__family", "author__suffix"
    ):
        authors.setdefault(paper_id, []).append(AuthorName(*parts))
    for row in rows:
        row["authors"] = authors.get(row["id"], [])
        # A paper entered by hand may name its venue only through the Venue record.
        if row["venue__name"] and not row["booktitle"] and not row["journal"]:
            if row["entry_type"] in ("inproceedings", "incollection", "inbook"):
                row["booktitle"] = row["venue__name"]
            elif row["entry_type"] == "article":
                row["journal"] = row["venue__name"]
    return format_bibtex(rows)


# --- errata and lineage (papers/content/errata.yaml, lineage.yaml) --------------------------------------


class PapersContentError(ValueError):
    """A content file that cannot be loaded: where (file, line, item) and why. Nothing was written."""

    def __init__(self, path: Path, line: int, item: str, reason: str) -> None:
        self.path, self.line, self.item, self.reason = path, line, item, reason
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}{f' [{item}]' if item else ''}: {reason}")


@dataclass
class ContentReport:
    """What a content load did; each list holds a label per record ('key/field' or 'source kind target')."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def _yaml_items(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, Any]]]:
    """The file's list items with their line numbers, each checked to have the required string fields."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except OSError as exc:
        raise PapersContentError(path, 0, "", f"cannot read the file: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PapersContentError(path, mark.line + 1 if mark else 0, "", f"not valid YAML: {exc}") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise PapersContentError(path, 1, "", "expected a list of items")
    items = []
    for index, item in enumerate(data):
        line = root.value[index].start_mark.line + 1
        if not isinstance(item, dict):
            raise PapersContentError(path, line, f"item {index + 1}", "expected a mapping")
        for name in required:
            if not isinstance(item.get(name), str) or not item[name].strip():
                raise PapersContentError(path, line, f"item {index + 1}", f"'{name}' is missing or empty")
        unknown = set(item) - set(required) - {"note"}
        if unknown:
            raise PapersContentError(
                path, line, f"item {index + 1}", f"unknown field(s): {', '.join(sorted(unknown))}"
            )
        items.append((line, item))
    return items


def _papers_by_key(path: Path, items: list[tuple[int, dict[str, Any]]], *names: str) -> dict[str, Paper]:
    keys = {item[name].strip() for _, item in items for name in names}
    papers = Paper.objects.in_bulk(keys, field_name="citation_key")
    for line, item in items:
        for name in names:
            if item[name].strip() not in papers:
                raise PapersContentError(path, line, item[name], f"no paper with citation key '{item[name]}'")
    return papers


@transaction.atomic
def errata_load(*, path: Path, prune: bool = False) -> ContentReport:
    """Load errata.yaml: ``{key, field, claimed, correction, source_url}`` items, one per (paper, field).

    Idempotent (a second load reports everything unchanged); ``prune`` deletes errata the file no longer has.
    Raises :class:`PapersContentError` naming the line on bad content; then nothing is written.
    """
    items = _yaml_items(path, ("key", "field", "claimed", "correction", "source_url"))
    papers = _papers_by_key(path, items, "key")
    fields = set(Erratum.Field.values)
    existing = {(e.paper_id, e.field): e for e in Erratum.objects.filter(paper__in=papers.values())}
    report = ContentReport()
    seen = set()
    for line, item in items:
        paper = papers[item["key"].strip()]
        kind = item["field"].strip()
        label = f"{paper.citation_key}/{kind}"
        if kind not in fields:
            raise PapersContentError(path, line, label, f"field must be one of {', '.join(sorted(fields))}")
        if (paper.pk, kind) in seen:
            raise PapersContentError(path, line, label, "a second erratum for the same paper and field")
        seen.add((paper.pk, kind))
        values = {name: " ".join(item[name].split()) if name != "source_url" else item[name].strip()
                  for name in ("claimed", "correction", "source_url")}  # fmt: skip
        if len(values["source_url"]) > 500 or not values["source_url"].startswith(("http://", "https://")):
            raise PapersContentError(
                path, line, label, "source_url must be an http(s) URL of at most 500 characters"
            )
        erratum = existing.get((paper.pk, kind))
        if erratum is None:
            Erratum.objects.create(paper=paper, field=kind, **values)
            report.created.append(label)
        elif any(getattr(erratum, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(erratum, name, value)
            erratum.save()
            report.updated.append(label)
        else:
            report.unchanged.append(label)
    if prune:
        for (paper_id, kind), erratum in existing.items():
            if (paper_id, kind) not in seen:
                report.deleted.append(f"{erratum.paper.citation_key}/{kind}")
                erratum.delete()
    return report


@transaction.atomic
def lineage_load(*, path: Path, prune: bool = False) -> ContentReport:
    """Load lineage.yaml: ``{source, target, kind, note}`` items ("source builds on target").

    Idempotent; ``prune`` deletes links the file no longer has. Raises :class:`PapersContentError` naming
    the line on bad content (unknown key or kind, a self-link, the same link twice); nothing is written then.
    """
    items = _yaml_items(path, ("source", "target", "kind"))
    papers = _papers_by_key(path, items, "source", "target")
    kinds = set(PaperLink.Kind.values)
    existing = {(link.source_id, link.target_id, link.kind): link for link in PaperLink.objects.all()}
    report = ContentReport()
    seen = set()
    for line, item in items:
        source, target = papers[item["source"].strip()], papers[item["target"].strip()]
        kind = item["kind"].strip()
        label = f"{source.citation_key} {kind} {target.citation_key}"
        if kind not in kinds:
            raise PapersContentError(path, line, label, f"kind must be one of {', '.join(sorted(kinds))}")
        if source.pk == target.pk:
            raise PapersContentError(path, line, label, "a paper cannot link to itself")
        ident = (source.pk, target.pk, kind)
        if ident in seen:
            raise PapersContentError(path, line, label, "the same link twice")
        seen.add(ident)
        note = " ".join(str(item.get("note") or "").split())
        if len(note) > 300:
            raise PapersContentError(path, line, label, "note longer than 300 characters")
        link = existing.get(ident)
        if link is None:
            PaperLink.objects.create(source=source, target=target, kind=kind, note=note)
            report.created.append(label)
        elif link.note != note:
            link.note = note
            link.save(update_fields=["note"])
            report.updated.append(label)
        else:
            report.unchanged.append(label)
    if prune:
        for ident, link in existing.items():
            if ident not in seen:
                report.deleted.append(str(link))
                link.delete()
    return report
