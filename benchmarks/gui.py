"""How the window keeps up while it trains: a 6×8 tanh network on spiral.

Prints one table:
- training throughput in the window vs the same `Trainer.run` loop headless (target ratio >= 0.9),
- window redraws per second while training (target >= 25, or the snapshots the trainer delivered
  per second when it delivers fewer: a frame is drawn only for a new snapshot),
- the GUI thread's own CPU time while training (time.thread_time() sampled on it): % of one core,
  and ms per snapshot shown beyond what the shown window costs when idle (measured before training). Unlike the ratios it hardly depends on what else runs on the machine;
  it is what the trainer loses to the window (the interpreter lock) as epochs get faster,
- the GUI thread's CPU per snapshot when the same recorded snapshots (one per epoch, with every
  picture) are replayed into a window at a fixed rate with no training thread: the figure that does
  not move with the machine's load or speed (compare branches with it),
- GUI event-loop latency while training: a 10 ms QTimer's lateness, p50 / p99,
- time to first paint of `python -m app` from process start (target <= 2 s).

    python benchmarks/gui.py [--seconds 6] [--repeats 2] [--engine auto|torch|fused] [--adam-dropout] [--cnn]

--adam-dropout trains the same 6×8 net with Adam (lr 0.01) and dropout 0.1 after every hidden layer
(the issue's "no speed cliff" workload, on the fused engine too). --cnn trains examples/digits_cnn.json
instead (torch engine; the window draws feature maps, filters, the gallery and the probabilities).

Runs offscreen unless DISPLAY / QT_QPA_PLATFORM say otherwise. Figures depend on the machine and on
what else runs on it; the ratios are the point.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from typing import Any
from pathlib import Path

from _table import print_table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"


ENGINE = "auto"  # --engine: which training engine the spec asks for
ADAM_DROPOUT = False  # --adam-dropout: Adam and dropout 0.1 instead of SGD
CNN = False  # --cnn: the digits conv net of examples/digits_cnn.json


def bench_spec():
    from core.spec import Experiment, load_experiment

    if CNN:
        return load_experiment(ROOT / "examples" / "digits_cnn.json")
    spec = Experiment().replace(data={"source": "spiral", "samples": 500, "noise": 0.0, "train_fraction": 0.5},
                                layers=[{"units": 8, "activation": "tanh"}] * 6, batch_size=10, engine=ENGINE)
    if ADAM_DROPOUT:
        spec = spec.replace(optimizer={"name": "adam", "lr": 0.01},
                            layers=[{"units": 8, "activation": "tanh", "dropout": 0.1}] * 6)
    return spec


def headless_epochs_per_second(seconds: float) -> tuple[float, str]:
    """The loop `layerlab train` and the window share, with the window's snapshot rates, no GUI."""
    from app.worker import GRID_HZ, SNAPSHOT_HZ
    from core.training.control import TrainingControl
    from core.training.trainer import Trainer

    trainer = Trainer(bench_spec())
    if trainer.engine == "fused":
        from core.engines import fused

        fused.warm_up()
    control = TrainingControl()
    timer = threading.Timer(seconds, control.stop)
    timer.start()
    start = time.perf_counter()
    trainer.run(control, lambda _snap: None, snapshot_hz=SNAPSHOT_HZ, grid_hz=GRID_HZ, until_stopped=True)
    return trainer.epoch / (time.perf_counter() - start), trainer.engine


