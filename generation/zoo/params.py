"""A demo's parameters: their schema and their validation (plain Python; no torch, no Django).

The web process validates requests against the schema stored on each Demo row, so it never needs torch;
the worker validates again against the zoo's own copy before it runs. Both use ``validate`` here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SEED_MAX = 2**31 - 1
N_MAX = 64
KINDS = ("int", "float", "choice", "str")


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # one of KINDS
    default: object
    minimum: float | None = None  # inclusive; for "str", the shortest allowed length
    maximum: float | None = None  # inclusive; for "str", the longest allowed length
    choices: tuple = ()  # allowed values of a "choice" (strings)
    help: str = ""
    pattern: str = ""  # for "str": a regular expression the whole value must match (also an HTML pattern)
    pattern_error: str = ""  # what to tell a user whose value does not match

    def __post_init__(self):
        assert self.kind in KINDS, f"param {self.name}: unknown kind {self.kind!r}"
        assert self.kind != "choice" or self.default in self.choices, (
            f"param {self.name}: default not in choices"
        )
        assert not self.pattern or self.kind == "str", f"param {self.name}: only text takes a pattern"

    def as_dict(self) -> dict:
        """The JSON form stored on a Demo row and shown by the API."""
        return {
            "name": self.name,
            "kind": self.kind,
            "default": self.default,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "choices": list(self.choices),
            "help": self.help,
            "pattern": self.pattern,
            "pattern_error": self.pattern_error,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> Param:
        return cls(
            name=data["name"],
            kind=data["kind"],
            default=data.get("default"),
            minimum=data.get("minimum"),
            maximum=data.get("maximum"),
            choices=tuple(data.get("choices") or ()),
            help=data.get("help", ""),
            pattern=data.get("pattern", ""),
            pattern_error=data.get("pattern_error", ""),
        )


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
