"""BibTeX text <-> plain records, with bibtexparser 2 doing the splitting and the writing.

No database here: :func:`parse_bibtex` turns .bib text into :class:`ParsedEntry` records (columns of
:class:`~papers.models.Paper`, the rest in ``extra``, authors as name parts) plus the blocks that failed, with
their line numbers; :func:`format_bibtex` turns export records back into .bib text. papers/imports.py does
the matching and the writes.
"""

import datetime
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, Field, String
from bibtexparser.writer import BibtexFormat

from papers.latex import latex_to_text, protect_capitals, text_to_latex


class BibtexTooLarge(ValueError):
    """The input is over ``settings.BIBTEX_MAX_BYTES``."""


class AuthorName(NamedTuple):
    given: str
    von: str
    family: str
    suffix: str


@dataclass(frozen=True)
class Failure:
    """A block that could not be imported (or a note about one). Unpacks as ``(line, key, reason)``."""

    line: int
    key: str
    reason: str
    source: str = ""

    def __iter__(self) -> Iterator[Any]:
        return iter((self.line, self.key, self.reason))

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.source else f"line {self.line}"
        key = f" [{self.key}]" if self.key else ""
        return f"{where}{key}: {self.reason}"


@dataclass
class ParsedEntry:
    """One entry, decoded: Paper column values, other fields verbatim-decoded, authors in order."""

    source: str
    line: int
    key: str
    entry_type: str
    columns: dict[str, Any]
    extra: dict[str, Any]
    authors: list[AuthorName] | None  # None: the entry has no author field (keep the stored list)
    # The entry is the whole record (a content file that is the source of truth): on an update, a field it
    # no longer has is cleared instead of kept. Imports of other people's files merge (False).
    whole: bool = False


@dataclass
class ParseResult:
    entries: list[ParsedEntry] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    duplicates: list[Failure] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)


ENTRY_TYPES = {
    "article", "inproceedings", "incollection", "book", "misc", "techreport", "phdthesis",
    "mastersthesis", "unpublished", "inbook", "proceedings", "manual", "booklet", "online",
}  # fmt: skip
ENTRY_TYPE_ALIASES = {
    "conference": "inproceedings", "electronic": "online", "www": "online", "report": "techreport",
    "thesis": "phdthesis",
}  # fmt: skip
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# BibTeX field -> Paper column, for fields that are decoded from LaTeX.
TEXT_COLUMNS = {
    "title": "title", "month": "month", "booktitle": "booktitle", "journal": "journal", "volume": "volume",
    "number": "number", "pages": "pages", "publisher": "publisher", "editor": "editor",
    "institution": "institution", "summary": "abstract", "note": "note",
}  # fmt: skip
# ``summary`` is the site's own one-line summary (the ``abstract`` column): no bibliography style prints it
# and no reference manager takes it for the paper's abstract. An ``abstract`` field in an imported file is
# the authors' and stays among the extra fields, exported as it came.
# Fields taken verbatim (identifiers and addresses, where a backslash or underscore means itself).
VERBATIM_COLUMNS = {"doi": "doi", "url": "url", "primaryclass": "arxiv_class", "checked": "source_url"}
VERBATIM_FIELDS = {
    "doi", "url", "eprint", "archiveprefix", "primaryclass", "eprinttype", "checked", "checkedon", "urldate",
    "file", "pdf", "isbn", "issn", "crossref", "timestamp", "biburl", "bibsource", "ids", "lccn", "mrnumber",
    "zbl", "pmid", "arxivid",
}  # fmt: skip
KNOWN_FIELDS = frozenset(
    {*TEXT_COLUMNS, *VERBATIM_COLUMNS, *VERBATIM_FIELDS, "author", "year", "checkedon", "keywords", "address",
     "edition", "series", "chapter", "organization", "school", "howpublished", "type", "language", "abstract",
     "provenance"}
)  # fmt: skip
# Extra-field keys starting with "_" hold what is not itself a field (the original entry type, "and others").
ENTRYTYPE_KEY = "_entrytype"
ETAL_KEY = "_etal"

