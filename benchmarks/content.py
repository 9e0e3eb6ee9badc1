"""Reading and checking the benchmarks' content before anything is written.

Two sources: the human-edited YAML in ``benchmarks/content/`` (datasets, metrics, and one file per board with
its published results) and the zoo's results files (``generation/zoo/results/*.json``), from which the
measured boards take their rows. Every problem raises :class:`~catalog.content_files.CatalogContentError`
naming the file and the item, so ``load_catalog`` reports it like any other content error.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from catalog.content_files import CatalogContentError
from config.yaml_items import ContentFileError, line_of, yaml_document, yaml_items

CONDITIONING = ("unconditional", "class-conditional", "text-conditional")
BOUNDS = ("", "upper", "lower")
# Rows of the zoo's results files that are not models: the family field says which.
ZOO_ROLES = {"baseline": "baseline", "data": "reference"}
# The zoo's data-set names (a results file's ``dataset``) of the catalog's datasets a measured board may use.
# A file without ``dataset`` predates Fashion-MNIST and may appear on any measured board that has its field.
ZOO_DATASETS = {"digits-8x8": "digits", "fashion-mnist-zoo": "fashion", "names": "names"}


@dataclass(frozen=True)
class DatasetSpec:
    slug: str
    values: dict[str, Any]
    domain: str | None
    paper: str | None


@dataclass(frozen=True)
class MetricSpec:
    slug: str
    values: dict[str, Any]
    paper: str | None


@dataclass(frozen=True)
class ResultSpec:
    """One row; ``identity`` is (paper key, variant) when published, the zoo model when measured."""

    kind: str
    role: str
    family: str | None
    model: str | None
    paper: str | None
    values: dict[str, Any]
    item: str  # where it was written, for error messages

    @property
    def identity(self) -> tuple[str, str]:
        if self.kind == "measured":
            return ("", self.values["zoo_model"])
        return (self.paper or "", self.values["variant"])


@dataclass(frozen=True)
class BoardSpec:
    slug: str
    values: dict[str, Any]
    dataset: str
    metric: str
    results: tuple[ResultSpec, ...]
    path: Path


@dataclass(frozen=True)
class BenchmarksContent:
    directory: Path
    datasets: tuple[DatasetSpec, ...]
    metrics: tuple[MetricSpec, ...]
    boards: tuple[BoardSpec, ...]

    def paper_keys(self) -> list[tuple[Path, str, str]]:
        """(file, item, citation key) for every paper the content names."""
        refs = [(self.directory / "datasets.yaml", f"dataset '{d.slug}'", d.paper) for d in self.datasets]
        refs += [(self.directory / "metrics.yaml", f"metric '{m.slug}'", m.paper) for m in self.metrics]
        refs += [(b.path, r.item, r.paper) for b in self.boards for r in b.results]
        return [(path, item, key) for path, item, key in refs if key]


class _Fields:
    """Typed access to one YAML mapping, with errors that name the file and the item."""

    def __init__(self, path: Path, item: str, data: Any, allowed: set[str]) -> None:
        if not isinstance(data, dict):
            raise CatalogContentError(path, item, "expected a mapping of fields")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise CatalogContentError(path, item, f"unknown field(s) {', '.join(map(repr, unknown))}")
        self.path, self.item, self.data = path, item, data

    def fail(self, message: str):
        raise CatalogContentError(self.path, self.item, message)

    def text(self, name: str, *, required: bool = False, max_length: int = 0) -> str:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                self.fail(f"'{name}' is required")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(f"'{name}' must be text")
        value = " ".join(str(value).split()) if name not in ("definition", "description") else str(value)
        if "\x00" in value:
            self.fail(f"'{name}' contains a NUL byte")
        if max_length and len(value) > max_length:
            self.fail(f"'{name}' is longer than {max_length} characters")
        return value.strip()

    def integer(self, name: str, *, minimum: int = 0) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.fail(f"'{name}' must be a whole number of at least {minimum}, not {value!r}")
        return value

    def number(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.fail(f"'{name}' is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            self.fail(f"'{name}' must be a number, not {value!r}")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(f"'{name}' must be a number, not {value!r}")
        if not number.is_finite() or abs(number) >= Decimal(10) ** 10:
            self.fail(f"'{name}' is out of range: {value!r}")
        return number

    def flag(self, name: str) -> bool:
        value = self.data.get(name, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.fail(f"'{name}' must be true or false, not {value!r}")
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str = "") -> str:
        value = self.data.get(name) or default
        if value not in choices:
            self.fail(f"'{name}' must be one of {', '.join(repr(c) for c in choices)}, not {value!r}")
        return value

    def url(self, name: str, *, required: bool = False) -> str:
        value = self.text(name, required=required, max_length=500)
        if value and not value.startswith(("https://", "http://")):
            self.fail(f"'{name}' must be an http(s) URL, not {value!r}")
        return value

    def date(self, name: str, *, required: bool = False) -> datetime.date | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.fail(f"'{name}' is required")
            return None
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"'{name}' must be a date (YYYY-MM-DD), not {value!r}")

    def slug(self, name: str = "slug", *, required: bool = True) -> str:
        value = self.text(name, required=required, max_length=80)
        if value and (value != value.lower() or not all(c.isalnum() or c == "-" for c in value)):
            self.fail(f"'{name}' must be lowercase letters, digits and hyphens, not {value!r}")
        return value


def _document(path: Path, *, exact_decimals: bool = False) -> Any:
    try:
        return yaml_document(path, exact_decimals=exact_decimals)
    except ContentFileError as exc:
        raise CatalogContentError(path, f"line {exc.line}" if exc.line else "", exc.reason) from None


DATASET_FIELDS = {
    "slug", "name", "domain", "shape", "resolution", "train_size", "validation_size", "test_size",
    "classes", "licence", "url", "paper", "description",
}  # fmt: skip
METRIC_FIELDS = {
    "slug", "name", "abbreviation", "unit", "higher_is_better", "bound", "definition", "paper", "decimals",
}  # fmt: skip
BENCHMARK_FIELDS = {
    "slug", "name", "dataset", "metric", "conditioning", "resolution", "split", "samples", "protocol",
    "measured",
}  # fmt: skip
RESULT_FIELDS = {
    "family", "model", "paper", "variant", "value", "bound", "error", "extra_data", "source", "note",
}  # fmt: skip
SOURCE_FIELDS = {"table", "row", "page", "version", "url", "checked_on"}


def _slugged_items(path: Path, key: str, allowed: set[str]):
    """(fields, slug) for each item of the file's top-level list ``key``; a repeated slug is an error."""
    seen = set()
    try:
        items = yaml_items(path, top=f"{key}s")
    except ContentFileError as exc:
        raise CatalogContentError(path, f"line {exc.line}" if exc.line else "", exc.reason) from None
    for item in items:
        raw = item.value
        label = raw.get("slug", item.index + 1) if isinstance(raw, dict) else item.index + 1
        f = _Fields(path, f"{key} {label} (line {item.line})", raw, allowed)
        slug = f.slug()
        if slug in seen:
            f.fail("duplicate slug")
        seen.add(slug)
        yield f, slug


