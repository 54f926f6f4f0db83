"""Snapshot probes: an applicable probe's pictures arrive in Snapshot.views, a failing one is reported
under its name and the run goes on, and the focused sample follows the live "focus" setting."""

import numpy as np
import pytest

from core.spec import Experiment
from core.training.probes import PROBES, Probe
from core.training.trainer import Trainer


def _focus_row(trainer):
    return {"row": trainer.focus.features(trainer).cpu().numpy().copy()}


def _broken(trainer):
    raise RuntimeError("no picture")


def _always(trainer):
    return True


def _never(trainer):
    return False


HERE = __name__


def test_probe_pictures_reach_the_snapshot_and_follow_focus():
    trainer = Trainer(Experiment(data={"source": "circle", "samples": 100}, epochs=1))
    records = (Probe(name="t_focus", label="t", applies=f"{HERE}:_always", collect=f"{HERE}:_focus_row"),
               Probe(name="t_broken", label="t", applies=f"{HERE}:_always", collect=f"{HERE}:_broken"),
               Probe(name="t_never", label="t", applies=f"{HERE}:_never", collect=f"{HERE}:_focus_row"))
    with PROBES.added(*records):
        snap = trainer.snapshot()
        assert np.allclose(snap.views["t_focus"]["row"], trainer.x_test[:1].numpy())
        assert "no picture" in snap.views["t_broken"]["error"]
        assert "t_never" not in snap.views
        trainer.apply_pending({"focus": 3}, [])
        assert np.allclose(trainer.snapshot().views["t_focus"]["row"], trainer.x_test[3:4].numpy())
        trainer.apply_pending({"focus": [1.0, -2.0]}, [])
        drawn = trainer.snapshot().views["t_focus"]["row"]
        assert np.allclose(drawn, trainer.preprocess(np.array([[1.0, -2.0]], np.float32)))
        assert "t_focus" not in trainer.snapshot(grid=False).views


def test_bad_focus_is_refused_with_a_reason():
    trainer = Trainer(Experiment(data={"source": "circle", "samples": 100}, epochs=1))
    assert "does not exist" in trainer.apply_pending({"focus": 10_000}, [])
    assert "finite values" in trainer.apply_pending({"focus": [1.0, 2.0, 3.0]}, [])
    with pytest.raises(ValueError):
        trainer.set_focus([np.nan, 1.0])
