"""Where the fused engine stops winning: measured epochs/s of both engines across widths and batch sizes.

For spiral (500 points, 250 training rows), two relu hidden layers of width W, SGD and Adam, it
times Trainer.train_epochs on the fused engine (blocks, as Trainer.run trains) and
Trainer.train_epoch on the torch engine, and prints, per row, both rates, the measured winner, the
engine `auto` picks (core.engines.fused_fit.estimated_epoch_seconds) and whether that is the faster one, then
the crossover width per batch size and optimizer. Figures are medians of --runs windows.

    python3 benchmarks/crossover.py [--seconds 0.3] [--runs 1] [--widths 8,32,64,128,256,512]
                                    [--batches 10,32,100,250] [--optimizers sgd,adam]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core.spec import parse_experiment  # noqa: E402

BLOCK_EPOCHS = 8


def _spec(width: int, batch: int, optimizer: str, engine: str):
    return parse_experiment({
        "schema_version": 1, "data": {"source": "spiral", "samples": 500, "train_fraction": 0.5},
        "layers": [{"units": width, "activation": "relu"}] * 2, "loss": "bce",
        "optimizer": {"name": optimizer, "lr": 0.001}, "batch_size": batch, "engine": engine,
    })


def _rate(trainer, seconds: float, runs: int) -> float:
    fused = trainer.engine == "fused"

    def once() -> int:
        if fused:
            trainer.train_epochs(BLOCK_EPOCHS)
            return BLOCK_EPOCHS
        trainer.train_epoch()
        return 1

    once()
    rates = []
    for _ in range(runs):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            n += once()
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.3)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--widths", default="8,32,64,128,256,512")
    parser.add_argument("--batches", default="10,32,100,250")
    parser.add_argument("--optimizers", default="sgd,adam")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    from core.engines import fused
    from core.training.trainer import Trainer

    fused.warm_up()
    widths = [int(w) for w in args.widths.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    head = (f"{'opt':<5} {'batch':>5} {'width':>5} {'fused':>8} {'torch':>8} {'f/t':>7} {'faster':>6} "
            f"{'auto':>6} {'ok?':>4}")
    print(head)
    print("-" * len(head))
    wrong = 0
    crossings: list[str] = []
    for optimizer in args.optimizers.split(","):
        for batch in batches:
            crossing = None
            for width in widths:
                forced = Trainer(_spec(width, batch, optimizer, "fused"))
                plain = Trainer(_spec(width, batch, optimizer, "torch"))
                auto = Trainer(_spec(width, batch, optimizer, "auto")).engine
                if forced.engine != "fused":
                    print(f"{optimizer:<5} {batch:5d} {width:5d}  fused engine refused: {forced.engine_note}")
                    continue
                f, t = _rate(forced, args.seconds, args.runs), _rate(plain, args.seconds, args.runs)
                faster = "fused" if f >= t else "torch"
                ok = auto == faster
                wrong += not ok
                if faster == "torch" and crossing is None:
                    crossing = width
                print(f"{optimizer:<5} {batch:5d} {width:5d} {f:8.1f} {t:8.1f} {f / t:6.2f}x {faster:>6} {auto:>6} "
                      f"{'yes' if ok else 'NO':>4}")
            crossings.append(f"{optimizer} batch {batch}: torch wins from width {crossing}" if crossing
                             else f"{optimizer} batch {batch}: fused wins up to width {widths[-1]}")
    print()
    print("crossover (first width where the torch engine is faster):")
    for line in crossings:
        print("  " + line)
    print(f"auto picked the slower engine in {wrong} row(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
