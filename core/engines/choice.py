"""Why the torch engine runs when the user did not choose it, and roughly what that costs."""

from __future__ import annotations

from typing import Any

from core.nn.build import linear_layers
from core.nn.layers import LAYER_TYPES
from core.spec import Engine

# The engine notice names a slowdown only from this factor on (below it the estimate is noise).
NOTICE_MIN_SLOWDOWN = 1.5
# Why torch trains while the fused kernels compile (Trainer.hold_fused); 45 s on two cores.
FUSED_COMPILING = ("the fast engine is compiling for its first run on this machine (about a minute); "
                   "the run moves to it when it is ready")


def engine_notice(trainer: Any) -> str:
    """One line for the window when the torch engine runs although the user did not ask for it:
    why, and roughly what it costs ("batch norm ('norm1') is not on the fast path: about 60×
    slower"); "" on the fused engine or with engine 'torch' chosen in the experiment."""
    if trainer.engine == "fused" or Engine(trainer.spec.engine) == Engine.torch:
        return ""
    why = getattr(trainer, "engine_why", "") or trainer.engine_note
    if trainer.engine_note.startswith("the fused engine failed"):
        return trainer.engine_note
    if why == FUSED_COMPILING:  # for a minute only: no cost to weigh
        return f"Torch engine: {why}"
    if "torch engine is faster" in why:
        return "Torch engine: faster than the fast path for this net and batch size"
    if trainer.device.type != "cpu" or not why:
        return f"Torch engine: {why}" if why else ""
    if any(LAYER_TYPES[layer.type].fused(layer) for layer in trainer.spec.layers):
        return f"Torch engine: {why}"  # the fused engine cannot run this net at all: no cost to compare
    from core.engines.fused_fit import estimated_epoch_seconds

    linears = linear_layers(trainer.model)
    widths = [linears[0].in_features] + [m.out_features for m in linears]
    fused_s, torch_s = estimated_epoch_seconds(widths, len(trainer.dataset.x_train), trainer.batch_size,
                                               trainer.spec.optimizer.name.value)
    slower = torch_s / fused_s
    if slower < NOTICE_MIN_SLOWDOWN:
        return f"Torch engine: {why}"
    return f"Torch engine: {why}: about {_round_figure(slower)}× slower"


def _round_figure(value: float) -> str:
    """A rough factor as people say it: 1.8, 7, 60, 300 (two significant digits at most)."""
    if value < 10:
        return f"{value:.1f}".rstrip("0").rstrip(".") if value < 2 else f"{value:.0f}"
    digits = 10 ** (len(str(int(value))) - 2)
    return f"{round(value / digits) * digits:,}"
