"""What the training-health figures cost a snapshot (core/training/health_stats.py).

Prints, for the default circle net ([4, 2] tanh), the deep sigmoid demo (8 x 8 sigmoid) and the digits
CNN example, on each engine that runs it: the median ms of one health collection (target: well under
5 ms), beside the same run's grid snapshot without it and one training epoch (bare references), and
how often the probe then measures at the window's grid rate (app/worker.py GRID_HZ) within its budget
(core/training/health_stats.py HEALTH_BUDGET), and the share of the run thread that takes.

Then the window side (offscreen): ms per redraw of the health panel (app/panels/health_panel.py) on the
GUI thread with 9 layers and full curves (MAX_POINTS each), at its REDRAW_HZ.

python3 benchmarks/health_cost.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._table import print_table  # noqa: E402
from core.spec import Experiment, load_experiment  # noqa: E402
from core.training.health_demos import demo_experiment  # noqa: E402
from core.training.health_stats import HEALTH_BUDGET, collect  # noqa: E402
from core.training.probes import PROBES  # noqa: E402
from core.training.trainer import Trainer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GRID_HZ = 8.0        # the window's grid snapshots a second (app/worker.py)
GRID_RESOLUTION = 100
TARGET_MS = 5.0


def median_ms(fn, repeats: int) -> float:
    fn()  # warm (compiles, caches)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    nets = {"circle [4,2] tanh": Experiment(),
            "deep sigmoid 8x8": demo_experiment("deep_sigmoid"),
            "digits CNN": load_experiment(ROOT / "examples" / "digits_cnn.json")}
    rows = []
    probe = PROBES["health"]
    for label, spec in nets.items():
        for engine in ("torch", "fused"):
            trainer = Trainer(spec.replace(engine=engine))
            if trainer.engine != engine:
                continue  # the fused engine runs dense nets only
            trainer.train_epochs(2)
            health = median_ms(lambda: collect(trainer), args.repeats)
            PROBES.remove("health")
            try:
                bare = median_ms(lambda: trainer.snapshot(grid=True, resolution=GRID_RESOLUTION), args.repeats)
            finally:
                PROBES.add(probe)
            epoch = median_ms(lambda: trainer.train_epochs(1), max(3, args.repeats // 5))
            rate = min(GRID_HZ, 1e3 * HEALTH_BUDGET / health)  # the probe waits cost * (1/budget - 1)
            rows.append((f"{label}, {engine}: health ms (snapshot {bare:.2f} ms, epoch {epoch:.2f} ms)",
                         f"{health:.2f}", f"< {TARGET_MS:g}",
                         "yes" if health < TARGET_MS else "no: sampled less" if rate < GRID_HZ else "no"))
            rows.append((f"{label}, {engine}: measured /s at {GRID_HZ:g} grids/s, share of the run thread",
                         f"{rate:.1f}/s {health * rate / 10:.1f} %", f"<= {100 * HEALTH_BUDGET:g} %", ""))
    print_table(rows)
    print()
    print_table(panel_rows(demo_experiment("deep_sigmoid"), args.repeats))


def panel_rows(spec, repeats: int) -> list[tuple[str, str, str, str]]:
    """The health panel's redraw on the GUI thread, its curves full, beside a bare pyqtgraph redraw."""
    import os
    from types import SimpleNamespace

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from app.panels import health_panel

    app = QApplication.instance() or QApplication([])
    panel = health_panel.HealthPanel()
    panel.resize(1900, 300)
    panel.show()
    trainer = Trainer(spec.replace(engine="torch"))
    stats = collect(trainer)
    for epoch in range(health_panel.MAX_POINTS):
        panel.take(SimpleNamespace(views={"health": {**stats, "epoch": epoch}}))
    app.processEvents()

    def redraw() -> None:  # the curves grow by one sample, as while training (histograms at their own rate)
        panel.take(SimpleNamespace(views={"health": {**stats, "epoch": int(panel.series.epochs[-1]) + 1}}))
        panel.refresh()
        app.processEvents()  # the paint

    panel_ms = median_ms(redraw, repeats)
    from app.look.plotting import pg

    bare = pg.PlotWidget()
    bare.resize(450, 200)
    bare.show()
    curve = bare.plot()
    y = np.random.default_rng(0).random(health_panel.MAX_POINTS)

    def bare_redraw() -> None:
        curve.setData(np.arange(len(y)), y)
        app.processEvents()

    bare_ms = median_ms(bare_redraw, repeats)
    panel.close()
    bare.close()
    share = panel_ms * health_panel.REDRAW_HZ / 10.0
    return [(f"health panel redraw, {len(stats['layers'])} layers x {health_panel.MAX_POINTS} points, ms "
             f"(one bare pyqtgraph curve {bare_ms:.2f} ms)", f"{panel_ms:.1f}", "", ""),
            (f"GUI thread share at {health_panel.REDRAW_HZ:g} redraws/s while shown", f"{share:.1f} %", "", "")]


if __name__ == "__main__":
    main()
