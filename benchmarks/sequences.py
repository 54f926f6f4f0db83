"""Sequences: the issue's targets and the memory lesson, measured.

Prints:
- sine: examples/sine_lstm.json as written (LSTM 16, 40 epochs): test MSE in standardised units
  (1.0 = predicting the mean; target <= 0.05);
- memory: test accuracy of RNN / LSTM / GRU (16 units) at lengths 10 / 20 / 40 / 80, several seeds
  (`data.samples`, noise and epochs as the memory example, examples/memory_lstm.json), the table the
  README shows; target: LSTM >= 0.95 at the default length, the plain RNN clearly worse when longer;
- patterns: examples/patterns_gru.json (target test accuracy >= 0.8);
- speed: epochs/s of Trainer.train_epoch on the sine example beside a bare PyTorch loop doing the same
  updates on the same model and batches (target >= 0.9x).

nice -n 10 python3 benchmarks/sequences.py [--part sine,memory,patterns,speed] [--seeds 3] [--epochs 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.data.sequences import sequence_length  # noqa: E402
from core.spec import load_experiment  # noqa: E402
from core.training.trainer import Trainer  # noqa: E402
from _bare import bare_loop  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
LENGTHS = (10, 20, 40, 80)
CELLS = ("rnn", "lstm", "gru")


def trained(spec, epochs: int | None = None) -> tuple[Trainer, float]:
    """The trainer after `epochs` (default spec.epochs) epochs, and its epochs/s."""
    trainer = Trainer(spec)
    epochs = spec.epochs if epochs is None else epochs
    started = time.perf_counter()
    for _ in range(epochs):
        trainer.train_epoch()
    return trainer, epochs / (time.perf_counter() - started)


def sine() -> None:
    spec = load_experiment(EXAMPLES / "sine_lstm.json")
    trainer, speed = trained(spec)
    mse = trainer.evaluate()[1]
    print(f"sine (examples/sine_lstm.json, {spec.epochs} epochs): test MSE {mse:.4f} standardised "
          f"(target <= 0.05: {'met' if mse <= 0.05 else 'NOT met'}), {speed:.1f} epochs/s")


def memory(seeds: int, epochs: int, cells: tuple[str, ...] = CELLS) -> None:
    base = load_experiment(EXAMPLES / "memory_lstm.json")
    default = sequence_length(base.data)
    print(f"memory: test accuracy, {base.data.samples} sequences (train {base.data.train_fraction:g}), noise "
          f"{base.data.noise:g}, 16 units, Adam {base.optimizer.lr:g}, batch {base.batch_size}, {epochs} epochs, "
          f"seeds 0..{seeds - 1} (mean, and the worst seed)")
    print("| length | " + " | ".join(c.upper() for c in cells) + " |")
    print("|---:|" + "---:|" * len(cells))
    means: dict[tuple[int, str], float] = {}
    for length in LENGTHS:
        row = []
        for cell in cells:
            accs = []
            for seed in range(seeds):
                spec = base.replace(seed=seed, layers=[{"type": cell, "units": 16}],
                                    data={**base.data.model_dump(mode="json"), "sequence_length": length})
                trainer, _ = trained(spec, epochs)
                accs.append(trainer.evaluate()[3])
            row.append(f"{statistics.mean(accs):.2f} (min {min(accs):.2f})")
            means[length, cell] = statistics.mean(accs)
        mark = " (default)" if length == default else ""
        print(f"| {length}{mark} | " + " | ".join(row) + " |", flush=True)
    if "rnn" not in cells or "lstm" not in cells:
        return
    lstm = means.get((default, "lstm"))
    if lstm is not None:
        print(f"LSTM at the default length {default}: {lstm:.2f} (target >= 0.95: {'met' if lstm >= 0.95 else 'NOT met'})")
    longer = [n for n in LENGTHS if n > default]
    worse = [n for n in longer if means[n, "rnn"] <= means[n, "lstm"] - 0.1]
    print(f"plain RNN at least 0.1 below the LSTM at longer lengths: {worse or 'none'} "
          f"(the lesson {'shows' if worse else 'does NOT show'})")


def patterns() -> None:
    spec = load_experiment(EXAMPLES / "patterns_gru.json")
    trainer, speed = trained(spec)
    acc = trainer.evaluate()[3]
    print(f"patterns (examples/patterns_gru.json, {spec.epochs} epochs): test accuracy {acc:.3f} "
          f"(target >= 0.8: {'met' if acc >= 0.8 else 'NOT met'}), {speed:.1f} epochs/s")


def speed(epochs: int) -> None:
    spec = load_experiment(EXAMPLES / "sine_lstm.json")
    ours, bare = [], []
    for _ in range(2):  # interleaved, best of two: the machine is shared
        ours.append(trained(spec, epochs)[1])
        bare.append(bare_loop(spec, epochs, torch.nn.MSELoss(), flatten=True))
    print(f"speed (sine LSTM 16, {epochs} epochs, best of 2): Trainer {max(ours):.2f} epochs/s, bare PyTorch loop "
          f"{max(bare):.2f} epochs/s, ratio {max(ours) / max(bare):.2f} (target >= 0.9)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", default="sine,memory,patterns,speed")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30, help="memory runs' epochs")
    parser.add_argument("--cells", default=",".join(CELLS), help="memory: which of rnn,lstm,gru to measure")
    args = parser.parse_args()
    torch.set_num_threads(1)
    parts = args.part.split(",")
    if "sine" in parts:
        sine()
    if "patterns" in parts:
        patterns()
    if "speed" in parts:
        speed(10)
    if "memory" in parts:
        memory(args.seeds, args.epochs, tuple(args.cells.split(",")))


if __name__ == "__main__":
    main()
