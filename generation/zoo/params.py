"""A demo's parameters: the one schema and the one validator (plain Python; no torch, no Django).

Each family file declares its demos' ``Param`` lists. The generation app stores ``as_dict()`` on the Demo
row, builds the web form and the API's description of a parameter from the same fields, and validates every
request (form, API, and the worker before it runs) with ``validate`` here, so each error has one wording.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

SEED_MAX = 2**31 - 1
N_MAX = 64  # samples per request: one grid; a site may lower it (GENERATION_MAX_SAMPLES), never raise it
KINDS = ("int", "float", "choice", "str")


def _doc(text: str, **default) -> dataclasses.Field:
    """A field whose description the API's schema shows (generation/serializers.py reads ``help``)."""
    return field(metadata={"help": text}, **default)


@dataclass(frozen=True)
class Param:
    name: str = _doc("The key a request sets.")
    kind: str = _doc("int, float, choice (one of choices) or str.")
    default: object = _doc("Used when the request leaves the parameter out.")
    minimum: float | None = _doc("Inclusive; for text, the shortest allowed length.", default=None)
    maximum: float | None = _doc("Inclusive; for text, the longest allowed length.", default=None)
    choices: tuple = _doc("The allowed values of a choice, as text.", default=())
    help: str = _doc("What the parameter does, for people.", default="")
    pattern: str = _doc("For text: a regular expression the whole value must match (blank: any).", default="")
    pattern_error: str = _doc("What a request whose text does not match the pattern is told.", default="")

    def __post_init__(self):
        assert self.kind in KINDS, f"param {self.name}: unknown kind {self.kind!r}"
        assert self.kind != "choice" or self.default in self.choices, (
            f"param {self.name}: default not in choices"
        )
        assert not self.pattern or self.kind == "str", f"param {self.name}: only text takes a pattern"

    def as_dict(self) -> dict:
        """The JSON form stored on a Demo row (every field, by the same names)."""
        return {**dataclasses.asdict(self), "choices": list(self.choices)}

    @classmethod
    def from_dict(cls, data: Mapping) -> Param:
        values = {f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data}
        return cls(**{**values, "choices": tuple(values.get("choices") or ())})


def capped(params: Sequence[Param], name: str, maximum: int | None) -> list[Param]:
    """The params with ``name``'s maximum lowered to ``maximum`` (a site's own cap; None leaves it)."""
    if maximum is None:
        return list(params)
    return [
        dataclasses.replace(p, maximum=min(p.maximum, maximum) if p.maximum is not None else maximum)
        if p.name == name
        else p
        for p in params
    ]


class ParamError(ValueError):
    """Parameters a demo cannot take; ``errors`` maps each offending field to what was wrong."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))


def seed_param(default: int = 0) -> Param:
    return Param(
        "seed", "int", default, 0, SEED_MAX, help="Random seed: the same seed gives the same output."
    )


def n_param(default: int = 16, help: str = "Number of samples.") -> Param:
    return Param("n", "int", default, 1, N_MAX, help=help)


def _coerce(param: Param, value: object) -> object:
    """The value in the param's type, or ValueError with a message for the user."""
    if param.kind == "int":
        if isinstance(value, bool):
            raise ValueError("must be a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ValueError("must be a whole number")
    if param.kind == "float":
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise ValueError("must be a number") from None
        else:
            raise ValueError("must be a number")
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        return number
    if param.kind == "choice":
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or text not in param.choices:
            raise ValueError(f"must be one of {', '.join(map(str, param.choices))}")
        return text
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value


def _check(param: Param, value: object) -> None:
    if param.kind == "choice":
        return
    measured = len(value) if param.kind == "str" else value
    what = "length" if param.kind == "str" else "value"
    if param.minimum is not None and measured < param.minimum:
        raise ValueError(f"{what} must be at least {param.minimum} (got {measured})")
    if param.maximum is not None and measured > param.maximum:
        raise ValueError(f"{what} must be at most {param.maximum} (got {measured})")
    if param.pattern and re.fullmatch(param.pattern, value) is None:
        raise ValueError(param.pattern_error or f"must match the pattern {param.pattern}")


def validate(params: Sequence[Param], raw: Mapping, *, owner: str) -> dict:
    """Every param, typed and in range, defaults filled; ParamError lists every problem at once."""
    if not isinstance(raw, Mapping):
        raise ParamError({"__all__": "parameters must be a mapping of names to values"})
    known = {param.name: param for param in params}
    errors: dict[str, str] = {}
    for name in raw:
        if name not in known:
            errors[str(name)] = f"unknown parameter; {owner} takes {', '.join(known)}"
    clean: dict[str, object] = {}
    for name, param in known.items():
        if name not in raw or raw[name] is None:
            clean[name] = param.default
            continue
        try:
            value = _coerce(param, raw[name])
            _check(param, value)
            clean[name] = value
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise ParamError(errors)
    return clean
