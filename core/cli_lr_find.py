"""`layerlab lr-find EXPERIMENT.json`: the learning-rate finder without the window (core/training/lr_finder.py).

Prints the suggested rate and writes the loss-vs-rate curve as CSV (lr, loss, smoothed_loss).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.echo import echo


def add_parser(sub, positive_int, seed) -> None:
    find = sub.add_parser("lr-find", help="suggest a learning rate (exponential sweep on a copy of the model)",
                          description="Sweep the learning rate exponentially over a few minibatches on a copy "
                          "of the freshly built model (fastai's lr_find), print the suggested rate (the rate of "
                          "the lowest smoothed loss / 10) and write the curve as CSV.")
    find.add_argument("experiment", help="experiment file (.json)")
    find.add_argument("--steps", type=positive_int, default=100, help="minibatch steps in the sweep (default 100)")
    find.add_argument("--start", type=_rate, default=1e-7, help="first learning rate (default 1e-7)")
    find.add_argument("--end", type=_rate, default=10.0, help="last learning rate (default 10)")
    find.add_argument("--seed", type=seed, help="random seed (overrides the file)")
    find.add_argument("--out", type=Path, help="CSV file for the curve (default: runs/<experiment>-lr-find.csv)")
    find.add_argument("--quiet", action="store_true", help="print only the suggested rate")


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {echo(text)}") from None
    if not 0 < value <= 1e6:
        raise argparse.ArgumentTypeError(f"must be a positive learning rate, got {echo(text)}")
    return value


def run(args: argparse.Namespace, load_trainer, error) -> int:
    """`load_trainer(path, seed) -> Trainer` and `error(message, code)` come from core.cli."""
    from core.files.atomic import WriteError, atomic_write_text
    from core.training.lr_finder import find_lr

    path = Path(args.experiment)
    if not args.start < args.end:
        raise error(f"--start ({args.start:g}) must be below --end ({args.end:g})", 2)
    trainer = load_trainer(path, args.seed)
    finding = find_lr(trainer, start_lr=args.start, end_lr=args.end, steps=args.steps)
    out = args.out if args.out is not None else Path("runs") / f"{path.stem}-lr-find.csv"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out, finding.to_csv_text())
    except (WriteError, OSError) as err:
        raise error(f"cannot write {out}: {err}", 1) from None
    if not finding.falls:
        raise error(f"{finding.note}, e.g. --steps {4 * args.steps} (the curve is in {out})", 1)
    if args.quiet:
        print(f"{finding.suggestion:.3g}")
        return 0
    ended = "the loss passed 4x its best" if finding.stopped_early else f"reached {finding.lrs[-1]:.3g}"
    print(f"swept {len(finding.lrs)} steps from {args.start:g} ({ended})")
    print(f"suggested learning rate: {finding.suggestion:.3g} (the lowest smoothed loss at "
          f"{10 * finding.minimum_tenth:.3g}, / 10; the steepest descent is at {finding.steepest:.3g})")
    print(f"wrote {out}")
    return 0
