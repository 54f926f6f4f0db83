"""Probes: one record per extra picture a snapshot carries for a modality or task (feature maps,
hidden states, latent space, training health ...).

A probe says when it applies and names the function that collects its arrays; `Evaluator.snapshot`
runs every applicable probe on grid snapshots and files each result under the probe's name in
`Snapshot.views`. A new view of a run = one record here + its collect function, no edit to the
snapshot code. Collect functions return plain numpy copies (they cross the thread boundary).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.registry import Record, Registry, resolve

if TYPE_CHECKING:
    from core.training.trainer import Trainer


@dataclass(frozen=True, kw_only=True)
class Probe(Record):
    # "pkg.module:function": (trainer) -> bool, whether this run has the picture at all
    applies: str
    # "pkg.module:function": (trainer) -> Mapping[str, Any] of numpy copies / plain values
    collect: str


PROBES: Registry[Probe] = Registry("snapshot probe")


def collect_views(trainer: Trainer) -> dict[str, Mapping[str, Any]]:
    """Every applicable probe's pictures, by probe name. A probe that fails is left out, never fatal:
    a picture is not worth stopping a run for (the error is kept under its name for the view to say)."""
    views: dict[str, Mapping[str, Any]] = {}
    for probe in PROBES.records():
        applies: Callable[[Trainer], bool] = resolve(probe.applies)
        if not applies(trainer):
            continue
        collect: Callable[[Trainer], Mapping[str, Any]] = resolve(probe.collect)
        try:
            views[probe.name] = collect(trainer)
        except Exception as exc:  # noqa: BLE001 - reported through the view, the run goes on
            views[probe.name] = {"error": f"{type(exc).__name__}: {exc}"}
    return views
