"""Semantic versioning of the release schema: within a major version a release only adds. The fields of
schema 1.0.0 are frozen in schema_1.0.0.json; removing or retyping one needs a new major version, and
adding one needs at least a new minor version."""

import json
from pathlib import Path

from releases.schemas import RESOURCES, SCHEMA_VERSION

FROZEN = json.loads((Path(__file__).parent / "schema_1.0.0.json").read_text())


def _current() -> dict:
    return {
        r.name: {"key": r.key, "fields": {f.name: {"type": f.type, "nullable": f.nullable} for f in r.fields}}
        for r in RESOURCES
    }


def test_everything_in_schema_1_0_0_is_still_there_unchanged():
    current = _current()
    major = int(SCHEMA_VERSION.split(".")[0])
    assert major == 1, "a new major version: freeze its fields in a schema_<version>.json beside this test"
    for name, resource in FROZEN.items():
        assert name in current, f"record type {name} removed within major version 1"
        assert current[name]["key"] == resource["key"], f"{name}: identifier changed"
        for field, spec in resource["fields"].items():
            assert current[name]["fields"].get(field) == spec, f"{name}.{field} removed or changed"


def test_an_addition_comes_with_a_new_minor_version():
    current = _current()
    added = {n for n in current if n not in FROZEN} | {
        f"{n}.{f}"
        for n in FROZEN
        for f in current.get(n, {}).get("fields", {})
        if f not in FROZEN[n]["fields"]
    }
    if added:
        assert tuple(map(int, SCHEMA_VERSION.split("."))) >= (1, 1, 0), (
            f"added {sorted(added)}: bump the minor"
        )
