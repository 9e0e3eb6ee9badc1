"""Reads of the releases folder (``settings.RELEASES_DIR``) for the /data/ page: what each release holds,
read from its own files (datapackage.json, SHA256SUMS, changes.json, CHANGELOG.md), never from the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from releases.export import SUMS_FILE, release_names, releases_dir


@dataclass
class ReleaseFile:
    path: str
    size: int
    sha256: str
    title: str = ""
    licence: str = ""


@dataclass
class ReleaseChanges:
    resource: str
    added: int
    changed: int
    removed: int


@dataclass
class Release:
    name: str  # its date, YYYY-MM-DD
    schema_version: str
    previous: str | None
    files: list[ReleaseFile] = field(default_factory=list)
    changes: list[ReleaseChanges] = field(default_factory=list)
    changelog: str = ""  # this release's section of CHANGELOG.md

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def _changelog_section(text: str) -> str:
    """The newest section of a CHANGELOG.md: from its first '## ' heading to the next."""
    start = text.find("\n## ")
    if start < 0:
        return ""
    end = text.find("\n## ", start + 1)
    return text[start + 1 : end if end > 0 else None].strip()


def release_read(folder: Path) -> Release:
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    described = {r["path"]: r for r in package.get("resources", [])}
    changes = {}
    if (folder / "changes.json").is_file():
        changes = json.loads((folder / "changes.json").read_text(encoding="utf-8"))
    release = Release(
        name=folder.name,
        schema_version=str(package.get("schema_version", "")),
        previous=changes.get("previous"),
    )
    sums = (folder / SUMS_FILE).read_text(encoding="utf-8") if (folder / SUMS_FILE).is_file() else ""
    listed = [line.split("  ", 1) for line in sums.splitlines() if "  " in line]
    for digest, path in [*listed, ["", SUMS_FILE]]:
        file = folder / path
        if not file.is_file():
            continue
        resource = described.get(path, {})
        licences = ", ".join(licence.get("name", "") for licence in resource.get("licenses", []))
        release.files.append(
            ReleaseFile(
                path=path,
                size=file.stat().st_size,
                sha256=digest,
                title=resource.get("title", ""),
                licence=licences,
            )
        )
    for resource, counts in changes.get("resources", {}).items():
        release.changes.append(
            ReleaseChanges(resource, len(counts["added"]), len(counts["changed"]), len(counts["removed"]))
        )
    if (folder / "CHANGELOG.md").is_file():
        release.changelog = _changelog_section((folder / "CHANGELOG.md").read_text(encoding="utf-8"))
    return release


def release_list(directory: Path | None = None) -> list[Release]:
    """Every release in the folder, newest first."""
    directory = directory or releases_dir()
    return [release_read(directory / name) for name in reversed(release_names(directory))]


def release_file_path(name: str, path: str, directory: Path | None = None) -> Path | None:
    """A file of a release that its SHA256SUMS lists (or SHA256SUMS itself); None for anything else, so
    that no request can read outside the release."""
    directory = directory or releases_dir()
    if name not in release_names(directory):
        return None
    folder = directory / name
    sums = folder / SUMS_FILE
    listed = {SUMS_FILE}
    if sums.is_file():
        listed |= {
            line.split("  ", 1)[1] for line in sums.read_text(encoding="utf-8").splitlines() if "  " in line
        }
    return folder / path if path in listed and (folder / path).is_file() else None