ARXIV_NEW = re.compile(r"\d{4}\.\d{4,5}(v\d+)?")
ARXIV_OLD = re.compile(r"[a-z\-]+(\.[A-Z]{2})?/\d{7}(v\d+)?")
_ARXIV_IN_TEXT = re.compile(r"arxiv(?:\s*preprint)?(?:\s*(?:abs/|arxiv:)?|:)\s*(\d{4}\.\d{4,5})(v\d+)?", re.I)
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)
_YEAR = re.compile(r"\d{4}")
_FIELD_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_\-:.+]*")
_RAW_KEY = re.compile(r"@\s*\w+\s*[{(]\s*([^,\s{}()]+)")
_MACRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-:.+/']*")
_TIE = re.compile(r"(?<!\\)~")


def arxiv_core(arxiv_id: str) -> str:
    """'arXiv:1706.03762v5' -> '1706.03762' (the part that identifies the paper, for matching)."""
    arxiv_id = arxiv_id.strip()
    if arxiv_id[:6].lower() == "arxiv:":
        arxiv_id = arxiv_id[6:]
    return re.sub(r"v\d+$", "", arxiv_id).lower()


def doi_core(doi: str) -> str:
    """DOIs compare case-insensitively and without their resolver prefix."""
    return _DOI_PREFIX.sub("", doi.strip()).lower()


# --- values ---------------------------------------------------------------------------------------------


_DELIMITER = re.compile(r'[{}"]')


def _closing(raw: str, start: int, opener: str) -> int:
    """Index of the delimiter closing ``raw[start]`` (a brace or a quote), counting nested braces."""
    depth = 0
    for match in _DELIMITER.finditer(raw, start):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if opener == "{" and depth == 0:
                return match.start()
        elif opener == '"' and depth == 0 and match.start() > start:
            return match.start()
    return -1


def resolve_value(raw: str, macros: dict[str, str]) -> tuple[str, list[str]]:
    """Remove the enclosing, expand @string macros and '#' concatenation.

    Returns the value and the names of undefined macros (kept as text).
    """
    raw = raw.strip()
    if raw[:1] == "{" and raw[-1:] == "}":
        inner = raw[1:-1]
        if ("{" not in inner and "}" not in inner) or _closing(raw, 0, "{") == len(raw) - 1:
            return inner, []
    parts: list[str] = []
    undefined: list[str] = []
    i = 0
    n = len(raw)
    while i < n:
        char = raw[i]
        if char.isspace() or char == "#":
            i += 1
            continue
        if char in '{"':
            end = _closing(raw, i, char)
            if end < 0:
                parts.append(raw[i + 1 :])
                break
            parts.append(raw[i + 1 : end])
            i = end + 1
            continue
        end = raw.find("#", i)
        end = n if end < 0 else end
        token = raw[i:end].strip()
        i = end
        if token.isdigit():
            parts.append(token)
        elif not _MACRO_NAME.fullmatch(token):
            raise ValueError(f"unexpected text {token[:40]!r} (a missing comma or '#'?)")
        elif token.lower() in macros:
            parts.append(macros[token.lower()])
        elif token.lower() in MONTHS:
            parts.append(token.lower())
        else:
            undefined.append(token)
            parts.append(token)
    return "".join(parts), undefined


def _simple_parts(name: str) -> tuple[list[str], list[str], list[str], list[str]] | None:
    """BibTeX's name split for names without braces or macros (most of them), else None.

    "First von Last", "von Last, First" and "von Last, Jr, First", split as bibtexparser splits them (a test
    compares the two on real files). Anything unusual goes to bibtexparser's full splitter.
    """
    sections = [section.split() for section in name.split(",")]
    if len(sections) > 3 or any(not word[0].isalpha() for section in sections for word in section):
        return None
    if len(sections) == 1:
        words = sections[0]
        lower = [i for i, word in enumerate(words) if word[0].islower()]
        if not lower or lower == [len(words) - 1]:
            return words[:-1], [], words[-1:], []
        if lower[0] == 0:
            return None  # "von Last" with no first name: leave the corner cases to bibtexparser
        end = min(lower[-1] + 1, len(words) - 1)  # the last word is always part of Last
        return words[: lower[0]], words[lower[0] : end], words[end:], []
    words = sections[0]
    if not words:
        return None
    lower = [i for i, word in enumerate(words[:-1]) if word[0].islower()]
    von, last = (words[: lower[-1] + 1], words[lower[-1] + 1 :]) if lower else ([], words)
    if len(sections) == 2:
        return sections[1], von, last, []
    return sections[2], von, last, sections[1]


