"""The record types a release holds: their fields, keys, references and licences, and the two schemas made
from them (a JSON Schema per record for validators, a Frictionless Table Schema per file for
datapackage.json).

One list, :data:`RESOURCES`, is the source of both, so the schemas and the files cannot drift apart; the
tests validate every row of a release against both. Schema versions follow semantic versioning: within a
major version a release only adds (a field, a record type); renaming or removing anything is a new major.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.models import Benchmark, Metric, Result
from catalog.models import ExampleModel, Family, FamilyPaper
from papers.models import Erratum, Paper, PaperLink, Venue

SCHEMA_VERSION = "1.0.0"

CC_BY = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}
CC0 = {
    "name": "CC0-1.0",
    "path": "https://creativecommons.org/publicdomain/zero/1.0/",
    "title": "CC0 1.0 Universal (public domain dedication)",
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # string, integer, number, boolean, date, object, array
    description: str
    nullable: bool = False
    items: str | dict | None = None  # arrays: an item type, or an object's JSON Schema
    references: str | None = None  # "resource.field": a foreign key Frictionless checks
    choices: tuple[str, ...] = ()  # the values allowed, from the model's choices


@dataclass(frozen=True)
class Resource:
    name: str
    title: str
    key: str  # the stable identifier of a row, the same across releases
    licence: dict
    fields: tuple[Field, ...]
    description: str = ""

    @property
    def path(self) -> str:
        return f"data/{self.name}.jsonl"

    @property
    def schema_path(self) -> str:
        return f"schemas/{self.name}.schema.json"

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


def _s(name: str, description: str, **kwargs) -> Field:
    return Field(name, "string", description, **kwargs)


def _n(name: str, kind: str, description: str, **kwargs) -> Field:
    """A field that may be null (no value known)."""
    return Field(name, kind, description, nullable=True, **kwargs)


def _c(name: str, choices, description: str) -> Field:
    """A string field holding one of a model's choices."""
    values = tuple(choices.values)
    return Field(
        name, "string", f"{description} One of: {', '.join(repr(v) for v in values)}.", choices=values
    )


SLUG = _s("slug", "Stable identifier, the same in every release.")
TEXT_NOTE = "Empty string when there is none; text fields are never null."
DOMAIN_LINK = {
    "type": "object",
    "properties": {
        "domain": {"type": "string", "description": "A domains.slug."},
        "examples": {"type": "string", "description": "The overview's examples for this domain."},
        "position": {"type": "integer", "description": "Order on the family's page."},
    },
    "required": ["domain", "examples", "position"],
    "additionalProperties": False,
}
PAPER_LINK = {
    "type": "object",
    "properties": {
        "paper": {"type": "string", "description": "A papers.citation_key."},
        "role": {"enum": list(FamilyPaper.Role.values)},
        "note": {"type": "string"},
    },
    "required": ["paper", "role", "note"],
    "additionalProperties": False,
}

