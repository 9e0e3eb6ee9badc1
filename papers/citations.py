"""Paper records as BibTeX, RIS and CSL-JSON: the formats Zotero, Mendeley, EndNote and pandoc import.

The RIS and CSL formatters read ``paper.authorships.all()``; prefetch ``authorships__author`` (see
:func:`with_citation_data`) so that a list costs a fixed number of queries. :func:`bibtex_export` reads its
rows itself, in two queries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from papers.authors import bibtex_form
from papers.bibtex import AuthorName, format_bibtex, parse_names
from papers.latex import needs_protection, proper_phrases
from papers.models import Authorship, Paper

RIS_TYPES = {
    "article": "JOUR",
    "inproceedings": "CPAPER",
    "proceedings": "CONF",
    "incollection": "CHAP",
    "inbook": "CHAP",
    "book": "BOOK",
    "booklet": "PAMP",
    "techreport": "RPRT",
    "phdthesis": "THES",
    "mastersthesis": "THES",
    "unpublished": "UNPB",
    "manual": "STAND",
    "online": "ELEC",
    "misc": "GEN",
}

CSL_TYPES = {
    "article": "article-journal",
    "inproceedings": "paper-conference",
    "proceedings": "book",
    "incollection": "chapter",
    "inbook": "chapter",
    "book": "book",
    "booklet": "pamphlet",
    "techreport": "report",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "unpublished": "manuscript",
    "manual": "report",
    "online": "webpage",
    "misc": "article",  # preprints: CSL's "article" is an unpublished/preprint article
}

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}


def with_citation_data(queryset: QuerySet) -> QuerySet:
    """The related rows the formatters read, fetched in two extra queries for the whole list."""
    return queryset.select_related("venue").prefetch_related(
        Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position"))
    )


def _author_names(paper: Paper) -> list[AuthorName]:
    authors = (authorship.author for authorship in paper.authorships.all())
    return [AuthorName(a.given, a.von, a.family, a.suffix) for a in authors]


def _extra(paper: Paper, name: str) -> str:
    """A BibTeX field kept among ``extra_fields`` (series, address, edition ...), as text."""
    value = (paper.extra_fields or {}).get(name, "")
    return str(value).strip() if value not in (None, "") else ""


def _editors(paper: Paper) -> list[AuthorName]:
    """The editors, stored as BibTeX writes them ('Larochelle, H. and Ranzato, M.')."""
    if not paper.editor.strip():
        return []
    try:
        names, _ = parse_names(paper.editor)
    except Exception:  # a hand-typed value BibTeX's splitter cannot read: better no editors than a crash
        return []
    return names


def _ris_name(name: AuthorName) -> str:
    given, von, family, suffix = name
    last = f"{von} {family}".strip()
    return ", ".join(part for part in (last, given, suffix) if part)


def _csl_name(name: AuthorName) -> dict:
    given, von, family, suffix = name
    person = {"family": family, "given": given, "non-dropping-particle": von, "suffix": suffix}
    return {key: value for key, value in person.items() if value}


def _month_number(paper: Paper) -> int | None:
    month = (paper.month or "").strip().lower().rstrip(".")
    if month.isdigit() and 1 <= int(month) <= 12:
        return int(month)
    return MONTHS.get(month)


def _container(paper: Paper) -> str:
    if paper.journal:
        return paper.journal
    if paper.booktitle:
        return paper.booktitle
    if paper.entry_type in ("techreport", "misc", "unpublished", "online") and not paper.venue_id:
        return ""
    if paper.venue and paper.venue.kind in ("preprint", "report"):
        return ""  # arXiv is the archive (number "arXiv:..."), a report's institution its publisher
    return paper.venue.name if paper.venue else ""


def _publisher(paper: Paper) -> str:
    """Who issued it: the publisher, a report's institution, a thesis's school, an organization; arXiv for a
    preprint (as Zotero records preprints)."""
    return (
        paper.publisher
        or paper.institution
        or _extra(paper, "school")
        or _extra(paper, "organization")
        or _extra(paper, "howpublished")
        or ("arXiv" if paper.arxiv_id and paper.entry_type in ("misc", "unpublished") else "")
    )


def _pages(paper: Paper) -> tuple[str, str]:
    parts = [part for part in re.split(r"\s*-+\s*|\s*–\s*", paper.pages or "") if part]
    if not parts:
        return "", ""
    return parts[0], parts[-1] if len(parts) > 1 else ""


def _ris_clean(value: str) -> str:
    """RIS is line-based: a newline inside a value would start a bogus tag."""
    return " ".join(str(value).split())


def paper_ris(paper: Paper) -> str:
    """One RIS record, ending with ``ER  -``.

    The site's summary is not the paper's abstract and editorial provenance is not a note: neither is written
    (an ``abstract`` field imported from someone's .bib is the authors' and is carried).
    """
    lines = [("TY", RIS_TYPES.get(paper.entry_type, "GEN")), ("ID", paper.citation_key)]
    lines += [("AU", bibtex_form(name)) for name in _author_names(paper)]
    lines += [("ED", _ris_name(editor)) for editor in _editors(paper)]
    lines.append(("TI", paper.title))
    container = _container(paper)
    if container:
        lines.append(("JO" if paper.entry_type == "article" else "T2", container))
    lines.append(("T3", _extra(paper, "series")))
    if paper.year:
        month = _month_number(paper)
        lines.append(("PY", str(paper.year)))
        lines.append(("DA", f"{paper.year}/{month:02d}//" if month else f"{paper.year}///"))
    start, end = _pages(paper)
    lines += [
        ("VL", paper.volume),
        ("IS", paper.number),
        ("SP", start),
        ("EP", end),
        ("ET", _extra(paper, "edition")),
        ("PB", _publisher(paper)),
        ("CY", _extra(paper, "address")),
        ("SN", _extra(paper, "isbn") or _extra(paper, "issn")),
        ("DO", paper.doi),
        ("UR", paper.url or paper.doi_url or paper.arxiv_url),
        ("AB", _extra(paper, "abstract")),
        ("N1", paper.note),
        ("N1", f"arXiv:{paper.arxiv_id}" if paper.arxiv_id else ""),
    ]
    lines += [("KW", word.strip()) for word in re.split(r"[,;]", _extra(paper, "keywords")) if word.strip()]
    body = "".join(f"{tag}  - {_ris_clean(value)}\r\n" for tag, value in lines if value)
    return body + "ER  - \r\n"


def papers_ris(*, papers: Iterable[Paper]) -> str:
    """Many RIS records, separated by a blank line (RIS uses CRLF line ends)."""
    return "\r\n".join(paper_ris(paper) for paper in papers)


def csl_title(title: str) -> str:
    """A title in CSL's rich text: what a style's case change must leave alone goes in a nocase span.

    Proper nouns ("Boltzmann Machines"), acronyms and camel case ("GANs", "WaveNet") and words that start with
    a Greek letter ("β-VAE", which a title-casing style would otherwise print "Β-VAE").
    """
    text = title
    spans = proper_phrases(text)
    covered = [False] * len(text)
    for start, end in spans:
        covered[start:end] = [True] * (end - start)
    for match in re.finditer(r"[^\s:;,.!?()]+", text):
        word = match.group()
        start = match.start()
        if any(covered[start : match.end()]):
            continue
        first = word[0]
        greek = "\u0370" <= first <= "\u03ff"
        if greek or (len(word) > 1 and needs_protection(word)):
            spans.append(match.span())
    out, last = [], 0
    for start, end in sorted(spans):
        out += [text[last:start], f'<span class="nocase">{text[start:end]}</span>']
        last = end
    return "".join([*out, text[last:]])


def paper_csl(paper: Paper) -> dict:
    """One CSL-JSON item (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html).

    Every field CSL can hold that the record has; never the site's summary as ``abstract`` nor editorial
    provenance as ``note``.
    """
    item: dict = {
        "id": paper.citation_key,
        "citation-key": paper.citation_key,
        "type": CSL_TYPES.get(paper.entry_type, "article"),
        "title": csl_title(paper.title),
    }
    authors = [_csl_name(name) for name in _author_names(paper)]
    if authors:
        item["author"] = authors
    editors = [_csl_name(editor) for editor in _editors(paper)]
    if editors:
        item["editor"] = editors
    if paper.year:
        month = _month_number(paper)
        item["issued"] = {"date-parts": [[paper.year, month] if month else [paper.year]]}
    start, end = _pages(paper)
    report = paper.entry_type in ("techreport", "manual")
    number = paper.number if report else ""
    if paper.arxiv_id and not number:
        number = f"arXiv:{paper.arxiv_id}"
    optional = {
        "container-title": _container(paper),
        "collection-title": _extra(paper, "series"),
        "volume": paper.volume,
        "issue": "" if report else paper.number,
        "number": number,
        "page": f"{start}-{end}" if end else start,
        "edition": _extra(paper, "edition"),
        "chapter-number": _extra(paper, "chapter"),
        "publisher": _publisher(paper),
        "publisher-place": _extra(paper, "address"),
        "genre": _extra(paper, "type"),
        "DOI": paper.doi,
        "ISBN": _extra(paper, "isbn"),
        "ISSN": _extra(paper, "issn"),
        "URL": paper.url or paper.doi_url or paper.arxiv_url,
        "abstract": _extra(paper, "abstract"),
        "note": paper.note,
        "keyword": _extra(paper, "keywords"),
        "language": _extra(paper, "language"),
    }
    item.update({key: value for key, value in optional.items() if value})
    return item


def papers_csl_json(*, papers: Iterable[Paper]) -> str:
    """A CSL-JSON array, as Zotero and pandoc read it."""
    return json.dumps([paper_csl(paper) for paper in papers], ensure_ascii=False, indent=2)


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