@functools.lru_cache(maxsize=65536)
def _split_name(name: str) -> AuthorName:
    name = _TIE.sub(" ", name).strip()
    simple = None if "{" in name or "\\" in name else _simple_parts(name)
    if simple is None:
        parts = parse_single_name_into_parts(name, strict=False)
        simple = (parts.first, parts.von, parts.last, parts.jr)
    given, von, family, suffix = (latex_to_text(" ".join(words)) for words in simple)
    if not family and given:
        given, family = "", given
    return AuthorName(given, von, family, suffix)


_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


_SPACED_GROUP = re.compile(r"\{[^}]*\s")


def split_persons(raw: str) -> list[str]:
    """Split a name list on ' and ' as bibtexparser does.

    Where no brace group holds a space (accents like {\\"a} do not), no ' and ' can hide in braces and a
    regex split gives the same answer far faster.
    """
    if "{" in raw and _SPACED_GROUP.search(raw):
        return split_multiple_persons_names(raw)
    raw = raw.strip(" \r\n\t")
    return _AND.split(raw) if raw else []


def parse_names(raw: str) -> tuple[list[AuthorName], bool]:
    """Split an author field into name parts; returns (names, ends with 'and others')."""
    names: list[AuthorName] = []
    etal = False
    for name in split_persons(raw):
        if name.strip().lower() == "others":
            etal = True
            continue
        parsed = _split_name(name)
        if parsed.family:
            names.append(parsed)
    return names, etal


# --- parsing --------------------------------------------------------------------------------------------


@dataclass
class _Limits:
    """Column lengths from the model, so that a long value fails its entry instead of the transaction."""

    paper: dict[str, int]
    author: dict[str, int]


def _model_limits() -> _Limits:
    from papers.models import Author, Paper  # models need the app registry; parsing alone does not

    def lengths(model) -> dict[str, int]:
        return {f.name: f.max_length for f in model._meta.concrete_fields if getattr(f, "max_length", None)}

    return _Limits(paper=lengths(Paper), author=lengths(Author))


def _block_reason(block) -> str:
    if isinstance(block, DuplicateFieldKeyBlock):
        keys = ", ".join(sorted(getattr(block, "duplicate_keys", []) or [])) or "?"
        return f"field given twice: {keys}"
    error = getattr(block, "error", None)
    text = getattr(error, "abort_reason", None) or str(error or "") or "could not be parsed"
    text = " ".join(text.split())
    text = text.split(". Note:")[0]
    return f"malformed block: {text}"


def _block_key(block) -> str:
    key = getattr(block, "key", None)
    if isinstance(key, str):
        return key
    match = _RAW_KEY.match(getattr(block, "raw", None) or "")
    return match.group(1) if match else ""


def parse_bibtex(sources: Sequence[tuple[str, str]], *, macros: dict[str, str] | None = None) -> ParseResult:
    """Parse ``(source name, text)`` pairs in order; @string macros carry over from one source to the next."""
    limits = _model_limits()
    macros = dict(macros or {})
    result = ParseResult()
    first_seen: dict[str, tuple[str, int]] = {}
    for source, text in sources:
        try:
            library = bibtexparser.parse_string(text, parse_stack=[])
        except Exception as exc:  # the splitter on input it cannot recover from: one failure, no traceback
            result.failed.append(Failure(0, "", f"could not be split into blocks: {exc}", source))
            continue
        for block in library.blocks:
            string = block.ignore_error_block if isinstance(block, DuplicateBlockKeyBlock) else block
            if isinstance(string, String):
                _add_macro(string, macros, source, result)
        for block in library.blocks:
            try:
                _parse_block(block, source, macros, limits, first_seen, result)
            except (RecursionError, ValueError, TypeError, IndexError, AttributeError) as exc:
                line = (getattr(block, "start_line", None) or 0) + 1
                reason = f"could not be read: {type(exc).__name__} {exc}".strip()
                result.failed.append(Failure(line, _block_key(block), reason, source))
    return result


