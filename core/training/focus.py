"""The one sample the per-sample pictures show (feature maps, hidden states ...): a test row picked in
the gallery, or an input the user drew. Set live (LIVE "focus"), read by the probes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from core.training.trainer import Trainer


class Focus:
    """Which sample: `test_index` into the test rows, or `drawn` raw input (the data's units/shape)."""

    def __init__(self) -> None:
        self.test_index = 0
        self.drawn: np.ndarray | None = None

    def set(self, value: Any, trainer: Trainer) -> None:
        """An int picks a test row; an array (the dataset's input shape, raw units) is a drawn input;
        None goes back to the first test row. ValueError names what is wrong."""
        if value is None:
            self.test_index, self.drawn = 0, None
            return
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            n = len(trainer.x_test)
            if not 0 <= int(value) < max(n, 1):
                raise ValueError(f"focus: test row {int(value)} does not exist; there are {n}")
            self.test_index, self.drawn = int(value), None
            return
        raw = np.asarray(value, dtype=np.float32)
        shape = tuple(trainer.dataset.input_shape)
        if raw.size != int(np.prod(shape)) or not np.isfinite(raw).all():
            raise ValueError(f"focus: a drawn input must hold {int(np.prod(shape))} finite values "
                             f"(shape {shape}), got shape {raw.shape}")
        self.drawn = raw.reshape(shape).copy()

    def features(self, trainer: Trainer) -> torch.Tensor:
        """The focused sample as the model takes it: a batch of one, preprocessed, on the device."""
        if self.drawn is not None:
            flat = self.drawn.reshape(1, -1)
            x = np.asarray(trainer.preprocess(flat), np.float32)
            return torch.as_tensor(x, device=trainer.device).reshape(1, *trainer.x_test.shape[1:])
        source = trainer.x_test if len(trainer.x_test) else trainer.x_train
        index = min(self.test_index, len(source) - 1)
        return source[index:index + 1]

    def describe(self) -> dict[str, Any]:
        return {"test_index": None if self.drawn is not None else self.test_index,
                "drawn": self.drawn is not None}
