"""Per-visitor fragments of a cached page.

A cached page is the same for every visitor. What is not (the CSRF token, the visitor's selection of papers)
stands in the template as a slot, ``{% load visitor %}{% visitor "name" key=value %}``, and is rendered for
each response by a function the view names. ``split`` cuts the rendered page at its slots once, before it is
cached; ``compose`` joins the pieces with each slot's fragment. A slot is an HTML comment whose arguments are
URL-encoded: escaped catalog text never holds a raw ``<``, so it cannot forge or break one, and a template can
move a slot around (inside a tag, too) without the view knowing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode

from django.utils.safestring import SafeString, mark_safe

SLOT = re.compile(r"<!--visitor:(?P<name>\w+)(?: (?P<args>[^<>]*))?-->")


class Slot(NamedTuple):
    name: str
    args: tuple[tuple[str, str], ...]


def slot(name: str, **args) -> SafeString:
    """The marker of a slot, as a template renders it."""
    encoded = f" {urlencode(args)}" if args else ""
    return mark_safe(f"<!--visitor:{name}{encoded}-->")


CSRF_TOKEN = slot(
    "csrf_token"
)  # the context's csrf_token in a cached template: {% csrf_token %} works as usual


def split(html: str) -> tuple[str | Slot, ...]:
    """The page as text between slots, ready to cache."""
    parts: list[str | Slot] = []
    position = 0
    for match in SLOT.finditer(html):
        parts += [html[position : match.start()], Slot(match["name"], tuple(parse_qsl(match["args"] or "")))]
        position = match.end()
    parts.append(html[position:])
    return tuple(parts)


def compose(parts: tuple[str | Slot, ...], renderers: Mapping[str, Callable[..., str]]) -> str:
    """The page for one visitor: each slot filled by its renderer, called with the slot's arguments."""
    return "".join(
        part if isinstance(part, str) else renderers[part.name](**dict(part.args)) for part in parts
    )