def window_figures(seconds: float) -> dict[str, float]:
    """Train in a real MainWindow; epochs/s, redraws/s, snapshots delivered/s, the GUI thread's CPU
    time and event-loop lateness while it trains."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    qt_app = QApplication.instance() or QApplication([])
    from app.window import MainWindow
    from app.look.style import apply_app_style

    apply_app_style(qt_app)
    window, loop = _open_window(MainWindow)
    marks: dict[str, float] = {}
    lateness: list[float] = []
    ticker = QTimer(interval=10)
    ticker.setTimerType(ticker.timerType().PreciseTimer)
    last = [0.0]

    def tick() -> None:
        now = time.perf_counter()
        if last[0]:
            lateness.append(max(0.0, (now - last[0]) * 1000 - 10.0))
        last[0] = now

    ticker.timeout.connect(tick)
    idle_rate = gui_thread_idle_rate(loop, ticker)
    delivered = [0]
    window.controller.snapshotArrived.connect(lambda _snap: delivered.__setitem__(0, delivered[0] + 1))
    window.controller.play()

    def begin() -> None:  # after a warm-up second, so start-up costs are not counted
        marks.update(t=time.perf_counter(), epoch=window.controller.epoch, redraws=window.frames.redraw_count,
                     snaps=delivered[0], cpu=time.thread_time())  # this runs on the GUI thread
        lateness.clear()
        last[0] = 0.0
        ticker.start()

    def end() -> None:
        ticker.stop()
        cpu = time.thread_time() - marks["cpu"]
        dt = time.perf_counter() - marks["t"]
        redraws = window.frames.redraw_count - marks["redraws"]
        marks.update(eps=(window.controller.epoch - marks["epoch"]) / dt, rps=redraws / dt,
                     sps=(delivered[0] - marks["snaps"]) / dt, gui_share=cpu / dt,
                     gui_ms=1000 * max(0.0, cpu - idle_rate * dt) / max(redraws, 1))
        loop.quit()

    QTimer.singleShot(1000, begin)
    QTimer.singleShot(int(1000 + seconds * 1000), end)
    loop.exec()
    window.close()
    lateness.sort()
    return {"eps": marks["eps"], "rps": marks["rps"], "sps": marks["sps"], "gui_ms": marks["gui_ms"],
            "gui_share": marks["gui_share"],
            "p50": lateness[len(lateness) // 2] if lateness else float("nan"),
            "p99": lateness[min(len(lateness) - 1, int(len(lateness) * 0.99))] if lateness else float("nan")}


def gui_thread_idle_rate(loop, ticker) -> float:  # noqa: ANN001 - a QEventLoop and this benchmark's QTimer
    """CPU seconds per second the GUI thread spends with the window shown and not training (timers,
    this benchmark's own lateness ticker): subtracted, so the per-snapshot figure is what snapshots
    cost, whatever their rate."""
    from PySide6.QtCore import QTimer

    marks = {}
    ticker.start()
    QTimer.singleShot(500, lambda: marks.update(cpu=time.thread_time(), t=time.perf_counter()))
    QTimer.singleShot(2000, loop.quit)
    loop.exec()
    ticker.stop()
    return (time.thread_time() - marks["cpu"]) / (time.perf_counter() - marks["t"])


REPLAY_HZ = 4.0      # snapshots a second in the replay (the digits CNN's epochs/s on a 2-core machine)
REPLAY_EPOCHS = 25


def recorded_snapshots(epochs: int) -> list:
    """One snapshot per epoch for `epochs` epochs, each with its grid and probe pictures, headless."""
    from core.training.control import TrainingControl
    from core.training.trainer import Trainer

    snaps: list = []
    control = TrainingControl()

    def keep(snap) -> None:  # noqa: ANN001
        if snap.epoch >= 1 and (not snaps or snap.epoch > snaps[-1].epoch):
            snaps.append(snap)
        if len(snaps) >= epochs:
            control.stop()

    Trainer(bench_spec()).run(control, keep, snapshot_hz=1e6, grid_hz=1e6, until_stopped=True)
    return snaps


def _open_window(main_window: Any) -> tuple[Any, Any]:
    """The benchmark's window, shown and started, once its data is drawn; and an event loop to run it."""
    from PySide6.QtCore import QEventLoop, QTimer

    window = main_window(settings=None, restore=False, spec=bench_spec())
    window.resize(1440, 880)
    window.show()
    window.controller.ensure_started()
    loop = QEventLoop()
    ready = QTimer(interval=20)
    ready.timeout.connect(lambda: loop.quit() if window.controller.dataset is not None and window.frames.redraw_count else None)
    ready.start()
    loop.exec()
    ready.stop()
    return window, loop


def replay_ms_per_snapshot(snaps: list) -> float:
    """GUI-thread CPU ms per snapshot, beyond idle, replaying `snaps` into a paused window at REPLAY_HZ."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication([])
    from app.window import MainWindow

    window, loop = _open_window(MainWindow)
    # the first snapshot sets things up once (the health panel's plots, ...): not a per-snapshot cost
    window.controller._on_snapshot(snaps[0])
    QTimer.singleShot(1000, loop.quit)
    loop.exec()
    idle = QTimer(interval=1000)  # a stand-in ticker: nothing but the window's own idle work
    idle_rate = gui_thread_idle_rate(loop, idle)
    queue = list(snaps[1:])
    start = {"cpu": time.thread_time(), "t": time.perf_counter()}

    def feed() -> None:
        if queue:
            window.controller._on_snapshot(queue.pop(0))  # as the worker's queued signal delivers it
        else:
            feeder.stop()
            QTimer.singleShot(int(1000 / REPLAY_HZ), loop.quit)  # the last snapshot's frame and paints

    feeder = QTimer(interval=int(1000 / REPLAY_HZ))
    feeder.timeout.connect(feed)
    feeder.start()
    loop.exec()
    cpu, dt = time.thread_time() - start["cpu"], time.perf_counter() - start["t"]
    window.files.ask_unsaved = lambda *a, **k: "discard"
    window.close()
    if os.environ.get("GUI_BENCH_DEBUG"):
        print(f"replay: idle {1000 * idle_rate:.1f} ms/s, {1000 * cpu:.0f} ms in {dt:.1f} s")
    return 1000 * max(0.0, cpu - idle_rate * dt) / (len(snaps) - 1)


def first_paint_seconds() -> float:
    """Wall time from launching `python -m app` to its first painted frame (startup.py's launch: a fresh
    HOME, Python's bytecode cache on)."""
    from startup import launch_once

    return launch_once()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="measuring time per run")
    parser.add_argument("--repeats", type=int, default=2, help="alternating headless/window runs")
    parser.add_argument("--engine", choices=("auto", "torch", "fused"), default="auto",
                        help="training engine (auto picks fused for this net on the CPU)")
    parser.add_argument("--adam-dropout", action="store_true", help="Adam and dropout 0.1 on the same net")
    parser.add_argument("--cnn", action="store_true", help="the digits CNN example instead (no first-paint runs)")
    args = parser.parse_args()
    global ENGINE, ADAM_DROPOUT, CNN
    ENGINE = args.engine
    ADAM_DROPOUT = args.adam_dropout
    CNN = args.cnn

    headless, inside, engine = [], [], ""
    for _ in range(args.repeats):
        eps, engine = headless_epochs_per_second(args.seconds)
        headless.append(eps)
        inside.append(window_figures(args.seconds))
    paints = sorted(first_paint_seconds() for _ in range(1 if CNN else 3))
    snaps = recorded_snapshots(REPLAY_EPOCHS)
    replayed = sorted(replay_ms_per_snapshot(snaps) for _ in range(2))

    h = statistics.median(headless)
    w = statistics.median(f["eps"] for f in inside)
    rps = statistics.median(f["rps"] for f in inside)
    sps = statistics.median(f["sps"] for f in inside)
    gui_ms = statistics.median(f["gui_ms"] for f in inside)
    gui_share = statistics.median(f["gui_share"] for f in inside)
    # a frame is drawn only when a snapshot came: a run delivering fewer than 25 a second cannot redraw
    # more often, so the target is what it delivers (95 % of it: the last one may wait for the next frame)
    rps_target = min(25.0, 0.95 * sps)
    p50 = statistics.median(f["p50"] for f in inside)
    p99 = statistics.median(f["p99"] for f in inside)
    paint = paints[len(paints) // 2]
    rows = [
        ("headless Trainer.run (epochs/s)", f"{h:,.0f}", "", ""),
        ("in the window (epochs/s)", f"{w:,.0f}", "", ""),
        ("window / headless", f"{w / h:.2f}", ">= 0.90", "ok" if w / h >= 0.9 else "BELOW"),
        ("  each run's pair (machine noise)", " / ".join(f"{f['eps'] / e:.2f}" for e, f in zip(headless, inside)),
         "", ""),
        ("snapshots delivered per second", f"{sps:.1f}", "", ""),
        ("redraws per second", f"{rps:.1f}", ">= 25" if rps_target >= 25 else f">= {rps_target:.1f} (as delivered)",
         "ok" if rps >= rps_target else "BELOW"),
        ("GUI thread CPU per snapshot shown, beyond idle (ms)", f"{gui_ms:.1f}", "", ""),
        ("GUI thread CPU (% of one core)", f"{100 * gui_share:.1f}", "", ""),
        (f"replayed: GUI thread CPU per snapshot (ms, {REPLAY_HZ:g}/s, best of 2)", f"{replayed[0]:.1f}", "", ""),
        ("event-loop lateness p50 (ms)", f"{p50:.1f}", "", ""),
        ("event-loop lateness p99 (ms)", f"{p99:.1f}", "", ""),
        ("time to first paint (s)", f"{paint:.2f}", "<= 2.0", "ok" if paint <= 2.0 else "ABOVE"),
    ]
    workload = "6x8 tanh on spiral" + (" Adam + dropout 0.1" if ADAM_DROPOUT else "")
    if CNN:
        workload = "examples/digits_cnn.json (conv 8, pool, conv 16, dense 32) on digits"
    print(f"LayerLab window benchmark: {workload}, engine {engine}, {args.repeats}x{args.seconds:g} s, "
          f"{os.cpu_count()} CPUs, Qt platform {os.environ.get('QT_QPA_PLATFORM') or 'default'}")
    print_table(rows, min_value_width=9)
    return 0


if __name__ == "__main__":
    sys.exit(main())
