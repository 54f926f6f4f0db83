"""Bring experiment dicts from older schema versions up to the current one (0 -> 1 -> 2)."""

from __future__ import annotations

from typing import Any

from core.echo import echo
from core.spec.experiment import SCHEMA_VERSION
from core.strict import SpecError


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """Bring an experiment dict from any older schema_version up to SCHEMA_VERSION.

    Version 0 (the prototype) had flat keys: dataset, noise, hidden=[4, 2], activation,
    learning_rate, optimizer as a string, regularization + regularization_rate.
    Version 1 had dense layers only, without a `type`.
    """
    if not isinstance(raw, dict):
        raise SpecError("an experiment must be a JSON object at the top level")
    version = raw.get("schema_version", _guess_version(raw))
    if not isinstance(version, int) or isinstance(version, bool):
        raise SpecError(f"schema_version must be an integer, got {echo(version)}")
    if version > SCHEMA_VERSION:
        raise SpecError(f"this file has schema_version {version}, newer than this LayerLab "
                        f"understands ({SCHEMA_VERSION}); update LayerLab to open it")
    if version < 0:
        raise SpecError(f"schema_version {version} is not valid")
    data = dict(raw)
    if version == 0:
        data = _migrate_0_to_1(data)
    if data.get("schema_version", version) == 1:
        data = _migrate_1_to_2(data)
    return data


_V0_ONLY_KEYS = ("dataset", "hidden", "learning_rate", "activation", "regularization_rate")


def _guess_version(raw: dict[str, Any]) -> int:
    """Files without schema_version are the prototype's (0) only if they use its flat keys."""
    flat_optimizer = isinstance(raw.get("optimizer"), str)
    return 0 if flat_optimizer or any(k in raw for k in _V0_ONLY_KEYS) else SCHEMA_VERSION


def _migrate_0_to_1(old: dict[str, Any]) -> dict[str, Any]:
    new: dict[str, Any] = {"schema_version": 1}
    data = {k: old.pop(k) for k in ("samples", "noise", "train_fraction") if k in old}
    if "dataset" in old:
        data["source"] = old.pop("dataset")
    if isinstance(data.get("noise"), (int, float)) and data["noise"] > 1:
        data["noise"] = data["noise"] / 100.0  # the prototype stored noise in percent
    new["data"] = data
    activation = old.pop("activation", "tanh")
    if "hidden" in old:
        hidden = old.pop("hidden")
        if isinstance(hidden, list):
            new["layers"] = [{"units": u, "activation": activation} for u in hidden]
        else:
            new["layers"] = hidden
    optimizer = {"name": old.pop("optimizer", "sgd")}
    if "learning_rate" in old:
        optimizer["lr"] = old.pop("learning_rate")
    new["optimizer"] = optimizer
    if "regularization" in old and not isinstance(old["regularization"], dict):
        new["regularization"] = {"kind": old.pop("regularization"),
                                 "rate": old.pop("regularization_rate", 0.0)}
    old.pop("schema_version", None)
    new.update(old)  # anything else keeps its name and is validated as usual
    return new



def _migrate_1_to_2(old: dict[str, Any]) -> dict[str, Any]:
    """Version 2 names each layer's type; every version-1 layer was dense."""
    new = {**old, "schema_version": 2}
    if isinstance(old.get("layers"), list):
        new["layers"] = [{"type": "dense", **layer} if isinstance(layer, dict) and "type" not in layer else layer
                         for layer in old["layers"]]
    return new