def _datasets(path: Path) -> tuple[DatasetSpec, ...]:
    specs = []
    for f, slug in _slugged_items(path, "dataset", DATASET_FIELDS):
        values = {
            "name": f.text("name", required=True, max_length=120),
            "shape": f.text("shape", max_length=60),
            "resolution": f.integer("resolution", minimum=1),
            "train_size": f.integer("train_size"),
            "validation_size": f.integer("validation_size"),
            "test_size": f.integer("test_size"),
            "classes": f.integer("classes"),
            "licence": f.text("licence", max_length=200),
            "url": f.url("url"),
            "description": f.text("description"),
        }
        specs.append(
            DatasetSpec(slug, values, f.slug("domain", required=False) or None, f.text("paper") or None)
        )
    return tuple(specs)


def _metrics(path: Path) -> tuple[MetricSpec, ...]:
    specs = []
    for f, slug in _slugged_items(path, "metric", METRIC_FIELDS):
        if not isinstance(f.data.get("higher_is_better"), bool):
            f.fail("'higher_is_better' must be true or false")
        decimals = f.integer("decimals")
        values = {
            "name": f.text("name", required=True, max_length=120),
            "abbreviation": f.text("abbreviation", required=True, max_length=40),
            "unit": f.text("unit", max_length=40),
            "higher_is_better": f.data["higher_is_better"],
            "bound": f.choice("bound", BOUNDS),
            "definition": f.text("definition", required=True),
            "decimals": 2 if decimals is None else min(decimals, 6),
        }
        specs.append(MetricSpec(slug, values, f.text("paper") or None))
    return tuple(specs)


def _published_result(path: Path, index: int, raw: Any) -> ResultSpec:
    label = raw.get("variant", index + 1) if isinstance(raw, dict) else index + 1
    item = f"result {index + 1} ({label}, line {line_of(raw)})"
    f = _Fields(path, item, raw, RESULT_FIELDS)
    source = _Fields(path, f"{item}: source", raw.get("source"), SOURCE_FIELDS)
    values = {
        "variant": f.text("variant", required=True, max_length=200),
        "value": f.number("value", required=True),
        "value_places": None,
        "is_bound": f.flag("bound"),
        "error": f.number("error"),
        "extra_data": f.flag("extra_data"),
        "note": f.text("note"),
        "source_table": source.text("table", required=True, max_length=80),
        "source_row": source.text("row", required=True, max_length=200),
        "source_page": source.integer("page", minimum=1),
        "source_version": source.text("version", required=True, max_length=200),
        "source_url": source.url("url", required=True),
        "checked_on": source.date("checked_on", required=True),
    }
    if values["error"] is not None and values["error"] < 0:
        f.fail("'error' must not be negative")
    values["value_places"] = max(0, -values["value"].as_tuple().exponent)
    return ResultSpec(
        kind="published",
        role="model",
        family=f.slug("family"),
        model=f.slug("model", required=False) or None,
        paper=f.text("paper", required=True),
        values=values,
        item=item,
    )


