"""The reader's selection: citation keys kept in the session, so that papers ticked on any page of the list,
under any filter, or on a paper's own page, stay ticked until the reader exports or clears them.

Only keys of papers in the catalog get in, at most ``LIMIT`` of them; what was refused comes back in the
result so that the view can say why. The session holds keys (stable, unlike row ids across a re-import) in
the order they were ticked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from papers.models import Paper

SESSION_KEY = "paper_selection"
LIMIT = 500
KEY_LENGTH = Paper._meta.get_field("citation_key").max_length


@dataclass
class SelectionChange:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # not a paper in the catalog: ignored
    refused: list[str] = field(default_factory=list)  # would have gone past LIMIT

    @property
    def problems(self) -> list[str]:
        """What went wrong, in words for the reader."""
        messages = []
        if self.unknown:
            shown = ", ".join(key[:40] for key in self.unknown[:5])
            more = f" and {len(self.unknown) - 5} more" if len(self.unknown) > 5 else ""
            messages.append(f"Not in the catalog, so not selected: {shown}{more}.")
        if self.refused:
            messages.append(
                f"The selection holds at most {LIMIT} papers; {len(self.refused)} not added. "
                "Export or clear it to make room."
            )
        return messages


def _clean(keys: Iterable[str]) -> list[str]:
    """Distinct, stripped, non-empty keys in their order; anything longer than a key can be is unknown."""
    seen: dict[str, None] = {}
    for key in keys:
        key = (key or "").strip()
        if key:
            seen.setdefault(key[: KEY_LENGTH + 1], None)
        if len(seen) > LIMIT * 2:  # a request cannot usefully name more; do not look up thousands
            break
    return list(seen)


def selection_keys(*, session) -> list[str]:
    """The selected citation keys, in the order they were ticked (no query)."""
    keys = session.get(SESSION_KEY, [])
    return keys if isinstance(keys, list) else []


def selection_change(*, session, add: Iterable[str] = (), remove: Iterable[str] = ()) -> SelectionChange:
    """Add and remove papers by citation key; one query to check the added keys exist."""
    current = selection_keys(session=session)
    change = SelectionChange()
    drop = set(_clean(remove))
    if drop:
        change.removed = [key for key in current if key in drop]
        current = [key for key in current if key not in drop]
    wanted = [key for key in _clean(add) if key not in drop and key not in current]
    if wanted:
        known = set(Paper.objects.filter(citation_key__in=wanted).values_list("citation_key", flat=True))
        change.unknown = [key for key in wanted if key not in known]
        fitting = [key for key in wanted if key in known]
        room = max(LIMIT - len(current), 0)
        change.added, change.refused = fitting[:room], fitting[room:]
        current = current + change.added
    if change.added or change.removed:
        session[SESSION_KEY] = current
    return change


def selection_clear(*, session) -> int:
    """Empty the selection; the number of keys it held."""
    count = len(selection_keys(session=session))
    session.pop(SESSION_KEY, None)
    return count
