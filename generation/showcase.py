"""Each family's showcase: a committed grid of samples from its shipped checkpoint (seed 0), shown from the
first visit on, beside whatever visitors made last. The images and the manifest that names the command and
checkpoint that made them live in generation/static/generation/showcase/."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MANIFEST = Path(__file__).resolve().parent / "static" / "generation" / "showcase" / "manifest.json"


@dataclass(frozen=True)
class Showcase:
    family_slug: str
    model: str
    static_path: str  # for {% static %}
    command: str
    checkpoint_sha256: str


@cache
def _showcases() -> dict[str, Showcase]:
    entries = json.loads(MANIFEST.read_text())
    return {
        slug: Showcase(
            family_slug=slug,
            model=entry["model"],
            static_path=f"generation/showcase/{entry['file']}",
            command=entry["command"],
            checkpoint_sha256=entry["checkpoint_sha256"],
        )
        for slug, entry in entries.items()
    }


def showcase_for(family_slug: str) -> Showcase | None:
    """The family's showcase grid, or None for a family without one."""
    return _showcases().get(family_slug)
