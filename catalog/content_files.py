"""Reading and checking the catalog's YAML content (``catalog/content/``) before anything is written.

Each file is parsed into plain dataclasses; every problem raises :class:`CatalogContentError`, which names
the file and the item (``families.yaml: family 'gans': unknown concept 'minmax-game'``). Cross-references
between files (slugs) and to papers (citation keys) are checked by the loader in ``catalog.services``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.text import slugify

from catalog.models import ExampleModel, Family, FamilyPaper
from config.yaml_items import ContentFileError, line_of, yaml_items

FILES = ("taxonomy.yaml", "concepts.yaml", "domains.yaml", "families.yaml", "models.yaml")


class CatalogContentError(Exception):
    """A content file is malformed or refers to something that does not exist."""

    def __init__(self, path: Path | str, item: str, message: str, *, line: int = 0) -> None:
        self.path = Path(path)
        self.item = item
        self.message = message
        self.line = line
        where = f"{self.path.name}: {item}: " if item else f"{self.path.name}: "
        super().__init__(where + message + (f" (line {line})" if line else ""))


@dataclass(frozen=True)
class NodeSpec:
    slug: str
    name: str
    description: str
    parent: str | None
    position: int


@dataclass(frozen=True)
class ConceptSpec:
    slug: str
    name: str
    description: str
    papers: tuple[str, ...]


@dataclass(frozen=True)
class DomainSpec:
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class FamilyDomainSpec:
    domain: str
    examples: str


@dataclass(frozen=True)
class FamilyPaperSpec:
    key: str
    role: str
    note: str


@dataclass(frozen=True)
class FamilySpec:
    slug: str
    position: int
    values: dict[str, Any]  # plain fields of Family, taxonomy node as a slug under "taxonomy"
    concepts: tuple[str, ...]
    domains: tuple[FamilyDomainSpec, ...]
    papers: tuple[FamilyPaperSpec, ...]


@dataclass(frozen=True)
class ModelSpec:
    slug: str
    values: dict[str, Any]  # plain fields of ExampleModel
    paper: str | None
    families: tuple[str, ...]
    domains: tuple[str, ...]


@dataclass
class Content:
    directory: Path
    nodes: list[NodeSpec] = field(default_factory=list)
    concepts: list[ConceptSpec] = field(default_factory=list)
    domains: list[DomainSpec] = field(default_factory=list)
    families: list[FamilySpec] = field(default_factory=list)
    models: list[ModelSpec] = field(default_factory=list)


def content_read(*, directory: Path) -> Content:
    """Parse and check every file of ``directory``; cross-file references are checked here too."""
    content = Content(directory=directory)
    content.nodes = _read_taxonomy(directory / "taxonomy.yaml")
    content.concepts = _read_concepts(directory / "concepts.yaml")
    content.domains = _read_domains(directory / "domains.yaml")
    content.families = _read_families(directory / "families.yaml")
    content.models = _read_models(directory / "models.yaml")
    _check_references(content)
    return content


# --- generic checks -----------------------------------------------------------------------------------


def _load(path: Path, top: str) -> list[Any]:
    try:
        return [item.value for item in yaml_items(path, top=top)]
    except ContentFileError as exc:
        raise CatalogContentError(path, f"line {exc.line}" if exc.line else "", exc.reason) from None


class _Item:
    """One mapping from a YAML list, with typed accessors that name the file and item on error."""

    def __init__(self, path: Path, kind: str, raw: Any, index: int, allowed: set[str]) -> None:
        self.path = path
        self.line = line_of(raw)
        if not isinstance(raw, dict):
            raise CatalogContentError(path, f"{kind} #{index + 1}", "must be a mapping")
        self.raw = raw
        slug = raw.get("slug")
        self.label = f"{kind} '{slug}'" if slug else f"{kind} #{index + 1}"
        unknown = set(raw) - allowed
        if unknown:
            raise self.error(f"unknown keys: {', '.join(sorted(map(str, unknown)))}")

    def error(self, message: str) -> CatalogContentError:
        return CatalogContentError(self.path, self.label, message, line=self.line)

    def text(self, key: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self.raw.get(key)
        if value is None:
            if required:
                raise self.error(f"'{key}' is required")
            return ""
        if isinstance(value, list):  # a list of lines reads better in YAML for strengths, problems
            if not all(isinstance(v, str) for v in value):
                raise self.error(f"'{key}' must be text or a list of text")
            value = "\n".join(v.strip() for v in value)
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.error(f"'{key}' must be text")
        value = str(value).strip()
        if required and not value:
            raise self.error(f"'{key}' must not be empty")
        if max_length is not None and len(value) > max_length:
            raise self.error(f"'{key}' is {len(value)} characters; at most {max_length}")
        return value

    def slug(self) -> str:
        value = self.text("slug", required=True, max_length=80)
        if slugify(value) != value:
            raise self.error(f"slug '{value}' must be lowercase letters, digits and hyphens")
        return value

    def slugs(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(f"'{key}' must be a list of slugs")
        if len(set(value)) != len(value):
            raise self.error(f"'{key}' lists an entry twice")
        return tuple(value)

    def choice(self, key: str, choices: list[str]) -> str:
        value = self.text(key, required=True)
        if value not in choices:
            raise self.error(f"'{key}' is '{value}'; expected one of {', '.join(choices)}")
        return value

    def year(self) -> int | None:
        value = self.raw.get("year")
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not 1900 <= value <= 2100:
            raise self.error(f"'year' must be a whole year between 1900 and 2100, not {value!r}")
        return value


def _unique(path: Path, kind: str, slugs: list[str]) -> None:
    seen: set[str] = set()
    for slug in slugs:
        if slug in seen:
            raise CatalogContentError(path, f"{kind} '{slug}'", "slug appears twice")
        seen.add(slug)


# --- one reader per file --------------------------------------------------------------------------------


def _read_taxonomy(path: Path) -> list[NodeSpec]:
    nodes: list[NodeSpec] = []

    def walk(items: Any, parent: str | None) -> None:
        if not isinstance(items, list):
            raise CatalogContentError(path, f"children of '{parent}'", "must be a list")
        for index, raw in enumerate(items):
            item = _Item(path, "node", raw, index, {"slug", "name", "description", "children"})
            slug = item.slug()
            nodes.append(
                NodeSpec(
                    slug=slug,
                    name=item.text("name", required=True, max_length=120),
                    description=item.text("description"),
                    parent=parent,
                    position=index,
                )
            )
            walk(raw.get("children") or [], slug)

    walk(_load(path, "nodes"), None)
    _unique(path, "node", [n.slug for n in nodes])
    return nodes


def _read_concepts(path: Path) -> list[ConceptSpec]:
    concepts = []
    for index, raw in enumerate(_load(path, "concepts")):
        if isinstance(raw, dict) and "families" in raw:
            # One place for each link: a family lists its concepts in families.yaml, beside its mechanism.
            raise CatalogContentError(
                path, f"concept '{raw.get('slug')}'", "list a concept's families in families.yaml"
            )
        item = _Item(path, "concept", raw, index, {"slug", "name", "description", "papers"})
        concepts.append(
            ConceptSpec(
                slug=item.slug(),
                name=item.text("name", required=True, max_length=120),
                description=item.text("description", required=True),
                papers=item.slugs("papers"),
            )
        )
    _unique(path, "concept", [c.slug for c in concepts])
    _unique(path, "concept name", [c.name for c in concepts])
    return concepts


def _read_domains(path: Path) -> list[DomainSpec]:
    domains = []
    for index, raw in enumerate(_load(path, "domains")):
        item = _Item(path, "domain", raw, index, {"slug", "name", "description"})
        domains.append(
            DomainSpec(
                slug=item.slug(),
                name=item.text("name", required=True, max_length=120),
                description=item.text("description", required=True),
            )
        )
    _unique(path, "domain", [d.slug for d in domains])
    _unique(path, "domain name", [d.name for d in domains])
    return domains


FAMILY_KEYS = {
    "slug", "name", "short_name", "taxonomy", "summary", "mechanism", "key_insight", "strengths",
    "known_problems", "likelihood", "sampling", "training_stability", "latent_space", "erratum",
    "concepts", "domains", "papers",
}  # fmt: skip


def _read_families(path: Path) -> list[FamilySpec]:
    families = []
    for index, raw in enumerate(_load(path, "families")):
        item = _Item(path, "family", raw, index, FAMILY_KEYS)
        values = {
            "name": item.text("name", required=True, max_length=120),
            "short_name": item.text("short_name", required=True, max_length=40),
            "taxonomy": item.text("taxonomy", required=True),
            "summary": item.text("summary", required=True, max_length=300),
            "mechanism": item.text("mechanism", required=True),
            "key_insight": item.text("key_insight", required=True),
            "strengths": item.text("strengths"),
            "known_problems": item.text("known_problems"),
            "likelihood": item.choice("likelihood", Family.Likelihood.values),
            "sampling": item.choice("sampling", Family.Sampling.values),
            "training_stability": item.text("training_stability", max_length=200),
            "latent_space": item.text("latent_space", max_length=200),
            "erratum": item.text("erratum"),
        }
        domains = []
        for d_index, d_raw in enumerate(raw.get("domains") or []):
            d_item = _Item(path, f"{item.label} domain", d_raw, d_index, {"domain", "examples"})
            domains.append(
                FamilyDomainSpec(
                    domain=d_item.text("domain", required=True),
                    examples=d_item.text("examples", max_length=300),
                )
            )
        if len({d.domain for d in domains}) != len(domains):
            raise item.error("'domains' lists a domain twice")
        papers = []
        for p_index, p_raw in enumerate(raw.get("papers") or []):
            p_item = _Item(path, f"{item.label} paper", p_raw, p_index, {"key", "role", "note"})
            papers.append(
                FamilyPaperSpec(
                    key=p_item.text("key", required=True),
                    role=p_item.choice("role", FamilyPaper.Role.values),
                    note=p_item.text("note", max_length=300),
                )
            )
        if len({p.key for p in papers}) != len(papers):
            raise item.error("'papers' lists a paper twice")
        families.append(
            FamilySpec(
                slug=item.slug(),
                position=index,
                values=values,
                concepts=item.slugs("concepts"),
                domains=tuple(domains),
                papers=tuple(papers),
            )
        )
    _unique(path, "family", [f.slug for f in families])
    _unique(path, "family name", [f.values["name"] for f in families])
    return families


MODEL_KEYS = {
    "slug", "name", "kind", "families", "domains", "year", "organisation", "url", "paper", "description",
    "erratum",
}  # fmt: skip


def _read_models(path: Path) -> list[ModelSpec]:
    models = []
    for index, raw in enumerate(_load(path, "models")):
        item = _Item(path, "model", raw, index, MODEL_KEYS)
        families = item.slugs("families")
        if not families:
            raise item.error("'families' must name at least one family")
        models.append(
            ModelSpec(
                slug=item.slug(),
                values={
                    "name": item.text("name", required=True, max_length=120),
                    "kind": item.choice("kind", ExampleModel.Kind.values),
                    "year": item.year(),
                    "organisation": item.text("organisation", max_length=200),
                    "url": item.text("url", max_length=500),
                    "description": item.text("description", required=True),
                    "erratum": item.text("erratum"),
                },
                paper=item.text("paper") or None,
                families=families,
                domains=item.slugs("domains"),
            )
        )
    _unique(path, "model", [m.slug for m in models])
    _unique(path, "model name", [m.values["name"] for m in models])
    return models


def _check_references(content: Content) -> None:
    """Every slug one file uses must be defined in the file that owns it."""
    directory = content.directory
    nodes = {n.slug for n in content.nodes}
    concepts = {c.slug for c in content.concepts}
    domains = {d.slug for d in content.domains}
    families = {f.slug for f in content.families}
    for family in content.families:
        label = f"family '{family.slug}'"
        path = directory / "families.yaml"
        if family.values["taxonomy"] not in nodes:
            raise CatalogContentError(path, label, f"unknown taxonomy node '{family.values['taxonomy']}'")
        for slug in family.concepts:
            if slug not in concepts:
                raise CatalogContentError(path, label, f"unknown concept '{slug}'")
        for fd in family.domains:
            if fd.domain not in domains:
                raise CatalogContentError(path, label, f"unknown domain '{fd.domain}'")
    for model in content.models:
        label = f"model '{model.slug}'"
        path = directory / "models.yaml"
        for slug in model.families:
            if slug not in families:
                raise CatalogContentError(path, label, f"unknown family '{slug}'")
        for slug in model.domains:
            if slug not in domains:
                raise CatalogContentError(path, label, f"unknown domain '{slug}'")


def paper_keys_used(content: Content) -> list[tuple[Path, str, str]]:
    """(file, item, citation key) for every paper reference, for the loader to resolve."""
    directory = content.directory
    refs = []
    for concept in content.concepts:
        refs += [(directory / "concepts.yaml", f"concept '{concept.slug}'", k) for k in concept.papers]
    for family in content.families:
        refs += [(directory / "families.yaml", f"family '{family.slug}'", p.key) for p in family.papers]
    for model in content.models:
        if model.paper:
            refs.append((directory / "models.yaml", f"model '{model.slug}'", model.paper))
    return refs
