"""What the training-health figures cost a snapshot (core/training/health_stats.py).

Prints, for the default circle net ([4, 2] tanh), the deep sigmoid demo (8 x 8 sigmoid) and the digits
CNN example, on each engine that runs it: the median ms of one health collection (target: well under
5 ms), beside the same run's grid snapshot without it and one training epoch (bare references), and
how often the probe then measures at the window's grid rate (app/worker.py GRID_HZ) within its budget
(core/training/health_stats.py HEALTH_BUDGET), and the share of the run thread that takes.

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
                         f"{health:.2f}", f"< {TARGET_MS:g}", "yes" if health < TARGET_MS else "sampled"))
            rows.append((f"{label}, {engine}: measured /s at {GRID_HZ:g} grids/s, share of the run thread",
                         f"{rate:.1f}/s {health * rate / 10:.1f} %", f"<= {100 * HEALTH_BUDGET:g} %", ""))
    print_table(rows)


if __name__ == "__main__":
    main()
