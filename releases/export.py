"""Writes a release: the whole catalog as files anyone can build on, the same bytes for the same content.

A release is a folder named by its date (``2026-11-29``) holding

- ``data/<type>.jsonl``: one JSON object per line and per record, keys sorted, rows sorted by identifier;
- ``atlas.bib`` and ``atlas.csl.json``: the bibliography through the papers app's own exporters;
- ``schemas/<type>.schema.json``: a JSON Schema per record type;
- ``datapackage.json``: a Frictionless Data Package (a Table Schema, sha256, size and licence per file);
- ``CITATION.cff``, ``README.md``, ``CHANGELOG.md`` (every release so far, newest first), ``changes.json``
  (added, changed and removed identifiers against the previous release) and ``SHA256SUMS``.

Nothing inside depends on the clock or on database ids: the only date is the release date given.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from papers.citations import bibtex_export, papers_csl_json, with_citation_data
from papers.models import Paper
from releases.diff import ReleaseDiff, records_diff, release_records
from releases.records import release_rows
from releases.schemas import CC0, CC_BY, RESOURCES, SCHEMA_VERSION, json_schema, table_schema

RELEASE_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PACKAGE_NAME = "generative-atlas"
TITLE = "Generative Atlas: the catalog of generative model families as open data"
SUMS_FILE = "SHA256SUMS"
CSL_MEDIATYPE = "application/vnd.citationstyles.csl+json"


class ReleaseError(Exception):
    """A release cannot be written or read; the message says which file or argument and why."""


@dataclass
class ExportReport:
    directory: Path
    previous: str | None
    diff: ReleaseDiff
    counts: dict[str, int]


def dumps_line(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def dumps_document(document) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))  # bytes, so that no platform turns "\n" into "\r\n"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def releases_dir() -> Path:
    return Path(settings.RELEASES_DIR)


def release_names(directory: Path | None = None) -> list[str]:
    """The releases in a folder, oldest first: subfolders named by date that hold a datapackage.json."""
    directory = directory or releases_dir()
    if not directory.is_dir():
        return []
    return sorted(
        p.name
        for p in directory.iterdir()
        if RELEASE_NAME.match(p.name) and (p / "datapackage.json").is_file()
    )


def previous_release(name: str, directory: Path | None = None) -> Path | None:
    """The newest release in the folder dated before ``name``."""
    directory = directory or releases_dir()
    earlier = [other for other in release_names(directory) if other < name]
    return directory / earlier[-1] if earlier else None


def _bibliography() -> tuple[str, str]:
    """The catalog as .bib and CSL-JSON (CC0), by citation key, without the atlas's summaries (CC BY 4.0,
    in summaries.jsonl)."""
    papers = list(with_citation_data(Paper.objects.order_by("citation_key")))
    for paper in papers:
        paper.abstract = ""  # in memory only: nothing is saved
    return bibtex_export(papers=papers), papers_csl_json(papers=papers) + "\n"


def _citation_cff(name: str) -> str:
    return "\n".join(
        [
            "cff-version: 1.2.0",
            'message: "If you use this data, please cite it as below."',
            "type: dataset",
            f'title: "{TITLE}"',
            "authors:",
            '  - name: "The Generative Atlas contributors"',
            f'version: "{name}"',
            f"date-released: {name}",
            "license: CC-BY-4.0",
            "keywords:",
            "  - generative models",
            "  - bibliography",
            "  - benchmarks",
            "  - open data",
            "",
        ]
    )


def _readme(name: str) -> str:
    lines = [
        f"# Generative Atlas open data, release {name}",
        "",
        f"Schema version {SCHEMA_VERSION} (semantic versioning: within a major version, releases only add",
        "fields or record types). Identifiers (slugs, citation keys, and the composite ids of lineage,",
        "errata and results) stay the same from release to release; `changes.json` lists what was added,",
        "changed and removed since the previous release, and `CHANGELOG.md` every release so far.",
        "",
        "| file | records | licence |",
        "|---|---|---|",
    ]
    for resource in RESOURCES:
        lines.append(f"| `{resource.path}` | {resource.title.lower()} | {resource.licence['name']} |")
    lines += [
        f"| `atlas.bib`, `atlas.csl.json` | the bibliography, without the summaries | {CC0['name']} |",
        "",
        f"Licences: the project's written and curated content is {CC_BY['title']} ({CC_BY['name']});",
        f"bibliographic metadata (papers, authors, venues, lineage, the .bib and CSL-JSON) is {CC0['name']}.",
        "The papers' summaries are the atlas's own words; the authors' abstracts are not copied.",
        "",
        "Every file is described, with its sha256 and size, in `datapackage.json` (a Frictionless Data",
        "Package: `frictionless validate datapackage.json`), and listed in `SHA256SUMS`",
        "(`sha256sum -c SHA256SUMS`). Each line of `data/<type>.jsonl` validates against",
        "`schemas/<type>.schema.json`. `python manage.py import_release <folder>` loads a release into an",
        "empty database.",
        "",
    ]
    return "\n".join(lines)


def _changelog_section(name: str, diff: ReleaseDiff) -> str:
    lines = [f"## {name} (schema {SCHEMA_VERSION})", ""]
    if diff.previous is None:
        lines.append("First release.")
    elif diff.is_empty:
        lines.append(f"No changes since {diff.previous}.")
    else:
        lines.append(f"Since {diff.previous}:")
        lines.append("")
        for resource, changes in diff.resources.items():
            for verb, ids in (("added", changes.added), ("removed", changes.removed)):
                if ids:
                    lines.append(f"- {resource} {verb} ({len(ids)}): {', '.join(f'`{i}`' for i in ids)}")
            if changes.changed:
                described = ", ".join(
                    f"`{i}` ({', '.join(fields)})" for i, fields in sorted(changes.changed.items())
                )
                lines.append(f"- {resource} changed ({len(changes.changed)}): {described}")
    return "\n".join(lines) + "\n"


def _changelog(name: str, diff: ReleaseDiff, previous: Path | None) -> str:
    older = ""
    if previous is not None and (previous / "CHANGELOG.md").is_file():
        text = (previous / "CHANGELOG.md").read_bytes().decode("utf-8")
        older = text[text.find("\n## ") + 1 :] if "\n## " in text else ""
    body = "# Change log\n\n" + _changelog_section(name, diff)
    return body + ("\n" + older if older else "")


def _datapackage(name: str, folder: Path) -> dict:
    def described(path: str) -> dict:
        file = folder / path
        return {"path": path, "bytes": file.stat().st_size, "hash": f"sha256:{sha256_of(file)}"}

    resources = []
    for resource in RESOURCES:
        resources.append(
            {
                "name": resource.name,
                "title": resource.title,
                "description": resource.description or resource.title,
                **described(resource.path),
                "profile": "tabular-data-resource",
                "format": "jsonl",
                "mediatype": "application/jsonl",
                "encoding": "utf-8",
                "schema": table_schema(resource),
                "jsonschema": resource.schema_path,
                "licenses": [resource.licence],
            }
        )
    others = [
        ("bibtex", "atlas.bib", "application/x-bibtex", "The bibliography as BibTeX", CC0),
        ("csl-json", "atlas.csl.json", CSL_MEDIATYPE, "The bibliography as CSL-JSON", CC0),
        ("changes", "changes.json", "application/json", "Added, changed and removed, by identifier", CC0),
        ("changelog", "CHANGELOG.md", "text/markdown", "Every release so far, newest first", CC0),
        ("citation", "CITATION.cff", "application/yaml", "How to cite this release", CC0),
        ("readme", "README.md", "text/markdown", "What the files hold, and their licences", CC0),
    ]
    others += [
        (f"{r.name}-json-schema", r.schema_path, "application/schema+json", f"JSON Schema of {r.name}", CC0)
        for r in RESOURCES
    ]
    for resource_name, path, mediatype, title, licence in others:
        resources.append(
            {
                "name": resource_name,
                "title": title,
                "type": "file",  # checked by size and sha256 (frictionless reads a bare .json as a table)
                **described(path),
                "format": path.rsplit(".", 1)[1],
                "mediatype": mediatype,
                "encoding": "utf-8",
                "licenses": [licence],
            }
        )
    return {
        "profile": "data-package",
        "name": PACKAGE_NAME,
        "title": TITLE,
        "version": name,
        "schema_version": SCHEMA_VERSION,
        "created": f"{name}T00:00:00Z",
        "licenses": [CC_BY, CC0],
        "resources": resources,
    }


def _sums(folder: Path) -> str:
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    return "".join(f"{sha256_of(folder / f)}  {f}\n" for f in files if f != SUMS_FILE)


def release_export(
    *,
    name: str,
    directory: Path | None = None,
    previous: Path | None = None,
    use_previous: bool = True,
    force: bool = False,
) -> ExportReport:
    """Write release ``name`` (its date, YYYY-MM-DD) as ``directory`` (default RELEASES_DIR/name).

    The diff is against ``previous``, or else the newest earlier release in the same parent folder (none
    with ``use_previous=False``). The folder is written aside and moved into place whole, so a failure
    leaves nothing half-written; an existing folder is replaced only with ``force``.
    """
    if not RELEASE_NAME.match(name):
        raise ReleaseError(f"release date {name!r} is not YYYY-MM-DD")
    try:
        datetime.date.fromisoformat(name)
    except ValueError as error:
        raise ReleaseError(f"release date {name!r}: {error}") from None
    directory = Path(directory) if directory else releases_dir() / name
    if directory.exists() and not force:
        raise ReleaseError(f"{directory} exists; pass --force to replace it")
    if previous is None and use_previous:
        previous = previous_release(name, directory.parent)
    if previous is not None and not (Path(previous) / "datapackage.json").is_file():
        raise ReleaseError(f"previous release {previous} has no datapackage.json")

    rows = release_rows()
    bibtex, csl = _bibliography()
    directory.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=directory.parent))
    try:
        (work / "data").mkdir()
        (work / "schemas").mkdir()
        for resource in RESOURCES:
            text = "".join(dumps_line(row) for row in rows[resource.name])
            _write(work / resource.path, text)
            _write(work / resource.schema_path, dumps_document(json_schema(resource)))
        _write(work / "atlas.bib", bibtex)
        _write(work / "atlas.csl.json", csl)
        before = release_records(Path(previous)) if previous else {}
        after = {r.name: {row[r.key]: row for row in rows[r.name]} for r in RESOURCES}
        diff = records_diff(before, after, previous=_name_of(previous))
        _write(work / "changes.json", dumps_document(diff.as_dict(release=name)))
        _write(work / "CHANGELOG.md", _changelog(name, diff, previous and Path(previous)))
        _write(work / "CITATION.cff", _citation_cff(name))
        _write(work / "README.md", _readme(name))
        _write(work / "datapackage.json", dumps_document(_datapackage(name, work)))
        _write(work / SUMS_FILE, _sums(work))
        work.chmod(0o755)
        if directory.exists():
            shutil.rmtree(directory)
        work.rename(directory)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ExportReport(
        directory=directory,
        previous=_name_of(previous),
        diff=diff,
        counts={kind: len(r) for kind, r in rows.items()},
    )


def _name_of(previous: Path | None) -> str | None:
    return Path(previous).name if previous else None
