"""What runs in a sweep's worker process: train one variant as `layerlab train` does (the same
Trainer.run loop and final figures), streaming progress to the parent through a queue and stopping
between epochs when the parent sets the stop event. Set up once per process by `init_worker`.
"""

from __future__ import annotations

import math
import time
from typing import Any

_queue: Any = None
_stop: Any = None

# message kinds on the queue: (kind, variant index, payload)
PROGRESS, DONE, FAILED = "progress", "done", "failed"


def init_worker(queue: Any, stop: Any) -> None:
    """ProcessPoolExecutor initializer: the queue and event travel to each process when it starts."""
    global _queue, _stop
    _queue, _stop = queue, stop


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _rate(steady: list, epochs: int, wall: float) -> float | None:
    """Epochs per second after the first snapshot (the whole run's when it was too short to tell)."""
    if steady:
        first_epoch, first_time = steady[0]
        seconds = time.perf_counter() - first_time
        if epochs > first_epoch and seconds > 0:
            return (epochs - first_epoch) / seconds
    return epochs / wall if wall > 0 else None


def train_variant(index: int, spec_json: str, grid_resolution: int = 40, snapshot_hz: float = 4.0) -> dict:
    """Train the variant; return its final figures (those `layerlab train` writes to metrics.json)."""
    from core.spec import loads_experiment
    from core.training.control import TrainingControl
    from core.training.trainer import Trainer

    try:
        spec = loads_experiment(spec_json)
        trainer = Trainer(spec)
        control = TrainingControl()
        started = time.perf_counter()
        # (epoch, time) at the first snapshot past epoch 1: the rate from there leaves out the start-up
        steady: list = []

        def emit(snap: Any) -> None:
            if not steady and snap.epoch >= 1:
                steady.append((snap.epoch, time.perf_counter()))
            if _stop is not None and _stop.is_set():
                control.stop()
            if _queue is not None:
                rows = [(r.epoch, r.train_loss, r.test_loss, r.train_accuracy, r.test_accuracy) for r in snap.history]
                boundary = None if snap.boundary is None else snap.boundary.astype("float32")
                _queue.put((PROGRESS, index, {"records": rows, "boundary": boundary, "epoch": snap.epoch,
                                              "best_epoch": snap.best_epoch, "extent": snap.extent,
                                              "seconds": time.perf_counter() - started}))

        if _stop is not None and _stop.is_set():
            return {"state": "cancelled", "epochs": 0}
        state = trainer.run(control, emit, snapshot_hz=snapshot_hz, grid_hz=snapshot_hz,
                            grid_resolution=grid_resolution)
        wall = time.perf_counter() - started
        train_loss, test_loss, train_acc, test_acc = trainer.evaluate()
        epochs = int(trainer.epoch)
        rule = getattr(trainer, "last_stop", None)
        metrics = {"state": "cancelled" if _stop is not None and _stop.is_set() else state.value, "epochs": epochs,
                   "train_loss": _finite(train_loss), "test_loss": _finite(test_loss),
                   "train_accuracy": _finite(train_acc), "test_accuracy": _finite(test_acc),
                   "wall_seconds": wall, "epochs_per_second": _rate(steady, epochs, wall),
                   "engine": trainer.engine, **(rule.summary() if rule is not None else {})}
    except Exception as err:  # noqa: BLE001 - reported to the window as this variant's failure
        if _queue is not None:
            _queue.put((FAILED, index, f"{type(err).__name__}: {err}"))
        raise
    if _queue is not None:
        _queue.put((DONE, index, metrics))
    return metrics
