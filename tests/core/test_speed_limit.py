"""The speed limit: a learner can slow training down to watch the boundary form."""

from __future__ import annotations

import threading

from core.training.control import TrainingControl
from core.spec import Experiment
from core.training.trainer import Trainer


def _spec(engine: str) -> Experiment:
    return Experiment().replace(data={"source": "gauss", "samples": 100, "noise": 0.0, "train_fraction": 0.5},
                                engine=engine, batch_size=10)


def test_grant_epochs_without_a_limit_grants_everything():
    control = TrainingControl()
    assert control.grant_epochs(500) == (500, 0.0)
    control.set_speed_limit(0)
    assert control.speed_limit is None and control.grant_epochs(7) == (7, 0.0)


def test_grant_epochs_holds_at_most_a_tenth_of_a_second():
    control = TrainingControl()
    control.set_speed_limit(1000.0)
    granted, _ = control.grant_epochs(10_000)
    assert granted <= 100  # never a burst bigger than 0.1 s worth
    none_now, wait = control.grant_epochs(10_000)
    assert none_now <= 5 and 0 <= wait <= 0.01


def _epochs_in(trainer: Trainer, control: TrainingControl, seconds: float) -> int:
    snaps = []
    timer = threading.Timer(seconds, control.stop)
    timer.start()
    try:
        trainer.run(control, snaps.append, until_stopped=True)
    finally:
        timer.cancel()
    assert snaps and snaps[-1].epoch == trainer.epoch
    return trainer.epoch


def test_run_keeps_to_the_limit_on_both_engines():
    for engine in ("torch", "fused"):
        trainer = Trainer(_spec(engine))
        if trainer.engine == "fused":
            from core.engines import fused

            fused.warm_up()
        control = TrainingControl()
        control.set_speed_limit(20.0)
        epochs = _epochs_in(trainer, control, 1.0)
        # 20 a second for one second, plus at most one epoch of allowance: generous bounds, as the
        # machine may be busy (fewer) but must never run far ahead (the fused engine does >10,000/s)
        assert 3 <= epochs <= 30, (engine, epochs)


def test_a_requested_step_runs_whatever_the_limit():
    trainer = Trainer(_spec("torch"))
    control = TrainingControl(paused=True)
    control.set_speed_limit(0.001)
    control.request_epochs(2)
    snaps = []

    def emit(snap):
        snaps.append(snap)
        if trainer.epoch >= 2:
            control.stop()

    timer = threading.Timer(20.0, control.stop)  # a safety net only
    timer.start()
    try:
        trainer.run(control, emit, until_stopped=True)
    finally:
        timer.cancel()
    assert trainer.epoch == 2
