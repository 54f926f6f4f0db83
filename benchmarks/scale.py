"""LayerLab at scale: a big CSV, a 1M-row training set in the window, and a million loss records.

Prints one table with the targets:
- loading a generated 100k-row x 20-column CSV through core (load_dataset: read, check, split,
  standardise), median of 3 (target <= 2 s);
- a 1M-sample toy set (spiral, half for training) trained in an offscreen MainWindow: the GUI
  event loop's lateness on a 10 ms QTimer while it trains, p50 / p99 (target p99 <= 50 ms), and the
  longest stall while the window takes in the data;
- core.training.history.LossHistory fed 1M epoch records: points kept, bytes held, the extremes kept, and
  the process RSS before / after (bounded: it must not grow with the number of epochs);
- the window's loss-curve buffer fed the same 1M records (what the plot keeps);
- peak RSS of the whole run (resource.getrusage).

    python3 benchmarks/scale.py [--seconds 25] [--rows 100000] [--samples 1000000] [--records 1000000]

Runs offscreen unless DISPLAY / QT_QPA_PLATFORM say otherwise; one torch thread.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from _table import print_table

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

import numpy as np  # noqa: E402


def rss_mb() -> float:
    """Resident set size now, MiB (Linux /proc; 0 where unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20  # KiB on Linux, bytes on macOS


# ------------------------------------------------------------------------------------------ CSV


def write_csv(path: Path, rows: int, columns: int) -> None:
    """`columns - 1` numeric inputs and a yes/no target that depends on the first two."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, columns - 1)).round(5)
    label = np.where(x[:, 0] + 0.5 * x[:, 1] > 0, "yes", "no")
    header = ",".join([f"f{i}" for i in range(columns - 1)] + ["label"])
    body = np.column_stack([x.astype(str), label])
    with path.open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        out.write("\n".join(",".join(row) for row in body))
        out.write("\n")


def csv_load_seconds(rows: int, columns: int, repeats: int = 3) -> tuple[float, list[float], float]:
    """(median seconds, every run, file MiB) for load_dataset on a generated CSV."""
    from core.data import load_dataset
    from core.spec import Experiment

    with tempfile.TemporaryDirectory(prefix="layerlab-scale-") as folder:
        path = Path(folder) / "big.csv"
        write_csv(path, rows, columns)
        size = path.stat().st_size / 2**20
        spec = Experiment.model_validate({"data": {"source": "csv", "path": str(path), "target": "label"}})
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            data = load_dataset(spec)
            times.append(time.perf_counter() - t0)
        assert len(data.x_train) + len(data.x_test) == rows and data.n_inputs == columns - 1
    return statistics.median(times), times, size


# ------------------------------------------------------------------------------------ history


def history_figures(n: int) -> dict[str, float]:
    """Feed LossHistory n records with a spike and a dip far back; what does it keep?"""
    from core.training.history import LossHistory
    from core.training.snapshot import EpochRecord

    spike, dip = n // 8, n // 3
    before = rss_mb()
    tracemalloc.start()
    history = LossHistory()
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        loss = 1.0 / math.sqrt(i)
        if i == spike:
            loss = 50.0
        elif i == dip:
            loss = 1e-6
        history.append(EpochRecord(i, i * 25, loss, loss * 1.1, 0.5, 0.5, 0.03))
    seconds = time.perf_counter() - t0
    held, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    epochs = history.epochs
    return {"kept": len(history), "max_points": history.max_points, "bytes": held, "seconds": seconds,
            "rss_before": before, "rss_after": rss_mb(),
            "extremes_kept": float(spike in epochs and dip in epochs and epochs[-1] == n
                                   and history.train_loss.max() == 50.0 and history.train_loss.min() == 1e-6)}


def loss_plot_figures(n: int) -> dict[str, float]:
    """The window's loss curve fed the same n records, 1000 per snapshot: points and bytes kept."""
    from PySide6.QtWidgets import QApplication

    from core.training.snapshot import EpochRecord

    QApplication.instance() or QApplication([])
    from app.plots.loss_plot import LossPlot

    plot = LossPlot()
    before = rss_mb()
    chunk = 1000
    for start in range(1, n + 1, chunk):
        plot.append([EpochRecord(i, i, 1.0 / i, 1.0 / i, 0.5, 0.5) for i in range(start, min(n, start + chunk - 1) + 1)])
    plot.refresh()
    buffer = getattr(plot, "_buffer", None)
    nbytes = float(getattr(getattr(buffer, "_data", None), "nbytes", float("nan")))
    figures = {"points": plot.n_points, "bytes": nbytes, "rss_growth": rss_mb() - before}
    plot.deleteLater()
    return figures


# -------------------------------------------------------------------------------- the window


def window_figures(samples: int, seconds: float) -> dict[str, float]:
    """Train a `samples`-point spiral in a real MainWindow; the event loop's lateness meanwhile."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    qt_app = QApplication.instance() or QApplication([])
    from app.window import MainWindow
    from app.look.style import apply_app_style
    from core.spec import Experiment

    apply_app_style(qt_app)
    spec = Experiment().replace(data={"source": "spiral", "samples": samples, "noise": 0.1, "train_fraction": 0.5},
                                batch_size=10)
    window = MainWindow(settings=None, restore=False, spec=spec)
    window.files.ask_unsaved = lambda parent, name: "discard"  # never a modal question on close
    window.resize(1440, 880)
    window.show()

    lateness: list[float] = []
    last = [0.0]

    def tick() -> None:
        now = time.perf_counter()
        if last[0]:
            lateness.append(max(0.0, (now - last[0]) * 1000 - 10.0))
        last[0] = now

    ticker = QTimer(interval=10)
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.timeout.connect(tick)
    ticker.start()

    loop = QEventLoop()
    t0 = time.perf_counter()
    window.controller.ensure_started()
    ready = QTimer(interval=20)
    ready.timeout.connect(lambda: loop.quit() if window.controller.dataset is not None and window.frames.redraw_count else None)
    ready.start()
    loop.exec()
    ready.stop()
    setup_s = time.perf_counter() - t0
    setup_stall = max(lateness, default=0.0)

    window.controller.play()
    marks: dict[str, float] = {}

    def begin() -> None:  # after a warm-up second, so start-up costs are not counted
        marks.update(t=time.perf_counter(), epoch=window.controller.epoch, redraws=window.frames.redraw_count,
                     step=window.frames.latest.step if window.frames.latest else 0)
        lateness.clear()
        last[0] = 0.0

    def end() -> None:
        marks["dt"] = time.perf_counter() - marks["t"]
        snap = window.frames.latest
        marks["steps"] = (snap.step if snap else 0) - marks["step"]
        loop.quit()

    QTimer.singleShot(1000, begin)
    QTimer.singleShot(int(1000 + seconds * 1000), end)
    loop.exec()
    ticker.stop()
    engine = window.device_status.text()
    epochs = window.controller.epoch - marks["epoch"]
    redraws = window.frames.redraw_count - marks["redraws"]
    window.close()
    window.deleteLater()
    lateness.sort()
    pick = (lambda q: lateness[min(len(lateness) - 1, int(len(lateness) * q))]) if lateness else (lambda q: math.nan)
    return {"setup_s": setup_s, "setup_stall_ms": setup_stall, "p50": pick(0.5), "p99": pick(0.99),
            "max": lateness[-1] if lateness else math.nan, "ticks": len(lateness), "epochs": epochs,
            "steps_per_s": marks["steps"] / marks["dt"], "redraws_per_s": redraws / marks["dt"],
            "engine": engine, "train_rows": samples // 2}


# ------------------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=25.0, help="training time measured in the window")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the generated CSV")
    parser.add_argument("--columns", type=int, default=20, help="columns of the generated CSV (last = target)")
    parser.add_argument("--samples", type=int, default=1_000_000, help="points of the toy set trained in the window")
    parser.add_argument("--records", type=int, default=1_000_000, help="epoch records fed to the loss history")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    start_rss = rss_mb()
    hist = history_figures(args.records)
    plot = loss_plot_figures(args.records)
    csv_median, csv_runs, csv_mb = csv_load_seconds(args.rows, args.columns)
    win = window_figures(args.samples, args.seconds)
    peak = peak_rss_mb()

    k = f"{args.records / 1e6:g}M" if args.records >= 1e6 else f"{args.records:,}"
    rows = [
        (f"CSV {args.rows:,} x {args.columns} ({csv_mb:.0f} MiB) load_dataset, median of 3 (s)",
         f"{csv_median:.2f}", "<= 2", verdict(csv_median <= 2.0)),
        ("  runs (s)", " / ".join(f"{t:.2f}" for t in csv_runs), "", ""),
        (f"window, {args.samples:,}-point spiral: data + first draw (s)", f"{win['setup_s']:.1f}", "", ""),
        ("  longest GUI stall while taking in the data (ms)", f"{win['setup_stall_ms']:.0f}", "", ""),
        (f"  training {args.seconds:g} s ({win['engine']}): steps/s", f"{win['steps_per_s']:,.0f}", "", ""),
        ("  epochs finished / redraws per s", f"{win['epochs']} / {win['redraws_per_s']:.1f}", "", ""),
        ("  event-loop lateness p50 (ms)", f"{win['p50']:.1f}", "", ""),
        ("  event-loop lateness p99 (ms)", f"{win['p99']:.1f}", "<= 50", verdict(win["p99"] <= 50.0)),
        ("  event-loop lateness max (ms)", f"{win['max']:.1f}", "", ""),
        (f"LossHistory after {k} records: points kept", f"{hist['kept']:,}",
         f"<= {hist['max_points']:,}", verdict(hist["kept"] <= hist["max_points"])),
        ("  bytes held (tracemalloc, MiB)", f"{hist['bytes'] / 2**20:.2f}", "", ""),
        ("  spike, dip and newest epoch kept", "yes" if hist["extremes_kept"] else "no", "yes",
         verdict(bool(hist["extremes_kept"]))),
        ("  RSS before / after (MiB)", f"{hist['rss_before']:.0f} / {hist['rss_after']:.0f}", "", ""),
        (f"  append time per record (us)", f"{hist['seconds'] / args.records * 1e6:.2f}", "", ""),
        (f"window loss curve after {k} records: points kept", f"{plot['points']:,}", "bounded",
         verdict(plot["points"] < args.records)),
        ("  its buffer (MiB) / RSS growth (MiB)", f"{plot['bytes'] / 2**20:.1f} / {plot['rss_growth']:.0f}", "", ""),
        ("peak RSS of this run (MiB)", f"{peak:.0f}", "", ""),
        ("RSS at start (MiB)", f"{start_rss:.0f}", "", ""),
    ]
    print(f"LayerLab scale benchmark: {os.cpu_count()} CPUs, torch {torch.__version__} (1 thread), "
          f"Qt platform {os.environ.get('QT_QPA_PLATFORM') or 'default'}")
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
