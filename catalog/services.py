"""Writes to the catalog: loading the human-edited content files into the database.

``catalog_load`` first brings the papers in through the papers app's own services (``bibtex_import``,
``errata_load``, ``lineage_load``), then the catalog YAML, linking papers by citation key. It runs in one
transaction: a bad file anywhere leaves the database as it was. It compares before writing, so a second
run with the same files writes nothing and reports every record unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction

from catalog.content_files import CatalogContentError, Content, content_read, paper_keys_used
from catalog.models import (
    Concept,
    Domain,
    ExampleModel,
    Family,
    FamilyDomain,
    FamilyPaper,
    TaxonomyNode,
)
from catalog.signals import catalog_loaded
from papers.models import Paper

KIND_FILES = {
    "taxonomy": ("taxonomy.yaml", "node"),
    "concepts": ("concepts.yaml", "concept"),
    "domains": ("domains.yaml", "domain"),
    "families": ("families.yaml", "family"),
    "models": ("models.yaml", "model"),
}
CONTENT_DIR = Path(settings.BASE_DIR) / "catalog" / "content"
PAPERS_DIR = Path(settings.BASE_DIR) / "papers" / "content"
BIB_FILE = "atlas.bib"
ERRATA_FILE = "errata.yaml"
LINEAGE_FILE = "lineage.yaml"
AUTHORS_FILE = "authors.yaml"


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: list[str] = field(default_factory=list)  # in the database, not in the files
    deleted: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.deleted:
            text += f", {self.deleted} deleted"
        if self.stale:
            text += f", {len(self.stale)} not in the files ({', '.join(self.stale)})"
        return text


@dataclass
class LoadReport:
    """What ``catalog_load`` did, per kind of record, papers included."""

    kinds: dict[str, KindCounts] = field(default_factory=dict)
    papers: Any = None  # papers.imports.ImportReport, or None when papers were not loaded
    errata: Any = None
    lineage: Any = None
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, kind: str) -> KindCounts:
        return self.kinds[kind]

    @property
    def changed(self) -> int:
        """Records created, updated or deleted: catalog records, papers, errata and lineage links."""
        total = sum(counts.changed for counts in self.kinds.values())
        for report in (self.papers, self.errata, self.lineage):
            for name in ("created", "updated", "deleted"):
                value = getattr(report, name, None) or ()
                total += len(value) if isinstance(value, list | tuple | set) else int(value)
        return total

    def lines(self) -> list[str]:
        out = []
        for name, report in (("papers", self.papers), ("errata", self.errata), ("lineage", self.lineage)):
            if report is not None:
                out.append(f"{name}: {_describe(report)}")
        out += [f"{kind}: {counts}" for kind, counts in self.kinds.items()]
        out += [f"warning: {warning}" for warning in self.warnings]
        return out


def _describe(report: Any) -> str:
    parts = []
    for name in ("created", "updated", "unchanged", "deleted"):
        value = getattr(report, name, None)
        if value is None:
            continue
        parts.append(f"{len(value) if isinstance(value, list | tuple | set) else value} {name}")
    return ", ".join(parts) if parts else str(report)


def catalog_load(
    *, content_dir: Path = CONTENT_DIR, papers_dir: Path | None = PAPERS_DIR, prune: bool = False
) -> LoadReport:
    """Load papers (from ``papers_dir``; ``None`` links to papers already stored) and then the catalog.

    ``prune`` deletes catalog records that are no longer in the files; without it they are only reported.
    Raises :class:`CatalogContentError` naming the file and item on any problem, with nothing written.
    """
    content = content_read(directory=Path(content_dir))
    report = LoadReport()
    with transaction.atomic():
        if papers_dir is not None:
            _load_papers(Path(papers_dir), report, prune=prune)
        papers = _resolve_papers(content)
        loader = _Loader(content, papers, report)
        if prune:
            loader.prune_records()  # first, so that a renamed slug can take over its old name
        loader.run()
        if prune:
            loader.prune_taxonomy()  # after, because stale nodes may still hold families until then
        else:
            for kind, slugs in catalog_stale(content=content).items():
                report.kinds[kind].stale = slugs
        catalog_loaded.send(sender=catalog_load, report=report)
    return report


# --- papers, through the papers app's own services ---------------------------------------------------


def _load_papers(directory: Path, report: LoadReport, *, prune: bool) -> None:
    # Imported here so that the catalog's read side does not depend on the BibTeX machinery.
    from papers.authors import AuthorsContentError, author_variants_load
    from papers.content_files import PapersContentError, errata_load, lineage_load
    from papers.imports import bibtex_import

    bib = directory / BIB_FILE
    if not bib.is_file():
        raise CatalogContentError(bib, "", "file not found")
    authors = directory / AUTHORS_FILE
    if authors.is_file():  # first: papers imported next find each person under every name they used
        try:
            author_variants_load(path=authors)
        except AuthorsContentError as exc:
            raise CatalogContentError(authors, "", str(exc)) from None
    imported = bibtex_import(paths=[bib], source_name=str(bib.name), whole_records=True)
    if imported.failed:
        line, key, reason = imported.failed[0]
        more = f" (and {len(imported.failed) - 1} more)" if len(imported.failed) > 1 else ""
        raise CatalogContentError(bib, f"line {line} '{key}'", f"{reason}{more}")
    if imported.duplicates:
        keys = ", ".join(key for _, key, _ in imported.duplicates)
        raise CatalogContentError(bib, "", f"duplicate citation keys: {keys}")
    report.papers = imported
    for name, service, attribute in (
        (ERRATA_FILE, errata_load, "errata"),
        (LINEAGE_FILE, lineage_load, "lineage"),
    ):
        path = directory / name
        if not path.is_file():
            continue
        try:
            setattr(report, attribute, service(path=path, prune=prune))
        except PapersContentError as exc:
            item = " ".join(part for part in (f"line {exc.line}" if exc.line else "", exc.item) if part)
            raise CatalogContentError(path, item, exc.reason) from None


def _resolve_papers(content: Content) -> dict[str, Paper]:
    refs = paper_keys_used(content)
    papers = Paper.objects.in_bulk({key for _, _, key in refs}, field_name="citation_key")
    for path, item, key in refs:
        if key not in papers:
            raise CatalogContentError(path, item, f"unknown paper citation key '{key}'")
    return papers


# --- the catalog ---------------------------------------------------------------------------------------


def _differs(obj: models.Model, values: dict[str, Any]) -> list[str]:
    return [name for name, value in values.items() if getattr(obj, name) != value]


class _Loader:
    """Upserts each kind in dependency order, comparing fields and links before writing."""

    def __init__(self, content: Content, papers: dict[str, Paper], report: LoadReport) -> None:
        self.content = content
        self.papers = papers
        self.report = report
        self.nodes: dict[str, TaxonomyNode] = {}
        self.concepts: dict[str, Concept] = {}
        self.domains: dict[str, Domain] = {}
        self.families: dict[str, Family] = {}

    def run(self) -> None:
        self._taxonomy()
        self._concepts()
        self._domains()
        self._families()
        self._models()

    def _upsert(self, kind: str, model: type[models.Model], slug: str, values: dict[str, Any], existing):
        """Create or update one record's own fields; returns (obj, created, changed_fields)."""
        counts = self.report.kinds.setdefault(kind, KindCounts())
        obj = existing.get(slug)
        if "name" in values and (obj is None or obj.name != values["name"]):
            self._check_name_free(kind, model, slug, values["name"])
        if obj is None:
            obj = model.objects.create(slug=slug, **values)
            counts.created += 1
            return obj, True, []
        changed = _differs(obj, values)
        for name in changed:
            setattr(obj, name, values[name])
        return obj, False, changed

    def _check_name_free(self, kind: str, model: type[models.Model], slug: str, name: str) -> None:
        # Names are unique in the files, so a clash is with a record the files no longer name (a renamed
        # slug); say so instead of failing on the database's unique constraint.
        if not model._meta.get_field("name").unique:
            return
        other = model.objects.filter(name=name).exclude(slug=slug).values_list("slug", flat=True).first()
        if other is not None:
            path, label = KIND_FILES[kind]
            raise CatalogContentError(
                self.content.directory / path,
                f"{label} '{slug}'",
                f"name '{name}' belongs to stored record '{other}', which the files no longer name; "
                "load with prune (--prune) to delete it, or keep its slug",
            )

    def _finish(self, kind: str, obj, created: bool, changed: list[str], links_changed: bool) -> None:
        counts = self.report.kinds[kind]
        if created:
            return
        if changed or links_changed:
            # updated_at moves when only links changed too: the record as a reader sees it is different.
            obj.save(update_fields=[*changed, "updated_at"])
            counts.updated += 1
        else:
            counts.unchanged += 1

    @staticmethod
    def _set_m2m(manager, wanted: set[int], created: bool) -> bool:
        current = set() if created else set(manager.values_list("pk", flat=True))
        if current == wanted:
            return False
        if current - wanted:
            manager.remove(*(current - wanted))
        if wanted - current:
            manager.add(*(wanted - current))
        return True

    def _taxonomy(self) -> None:
        existing = {n.slug: n for n in TaxonomyNode.objects.all()}
        self.report.kinds.setdefault("taxonomy", KindCounts())
        for spec in self.content.nodes:  # pre-order: a parent is always written before its children
            parent = self.nodes[spec.parent] if spec.parent else None
            values = {
                "name": spec.name,
                "description": spec.description,
                "parent_id": parent.pk if parent else None,
                "position": spec.position,
            }
            obj, created, changed = self._upsert("taxonomy", TaxonomyNode, spec.slug, values, existing)
            self._finish("taxonomy", obj, created, changed, False)
            self.nodes[spec.slug] = obj

    def _concepts(self) -> None:
        existing = {c.slug: c for c in Concept.objects.prefetch_related("papers")}
        self.report.kinds.setdefault("concepts", KindCounts())
        for spec in self.content.concepts:
            values = {"name": spec.name, "description": spec.description}
            obj, created, changed = self._upsert("concepts", Concept, spec.slug, values, existing)
            wanted = {self.papers[key].pk for key in spec.papers}
            links = self._set_m2m(obj.papers, wanted, created)
            self._finish("concepts", obj, created, changed, links)
            self.concepts[spec.slug] = obj

    def _domains(self) -> None:
        existing = {d.slug: d for d in Domain.objects.all()}
        self.report.kinds.setdefault("domains", KindCounts())
        for spec in self.content.domains:
            values = {"name": spec.name, "description": spec.description}
            obj, created, changed = self._upsert("domains", Domain, spec.slug, values, existing)
            self._finish("domains", obj, created, changed, False)
            self.domains[spec.slug] = obj

    def _families(self) -> None:
        existing = {f.slug: f for f in Family.objects.all()}
        self.report.kinds.setdefault("families", KindCounts())
        for spec in self.content.families:
            values = dict(spec.values)
            values["taxonomy_node_id"] = self.nodes[values.pop("taxonomy")].pk
            values["position"] = spec.position
            obj, created, changed = self._upsert("families", Family, spec.slug, values, existing)
            links = self._set_m2m(obj.concepts, {self.concepts[s].pk for s in spec.concepts}, created)
            links |= self._sync_family_domains(obj, spec, created)
            links |= self._sync_family_papers(obj, spec, created)
            self._finish("families", obj, created, changed, links)
            self.families[spec.slug] = obj

    def _sync_family_domains(self, family: Family, spec, created: bool) -> bool:
        current = {} if created else {fd.domain_id: fd for fd in family.family_domains.all()}
        changed = False
        wanted_ids = set()
        for position, fd_spec in enumerate(spec.domains):
            domain_id = self.domains[fd_spec.domain].pk
            wanted_ids.add(domain_id)
            values = {"examples": fd_spec.examples, "position": position}
            row = current.get(domain_id)
            if row is None:
                FamilyDomain.objects.create(family=family, domain_id=domain_id, **values)
                changed = True
            elif fields := _differs(row, values):
                for name in fields:
                    setattr(row, name, values[name])
                row.save(update_fields=fields)
                changed = True
        stale = [pk for domain_id, row in current.items() if domain_id not in wanted_ids for pk in [row.pk]]
        if stale:
            FamilyDomain.objects.filter(pk__in=stale).delete()
            changed = True
        return changed

    def _sync_family_papers(self, family: Family, spec, created: bool) -> bool:
        current = {} if created else {fp.paper_id: fp for fp in family.family_papers.all()}
        changed = False
        wanted_ids = set()
        for fp_spec in spec.papers:
            paper_id = self.papers[fp_spec.key].pk
            wanted_ids.add(paper_id)
            values = {"role": fp_spec.role, "note": fp_spec.note}
            row = current.get(paper_id)
            if row is None:
                FamilyPaper.objects.create(family=family, paper_id=paper_id, **values)
                changed = True
            elif fields := _differs(row, values):
                for name in fields:
                    setattr(row, name, values[name])
                row.save(update_fields=fields)
                changed = True
        stale = [row.pk for paper_id, row in current.items() if paper_id not in wanted_ids]
        if stale:
            FamilyPaper.objects.filter(pk__in=stale).delete()
            changed = True
        return changed

    def _models(self) -> None:
        existing = {m.slug: m for m in ExampleModel.objects.all()}
        self.report.kinds.setdefault("models", KindCounts())
        for spec in self.content.models:
            values = dict(spec.values)
            values["paper_id"] = self.papers[spec.paper].pk if spec.paper else None
            obj, created, changed = self._upsert("models", ExampleModel, spec.slug, values, existing)
            links = self._set_m2m(obj.families, {self.families[s].pk for s in spec.families}, created)
            links |= self._set_m2m(obj.domains, {self.domains[s].pk for s in spec.domains}, created)
            self._finish("models", obj, created, changed, links)

    def prune_records(self) -> None:
        """Delete models, families, concepts and domains the files no longer name; dependants first."""
        content = self.content
        plan = [
            ("models", ExampleModel, {m.slug for m in content.models}),
            ("families", Family, {f.slug for f in content.families}),
            ("concepts", Concept, {c.slug for c in content.concepts}),
            ("domains", Domain, {d.slug for d in content.domains}),
        ]
        for kind, model, keep in plan:
            stale = model.objects.exclude(slug__in=keep)
            self.report.kinds.setdefault(kind, KindCounts()).deleted += stale.count()
            stale.delete()

    def prune_taxonomy(self) -> None:
        """Delete taxonomy nodes the files no longer name."""
        content = self.content
        # Taxonomy nodes protect their children: delete the deepest first.
        keep = {n.slug for n in content.nodes}
        stale_nodes = sorted(
            TaxonomyNode.objects.exclude(slug__in=keep), key=lambda n: len(n.ancestors()), reverse=True
        )
        for node in stale_nodes:
            node.delete()
        self.report.kinds["taxonomy"].deleted += len(stale_nodes)