RESOURCES: tuple[Resource, ...] = (
    Resource(
        "taxonomy",
        "Taxonomy nodes",
        "slug",
        CC_BY,
        (
            SLUG,
            _s("name", "Display name."),
            _n("parent", "string", "The parent node's slug; null for a root.", references="taxonomy.slug"),
            _s("description", TEXT_NOTE),
            Field("position", "integer", "Order among siblings."),
        ),
        "The density-based taxonomy families hang on (explicit → tractable → ...).",
    ),
    Resource(
        "concepts",
        "Concepts",
        "slug",
        CC_BY,
        (
            SLUG,
            _s("name", "Display name."),
            _s("description", TEXT_NOTE),
            Field(
                "papers", "array", "Citation keys of papers that introduce or use it, sorted.", items="string"
            ),
        ),
        "Parts of mechanisms: minimax game, reparameterization trick, Langevin dynamics ...",
    ),
    Resource(
        "domains",
        "Domains",
        "slug",
        CC_BY,
        (SLUG, _s("name", "Display name."), _s("description", TEXT_NOTE)),
        "Application domains: images, audio, text, molecular generation ...",
    ),
    Resource(
        "families",
        "Families",
        "slug",
        CC_BY,
        (
            SLUG,
            _s("name", "Display name."),
            _s("short_name", "Short name for tables."),
            Field("position", "integer", "Order on the home page."),
            _s("taxonomy_node", "The taxonomy node's slug.", references="taxonomy.slug"),
            _s("summary", "One line."),
            _s("mechanism", "How it works."),
            _s("key_insight", "Why it matters."),
            _s("strengths", TEXT_NOTE),
            _s("known_problems", TEXT_NOTE),
            _c("likelihood", Family.Likelihood, "What likelihood the family gives."),
            _c("sampling", Family.Sampling, "How it samples."),
            _s("training_stability", TEXT_NOTE),
            _s("latent_space", TEXT_NOTE),
            _s("erratum", "Where the overview's row is wrong, and the fix. " + TEXT_NOTE),
            Field("concepts", "array", "Concept slugs, sorted.", items="string"),
            Field("domains", "array", "Domains served, in page order.", items=DOMAIN_LINK),
            Field("papers", "array", "The reading list, by citation key.", items=PAPER_LINK),
        ),
        "The seven families of generative models, as rows of the overview's table, corrected.",
    ),
    Resource(
        "models",
        "Models and systems",
        "slug",
        CC_BY,
        (
            SLUG,
            _s("name", "Display name."),
            _c("kind", ExampleModel.Kind, "A model or a deployed system."),
            _s("description", TEXT_NOTE),
            _n("year", "integer", "Year of release."),
            _s("organisation", TEXT_NOTE),
            _s("url", TEXT_NOTE),
            _n("paper", "string", "The paper's citation key.", references="papers.citation_key"),
            Field("families", "array", "Family slugs, sorted.", items="string"),
            Field("domains", "array", "Domain slugs, sorted.", items="string"),
            _s("erratum", "Where the overview places or names it wrongly. " + TEXT_NOTE),
        ),
        "Named models (DCGAN, DDPM) and deployed systems (Stable Diffusion, ChatGPT).",
    ),
    Resource(
        "venues",
        "Venues",
        "slug",
        CC0,
        (
            SLUG,
            _s("name", "Full name at the time."),
            _s("short_name", TEXT_NOTE),
            _c("kind", Venue.Kind, "What kind of venue."),
            _s("url", TEXT_NOTE),
        ),
    ),
    Resource(
        "authors",
        "Authors",
        "slug",
        CC0,
        (
            SLUG,
            _s("given", TEXT_NOTE),
            _s("von", "Particle ('van den'). " + TEXT_NOTE),
            _s("family", "Last name."),
            _s("suffix", TEXT_NOTE),
        ),
        "People, with BibTeX's name parts apart.",
    ),
    Resource(
        "papers",
        "Papers",
        "citation_key",
        CC0,
        (
            _s("citation_key", "Stable identifier, also the BibTeX key."),
            _c("entry_type", Paper.EntryType, "The BibTeX entry type."),
            _s("title", "Title."),
            _n("year", "integer", "Year of publication."),
            _s("month", TEXT_NOTE),
            _n("venue", "string", "The venue's slug.", references="venues.slug"),
            _s("booktitle", TEXT_NOTE),
            _s("journal", TEXT_NOTE),
            _s("volume", TEXT_NOTE),
            _s("number", TEXT_NOTE),
            _s("pages", "BibTeX pages ('2672--2680'). " + TEXT_NOTE),
            _s("publisher", TEXT_NOTE),
            _s("editor", TEXT_NOTE),
            _s("institution", TEXT_NOTE),
            _s("doi", TEXT_NOTE),
            _s("arxiv_id", TEXT_NOTE),
            _s("arxiv_class", TEXT_NOTE),
            _s("url", TEXT_NOTE),
            _s("note", TEXT_NOTE),
            Field("extra_fields", "object", "Other BibTeX fields, verbatim."),
            Field("authors", "array", "Author slugs in the paper's order.", items="string"),
            _s("source_url", "Where these facts were checked. " + TEXT_NOTE),
            _n("checked_on", "date", "When they were checked."),
        ),
        "Bibliographic records; the atlas's own summaries are apart, in summaries.jsonl (CC BY 4.0).",
    ),
    Resource(
        "summaries",
        "Summaries",
        "citation_key",
        CC_BY,
        (
            _s("citation_key", "The paper.", references="papers.citation_key"),
            _s("summary", "The atlas's one-line summary, in its own words; never the authors' abstract."),
        ),
        "A short summary of each paper written for the atlas; the authors' abstracts are not copied.",
    ),
    Resource(
        "lineage",
        "Lineage",
        "id",
        CC0,
        (
            _s("id", "source/kind/target."),
            _s("source", "The later paper.", references="papers.citation_key"),
            _c("kind", PaperLink.Kind, "How source relates to target."),
            _s("target", "The earlier paper.", references="papers.citation_key"),
            _s("note", TEXT_NOTE),
        ),
        "Which paper builds on, revives or extends which.",
    ),
    Resource(
        "errata",
        "Errata",
        "id",
        CC_BY,
        (
            _s("id", "paper/field."),
            _s("paper", "The real paper's citation key.", references="papers.citation_key"),
            _c("field", Erratum.Field, "What the overview got wrong."),
            _s("claimed", "What the overview says, quoted."),
            _s("correction", "What is right."),
            _s("source_url", "Where the correction was checked."),
        ),
        "Where the overview document the catalog started from is wrong about a paper.",
    ),
    Resource(
        "datasets",
        "Datasets",
        "slug",
        CC_BY,
        (
            SLUG,
            _s("name", "Display name."),
            _n("domain", "string", "A domain slug.", references="domains.slug"),
            _s("shape", TEXT_NOTE),
            _n("resolution", "integer", "Pixels per side."),
            _n("train_size", "integer", "Examples."),
            _n("validation_size", "integer", "Examples."),
            _n("test_size", "integer", "Examples."),
            _n("classes", "integer", "Classes."),
            _s("licence", "The dataset's own licence. " + TEXT_NOTE),
            _s("url", TEXT_NOTE),
            _n("paper", "string", "The paper that introduced it.", references="papers.citation_key"),
            _s("description", TEXT_NOTE),
        ),
    ),
    Resource(
        "metrics",
        "Metrics",
        "slug",
        CC_BY,
        (
            SLUG,
            _s("name", "Display name."),
            _s("abbreviation", "FID, NLL ..."),
            _s("unit", TEXT_NOTE),
            Field("higher_is_better", "boolean", "Which way is better."),
            _c("bound", Metric.Bound, "Whether a figure may be a bound (empty: always exact)."),
            _s("definition", "What it measures."),
            _n("paper", "string", "The paper that defined it.", references="papers.citation_key"),
            Field("decimals", "integer", "Digits shown after the point."),
        ),
    ),
    Resource(
        "benchmarks",
        "Benchmarks",
        "slug",
        CC_BY,
        (
            SLUG,
            _s("name", "Display name."),
            _s("dataset", "A dataset slug.", references="datasets.slug"),
            _s("metric", "A metric slug.", references="metrics.slug"),
            _c("conditioning", Benchmark.Conditioning, "What the samples are conditioned on."),
            _n("resolution", "integer", "Pixels per side."),
            _s("split", TEXT_NOTE),
            _n("samples", "integer", "Generated samples per figure."),
            _s("protocol", "What a reader needs to reproduce or compare a figure."),
            _s("measured_field", "The zoo results field this board is measured from. " + TEXT_NOTE),
            Field("position", "integer", "Order in lists."),
        ),
        "A dataset, a metric and a protocol: only results of one benchmark are ranked together.",
    ),
    Resource(
        "results",
        "Results",
        "id",
        CC_BY,
        (
            _s(
                "id",
                "benchmark/paper/variant for a published figure, benchmark/zoo/zoo_model for a measured one.",
            ),
            _s("benchmark", "A benchmark slug.", references="benchmarks.slug"),
            _c("kind", Result.Kind, "Where the figure comes from."),
            _c("role", Result.Role, "What the row is."),
            _n("family", "string", "A family slug.", references="families.slug"),
            _n("model", "string", "A models.slug.", references="models.slug"),
            _n("paper", "string", "The paper's citation key.", references="papers.citation_key"),
            _s("variant", "The row's name as the paper prints it."),
            Field("value", "number", "The figure, exactly as stored."),
            _n("value_places", "integer", "Digits after the point as printed."),
            Field("is_bound", "boolean", "The value is a bound."),
            _n("error", "number", "±, where given."),
            Field("extra_data", "boolean", "Trained on more than the benchmark's data."),
            Field("year", "integer", "The paper's year, or the year it was measured."),
            _s("source_table", "Published: the paper's table. " + TEXT_NOTE),
            _s("source_row", "Published: the row as printed. " + TEXT_NOTE),
            _n("source_page", "integer", "Published: the page."),
            _s("source_version", "Published: the paper version read. " + TEXT_NOTE),
            _s("source_url", TEXT_NOTE),
            _n("checked_on", "date", "When the figure was checked or measured."),
            _s("zoo_model", "Measured: the zoo model. " + TEXT_NOTE),
            _s("checkpoint_sha256", "Measured: the checkpoint's hash. " + TEXT_NOTE),
            _s("command", "Measured: the command that made it. " + TEXT_NOTE),
            _s("results_file", "Measured: the zoo results file. " + TEXT_NOTE),
            _s("note", TEXT_NOTE),
        ),
        "Figures on benchmarks: published (from the paper's own table) or measured (by the model zoo).",
    ),
    Resource(
        "demos",
        "Demos",
        "slug",
        CC_BY,
        (
            SLUG,
            _s("family_slug", "The family the zoo declares."),
            _n("family", "string", "The catalog family.", references="families.slug"),
            _n("example_model", "string", "The catalog model.", references="models.slug"),
            _s("title", "Display title."),
            _s("description", TEXT_NOTE),
            _s("model_name", "The zoo registry name."),
            _s("citation_key", "The paper it follows. " + TEXT_NOTE),
            Field("params_schema", "array", "The parameters a user may set, with ranges.", items="object"),
            _s("checkpoint_sha256", "The checkpoint's sha256. " + TEXT_NOTE),
            Field("metrics", "object", "Measured metrics from the checkpoint's manifest."),
            Field("manifest", "object", "The checkpoint's manifest (config, seed, steps, versions ...)."),
            Field("position", "integer", "Order in lists."),
            Field("is_active", "boolean", "False once the zoo no longer lists it."),
        ),
        "The bundled model zoo's runnable demos, with checkpoint hashes and measured metrics.",
    ),
)
RESOURCES_BY_NAME = {resource.name: resource for resource in RESOURCES}

