"""Adding a recurrent layer by clicking: where it goes in the layer list and what changes with it."""

from __future__ import annotations

from typing import Any

from core.nn.layers import LAYER_TYPES

_SEQUENCE_TYPES = ("rnn", "lstm", "gru", "conv1d")


def with_recurrent_layer(layers: list[dict[str, Any]], kind: str, units: int = 16) -> list[dict[str, Any]]:
    """`layers` (spec JSON) with a `kind` layer of `units` after the last sequence layer, so it reads
    the sequence; a recurrent layer before it then passes on its whole sequence (return_sequences)."""
    if kind not in LAYER_TYPES:
        raise ValueError(f"{kind!r} is not a layer type")
    out = [dict(layer) for layer in layers]
    last = max((i for i, layer in enumerate(out) if layer.get("type") in _SEQUENCE_TYPES), default=-1)
    if last >= 0 and "return_sequences" in LAYER_TYPES[out[last]["type"]].spec_model.model_fields:
        out[last]["return_sequences"] = True
    out.insert(last + 1, {"type": kind, "units": units, "return_sequences": False})
    return out