def _parse_block(
    block,
    source: str,
    macros: dict[str, str],
    limits: _Limits,
    first_seen: dict[str, tuple[str, int]],
    result: ParseResult,
) -> None:
    if isinstance(block, Entry):
        _parse_entry(block, source, macros, limits, first_seen, result)
    elif isinstance(block, DuplicateBlockKeyBlock):
        key = _block_key(block)
        line = (block.start_line or 0) + 1
        if isinstance(block.ignore_error_block, String):
            result.warnings.append(Failure(line, key, "@string defined again; the later value wins", source))
            return
        first = first_seen.get(key)
        where = f" (first at {first[0]}:{first[1]})" if first else ""
        failure = Failure(line, key, f"duplicate citation key{where}", source)
        result.failed.append(failure)
        result.duplicates.append(failure)
    elif hasattr(block, "error"):
        result.failed.append(
            Failure((block.start_line or 0) + 1, _block_key(block), _block_reason(block), source)
        )


def _add_macro(block: String, macros: dict[str, str], source: str, result: ParseResult) -> None:
    try:
        value, undefined = resolve_value(block.value, macros)
    except ValueError as exc:
        result.failed.append(Failure((block.start_line or 0) + 1, block.key, f"@string: {exc}", source))
        return
    for name in undefined:
        result.warnings.append(
            Failure(
                (block.start_line or 0) + 1,
                block.key,
                f"undefined @string macro '{name}' kept as text",
                source,
            )
        )
    macros[block.key.lower()] = value


def _parse_entry(
    block: Entry,
    source: str,
    macros: dict[str, str],
    limits: _Limits,
    first_seen: dict[str, tuple[str, int]],
    result: ParseResult,
) -> None:
    line = (block.start_line or 0) + 1
    key = block.key.strip()
    if key in first_seen:
        first = first_seen[key]
        failure = Failure(line, key, f"duplicate citation key (first at {first[0]}:{first[1]})", source)
        result.failed.append(failure)
        result.duplicates.append(failure)
        return
    first_seen[key] = (source, line)
    errors: list[str] = []
    values: dict[str, str] = {}
    for fld in block.fields:
        name = fld.key.strip().lower()
        if name not in KNOWN_FIELDS and not _FIELD_KEY.fullmatch(name):
            errors.append(f"bad field name {fld.key!r}")
            continue
        if name in values:
            errors.append(f"field '{name}' given twice")
            continue
        raw = fld.value if isinstance(fld.value, str) else str(fld.value)
        try:
            value, undefined = resolve_value(raw, macros)
        except ValueError as exc:
            errors.append(f"{name}: {exc}")
            continue
        for macro in undefined:
            result.warnings.append(
                Failure(line, key, f"{name}: undefined @string macro '{macro}' kept as text", source)
            )
        values[name] = value
    entry_type = block.entry_type.lower()
    columns, extra, authors, more_errors = _fields_to_record(entry_type, values, limits)
    errors.extend(more_errors)
    if errors:
        result.failed.append(Failure(line, key, "; ".join(errors), source))
        return
    result.entries.append(ParsedEntry(source, line, key, columns["entry_type"], columns, extra, authors))


# Fields stored as links: only http(s) is kept (a javascript: or data: URL would become a live link).
WEB_URL_FIELDS = frozenset({"url", "checked"})


def is_web_url(value: str) -> bool:
    """True for an absolute http or https URL with a host."""
    parts = urlsplit(value)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


MAX_DEPTH = 50  # braces nested deeper than this are not a bibliography; refuse them before decoding


def _depth(value: str) -> int:
    depth = deepest = 0
    for char in value:
        if char == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "}":
            depth -= 1
    return deepest


