"""What differs between two experiments, in words: "lr 0.03 -> 0.1, adam, width 4,2 -> 8,8".

Reads as the change from the current settings to the run's (`now -> run`); a name that says what it
is by itself (an optimizer, an activation, a loss, a data set) shows just the run's value.
"""

from __future__ import annotations

from typing import Any

# dotted spec key -> the short word the list shows; keys not here use their last part
SHORT = {"optimizer.lr": "lr", "optimizer.momentum": "momentum", "optimizer.nesterov": "nesterov",
         "regularization.rate": "reg rate", "regularization.kind": "reg", "batch_size": "batch",
         "data.noise": "noise", "data.samples": "points", "data.train_fraction": "train share",
         "schedule.kind": "schedule", "stop.patience": "patience", "features": "features"}
SELF_NAMED = {"optimizer.name", "loss", "data.source"}  # the run's value alone says it all
IGNORED = {"schema_version", "device", "engine", "epochs", "stop.at_epochs"}  # not what made runs differ


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flat(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: data}


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ",".join(_text(v) for v in value)
    return "none" if value is None else str(value)


def _layers(now: list[dict], run: list[dict]) -> list[str]:
    """Depth, then widths, then activations: the first that differs says the most."""
    parts = []
    if len(now) != len(run):
        parts.append(f"depth {len(now)} -> {len(run)}")
    units_now = [layer.get("units") for layer in now if "units" in layer]
    units_run = [layer.get("units") for layer in run if "units" in layer]
    if units_now != units_run and (len(now) == len(run) or set(units_now) != set(units_run)):
        parts.append(f"width {_text(units_now)} -> {_text(units_run)}")
    acts_run = [layer.get("activation") for layer in run if "activation" in layer]
    acts_now = [layer.get("activation") for layer in now if "activation" in layer]
    if set(acts_run) != set(acts_now):
        parts.append(acts_run[0] if len(set(acts_run)) == 1 else f"activations {_text(acts_run)}")
    others = ("type", "dropout", "norm", "filters", "kernel", "stride", "padding", "size")
    if len(now) == len(run):
        for i, (a, b) in enumerate(zip(now, run), 1):
            for key in others:
                if a.get(key) != b.get(key):
                    parts.append(f"layer {i} {key} {_text(a.get(key))} -> {_text(b.get(key))}")
    return parts


def describe_differences(run: dict, now: dict) -> str:
    """The run's spec dict against the current one's, as a short comma-separated phrase ('' if equal)."""
    parts: list[str] = []
    a, b = _flat({k: v for k, v in now.items() if k != "layers"}), _flat({k: v for k, v in run.items()
                                                                             if k != "layers"})
    for key in list(dict.fromkeys([*a, *b])):
        if key in IGNORED or a.get(key) == b.get(key):
            continue
        if key in SELF_NAMED:
            parts.append(_text(b.get(key)))
        elif isinstance(b.get(key), (int, float)) and not isinstance(b.get(key), bool) \
                and isinstance(a.get(key), (int, float)):
            parts.append(f"{SHORT.get(key, key.rsplit('.', 1)[-1])} {_text(a.get(key))} -> {_text(b.get(key))}")
        else:
            parts.append(f"{SHORT.get(key, key.rsplit('.', 1)[-1])} {_text(b.get(key))}")
    return ", ".join(parts + _layers(now.get("layers") or [], run.get("layers") or []))
