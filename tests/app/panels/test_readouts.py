"""The speed readouts and the speed limit, as a user sees them in the top bar and the status bar."""

from __future__ import annotations

import re
import time

from PySide6.QtGui import QAction

from core.training.snapshot import RunState


def _epochs_per_second(text: str) -> str:
    match = re.search(r"([\d,]+) epochs/s", text)
    assert match, text
    return match.group(1)


def test_top_bar_and_status_bar_show_one_speed_and_paused_when_paused(window, qtbot):
    seen = []

    def shown(_snap) -> None:  # read both bars right after the same redraw
        seen.append((window.controls.rate_label.text(), window.rate_status.text(), window.controller.run_state))

    window.snapshotShown.connect(shown)
    window.controller.play()
    qtbot.waitUntil(lambda: sum(1 for *_, state in seen if state == RunState.running) >= 8, timeout=30_000)
    running = [(top, status) for top, status, state in seen if state == RunState.running]
    measured = [(top, status) for top, status in running if "epochs/s" in top]
    assert measured, running
    for top, status in measured:
        assert "steps/s" in status and _epochs_per_second(top) == _epochs_per_second(status)
    window.controller.pause()
    qtbot.waitUntil(lambda: window.controller.run_state == RunState.paused, timeout=10_000)
    assert window.controls.rate_label.text() == "paused" and window.rate_status.text() == "paused"
    before = window.controller.epoch
    window.controller.step()  # one epoch, still paused: no made-up rate from a single epoch
    qtbot.waitUntil(lambda: window.controller.epoch == before + 1, timeout=10_000)
    assert window.controls.rate_label.text() == "paused" and window.rate_status.text() == "paused"


def test_speed_limit_slows_training_to_about_its_rate(window, qtbot):
    window.set_speed_limit(10)
    assert window.controls.speed_combo.currentText() == "10/s"
    start_epoch = window.controller.epoch
    window.controller.play()
    started = time.perf_counter()
    qtbot.waitUntil(lambda: window.controller.epoch >= start_epoch + 8, timeout=30_000)
    elapsed = time.perf_counter() - started
    # 8 epochs at 10 a second take >= 0.7 s (one epoch of allowance); unlimited, this net does
    # hundreds a second. A busy machine only makes it slower, so the bound cannot flake.
    assert elapsed >= 0.5, elapsed
    window.set_speed_limit(0)
    assert window.controls.speed_combo.currentText() == "Max speed"
    fast_from = window.controller.epoch
    qtbot.waitUntil(lambda: window.controller.epoch >= fast_from + 100, timeout=30_000)


def test_start_up_shows_its_progress_then_ready(qtbot):
    from app.window import MainWindow
    from app.worker import live_threads
    from window_checks import THREAD_STOP_MS, quick_spec

    window = MainWindow(settings=None, restore=False, spec=quick_spec())
    qtbot.addWidget(window)
    shown = []
    window.statusBar().messageChanged.connect(shown.append)
    window.show()
    window.controller.ensure_started()
    qtbot.waitUntil(lambda: any(m.startswith("Ready") for m in shown), timeout=60_000)
    assert "Loading the data…" in shown
    assert shown.index("Loading the data…") < next(i for i, m in enumerate(shown) if m.startswith("Ready"))
    phases = window.controller.worker.phases
    assert phases["thread started"] <= phases["data"] <= phases["network"]
    window.close()
    qtbot.waitUntil(lambda: not live_threads(), timeout=THREAD_STOP_MS)


def test_guide_explains_concepts_keys_engines_and_table_colours(window, qtbot):
    window.show_guide()
    guide = window._guide
    assert guide.isVisible()
    text = guide.browser.toPlainText()
    for words in ("Learning rate", "Overfitting", "Principal components", "fused", "torch",
                  "Neurons on table data", "bias"):
        assert words in text, words
    for optimizer in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"):  # all on the fast engine
        assert optimizer in text.split("The two training engines", 1)[1].split("torch:", 1)[0], optimizer
    assert "about a minute" in text  # a machine's first compile, and what the run does meanwhile
    # the shortcuts listed are the window's own
    assert "Play / Pause" in text and "Space" in text and "Ctrl+Z" in text
    assert window.findChild(QAction, "guideAction").shortcut().toString() == "F1"
    guide.close()
