"""Choosing a data set never freezes the window: slow loads happen off the GUI thread."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QTimer

from core.spec import DataSource

SLOW_LOAD_S = 0.6  # what importing scikit-learn costs on a busy machine (it was ~5 s for digits)


@pytest.fixture
def slow_loads(monkeypatch):
    """Every data set takes SLOW_LOAD_S to build, as a cold scikit-learn import does. (scikit-learn
    itself is imported first: loading its compiled modules holds the interpreter lock for ~0.1 s
    whatever thread does it, which is not what this test measures.)"""
    import sklearn.datasets  # noqa: F401

    import core.data

    real = core.data.load_dataset
    threads: list[threading.Thread] = []  # the thread each load ran on

    def slow(spec, *args, **kwargs):
        threads.append(threading.current_thread())
        time.sleep(SLOW_LOAD_S)
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(core.data, "load_dataset", slow)
    return threads


class _Heartbeat:
    """A 10 ms timer on the GUI thread; `longest` is the longest gap between two beats, `busy` the
    GUI thread's own CPU time in that gap (the rest: other threads or processes had the CPU)."""

    def __init__(self) -> None:
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self._beat)
        self.last = None
        self.longest = 0.0
        self.busy = 0.0
        self.busiest = 0.0  # the most CPU time the GUI thread spent between two beats

    def _beat(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if self.last is not None and now - self.last[0] > self.longest:
            self.longest, self.busy = now - self.last[0], cpu - self.last[1]
        if self.last is not None:
            self.busiest = max(self.busiest, cpu - self.last[1])
        self.last = (now, cpu)

    def __enter__(self):
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.stop()


@pytest.mark.parametrize("source, classes", [(DataSource.iris, 3), (DataSource.wine, 3), (DataSource.digits, 10)])
def test_choosing_a_bundled_set_never_blocks_the_gui_thread(window, qtbot, slow_loads, source, classes):
    with _Heartbeat() as heart:
        window.data_panel.sourceChosen.emit(source)
        assert window.controller.loading and f"Loading {source.value}" in window.statusBar().currentMessage()
        qtbot.waitUntil(lambda: window.controller.spec.data.source == source and window.frames.redraw_count > 0
                        and window.frames.latest is not None and window.frames.latest.epoch == 0, timeout=30_000)
    assert window.controller.dataset.n_classes == classes
    assert window.network_view.hidden_layer_count == len(window.controller.spec.layers)
    # The loading ran off the GUI thread, and the turn that shows the new data and the repaint after it
    # stay short (the run is built only after that repaint: app/worker.py HOLD_LIMIT_S).
    assert slow_loads and threading.main_thread() not in slow_loads
    # The bound, 100 ms, is for the GUI thread's own work in its longest gap: measured 32-87 ms on a
    # 2-core machine, and up to 107 ms on a slower day. The gap's wall time also holds waits for the
    # interpreter lock and the CPU, which a busy machine stretches (33-115 ms quiet, 166 ms and up to 240 ms
    # with other tests beside). So the bounds here are twice and three times that, still well below a load
    # on the GUI thread, which stalls it for >= 600 ms.
    report = (f"the GUI thread stalled {heart.longest * 1000:.0f} ms ({heart.busy * 1000:.0f} ms of it its own work); "
              f"its longest own work between two beats: {heart.busiest * 1000:.0f} ms")
    assert heart.busiest < 0.20 and heart.longest < 0.45, report
    # undo and redo still work, at once (the data sets are remembered)
    window.controller.undo_stack.undo()
    assert window.controller.spec.data.source == DataSource.gauss
    window.controller.undo_stack.redo()
    assert window.controller.spec.data.source == source and window.controller.dataset.n_classes == classes


def test_a_newer_choice_wins_over_a_load_in_flight(window, qtbot, slow_loads):
    window.data_panel.sourceChosen.emit(DataSource.wine)
    window.data_panel.sourceChosen.emit(DataSource.iris)
    qtbot.waitUntil(lambda: window.controller.spec.data.source == DataSource.iris, timeout=30_000)
    qtbot.waitUntil(lambda: not window.controller.data_loader.busy, timeout=30_000)
    assert window.controller.spec.data.source == DataSource.iris and window.controller.undo_stack.count() == 1


def test_a_failed_background_load_is_reported_and_keeps_the_data(window, qtbot, monkeypatch):
    import core.data

    def broken(spec, *args, **kwargs):
        raise ValueError("the bundled file is damaged")

    monkeypatch.setattr(core.data, "load_dataset", broken)
    before = window.controller.spec
    window.data_panel.sourceChosen.emit(DataSource.digits)
    qtbot.waitUntil(lambda: "damaged" in window.last_message, timeout=30_000)
    assert window.controller.spec == before and window.data_panel.dataset_combo.currentData() == before.data.source.value
    assert ("error", window.last_message) in window.messages
