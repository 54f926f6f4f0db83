"""Engine speed: epochs/s of a bare torch loop, the Trainer (torch and fused engines), and grid time.

Runs TF Playground's setting from docs/TARGETS (spiral, 500 points, 50 % train, inputs x1 x2, tanh,
batch 10, SGD lr 0.03, bce) for the three nets of the targets and prints one table with the ratios
the targets are stated in; then the no-speed-cliff table: Adam on spiral [8,8] relu (batch 10) and
digits 64->[64,32] relu (batch 32), fused (T-block) over the torch path (T-torch), over fused SGD
on the same net, and the torch path over a bare torch.optim.Adam loop. Each figure is the median of
3 timed runs (wall clock, one torch thread); figures compared as a ratio (bare / T-torch; T-fused,
T-block and fused) are timed in alternating windows.

    python3 benchmarks/engine.py [--device cpu|cuda] [--batch-size 10] [--seconds 1.0] [--quick]
                                 [--clock wall|cpu] [--sgd-only]

--clock cpu times with the process's CPU time instead of the wall clock: on a shared machine it
leaves out the time other processes take (every timed workload here runs on one thread).

Columns:
  bare       a hand-written per-batch torch loop doing the same updates (the ~20 µs/op baseline)
  T-torch    Trainer.train_epoch with engine 'torch' (includes its per-epoch evaluation and rollback copy)
  T/bare     T-torch / bare; target >= 0.9 ("met?" says whether this run reached it)
  T-fused    Trainer.train_epoch with engine 'fused' (same extras: every epoch recorded with its
             train/test loss and accuracy, rollback to the last finite weights)
  T-block    Trainer.train_epochs(32) with engine 'fused': the same epochs, records and rollback, in
             blocks, as Trainer.run (the CLI and the window) trains between two snapshots
  fused      core.engines.fused.train_epoch alone: the headless engine, training only
  target     epochs/s the Trainer must reach: the browser engine's rate times 1 / 3 / 10 (docs/TARGETS)
  met?       T-block >= target (T-block is how `layerlab train` runs);  T-b/br: T-block as a
             multiple of the browser engine
  grid       Trainer.snapshot(grid=True, resolution=100), ms (boundary + neuron pictures)
  fwd        the model's forward pass over the 100x100 grid alone, ms
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

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from core.nn.build import build_model  # noqa: E402
from core.spec import parse_experiment  # noqa: E402

# From docs/TARGETS (TF Playground's nn.ts in Node on the 2-core dev machine): epochs/s, grid ms,
# and what the fused engine must reach as a multiple of the browser's epochs/s.
TORCH_RATIO_TARGET = 0.9  # Trainer (torch engine) epochs/s over the bare loop's
NETS = {
    "[4,2]": ([4, 2], 3615.0, 8.2, 1.0),
    "[8]x6": ([8] * 6, 370.0, 70.0, 3.0),
    "[64,64]": ([64, 64], 31.0, 733.0, 10.0),
}


def _spec(layers: list[int], batch_size: int, device: str, engine: str):
    return parse_experiment({
        "schema_version": 1,
        "data": {"source": "spiral", "samples": 500, "train_fraction": 0.5, "noise": 0.0},
        "layers": [{"units": u, "activation": "tanh"} for u in layers],
        "loss": "bce", "optimizer": {"name": "sgd", "lr": 0.03}, "batch_size": batch_size,
        "device": device, "engine": engine,
    })


CLOCK = time.perf_counter


def _window(epoch, seconds: float) -> float:
    """Epochs/s over one timed window of about `seconds`."""
    n, t0 = 0, CLOCK()
    per_call = getattr(epoch, "epochs", 1)
    while True:
        epoch()
        n += per_call
        dt = CLOCK() - t0
        if dt >= seconds:
            return n / dt


def _rates(epochs: list, seconds: float, runs: int) -> list[float]:
    """Median epochs/s of each workload over `runs` windows, taken in turns (after one warm-up epoch
    each), so workloads compared as a ratio see the same load on a shared machine."""
    for epoch in epochs:
        epoch()
    windows: list[list[float]] = [[] for _ in epochs]
    for _ in range(runs):
        for k, epoch in enumerate(epochs):
            windows[k].append(_window(epoch, seconds))
    return [statistics.median(w) for w in windows]


class _Block:
    """One call trains `epochs` epochs through Trainer.train_epochs (what Trainer.run does)."""

    def __init__(self, trainer, epochs: int) -> None:
        self.trainer, self.epochs = trainer, epochs

    def __call__(self) -> None:
        self.trainer.train_epochs(self.epochs)


def _ms(fn, runs: int, repeat: int = 5) -> float:
    """Median wall time of fn in ms (best of `repeat` inside each run, to skip scheduler hiccups)."""
    fn()
    times = []
    for _ in range(runs):
        best = min(_timed(fn) for _ in range(repeat))
        times.append(best)
    return statistics.median(times) * 1e3


def _timed(fn) -> float:
    t0 = CLOCK()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return CLOCK() - t0


def bare_loop(layers: list[int], batch_size: int, device: torch.device, data):
    """The plain per-batch torch loop: same init, same shuffling rule, same SGD updates as the Trainer."""
    spec = _spec(layers, batch_size, "cpu", "torch")
    model = build_model(spec, data.n_inputs, 1).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.03)
    x = torch.as_tensor(data.x_train, device=device)
    y = torch.as_tensor(data.y_train, device=device)
    n = len(x)
    state = {"epoch": 0}

    def epoch() -> float:
        perm = np.random.default_rng([spec.seed, state["epoch"]]).permutation(n)
        idx = torch.from_numpy(perm).to(device)
        total = torch.zeros((), device=device)
        for s in range(0, n, batch_size):
            b = idx[s:s + batch_size]
            loss = F.binary_cross_entropy_with_logits(model(x[b]).reshape(-1), y[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach()
        state["epoch"] += 1
        return float(total) / -(-n // batch_size)

    return epoch, model


# The no-cliff workloads (docs/TARGETS): (name, data, hidden widths, batch, fused-over-torch target).
ADAM_CASES = [
    ("spiral [8,8] relu Adam", {"source": "spiral", "samples": 500, "train_fraction": 0.5, "noise": 0.0},
     [8, 8], 10, 50.0),
    ("digits [64,32] relu Adam", {"source": "digits"}, [64, 32], 32, 10.0),
]
ADAM_OVER_SGD_TARGET = 0.5  # fused Adam over fused SGD on the spiral net


def _adam_spec(data: dict, layers: list[int], batch_size: int, engine: str, optimizer: str = "adam"):
    return parse_experiment({
        "schema_version": 1, "data": data, "layers": [{"units": u, "activation": "relu"} for u in layers],
        "loss": "bce" if data["source"] == "spiral" else "cross_entropy",
        "optimizer": {"name": optimizer, "lr": 0.01}, "batch_size": batch_size, "engine": engine,
    })


def bare_adam_loop(trainer):
    """A hand-written per-batch torch loop with torch.optim.Adam on the trainer's data and net shape."""
    spec = trainer.spec
    model = build_model(spec, trainer.dataset.n_inputs, trainer.n_outputs)
    opt = torch.optim.Adam(model.parameters(), lr=spec.optimizer.lr)
    x, y = trainer.x_train, trainer.y_train
    n, batch = len(x), trainer.batch_size
    loss_fn = F.binary_cross_entropy_with_logits if trainer.n_outputs == 1 else F.cross_entropy
    state = {"epoch": 0}

    def epoch() -> float:
        idx = torch.from_numpy(np.random.default_rng([spec.seed, state["epoch"]]).permutation(n))
        total = torch.zeros(())
        for s in range(0, n, batch):
            b = idx[s:s + batch]
            out = model(x[b])
            loss = loss_fn(out.reshape(-1), y[b]) if trainer.n_outputs == 1 else loss_fn(out, y[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach()
        state["epoch"] += 1
        return float(total)

    return epoch


def adam_table(seconds: float, runs: int) -> list[str]:
    """Print the no-cliff table (Adam on both engines, against a bare loop and fused SGD); return misses."""
    from core.training.trainer import Trainer

    print()
    head = (f"{'workload':<26} {'bare':>6} {'T-torch':>8} {'T/bare':>7} {'T-block':>8} {'fused/T':>8} {'target':>7} "
            f"{'met?':>5} {'SGD blk':>8} {'A/SGD':>6} {'met?':>5}")
    print(head)
    print("-" * len(head))
    missed = []
    for name, data, layers, batch, target in ADAM_CASES:
        t_torch = Trainer(_adam_spec(data, layers, batch, "torch"))
        t_fused = Trainer(_adam_spec(data, layers, batch, "fused"))
        t_sgd = Trainer(_adam_spec(data, layers, batch, "fused", "sgd"))
        if t_fused.engine != "fused":
            print(f"  ({name}: fused engine not used: {t_fused.engine_note})")
            missed.append(f"{name}: fused engine not used")
            continue
        bare, torch_rate, fused_rate, sgd_rate = _rates(
            [bare_adam_loop(t_torch), t_torch.train_epoch, _Block(t_fused, 32), _Block(t_sgd, 32)], seconds, runs)
        ratio, vs_torch, vs_sgd = torch_rate / bare, fused_rate / torch_rate, fused_rate / sgd_rate
        spiral = data["source"] == "spiral"
        checks = [(ratio >= TORCH_RATIO_TARGET, f"{name} T/bare {ratio:.2f} < {TORCH_RATIO_TARGET}"),
                  (vs_torch >= target, f"{name} fused/T {vs_torch:.0f}x < {target:.0f}x")]
        if spiral:
            checks.append((vs_sgd >= ADAM_OVER_SGD_TARGET, f"{name} Adam/SGD {vs_sgd:.2f} < {ADAM_OVER_SGD_TARGET}"))
        missed += [why for ok, why in checks if not ok]
        sgd_met = ("yes" if vs_sgd >= ADAM_OVER_SGD_TARGET else "NO") if spiral else "-"
        print(f"{name:<26} {bare:6.1f} {torch_rate:8.1f} {ratio:7.2f} {fused_rate:8.0f} {vs_torch:7.1f}x "
              f"{target:6.0f}x "
              f"{'yes' if vs_torch >= target else 'NO':>5} {sgd_rate:8.0f} {vs_sgd:6.2f} {sgd_met:>5}")
    print(f"Targets: fused Adam (T-block) >= 50x / 10x the torch path (T-torch); Adam >= {ADAM_OVER_SGD_TARGET}x "
          f"fused SGD on the spiral net (A/SGD); T/bare >= {TORCH_RATIO_TARGET} (bare: torch.optim.Adam loop)")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (the fused engine is CPU-only)")
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=None, help="per timed run (default 1.0; 0.3 with --quick)")
    parser.add_argument("--quick", action="store_true", help="one short run per figure")
    parser.add_argument("--sgd-only", action="store_true", help="skip the Adam (no speed cliff) table")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall clock (default) or process CPU time (steadier on a busy machine)")
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.perf_counter if args.clock == "wall" else time.process_time
    seconds = args.seconds if args.seconds is not None else (0.3 if args.quick else 1.0)
    runs = 1 if args.quick else 3
    torch.set_num_threads(1)

    from core.training.trainer import Trainer

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("cuda is not available here; run with --device cpu", file=sys.stderr)
        return 2

    warm = "n/a"
    try:
        from core.engines import fused

        warm = f"{fused.warm_up():.2f} s"
    except Exception as err:  # no numba: the table shows the fused columns as n/a
        print(f"fused engine unavailable: {type(err).__name__}: {err}")
    print(f"torch {torch.__version__}, 1 thread, device {device}, batch {args.batch_size}, "
          f"{runs} x {seconds:g} s per figure (median, {args.clock} clock); fused kernel first call: {warm}")
    print()
    head = (f"{'net':<8} {'bare':>6} {'T-torch':>8} {'T/bare':>7} {'met?':>5} {'T-fused':>8} {'T-block':>8} "
            f"{'fused':>8} {'target':>7} {'met?':>5} {'T-b/br':>7} {'grid ms':>8} {'fwd ms':>7}")
    print(head)
    print("-" * len(head))
    missed = []
    for name, (layers, browser, _browser_grid, multiple) in NETS.items():
        t_torch = Trainer(_spec(layers, args.batch_size, args.device, "torch"))
        epoch, model = bare_loop(layers, args.batch_size, t_torch.device, t_torch.dataset)
        bare, trainer_torch = _rates([epoch, t_torch.train_epoch], seconds, runs)
        grid_ms = _ms(lambda: t_torch.snapshot(grid=True, resolution=100), runs)
        xs = np.linspace(-6, 6, 100, dtype=np.float32)
        gx, gy = np.meshgrid(xs, xs)
        grid = torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], axis=1), device=t_torch.device)
        with torch.no_grad():
            fwd_ms = _ms(lambda: model(grid), runs)
        ratio = trainer_torch / bare
        torch_ok = ratio >= TORCH_RATIO_TARGET
        if not torch_ok:
            missed.append(f"{name} T/bare {ratio:.2f} < {TORCH_RATIO_TARGET}")
        target = browser * multiple

        t_fused = Trainer(_spec(layers, args.batch_size, args.device, "fused"))
        if t_fused.engine == "fused":
            counter = {"epoch": 0}

            def engine_epoch() -> float:
                perm = t_fused.epoch_permutation(counter["epoch"])
                counter["epoch"] += 1
                return fused.train_epoch(t_fused, perm)

            block = _Block(t_fused, 32)
            trainer_fused, trainer_block, engine = _rates([t_fused.train_epoch, block, engine_epoch], seconds, runs)
            fused_ok = trainer_block >= target
            if not fused_ok:
                missed.append(f"{name} T-block {trainer_block:.0f} < {target:.0f} epochs/s")
            tf, tb, en = f"{trainer_fused:8.0f}", f"{trainer_block:8.0f}", f"{engine:8.0f}"
            met, vs_browser = ("yes" if fused_ok else "NO"), f"{trainer_block / browser:6.1f}x"
        else:
            tf = tb = en = f"{'n/a':>8}"
            met, vs_browser = "n/a", "n/a"
            missed.append(f"{name} fused engine not used")
            print(f"  ({name}: fused engine not used: {t_fused.engine_note})")
        print(f"{name:<8} {bare:6.0f} {trainer_torch:8.0f} {ratio:7.2f} {'yes' if torch_ok else 'NO':>5} {tf} {tb} {en} "
              f"{target:7.0f} {met:>5} {vs_browser:>7} {grid_ms:8.2f} {fwd_ms:7.2f}")
    print()
    print(f"epochs/s except ms columns. Targets (docs/TARGETS): T/bare >= {TORCH_RATIO_TARGET}; T-block >= 1x / 3x / "
          "10x the browser engine (3,615 / 370 / 31 epochs/s) at [4,2] / [8]x6 / [64,64]. "
          "Browser grid ms: 8.2 / 70 / 733.")
    if device.type == "cpu" and not args.sgd_only:
        missed += adam_table(seconds, runs)
    print()
    print("all targets met" if not missed else "MISSED: " + "; ".join(missed))
    if args.batch_size != 10:
        print(f"(the browser figures were measured at batch 10, this run used batch {args.batch_size})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
