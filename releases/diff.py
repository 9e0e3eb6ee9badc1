"""What changed between two releases, record by record, by stable identifier.

Reads only the release folders (their datapackage.json and data files), so it compares any two releases,
also ones made by an older schema: a record type one of them lacks counts as all added or all removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ResourceChanges:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # identifier: the fields that differ

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def as_dict(self) -> dict:
        return {"added": self.added, "changed": self.changed, "removed": self.removed}


@dataclass
class ReleaseDiff:
    previous: str | None
    resources: dict[str, ResourceChanges]

    @property
    def is_empty(self) -> bool:
        return all(changes.is_empty for changes in self.resources.values())

    def as_dict(self, *, release: str) -> dict:
        return {
            "previous": self.previous,
            "release": release,
            "resources": {name: changes.as_dict() for name, changes in self.resources.items()},
        }


def release_records(folder: Path) -> dict[str, dict[str, dict]]:
    """{record type: {identifier: row}} for every tabular resource of a release."""
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    out = {}
    for resource in package["resources"]:
        schema = resource.get("schema")
        if not schema:
            continue
        (key,) = schema["primaryKey"]
        rows = {}
        with (folder / resource["path"]).open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{resource['path']}:{number}: not JSON ({error.msg})") from None
                rows[row[key]] = row
        out[resource["name"]] = rows
    return out


def records_diff(
    before: dict[str, dict[str, dict]], after: dict[str, dict[str, dict]], *, previous: str | None
) -> ReleaseDiff:
    """Added, changed (with the fields that differ) and removed identifiers, per record type, sorted."""
    resources = {}
    for name in [*after, *(n for n in before if n not in after)]:
        old_rows, new_rows = before.get(name, {}), after.get(name, {})
        changes = ResourceChanges(
            added=sorted(set(new_rows) - set(old_rows)), removed=sorted(set(old_rows) - set(new_rows))
        )
        for key in sorted(set(old_rows) & set(new_rows)):
            a, b = old_rows[key], new_rows[key]
            fields = sorted(f for f in set(a) | set(b) if a.get(f) != b.get(f))
            if fields:
                changes.changed[key] = fields
        resources[name] = changes
    return ReleaseDiff(previous=previous, resources=resources)


def release_diff(old: Path, new: Path) -> ReleaseDiff:
    """What changed from release folder ``old`` to release folder ``new``."""
    return records_diff(release_records(old), release_records(new), previous=old.name)
