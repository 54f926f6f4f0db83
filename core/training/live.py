"""Live settings: one record each for a setting that applies between steps, without a reset.

A new live setting = one record here + the Trainer method it names; the control, the run loop and
(in app/) the window relay it by name, with no per-setting code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.registry import Record, Registry


@dataclass(frozen=True, kw_only=True)
class LiveSetting(Record):
    key: str | None  # the spec field it mirrors, dotted ("optimizer.lr"); None: view state, not in the spec
    cast: Callable[[Any], Any]  # the value as the trainer takes it
    apply: str  # the Trainer method that applies it (raises ValueError for a value it refuses)


def _plain_stop(value: Any) -> dict:
    """spec.stop as a plain dict (validated by the trainer, which knows the spec model)."""
    return dict(value.model_dump(mode="json") if hasattr(value, "model_dump") else value)


LIVE: Registry[LiveSetting] = Registry("live setting")
LIVE.add(LiveSetting(name="learning_rate", label="Learning rate", key="optimizer.lr", cast=float,
                     apply="set_learning_rate"))
LIVE.add(LiveSetting(name="batch_size", label="Batch size", key="batch_size", cast=int, apply="set_batch_size"))
LIVE.add(LiveSetting(name="regularization_rate", label="Regularisation rate", key="regularization.rate",
                     cast=float, apply="set_regularization_rate"))
LIVE.add(LiveSetting(name="stop", label="Stop conditions", key="stop", cast=_plain_stop, apply="set_stop_conditions"))
LIVE.add(LiveSetting(name="epochs", label="Epochs", key="epochs", cast=int, apply="set_epochs"))
LIVE.add(LiveSetting(name="focus", label="Focused sample", key=None, cast=lambda value: value, apply="set_focus"))
