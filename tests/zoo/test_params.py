"""The one parameter schema and validator (generation/zoo/params.py) that the form, the API and the worker
share: types coerced, defaults filled, every problem reported by field, the JSON form round-trips."""

import pytest

from generation.zoo.demos import Demo, validate_params
from generation.zoo.params import Param, ParamError, capped, n_param, seed_param, validate

DEMO = Demo(
    slug="test-demo",
    family="gans",
    title="t",
    description="d",
    model="dcgan",
    params=(
        seed_param(),
        n_param(),
        Param("temperature", "float", 1.0, 0.0, 2.0),
        Param("sampler", "choice", "ddim", choices=("ddim", "ddpm")),
        Param("prefix", "str", "", 0, 5),
        Param("word", "str", "", 0, 5, pattern="[a-z]*", pattern_error="may hold only the letters a-z"),
    ),
    citation_key="x",
)


def test_defaults_are_filled_and_types_coerced():
    clean = validate_params(DEMO, {"n": "8", "temperature": "0.5", "seed": 3.0})
    assert clean == {"seed": 3, "n": 8, "temperature": 0.5, "sampler": "ddim", "prefix": "", "word": ""}
    assert type(clean["n"]) is int and type(clean["temperature"]) is float


@pytest.mark.parametrize(
    ("raw", "field", "fragment"),
    [
        ({"n": 0}, "n", "at least 1"),
        ({"n": 65}, "n", "at most 64"),
        ({"n": "many"}, "n", "whole number"),
        ({"n": 2.5}, "n", "whole number"),
        ({"n": True}, "n", "whole number"),
        ({"temperature": "nan"}, "temperature", "finite"),
        ({"temperature": 3}, "temperature", "at most 2"),
        ({"sampler": "euler"}, "sampler", "ddim, ddpm"),
        ({"prefix": "abcdef"}, "prefix", "length must be at most 5"),
        ({"prefix": 7}, "prefix", "text"),
        ({"colour": "red"}, "colour", "unknown parameter"),
        ({"seed": -1}, "seed", "at least 0"),
        ({"word": "ab1"}, "word", "only the letters a-z"),
        ({"word": "ab\n"}, "word", "only the letters a-z"),  # the whole value must match, not a prefix
    ],
)
def test_bad_values_are_reported_by_field(raw, field, fragment):
    with pytest.raises(ParamError) as caught:
        validate_params(DEMO, raw)
    assert field in caught.value.errors
    assert fragment in caught.value.errors[field]


def test_a_param_survives_its_json_form():
    """The web process validates against the schema stored as JSON on the Demo row: it must mean the same."""
    for param in DEMO.params:
        assert Param.from_dict(param.as_dict()) == param


def test_every_problem_is_reported_at_once():
    with pytest.raises(ParamError) as caught:
        validate_params(DEMO, {"n": 0, "temperature": "hot", "bogus": 1})
    assert set(caught.value.errors) == {"n", "temperature", "bogus"}


def test_a_site_cap_lowers_a_maximum_and_never_raises_it():
    lowered = capped(DEMO.params, "n", 2)
    assert [p.maximum for p in lowered if p.name == "n"] == [2]
    assert [p for p in lowered if p.name != "n"] == [p for p in DEMO.params if p.name != "n"]
    with pytest.raises(ParamError) as caught:
        validate(lowered, {"n": 3}, owner="test-demo")
    assert caught.value.errors == {"n": "value must be at most 2 (got 3)"}
    assert [p.maximum for p in capped(DEMO.params, "n", 1000) if p.name == "n"] == [64]
    assert capped(DEMO.params, "n", None) == list(DEMO.params)