def catalog_stale(*, content: Content) -> dict[str, list[str]]:
    """Slugs stored in the database that the files do not name, per kind."""
    return {
        "taxonomy": _stale(TaxonomyNode, {n.slug for n in content.nodes}),
        "concepts": _stale(Concept, {c.slug for c in content.concepts}),
        "domains": _stale(Domain, {d.slug for d in content.domains}),
        "families": _stale(Family, {f.slug for f in content.families}),
        "models": _stale(ExampleModel, {m.slug for m in content.models}),
    }


def _stale(model: type[models.Model], keep: set[str]) -> list[str]:
    return sorted(model.objects.exclude(slug__in=keep).values_list("slug", flat=True))


# --- single families (the API's writes) -----------------------------------------------------------------

FAMILY_LINKS = ("concepts", "domains", "papers")


@transaction.atomic
def family_create(*, data: dict[str, Any]) -> Family:
    """A new family from validated input: its columns, and optionally ``concepts`` (Concept records),
    ``domains`` (rows of domain, examples) and ``papers`` (rows of paper, role, note)."""
    columns = dict(data)
    links = {name: columns.pop(name, None) for name in FAMILY_LINKS}
    family = Family.objects.create(**columns)
    family_links_set(family=family, **links)
    return family


@transaction.atomic
def family_update(*, family: Family, data: dict[str, Any]) -> Family:
    """Change the columns given; each link list given replaces the family's whole list."""
    columns = dict(data)
    links = {name: columns.pop(name, None) for name in FAMILY_LINKS}
    for name, value in columns.items():
        setattr(family, name, value)
    family.save()
    family_links_set(family=family, **links)
    return family


def family_links_set(
    *,
    family: Family,
    concepts: list[Concept] | None = None,
    domains: list[dict[str, Any]] | None = None,
    papers: list[dict[str, Any]] | None = None,
) -> None:
    """Replace the lists given (None leaves a list as it is); domains keep the order given."""
    # Rows from a PATCH lack their defaults (DRF passes partial down to nested rows), hence .get().
    if concepts is not None:
        family.concepts.set(concepts)
    if domains is not None:
        family.family_domains.all().delete()
        FamilyDomain.objects.bulk_create(
            FamilyDomain(family=family, domain=row["domain"], examples=row.get("examples", ""), position=i)
            for i, row in enumerate(domains)
        )
    if papers is not None:
        family.family_papers.all().delete()
        FamilyPaper.objects.bulk_create(
            FamilyPaper(
                family=family,
                paper=row["paper"],
                role=row.get("role", FamilyPaper.Role.FOLLOW_UP),
                note=row.get("note", ""),
            )
            for row in papers
        )
