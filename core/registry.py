"""Registries: one frozen record per choice (activation, layer type, loss, optimizer, data source,
export format), so adding a choice is adding one record.

Records never import torch: they name torch code by string (`"Tanh"` for a torch.nn class,
`"pkg.module:attr"` otherwise), resolved on first use, so the window paints before torch loads.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any, Generic, TypeVar


@dataclass(frozen=True, kw_only=True)
class Record:
    """One choice: `name` is the value a spec stores, `label` and `tip` what the GUI shows."""

    name: str
    label: str
    tip: str = ""


R = TypeVar("R", bound=Record)


class Registry(Generic[R]):
    """Records by name, in registration order (the order combo boxes list them)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # named in errors: "unknown activation 'x'"
        self._records: dict[str, R] = {}

    def add(self, record: R) -> R:
        if record.name in self._records:
            raise ValueError(f"{self.kind} '{record.name}' is already registered")
        self._records[record.name] = record
        return record

    def remove(self, name: str) -> None:
        del self._records[_key(name)]

    @contextmanager
    def added(self, *records: R) -> Iterator[None]:
        """Register `records` for the `with` block only (tests, plug-ins tried out)."""
        for r in records:
            self.add(r)
        try:
            yield
        finally:
            for r in records:
                self._records.pop(r.name, None)

    def __getitem__(self, name: str | Enum) -> R:
        try:
            return self._records[_key(name)]
        except KeyError:
            raise KeyError(f"unknown {self.kind} {_key(name)!r}; allowed: {', '.join(self._records)}") from None

    def get(self, name: str | Enum, default: Any = None) -> R | Any:
        return self._records.get(_key(name), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, (str, Enum)) and _key(name) in self._records

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(self._records))

    def __len__(self) -> int:
        return len(self._records)

    def records(self) -> tuple[R, ...]:
        return tuple(self._records.values())

    def names(self, **where: Any) -> tuple[str, ...]:
        """Names in registration order, keeping only records whose fields equal `where`."""
        return tuple(r.name for r in self._records.values()
                     if all(getattr(r, k) == v for k, v in where.items()))


def _key(name: str | Enum) -> str:
    return str(name.value) if isinstance(name, Enum) else str(name)


def resolve(ref: str | Callable[..., Any], default_module: str = "torch.nn") -> Any:
    """The object `ref` names: `"pkg.module:attr"`, a bare name in `default_module`, or `ref` itself."""
    if not isinstance(ref, str):
        return ref
    return _resolve(ref, default_module)


@cache
def _resolve(ref: str, default_module: str) -> Any:
    module, _, attr = ref.rpartition(":") if ":" in ref else (default_module, ":", ref)
    return getattr(importlib.import_module(module), attr)
