"""Warnings from the health figures (core/training/health_stats.py), each naming the layer.

The rules, on the figures of one snapshot:
- dead: more than DEAD_SHARE of a ReLU layer's units are never active on the health rows;
- saturated: more than SATURATED_SHARE of a tanh/sigmoid layer's units sit in the flat band;
- vanishing: a hidden layer's gradient norm is below VANISH_RATIO x the output layer's (the textbook
  deep sigmoid net), or every gradient is below TINY_GRADIENT while the loss is not ~0;
- exploding: a hidden layer's gradient norm is above EXPLODE_RATIO x the output layer's, or above
  HUGE_GRADIENT, or not finite.
`WarningsOnce` says each (kind, layer) once a run, however many snapshots still show it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

DEAD_SHARE = 0.5
SATURATED_SHARE = 0.5
VANISH_RATIO = 1e-3
TINY_GRADIENT = 1e-8
SETTLED_LOSS = 1e-3   # below this loss, tiny gradients mean the net has learnt, not that they vanished
EXPLODE_RATIO = 1e3
HUGE_GRADIENT = 1e4


class HealthWarning(NamedTuple):
    kind: str    # "dead", "saturated", "vanishing" or "exploding"
    layer: str   # the layer it is about, as in the diagram ("dense1")
    text: str    # one sentence for the user, with what to try


def check(stats: Mapping[str, Any]) -> list[HealthWarning]:
    """Every rule that holds on these figures, dead/saturated first, input side first."""
    names = list(stats["layers"])
    found: list[HealthWarning] = []
    rows = stats.get("rows", 0)
    for k, name in enumerate(names):
        units, activation = stats["units"][k], stats["activations"][k]
        dead, saturated = stats["dead"][k], stats["saturated"][k]
        if math.isfinite(dead) and dead > DEAD_SHARE:
            found.append(HealthWarning("dead", name, (
                f"{name}: {round(dead * units)} of {units} ReLU units ({dead:.0%}) are dead, never active on the "
                f"first {rows} training rows, so they no longer learn. Try a lower learning rate or leaky ReLU.")))
        if math.isfinite(saturated) and saturated > SATURATED_SHARE:
            found.append(HealthWarning("saturated", name, (
                f"{name}: {round(saturated * units)} of {units} {activation} units ({saturated:.0%}) are saturated "
                f"(flat on nearly every row), so their gradients are ~0. Try a lower learning rate or batch norm.")))
    grads = [float(g) for g in stats["grad_norm"]]
    if len(grads) < 2:
        return found
    last = grads[-1]
    hidden = list(zip(names[:-1], grads[:-1]))
    bad = [(n, g) for n, g in hidden if not math.isfinite(g) or g > HUGE_GRADIENT
           or (last > 0 and g > EXPLODE_RATIO * last)]
    if bad or not math.isfinite(last):
        name, g = bad[0] if bad else (names[-1], last)
        found.append(HealthWarning("exploding", name, (
            f"Gradients explode: {name}'s gradient norm is {g:.3g}"
            + (f", {g / last:.3g} × the output layer's" if last > 0 and math.isfinite(g / last) else "")
            + ". Try a lower learning rate, gradient-friendly activations or batch norm.")))
        return found
    faint = [(n, g) for n, g in hidden if last > 0 and g < VANISH_RATIO * last]
    if faint:
        first, g = faint[0]
        span = first if len(faint) == 1 else f"{first}-{faint[-1][0]}"
        found.append(HealthWarning("vanishing", first, (
            f"Gradients vanish in {span}: {first}'s gradient norm is {g:.2g}, {g / last:.1g} × the output layer's "
            f"(below {VANISH_RATIO:g} ×), so it barely learns. Try relu, batch norm or fewer layers.")))
    elif max(grads) < TINY_GRADIENT and stats.get("loss", 0.0) > SETTLED_LOSS:
        found.append(HealthWarning("vanishing", names[0], (
            f"Gradients vanish everywhere (largest {max(grads):.2g}) while the loss is {stats['loss']:.3g}: "
            f"the net has stopped learning. Try a higher learning rate or relu.")))
    return found


class WarningsOnce:
    """Hands out each (kind, layer) warning the first time a snapshot's health figures show it."""

    def __init__(self) -> None:
        self.given: dict[tuple[str, str], str] = {}

    def new(self, stats: Mapping[str, Any] | None) -> list[HealthWarning]:
        fresh = [w for w in (stats or {}).get("warnings", ()) if (w.kind, w.layer) not in self.given]
        for warning in fresh:
            self.given[(warning.kind, warning.layer)] = warning.text
        return fresh

    def reset(self) -> None:
        self.given.clear()
