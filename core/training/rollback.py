"""A cheap copy of a model's tensors and its optimizer's state, taken before every epoch.

Divergence must roll back to the last finite weights. Cloning two state dicts every epoch costs
~50-130 µs on a playground net (more than the fused engine's whole epoch); here the copies are
allocated once and refreshed in place with one `torch._foreach_copy_` (~5 µs). They are rebuilt
only when a tensor is replaced (load_state_dict on the optimizer, the optimizer's first step).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from core.training.snapshot import EpochRecord


class Diverged(RuntimeError):
    """The loss became NaN or infinite; the trainer has already rolled back to the last finite weights.

    `records` holds the epochs of the same `train_epochs` call that finished before it (recorded).
    """

    def __init__(self, message: str, epoch: int, records: list[EpochRecord] | None = None) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.records = list(records or [])


def _copy_all(targets: list[torch.Tensor], sources: list[torch.Tensor]) -> None:
    if not targets:
        return
    try:
        torch._foreach_copy_(targets, sources)
    except (AttributeError, RuntimeError):  # no foreach kernel for this mix of devices/dtypes
        for target, source in zip(targets, sources):
            target.copy_(source)


class StateBackup:
    """`save()` before an epoch, `restore()` after a bad one: weights, buffers and optimizer state.

    Restores what `model.load_state_dict` + `optimizer.load_state_dict` of clones would (parameter
    and buffer values, every optimizer state entry, the param groups' hyperparameters; state that
    did not exist at `save()` is removed), but in place: tensors keep their identity.
    The model's tensors are read once here: load_state_dict copies into them, never replaces them.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
        self.model = model
        self.optimizer = optimizer
        # Detached aliases: copies through them stay out of autograd without a no_grad block.
        self._model_tensors = [t.detach() for t in model.parameters()] + [b.detach() for b in model.buffers()]
        self._params = [p for group in optimizer.param_groups for p in group["params"]]
        self._live: list[torch.Tensor] = []
        self._copies: list[torch.Tensor] = []
        self._signature: tuple = ()
        # Per parameter that had optimizer state at save(): its keys, non-tensor values kept as is.
        self._state_layout: list[tuple[Any, dict[str, Any]]] = []
        self._groups: list[dict[str, Any]] = []
        self._saved = False

    def _collect(self) -> tuple[list[torch.Tensor], tuple, list[tuple[Any, dict[str, Any]]]]:
        """The optimizer's state tensors, a signature of their identities, and the state's layout."""
        tensors: list[torch.Tensor] = []
        layout: list[tuple[Any, dict[str, Any]]] = []
        signature: list[Any] = []
        state = self.optimizer.state
        for p in self._params:
            entry = state.get(p)  # .get: indexing the defaultdict would create entries
            if not entry:
                continue
            plain: dict[str, Any] = {}
            for key, value in entry.items():
                if isinstance(value, torch.Tensor):
                    tensors.append(value)
                    signature.append(id(value))
                    plain[key] = None  # a tensor: restored from the copies
                else:
                    plain[key] = value
                signature.append(key)
            layout.append((p, plain))
        # Ids are safe to compare: self._live keeps every saved tensor alive, so none is reused.
        return tensors, tuple(signature), layout

    def save(self) -> None:
        """Refresh the copies from the live tensors (allocating only if a state tensor was replaced)."""
        state_tensors, signature, layout = self._collect()
        if signature != self._signature or not self._saved:
            self._live = self._model_tensors + [t.detach() for t in state_tensors]
            self._copies = [t.clone() for t in self._live]
            self._signature = signature
        else:
            _copy_all(self._copies, self._live)
        self._state_layout = layout
        self._groups = [{k: v for k, v in g.items() if k != "params"} for g in self.optimizer.param_groups]
        self._saved = True

    def restore(self) -> None:
        """Put back what `save()` copied; optimizer state created since then is dropped."""
        if not self._saved:
            raise RuntimeError("StateBackup.restore() called before save(); there is nothing to restore")
        _copy_all(self._live, self._copies)
        state = self.optimizer.state
        had_state = {id(p) for p, _ in self._state_layout}
        for p in self._params:
            if id(p) not in had_state and p in state:
                del state[p]
        tensors = iter(self._live[len(self._model_tensors):])
        for p, plain in self._state_layout:
            entry = state[p]
            for key in [k for k in entry if k not in plain]:
                del entry[key]
            for key, value in plain.items():
                if value is None:
                    tensor = next(tensors)
                    if entry.get(key) is None or entry[key].data_ptr() != tensor.data_ptr():
                        entry[key] = tensor
                else:
                    entry[key] = value
        for group, saved in zip(self.optimizer.param_groups, self._groups):
            group.update(saved)
