"""Soak test (not part of CI): train in the window for N minutes and watch the memory.

Opens an offscreen MainWindow on the default experiment, presses Play, and samples the process RSS
every few seconds. Growth is measured from the end of a warm-up (imports, the first kernel
compile and the first grids are not leaks) to the end of the run; a straight-line fit over the
samples gives the trend per minute, projected to 30 minutes. Target: growth < 50 MB over 30 min.

    python3 benchmarks/soak.py [--minutes 30] [--every 5] [--warmup 30]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from pathlib import Path

from _table import print_table

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

TARGET_MB = 50.0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares MB per minute through (seconds, MB) samples."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mm = sum(m for _, m in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    return 0.0 if var == 0 else 60.0 * sum((t - mt) * (m - mm) for t, m in samples) / var


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="training time")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between RSS samples")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds of training before the baseline")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    qt_app = QApplication.instance() or QApplication([])
    from app.window import MainWindow
    from app.look.style import apply_app_style

    apply_app_style(qt_app)
    window = MainWindow(settings=None, restore=False)
    window.files.ask_unsaved = lambda parent, name: "discard"  # never a modal question on close
    window.resize(1440, 880)
    window.show()
    window.controller.ensure_started()
    loop = QEventLoop()
    ready = QTimer(interval=50)
    ready.timeout.connect(lambda: loop.quit() if window.controller.dataset is not None and window.frames.redraw_count else None)
    ready.start()
    loop.exec()
    ready.stop()
    start_rss = rss_mb()
    window.controller.play()

    t0 = time.monotonic()
    total = args.minutes * 60.0
    samples: list[tuple[float, float, int]] = []  # (seconds, MB, epoch)

    def sample() -> None:
        now = time.monotonic() - t0
        samples.append((now, rss_mb(), window.controller.epoch))
        if now >= total:
            loop.quit()

    sampler = QTimer(interval=int(args.every * 1000))
    sampler.timeout.connect(sample)
    sampler.start()
    loop.exec()
    sampler.stop()
    epochs_seen = window.controller.epoch
    curve_points = window.loss_plot.n_points
    spec_text = (f"{window.controller.spec.data.source.value}, {window.controller.spec.data.samples} points, layers "
                 f"{[layer.units for layer in window.controller.spec.layers]}, batch {window.controller.spec.batch_size}")
    engine = window.device_status.text()
    window.close()
    window.deleteLater()
    gc.collect()

    after_warmup = [(t, m) for t, m, _ in samples if t >= args.warmup] or [(t, m) for t, m, _ in samples]
    base_t, base = after_warmup[0]
    end_t, end = after_warmup[-1]
    growth = end - base
    trend = slope_per_minute(after_warmup)
    projected = trend * 30.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    minutes = samples[-1][0] / 60 if samples else 0.0

    print(f"LayerLab soak: {minutes:.1f} min of training in the window ({spec_text}; {engine}), "
          f"{os.cpu_count()} CPUs, RSS sampled every {args.every:g} s")
    print("  time    RSS MiB   epoch")
    step = max(1, len(samples) // 12)
    for t, m, e in samples[::step] + ([samples[-1]] if (len(samples) - 1) % step else []):
        print(f"  {t / 60:4.1f}m  {m:8.1f}  {e:,}")
    rows = [
        ("RSS when ready / at the baseline / at the end (MiB)", f"{start_rss:.0f} / {base:.0f} / {end:.0f}", "", ""),
        (f"growth from {base_t:.0f} s to {end_t:.0f} s (MiB)", f"{growth:+.1f}", f"< {TARGET_MB:g}",
         "yes" if growth < TARGET_MB else "NO"),
        ("trend (MiB/min) and projected over 30 min (MiB)", f"{trend:+.2f} / {projected:+.1f}", f"< {TARGET_MB:g}",
         "yes" if projected < TARGET_MB else "NO"),
        ("epochs trained / loss-curve points in the window", f"{epochs_seen:,} / {curve_points:,}", "", ""),
        ("peak RSS (MiB)", f"{peak:.0f}", "", ""),
    ]
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
