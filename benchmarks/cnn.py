"""Conv nets on images: accuracy targets and speed beside a bare PyTorch loop.

Prints, for the issue's example (examples/digits_cnn.json: conv 8 -> maxpool -> conv 16 -> flatten ->
dense 32, Adam 0.003, batch 32, 30 epochs, digits 0.8):
- test accuracy after its epochs (target >= 0.97) and epochs/s of Trainer.train_epoch (headless),
  beside a bare PyTorch loop doing the same updates on the same model and batches (target >= 0.9x);
- a dense-only net of similar size on the same digits (accuracy and epochs/s, for the README);
- shapes (16x16, 1000 images) with a small CNN (conv 16, pool, conv 32, pool, dense 64; target >= 0.95).

python3 benchmarks/cnn.py [--epochs 30] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.nn.build import count_parameters  # noqa: E402
from core.spec import load_experiment, parse_experiment  # noqa: E402
from core.training.trainer import Trainer  # noqa: E402
from _bare import bare_loop  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "digits_cnn.json"


def trained(spec, epochs: int, device: str) -> tuple[Trainer, float]:
    """The trainer after `epochs` epochs, and its epochs/s."""
    trainer = Trainer(spec, device=device)
    started = time.perf_counter()
    for _ in range(epochs):
        trainer.train_epoch()
    return trainer, epochs / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(1)
    spec = load_experiment(EXAMPLE).replace(epochs=args.epochs)
    print(f"{'net':<34} {'params':>7} {'test acc':>9} {'epochs/s':>9}")
    cnn, cnn_speed = trained(spec, args.epochs, args.device)
    cnn_acc = cnn.evaluate()[3]
    print(f"{'digits CNN (the example)':<34} {count_parameters(cnn.model):>7,} {cnn_acc:>9.4f} {cnn_speed:>9.1f}"
          f"   target acc >= 0.97: {'met' if cnn_acc >= 0.97 else 'NOT met'}")
    bare = bare_loop(spec, args.epochs, torch.nn.CrossEntropyLoss(), device=args.device, accuracy=True)
    print(f"{'  bare PyTorch loop, same updates':<34} {'':>7} {'':>9} {bare:>9.1f}"
          f"   Trainer / bare = {cnn_speed / bare:.2f} (target >= 0.9)")
    dense = spec.replace(layers=[{"type": "dense", "units": 128, "activation": "relu"}], engine="auto")
    dense_trainer, dense_speed = trained(dense, args.epochs, args.device)
    dense_acc = dense_trainer.evaluate()[3]
    print(f"{'digits dense 128 relu (' + dense_trainer.engine + ')':<34} {count_parameters(dense_trainer.model):>7,} "
          f"{dense_acc:>9.4f} {dense_speed:>9.1f}   CNN - dense = {100 * (cnn_acc - dense_acc):+.1f} points")
    shapes = parse_experiment({
        "schema_version": 2, "seed": 0, "data": {"source": "shapes", "samples": 1000, "train_fraction": 0.8},
        "layers": [{"type": "conv2d", "filters": 16}, {"type": "maxpool2d"}, {"type": "conv2d", "filters": 32},
                   {"type": "maxpool2d"}, {"type": "flatten"}, {"type": "dense", "units": 64, "activation": "relu"}],
        "loss": "cross_entropy", "optimizer": {"name": "adam", "lr": 0.003}, "batch_size": 32})
    shapes_trainer, shapes_speed = trained(shapes, args.epochs, args.device)
    shapes_acc = shapes_trainer.evaluate()[3]
    print(f"{'shapes 16x16 CNN':<34} {count_parameters(shapes_trainer.model):>7,} {shapes_acc:>9.4f} "
          f"{shapes_speed:>9.1f}   target acc >= 0.95: {'met' if shapes_acc >= 0.95 else 'NOT met'}")


if __name__ == "__main__":
    main()
