"""A CPU copy of the live run, taken on its training thread between two epochs.

The window asks for it with `TrainingWorker.call_between_epochs(capture_run)` and waits with
app.files.session_files.wait_for; Save Checkpoint, Export Model and autosave then use the copy while
training goes on, so nothing ever reads weights the optimizer is changing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from core.files.checkpoint import CheckpointData, capture_checkpoint


@dataclass
class CapturedRun(CheckpointData):
    """A checkpoint of the run plus its data set: enough to save it, export it, or resume it."""

    dataset: Any = None

    @property
    def model(self) -> Any:
        """The network rebuilt on the CPU with the captured weights (a private copy per access)."""
        return self.build_model()


def capture_run(trainer: Any) -> CapturedRun:
    """Call on the training thread between epochs (through TrainingWorker.call_between_epochs)."""
    data = capture_checkpoint(trainer)
    return CapturedRun(**{f.name: getattr(data, f.name) for f in fields(CheckpointData)},
                       dataset=trainer.dataset)
