"""`layerlab train`'s training-health figures: the "health" block of metrics.json and its "health:" line."""

from __future__ import annotations

import math
from typing import Any


def health_metrics(trainer: Any) -> dict[str, Any]:
    """Per layer (as in the diagram): weight and gradient norms, per-step update ratio, dead and
    saturated shares (null where they do not apply), and the warnings, from the model as it ends."""
    from core.training.health_stats import applies, collect

    if not applies(trainer):
        return {}
    try:
        stats = collect(trainer)
    except Exception as err:  # noqa: BLE001 - a figure is not worth failing a finished run for
        return {"health": {"error": f"{type(err).__name__}: {err}"}}
    layers = {
        name: {key: _number(stats[field][k]) for key, field in (
            ("weight_norm", "weight_norm"), ("grad_norm", "grad_norm"), ("update_ratio", "update_ratio"),
            ("dead_share", "dead"), ("saturated_share", "saturated"))}
        for k, name in enumerate(stats["layers"])}
    return {"health": {"rows": stats["rows"], "gradients": stats["gradients"], "layers": layers,
                       "warnings": [w.text for w in stats["warnings"]]}}


def health_line(metrics: dict[str, Any]) -> str:
    """One line: the warnings, or "ok" with each layer's gradient norm; "" without figures."""
    health = metrics.get("health")
    if not health:
        return ""
    if "error" in health:
        return f"health: not measured ({health['error']})"
    grads = ", ".join(f"{name} {_short(v['grad_norm'])}" for name, v in health["layers"].items())
    if health["warnings"]:
        return "health: " + " ".join(health["warnings"]) + f" (gradient norms: {grads})"
    return f"health: ok (gradient norms: {grads})"


def _number(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _short(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2g}"
