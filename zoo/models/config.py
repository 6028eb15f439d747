"""Typed model configs: frozen dataclasses that validate, coerce and serialize themselves.

A config is what ``zoo.create(name, **overrides)`` edits and what a checkpoint stores (as
JSON) to rebuild its model. Field types are checked from the annotations; lists become
tuples (JSON and YAML have no tuples) and ints are accepted where floats are expected.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, ClassVar, Literal, TypeVar, Union

from zoo.errors import ConfigError

C = TypeVar("C", bound="ModelConfig")


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    if origin is tuple:
        return f"a list of {_type_name(typing.get_args(hint)[0])}"
    return "None" if hint is type(None) else getattr(hint, "__name__", str(hint))


def _coerce(value: Any, hint: Any) -> Any:
    """``value`` as ``hint`` describes it, or raise TypeError."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        if value in typing.get_args(hint) and not isinstance(value, bool):
            return value
        raise TypeError
    if origin in (Union, types.UnionType):
        for option in typing.get_args(hint):
            try:
                return _coerce(value, option)
            except TypeError:
                continue
        raise TypeError
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise TypeError
        item = typing.get_args(hint)[0]
        return tuple(_coerce(v, item) for v in value)
    if hint is type(None):
        if value is None:
            return None
        raise TypeError
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise TypeError
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise TypeError
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise TypeError
    if hint is str:
        if isinstance(value, str):
            return value
        raise TypeError
    raise TypeError


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Base of every model config. Subclasses add fields and range checks in ``check``."""

    ALIASES: ClassVar[dict[str, str]] = {}

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            try:
                coerced = _coerce(value, hints[f.name])
            except TypeError:
                raise ConfigError(
                    f"{type(self).__name__}.{f.name} must be {_type_name(hints[f.name])}, "
                    f"got {value!r}"
                ) from None
            object.__setattr__(self, f.name, coerced)
        self.check()

    def check(self) -> None:
        """Range checks across fields; raise ConfigError naming the field."""

    def _fail(self, field: str, problem: str) -> None:
        raise ConfigError(f"{type(self).__name__}.{field} {problem}, got {getattr(self, field)!r}")

    def _require_positive(self, *names: str) -> None:
        for name in names:
            value = getattr(self, name)
            values = value if isinstance(value, tuple) else (value,)
            if any(v <= 0 for v in values):
                self._fail(name, "must be positive")

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def _canonical(cls, values: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in values.items():
            name = cls.ALIASES.get(key, key)
            if name in out:
                alias = key if key != name else next(a for a, f in cls.ALIASES.items() if f == name)
                raise ConfigError(
                    f"{cls.__name__}: give {name!r} or its alias {alias!r}, not both"
                )
            out[name] = value
        unknown = sorted(set(out) - set(cls.field_names()))
        if unknown:
            raise ConfigError(
                f"{cls.__name__} has no field(s) {', '.join(map(repr, unknown))}; "
                f"valid: {', '.join(cls.field_names())}"
            )
        return out

    @classmethod
    def from_dict(cls: type[C], values: dict[str, Any]) -> C:
        """Build from a plain dict (JSON / YAML), rejecting unknown fields by name."""
        return cls(**cls._canonical(values))

    def replace(self: C, **overrides: Any) -> C:
        """A copy with ``overrides`` applied and validated."""
        return dataclasses.replace(self, **self._canonical(overrides))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