_JSON_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}


def _json_type(kind: str, items: str | dict | None) -> dict:
    if kind == "date":
        return {"type": "string", "format": "date"}
    if kind == "object":
        return {"type": "object"}
    if kind == "array":
        item = items if isinstance(items, dict) else _json_type(items or "string", None)
        return {"type": "array", "items": item}
    return {"type": _JSON_TYPES[kind]}


def json_schema(resource: Resource) -> dict:
    """A JSON Schema (draft 2020-12) for one line of the resource's file: every field present, no others."""
    properties = {}
    for f in resource.fields:
        schema = {"description": f.description, **_json_type(f.type, f.items)}
        if f.choices:
            schema["enum"] = list(f.choices)
        if f.nullable:
            schema["type"] = [schema["type"], "null"]
        properties[f.name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:generative-atlas:release-schema:{SCHEMA_VERSION}:{resource.name}",
        "title": resource.title,
        "description": resource.description or resource.title,
        "type": "object",
        "properties": properties,
        "required": resource.field_names(),
        "additionalProperties": False,
    }


def table_schema(resource: Resource) -> dict:
    """A Frictionless Table Schema; fields in the files' order (keys sorted), empty strings are values."""
    fields = []
    for f in sorted(resource.fields, key=lambda f: f.name):
        entry = {"name": f.name, "type": f.type, "description": f.description}
        constraints = {"required": True} if not f.nullable else {}
        if f.choices:
            constraints["enum"] = list(f.choices)
        if constraints:
            entry["constraints"] = constraints
        fields.append(entry)
    foreign_keys = []
    for f in sorted(resource.fields, key=lambda f: f.name):
        if f.references:
            target, target_field = f.references.split(".")
            reference = {"resource": "" if target == resource.name else target, "fields": [target_field]}
            foreign_keys.append({"fields": [f.name], "reference": reference})
    schema = {"fields": fields, "missingValues": [], "primaryKey": [resource.key]}
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return schema
