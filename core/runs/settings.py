"""SWEEP_SETTINGS: one record per setting a sweep varies (learning rate, batch size, width, depth,
optimizer, activation, regularisation rate): how a value is read, what values to offer, and how it
changes an experiment's dict. The window's sweep dialog lists them; `layerlab sweep --set NAME=...`
accepts their names beside any dotted spec key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.nn.activations import ACTIVATIONS
from core.nn.optimizers import OPTIMIZERS
from core.registry import Record, Registry

MOMENTUM = "momentum"  # the race's SGD with momentum 0.9 (ConvNetJS's 'sgd+momentum')


def set_key(raw: dict, key: str, value: Any) -> dict:
    """A deep copy of `raw` with the dotted `key` set to `value` (parents made as needed)."""
    data = json.loads(json.dumps(raw))
    node = data
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part) if isinstance(node, dict) else None
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value
    return data


def _width(raw: dict, units: Any) -> dict:
    data = json.loads(json.dumps(raw))
    for layer in data.get("layers", []):
        if layer.get("type", "dense") == "dense":
            layer["units"] = units
    return data


def _depth(raw: dict, depth: Any) -> dict:
    """`depth` dense hidden layers at the end: copies of the last dense one (after any image layers)."""
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise ValueError(f"depth needs a whole number of layers, got {depth!r}")
    data = json.loads(json.dumps(raw))
    layers = data.get("layers", [])
    last_other = max((i for i, layer in enumerate(layers) if layer.get("type", "dense") != "dense"), default=-1)
    dense = layers[last_other + 1:]
    template = {**(dense[-1] if dense else {"type": "dense", "units": 4, "activation": "tanh"}),
                "dropout": 0.0, "norm": "none"}
    kept = dense[:depth]
    data["layers"] = layers[:last_other + 1] + kept + [dict(template) for _ in range(depth - len(kept))]
    return data


def _optimizer(raw: dict, name: Any) -> dict:
    data = json.loads(json.dumps(raw))
    optimizer = data.setdefault("optimizer", {})
    momentum = name == MOMENTUM
    optimizer.update(name="sgd" if momentum else name, momentum=0.9 if momentum else 0.0, nesterov=False)
    return data


def _activation(raw: dict, name: Any) -> dict:
    data = json.loads(json.dumps(raw))
    for layer in data.get("layers", []):
        if "activation" in layer:
            layer["activation"] = name
    return data


def _regularization_rate(raw: dict, rate: Any) -> dict:
    data = set_key(raw, "regularization.rate", rate)
    if isinstance(rate, (int, float)) and rate > 0 and data["regularization"].get("kind", "none") == "none":
        data["regularization"]["kind"] = "l2"  # a rate with no penalty would change nothing
    return data


@dataclass(frozen=True, kw_only=True)
class SweepSetting(Record):
    """A setting to sweep: `apply(experiment dict, value) -> dict`, the values offered, their type."""

    apply: Callable[[dict, Any], dict]
    defaults: tuple = ()
    kind: type = float                          # float, int or str (a choice)
    choices: Callable[[], tuple[str, ...]] | None = None
    current: Callable[[dict], Any] = lambda raw: None   # the experiment's own value, shown in the dialog

    def parse(self, text: str) -> Any:
        """One value from text; ValueError saying what was expected."""
        text = text.strip()
        if self.kind is str:
            allowed = self.choices() if self.choices else ()
            if allowed and text not in allowed:
                raise ValueError(f"{self.label.lower()} '{text}' is not one of {', '.join(allowed)}")
            return text
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{self.label.lower()} needs a number, got '{text}'") from None
        if self.kind is int:
            if not number.is_integer():
                raise ValueError(f"{self.label.lower()} needs a whole number, got '{text}'")
            return int(number)
        return number


SWEEP_SETTINGS: Registry[SweepSetting] = Registry("sweep setting")
SWEEP_SETTINGS.add(SweepSetting(name="learning_rate", label="Learning rate", defaults=(0.003, 0.01, 0.03, 0.1),
                                apply=lambda raw, v: set_key(raw, "optimizer.lr", v),
                                current=lambda raw: raw.get("optimizer", {}).get("lr"),
                                tip="The optimizer's step size."))
SWEEP_SETTINGS.add(SweepSetting(name="batch_size", label="Batch size", kind=int, defaults=(1, 10, 30),
                                apply=lambda raw, v: set_key(raw, "batch_size", v),
                                current=lambda raw: raw.get("batch_size"), tip="Rows per gradient step."))
SWEEP_SETTINGS.add(SweepSetting(name="width", label="Width (neurons per layer)", kind=int, defaults=(2, 4, 8),
                                apply=_width, tip="Every dense hidden layer gets this many neurons.",
                                current=lambda raw: next((layer.get("units") for layer in raw.get("layers", [])
                                                          if layer.get("type", "dense") == "dense"), None)))
SWEEP_SETTINGS.add(SweepSetting(name="depth", label="Depth (hidden layers)", kind=int, defaults=(1, 2, 3),
                                apply=_depth, tip="Dense hidden layers, copies of the last one.",
                                current=lambda raw: sum(layer.get("type", "dense") == "dense"
                                                        for layer in raw.get("layers", []))))
SWEEP_SETTINGS.add(SweepSetting(name="optimizer", label="Optimizer", kind=str, apply=_optimizer,
                                choices=lambda: ("sgd", MOMENTUM, *(n for n in OPTIMIZERS if n != "sgd")),
                                defaults=("sgd", MOMENTUM, "adam", "rmsprop"),
                                current=lambda raw: raw.get("optimizer", {}).get("name"),
                                tip=f"'{MOMENTUM}' is SGD with momentum 0.9."))
SWEEP_SETTINGS.add(SweepSetting(name="activation", label="Activation", kind=str, apply=_activation,
                                choices=lambda: tuple(ACTIVATIONS), defaults=("tanh", "relu", "sigmoid"),
                                current=lambda raw: next((layer.get("activation") for layer in raw.get("layers", [])
                                                          if "activation" in layer), None),
                                tip="Every hidden layer's activation."))
SWEEP_SETTINGS.add(SweepSetting(name="regularization_rate", label="Regularisation rate",
                                defaults=(0.0, 0.001, 0.01), apply=_regularization_rate,
                                current=lambda raw: raw.get("regularization", {}).get("rate"),
                                tip="The L1/L2 penalty's rate (L2 when none is chosen)."))


def race_values() -> tuple[str, ...]:
    """The optimizer race: every optimizer the registry offers, and SGD with momentum."""
    return SWEEP_SETTINGS["optimizer"].choices()
