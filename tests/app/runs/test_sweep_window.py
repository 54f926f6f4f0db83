"""Sweep in the window (sweepButton): variants train in worker processes, the table's figures equal
separate headless runs with the same seed, finished variants join the run list, and Cancel or
closing the window leaves no child process. (Each spawned process imports torch: kept to a few.)"""

from __future__ import annotations

import multiprocessing
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from core.training.control import TrainingControl
from core.training.trainer import Trainer
from window_checks import quick_spec

RATES = [0.01, 0.3]


def _step(qtbot, window) -> None:
    epoch = window.controller.epoch
    window.controller.step()
    qtbot.waitUntil(lambda: window.frames.latest is not None and window.frames.latest.epoch > epoch, timeout=30_000)


def _headless(spec) -> tuple:
    trainer = Trainer(spec)
    trainer.run(TrainingControl(), lambda snap: None)
    return trainer.evaluate()


def test_a_window_sweep_of_learning_rates_matches_separate_runs_and_joins_the_run_list(qtbot, make_window):
    spec = quick_spec(data={"source": "xor", "samples": 60}, seed=5, epochs=5, optimizer={"name": "adam", "lr": 0.03})
    window = make_window(spec)
    _step(qtbot, window)
    window.controller.reset()   # a run in the list before the sweep: it has the palette's first colour
    qtbot.mouseClick(window.findChild(QPushButton, "sweepButton"), Qt.MouseButton.LeftButton)
    dialog = window.sweep_dialog
    assert dialog.isVisible() and dialog.epochs_spin.value() == 5
    with qtbot.waitSignal(dialog.finished_all, timeout=240_000):
        assert dialog.start("learning_rate", RATES, workers=2)
    assert not any(p.is_alive() for p in multiprocessing.active_children())
    rows = [[dialog.table.item(r, c).text() for c in range(dialog.table.columnCount())] for r in range(2)]
    assert [r[0] for r in rows] == ["lr=0.01", "lr=0.3"] and all(r[1] == "finished" and r[2] == "5" for r in rows)
    runs = list(window.run_keeper.runs)[1:]
    assert [r.name for r in runs] == ["lr=0.01", "lr=0.3"] and all(r.ended == "sweep" for r in runs)
    for run, variant, curve in zip(runs, dialog.variants, dialog._curves):   # one colour per variant everywhere
        assert window.run_list.colour_of(run) == variant.colour == curve.opts["pen"].color().getRgb()[:3]
    assert window.run_list.colour_of(window.run_keeper.runs[0]) not in [v.colour for v in dialog.variants]
    _step(qtbot, window)
    window.controller.reset()   # a later run takes a colour no run in the list has
    shown = [window.run_list.colour_of(r) for r in window.run_keeper.runs]
    assert shown[-1] not in shown[:-1]
    for rate, run, row in zip(RATES, runs, rows):
        train_loss, test_loss, _, test_acc = _headless(spec.replace(optimizer={"name": "adam", "lr": rate}))
        assert run.test_loss == test_loss and run.train_loss == train_loss and run.test_accuracy == test_acc
        assert row[3] == f"{test_loss:.4g}" and run.curves["epoch"] == [1, 2, 3, 4, 5]
        assert window.run_keeper.differences(run) == f"lr 0.03 -> {rate:g}"
    assert runs[0].test_loss != runs[1].test_loss
    assert len(dialog.loss_plot.plotItem.legend.items) == 2
    assert all(image.image is not None for image in dialog._images)   # each variant's boundary was drawn


def test_cancel_and_closing_the_window_leave_no_child_process(qtbot, make_window):
    window = make_window(quick_spec(epochs=1_000_000))
    dialog = window.race_action.trigger() or window.sweep_dialog
    assert dialog.setting == "optimizer" and len(dialog.variants) >= 4   # the race: every optimizer at once
    processes = list(dialog.sweep.processes)
    assert processes
    qtbot.waitUntil(lambda: any(v.records for v in dialog.variants), timeout=120_000)
    polls: list[float] = []   # how long each of the dialog's timer ticks held the GUI thread

    def timed_poll() -> None:
        started = time.perf_counter()
        dialog.poll()
        polls.append(time.perf_counter() - started)

    dialog.timer.timeout.disconnect(dialog.poll)
    dialog.timer.timeout.connect(timed_poll)
    with qtbot.waitSignal(dialog.finished_all, timeout=60_000):
        started = time.perf_counter()
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        cancel_s = time.perf_counter() - started
        assert any(p.is_alive() for p in processes)   # still ending: the click did not wait for them
    assert cancel_s < 0.2 and polls and max(polls) < 0.2, (cancel_s, max(polls, default=None))
    qtbot.waitUntil(lambda: not any(p.is_alive() for p in processes) and not multiprocessing.active_children(),
                    timeout=10_000)
    assert dialog.status.text().startswith("Cancelled")

    assert dialog.start("learning_rate", [0.01, 0.1], workers=1)
    processes = list(dialog.sweep.processes)
    dialog.close()   # cancels; the processes end in the background
    assert dialog.cancel_button.isEnabled() is False and dialog.sweep is not None
    window.close()   # waits for them
    assert not any(p.is_alive() for p in processes) and not multiprocessing.active_children()


class _FailingSweep:
    """Stands in for core.runs.pool.Sweep: variant 0's training raised (its message came on the queue),
    variant 1's process was killed (no message; its future says so)."""

    def __init__(self, specs, workers=None) -> None:
        from core.runs.pool import CRASHED
        from core.runs.process import FAILED

        self.workers, self.processes, self.cancelled, self.done = workers or 1, [], False, True
        self._messages = [(FAILED, 0, "ValueError: the learning rate broke it")]
        self._errors = [None, CRASHED]

    def poll(self):
        messages, self._messages = self._messages, []
        return messages

    def close_async(self, timeout_s=10.0):
        from concurrent.futures import Future

        future = Future()
        future.set_result([])
        return future

    def results(self):
        return [None, None]

    def errors(self):
        return self._errors


def test_failed_variants_say_why_in_the_status_and_their_rows(qtbot, make_window, monkeypatch):
    import core.runs.pool

    monkeypatch.setattr(core.runs.pool, "Sweep", _FailingSweep)
    from app.runs.install import open_sweep

    window = make_window(quick_spec(epochs=5))

    dialog = open_sweep(window)
    with qtbot.waitSignal(dialog.finished_all, timeout=10_000):
        assert dialog.start("learning_rate", RATES, workers=2)
    status = dialog.status.text()
    assert status.startswith("Done. 0 variants added to the run list. 2 failed:"), status
    assert "lr=0.01: ValueError: the learning rate broke it" in status and "lr=0.3: its process ended" in status
    states = [dialog.table.item(r, 1) for r in range(2)]
    assert [s.text() for s in states] == ["failed", "failed"]
    assert states[1].toolTip().startswith("its process ended unexpectedly")
    assert list(window.run_keeper.runs) == []