def _fields_to_record(
    entry_type: str, values: dict[str, str], limits: _Limits
) -> tuple[dict[str, Any], dict[str, Any], list[AuthorName] | None, list[str]]:
    errors: list[str] = []
    columns: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    canonical = ENTRY_TYPE_ALIASES.get(entry_type, entry_type)
    if canonical in ENTRY_TYPES:
        columns["entry_type"] = canonical
    else:
        columns["entry_type"] = "misc"
        extra[ENTRYTYPE_KEY] = entry_type
    authors: list[AuthorName] | None = None
    for name, value in values.items():
        if value.count("{") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
            errors.append(f"{name}: braces nested deeper than {MAX_DEPTH}")
            continue
        if name in TEXT_COLUMNS:
            columns[TEXT_COLUMNS[name]] = latex_to_text(value)
        elif name in VERBATIM_COLUMNS:
            if name in WEB_URL_FIELDS and value.strip() and not is_web_url(value.strip()):
                errors.append(f"{name}: only http(s) URLs are kept, not {value.strip()[:60]!r}")
                continue
            columns[VERBATIM_COLUMNS[name]] = value.strip()
        elif name == "author":
            try:
                authors, etal = parse_names(value)
            except Exception as exc:  # bibtexparser's name splitter on pathological input
                errors.append(f"author: cannot split names ({exc})")
                continue
            if etal:
                extra[ETAL_KEY] = True
        elif name == "year":
            year = value.strip()
            if _YEAR.fullmatch(year) and 1600 <= int(year) <= 2100:
                columns["year"] = int(year)
            else:
                extra["year"] = latex_to_text(value)  # "in press", "2016a": kept, not a column
        elif name == "checkedon":
            try:
                columns["checked_on"] = datetime.date.fromisoformat(value.strip())
            except ValueError:
                errors.append(f"checkedon: {value.strip()!r} is not a date (YYYY-MM-DD)")
        elif name in VERBATIM_FIELDS:
            extra[name] = value.strip()
        else:
            extra[name] = latex_to_text(value)
    _take_arxiv(columns, extra)
    if "doi" in columns:
        columns["doi"] = _DOI_PREFIX.sub("", columns["doi"])
    if not columns.get("title"):
        errors.append("no title")
    for column, value in columns.items():
        limit = limits.paper.get(column)
        if limit and isinstance(value, str) and len(value) > limit:
            errors.append(f"{column}: longer than {limit} characters")
    name_limits = [(part, limits.author.get(part, 0)) for part in AuthorName._fields]
    for position, author in enumerate(authors or []):
        for (part, limit), value in zip(name_limits, author, strict=True):
            if limit and len(value) > limit:
                errors.append(f"author {position + 1}: {part} longer than {limit} characters")
    return columns, extra, authors, errors


def _take_arxiv(columns: dict[str, Any], extra: dict[str, Any]) -> None:
    """Move an arXiv eprint into ``arxiv_id``; other eprints (PubMed ...) stay as they are in ``extra``."""
    eprint = extra.get("eprint", "")
    prefix = (extra.get("archiveprefix") or extra.get("eprinttype") or "").lower()
    candidate = eprint[6:] if eprint[:6].lower() == "arxiv:" else eprint
    is_arxiv = prefix == "arxiv" or (
        not prefix and (ARXIV_NEW.fullmatch(candidate) or ARXIV_OLD.fullmatch(candidate))
    )
    if eprint and is_arxiv:
        columns["arxiv_id"] = candidate
        extra.pop("eprint")
        extra.pop("archiveprefix", None)
        extra.pop("eprinttype", None)
    elif not eprint and prefix == "arxiv":
        extra.pop("archiveprefix", None)
        extra.pop("eprinttype", None)
    if "arxiv_id" not in columns:
        for text in (columns.get("journal", ""), extra.get("arxivid", "")):
            match = _ARXIV_IN_TEXT.search(text) if "arxiv" in text.lower() else None
            if match:
                columns["arxiv_id"] = match.group(1)
                break


# --- writing --------------------------------------------------------------------------------------------

