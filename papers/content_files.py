"""Loading papers/content/errata.yaml (where the overview document is wrong) and lineage.yaml (which paper
builds on which), each idempotent and all or nothing, with errors that name the line."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from config.yaml_items import ContentFileError, yaml_items
from papers.models import Erratum, Paper, PaperLink


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
    try:
        read = yaml_items(path)
    except ContentFileError as exc:
        raise PapersContentError(path, exc.line, "", exc.reason) from None
    items = []
    for item in read:
        line, label, value = item.line, f"item {item.index + 1}", item.value
        if not isinstance(value, dict):
            raise PapersContentError(path, line, label, "expected a mapping")
        for name in required:
            if not isinstance(value.get(name), str) or not value[name].strip():
                raise PapersContentError(path, line, label, f"'{name}' is missing or empty")
        unknown = set(value) - set(required) - {"note"}
        if unknown:
            raise PapersContentError(path, line, label, f"unknown field(s): {', '.join(sorted(unknown))}")
        items.append((line, value))
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
