"""A window-style sweep (core.runs.pool.Sweep: spawned worker processes, progress on a queue) against
the same variants trained one after another in this process (the bare reference). Prints the wall
times, the speed-up (target: close to min(variants, cores) once each process has imported torch and
compiled, which a short sweep pays up front) and the messages the window would have polled.

python3 benchmarks/sweep.py [--epochs 300] [--values 0.003,0.01,0.03,0.1] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--values", default="0.003,0.01,0.03,0.1")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    from core.runs.pool import Sweep, default_workers
    from core.runs.variants import variant_specs
    from core.spec import Experiment
    from core.training.control import TrainingControl
    from core.training.trainer import Trainer

    rates = [float(v) for v in args.values.split(",")]
    base = Experiment(data={"source": "spiral", "samples": 500, "noise": 0.1}, epochs=args.epochs,
                      layers=[{"units": 8}, {"units": 8}], optimizer={"name": "adam", "lr": 0.01}).to_dict()
    specs = variant_specs(base, "learning_rate", rates)

    started = time.perf_counter()
    alone = []
    for spec in specs:
        trainer = Trainer(spec)
        trainer.run(TrainingControl(), lambda snap: None)
        alone.append(trainer.evaluate()[1])
    serial = time.perf_counter() - started

    workers = args.workers or default_workers(len(specs))
    started = time.perf_counter()
    sweep = Sweep(specs, workers=workers)
    messages = 0
    while not sweep.done:
        messages += len(sweep.poll())
        time.sleep(0.1)
    messages += len(sweep.close())
    parallel = time.perf_counter() - started
    swept = [r["test_loss"] if r else None for r in sweep.results()]

    print(f"{len(specs)} variants x {args.epochs} epochs (spiral [8,8], Adam), {os.cpu_count()} cores, "
          f"{workers} worker processes")
    print(f"  one after another, this process : {serial:7.2f} s")
    print(f"  sweep, spawned processes        : {parallel:7.2f} s  ({serial / parallel:.2f}x; "
          f"ideal {min(len(specs), workers)}x less process start-up)")
    print(f"  progress messages polled        : {messages}")
    print(f"  same test losses as alone       : {swept == alone}")


if __name__ == "__main__":
    main()