FIELD_ORDER = (
    ("author", None), ("editor", "editor"), ("title", "title"), ("booktitle", "booktitle"),
    ("journal", "journal"), ("volume", "volume"), ("number", "number"), ("pages", "pages"),
    ("publisher", "publisher"), ("institution", "institution"), ("year", "year"), ("month", "month"),
    ("doi", "doi"), ("eprint", "arxiv_id"), ("archivePrefix", None), ("primaryClass", "arxiv_class"),
    ("url", "url"), ("note", "note"), ("summary", "abstract"), ("checked", "source_url"),
    ("checkedon", "checked_on"),
)  # fmt: skip
_VERBATIM_OUT = {"doi", "eprint", "primaryClass", "url", "checked", "checkedon"}
_FORMAT = BibtexFormat()
_FORMAT.indent = "  "
_FORMAT.block_separator = "\n"


def _brace_part(part: str) -> str:
    """Keep a name part one unit when BibTeX would split it differently (a particle, a comma, 'and')."""
    if not part:
        return part
    if "," in part or " and " in part.lower() or any(w[:1].islower() for w in part.split(" ")[0:1]):
        return "{" + part + "}"
    if " " in part and any(w[:1].islower() for w in part.split(" ")):
        return "{" + part + "}"
    return part


@functools.lru_cache(maxsize=65536)
def format_name(name: AuthorName) -> str:
    """'van den Oord, Aäron' -> 'van den Oord, A{\\"a}ron' (von Last, Jr, First)."""
    given, von, family, suffix = (text_to_latex(part) for part in name)
    family = _brace_part(family)
    last = f"{von} {family}" if von else family
    if "," in given:
        given = "{" + given + "}"
    if suffix:
        return f"{last}, {suffix}, {given}" if given else f"{last}, {suffix},"
    return f"{last}, {given}" if given else last


def _safe_verbatim(value: str) -> str:
    """A verbatim value that keeps the output parseable: unbalanced braces become \\textbrace...{}."""
    if "{" not in value and "}" not in value:
        return value
    depth = 0
    for char in value:
        depth += (char == "{") - (char == "}")
        if depth < 0:
            break
    if depth == 0:
        return value
    return value.replace("{", "\\textbraceleft{}").replace("}", "\\textbraceright{}")


def record_to_entry(record: dict[str, Any]) -> Entry:
    """An export record (Paper column values + ``authors`` + ``extra_fields``) as a bibtexparser Entry."""
    extra: dict[str, Any] = record.get("extra_fields") or {}
    fields: list[Field] = []
    for bib_name, column in FIELD_ORDER:
        if bib_name == "author":
            authors = record.get("authors") or []
            if authors:
                value = " and ".join(format_name(a) for a in authors)
                if extra.get(ETAL_KEY):
                    value += " and others"
                fields.append(Field("author", "{" + value + "}"))
            continue
        if bib_name == "archivePrefix":
            if record.get("arxiv_id"):
                fields.append(Field("archivePrefix", "{arXiv}"))
            continue
        value = record.get(column)
        if value in (None, ""):
            if bib_name == "year" and "year" in extra:
                fields.append(Field("year", "{" + text_to_latex(str(extra["year"])) + "}"))
            continue
        if bib_name == "year":
            text = str(value)
        elif bib_name == "month" and value in MONTHS:
            fields.append(Field("month", value))
            continue
        elif bib_name in _VERBATIM_OUT:
            text = _safe_verbatim(str(value))
        elif bib_name == "title":
            text = text_to_latex(protect_capitals(value))
        else:
            text = text_to_latex(str(value))
        fields.append(Field(bib_name, "{" + text + "}"))
    for name in sorted(extra):
        if name.startswith("_") or name == "year" or not _FIELD_KEY.fullmatch(name):
            continue
        value = str(extra[name])
        text = _safe_verbatim(value) if name in VERBATIM_FIELDS else text_to_latex(value)
        fields.append(Field(name, "{" + text + "}"))
    entry_type = extra.get(ENTRYTYPE_KEY) or record.get("entry_type") or "misc"
    return Entry(entry_type, record["citation_key"], fields)


def format_bibtex(records: Iterable[dict[str, Any]]) -> str:
    """Write export records as .bib text (bibtexparser's writer; values are already encoded and enclosed)."""
    library = Library([record_to_entry(record) for record in records])
    return bibtexparser.write_string(library, unparse_stack=[], bibtex_format=_FORMAT)