def _board(path: Path) -> BoardSpec:
    data = _document(path, exact_decimals=True)
    if not isinstance(data, dict) or "benchmark" not in data:
        raise CatalogContentError(path, "", "expected 'benchmark:' and 'results:'")
    unknown = sorted(set(data) - {"benchmark", "results"})
    if unknown:
        raise CatalogContentError(path, "", f"unknown top-level field(s) {', '.join(map(repr, unknown))}")
    f = _Fields(path, "benchmark", data["benchmark"], BENCHMARK_FIELDS)
    slug = f.slug()
    if slug != path.stem:
        f.fail(f"slug '{slug}' must match the file name '{path.stem}'")
    values = {
        "name": f.text("name", required=True, max_length=160),
        "conditioning": f.choice("conditioning", CONDITIONING, default="unconditional"),
        "resolution": f.integer("resolution", minimum=1),
        "split": f.text("split", max_length=40),
        "samples": f.integer("samples", minimum=1),
        "protocol": f.text("protocol", required=True),
        "measured_field": f.text("measured", max_length=40),
    }
    raw_results = data.get("results") or []
    if not isinstance(raw_results, list):
        raise CatalogContentError(path, "results", "expected a list")
    if values["measured_field"] and raw_results:
        f.fail("a measured board takes its rows from the zoo's results files; list no results here")
    results = tuple(_published_result(path, i, raw) for i, raw in enumerate(raw_results))
    seen: dict[tuple[str, str], str] = {}
    for result in results:
        if result.identity in seen:
            raise CatalogContentError(
                path,
                result.item,
                f"the same paper and variant as {seen[result.identity]}; name variants apart",
            )
        seen[result.identity] = result.item
    return BoardSpec(slug, values, f.slug("dataset"), f.slug("metric"), results, path)


def content_read(*, directory: Path) -> BenchmarksContent:
    """Parse and check every benchmarks content file; cross-references are checked by the loader."""
    boards = tuple(_board(path) for path in sorted((directory / "boards").glob("*.yaml")))
    named: dict[str, Path] = {}
    for board in boards:  # a board's name is its heading on the site, so two boards cannot share one
        other = named.setdefault(board.values["name"], board.path)
        if other != board.path:
            raise CatalogContentError(board.path, "benchmark", f"name is also the name of {other.name}")
    return BenchmarksContent(
        directory=directory,
        datasets=_datasets(directory / "datasets.yaml"),
        metrics=_metrics(directory / "metrics.yaml"),
        boards=boards,
    )


def zoo_rows(*, results_dir: Path) -> list[tuple[Path, Any]]:
    """Every zoo results file, read once for all the measured boards: (path, its JSON)."""
    rows = []
    for path in sorted(results_dir.glob("*.json")):
        try:
            rows.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CatalogContentError(path, "", f"not valid JSON ({exc})") from None
    return rows


def _half_width(f, field: str, low, high) -> Decimal | None:
    if low is None and high is None:
        return None
    low, high = f.number(f"{field}_low", required=True), f.number(f"{field}_high", required=True)
    if high < low:
        f.fail(f"'{field}_high' is below '{field}_low'")
    return (high - low) / 2


def measured_results(*, board: BoardSpec, rows: list[tuple[Path, Any]]) -> tuple[ResultSpec, ...]:
    """The rows of a measured board, one per zoo results file that has the board's field."""
    field = board.values["measured_field"]
    zoo_dataset = ZOO_DATASETS.get(board.dataset)
    specs = []
    for path, row in rows:
        if not isinstance(row, dict) or row.get(field) is None:
            continue  # the combined report (a list), or a model this metric does not apply to
        if row.get("dataset") not in (None, zoo_dataset):
            continue  # the same metric measured on another data set: another board
        item = f"zoo results '{path.stem}'"
        f = _Fields(path, item, row, set(row))
        family = f.text("family", required=True)
        role = ZOO_ROLES.get(family, "model")
        evaluated_on = f.date("evaluated_on", required=True)
        kind_of_bound = row.get(f"{field}_kind")
        low, high = row.get(f"{field}_low"), row.get(f"{field}_high")
        values = {
            "variant": f.text("variant") or f.text("name", required=True),
            "value": f.number(field, required=True),
            "value_places": None,
            "is_bound": kind_of_bound == "bound",
            # A measured interval (low, high) is shown as ± its half-width; the file keeps both ends.
            "error": _half_width(f, field, low, high),
            "extra_data": False,
            "note": f.text("note"),
            "zoo_model": f.text("name", required=True, max_length=80),
            "checkpoint_sha256": f.text("sha256", max_length=64),
            "command": f.text("command", required=True, max_length=300),
            "results_file": f"generation/zoo/results/{path.name}",
            "checked_on": evaluated_on,
            "year": evaluated_on.year,
        }
        if role == "model" and not values["checkpoint_sha256"]:
            f.fail("a model's results need the checkpoint's 'sha256'")
        specs.append(
            ResultSpec(
                kind="measured",
                role=role,
                family=family if role == "model" else None,
                model=None,
                paper=None,
                values=values,
                item=item,
            )
        )
    return tuple(specs)
