"""One reader for every YAML content file (the catalog's, the papers' errata and lineage, the venue table):
the items of the file's list, each with the line it starts on, so that any later complaint can name it. Every
mapping in the file, nested ones too, is a :class:`LineDict` that knows its line.

A problem with the file itself raises :class:`ContentFileError` (file, line, reason); each app wraps it in its
own content error.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml


class ContentFileError(ValueError):
    def __init__(self, path: Path, line: int, reason: str) -> None:
        self.path, self.line, self.reason = Path(path), line, reason
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")


class LineDict(dict):
    """A mapping read from YAML, and the line it starts on."""

    line = 0


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode):
    data = LineDict()
    data.line = node.start_mark.line + 1
    yield data  # as SafeLoader does for its dicts, so that anchors may refer back to it
    data.update(loader.construct_mapping(node))


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | float:
    try:
        return Decimal(loader.construct_scalar(node).replace("_", ""))
    except InvalidOperation:  # .nan and .inf stay floats, for the caller's range check to refuse
        return loader.construct_yaml_float(node)


class _DecimalLoader(_Loader):
    pass


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal)


def line_of(value: Any) -> int:
    """The line a mapping read by this module starts on; 0 for anything else."""
    return getattr(value, "line", 0)


@dataclass(frozen=True)
class Item:
    line: int  # 1-based, where the item starts
    index: int  # its place in the list, from 0
    value: Any


def _parse(path: Path, loader_class: type[yaml.SafeLoader]) -> tuple[yaml.Node | None, Any]:
    """The document's root node and its value, or a ContentFileError naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentFileError(path, 0, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentFileError(
            path, 0, f"cannot read the file: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or exc
        raise ContentFileError(path, mark.line + 1 if mark else 0, f"not valid YAML ({problem})") from None
    finally:
        loader.dispose()
    return node, data


def yaml_document(path: Path, *, exact_decimals: bool = False) -> Any:
    """The whole document, every mapping a :class:`LineDict`. With ``exact_decimals`` a number with a point
    is a :class:`~decimal.Decimal`, so that a figure keeps the digits it was written with (2.20)."""
    return _parse(Path(path), _DecimalLoader if exact_decimals else _Loader)[1]


def yaml_items(path: Path, *, top: str | None = None) -> list[Item]:
    """The items of the list that is the whole document (``top`` None) or the only key ``top`` of it.

    An empty document has no items.
    """
    path = Path(path)
    node, data = _parse(path, _Loader)
    if top is not None:
        if not isinstance(data, dict) or top not in data:
            raise ContentFileError(path, 1, f"expected a mapping with a top-level '{top}' list")
        extra = set(data) - {top}
        if extra:
            raise ContentFileError(path, 1, f"unknown top-level keys: {', '.join(sorted(map(str, extra)))}")
        node = next(value for key, value in node.value if key.value == top)
        data = data[top]
    if data is None and top is None:
        return []
    if not isinstance(data, list):
        line = node.start_mark.line + 1 if node is not None else 1
        raise ContentFileError(path, line, f"'{top}' must be a list" if top else "expected a list of items")
    return [
        Item(line=child.start_mark.line + 1, index=index, value=value)
        for index, (child, value) in enumerate(zip(node.value, data, strict=True))
    ]
