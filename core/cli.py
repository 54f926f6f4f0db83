"""The `layerlab` command: open the window, or train an experiment file headless and export it.

    layerlab                                  open the window
    layerlab --version
    layerlab train EXPERIMENT.json [--epochs N] [--device D] [--seed N] [--out DIR]
                   [--export checkpoint,torchscript,onnx,python] [--part all,encoder,decoder] [--quiet]
    layerlab lr-find EXPERIMENT.json [--steps N] [--start LR] [--end LR] [--seed N] [--out CSV] [--quiet]
    layerlab sweep EXPERIMENT.json --set optimizer.lr=0.003,0.01,0.03,0.1 [--workers N] --out DIR

Training goes through Trainer.run with a TrainingControl, the same loop the window uses. Every
failure prints one line `layerlab: error: ...` on stderr; exit codes: 0 done, 1 runtime failure
(device, divergence, files), 2 bad usage, experiment or data, 130 stopped with Ctrl+C.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import core
from core.cli_health import health_line
from core.cli_metrics import run_metrics, summary_line
from core.cli_progress import Output, Progress, stop_on_ctrl_c
from core.echo import echo
from core.export.formats import FORMATS

EXPORT_CHOICES = FORMATS.names()  # every export format, the order --export all writes them
EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
COMPILE_NOTE_S = 1.5  # numba's disk cache loads the fused kernels in ~1 s; still loading after this: compiling


class CliError(Exception):
    """A failure to report as one line on stderr, with the exit code to return."""

    def __init__(self, message: str, code: int = EXIT_RUNTIME) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as our single error line instead of exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"{message} (see '{self.prog} --help')", EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="layerlab", description="A desktop neural-network playground on real PyTorch. "
                     "With no arguments, opens the window.")
    parser.add_argument("--version", action="version", version=f"layerlab {core.__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    train = sub.add_parser("train", help="train an experiment file without the window",
                           description="Train EXPERIMENT.json, write metrics.json and history.csv "
                           "into the output folder, and export the trained model.")
    train.add_argument("experiment", help="experiment file (.json), e.g. examples/spiral.json")
    train.add_argument("--epochs", type=_positive_int, help="epochs to train (overrides the file)")
    train.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps; an unavailable device is an error")
    train.add_argument("--seed", type=_seed, help="random seed (overrides the file)")
    train.add_argument("--out", type=Path, help="output folder (default: runs/<experiment>-<time>)")
    train.add_argument("--export", type=_export_list, default=(),
                       help=f"comma-separated: {','.join(EXPORT_CHOICES)} (or 'all')")
    train.add_argument("--part", type=_part_list, default=("all",),
                       help="autoencoders: comma-separated all,encoder,decoder: export the whole model, "
                            "its encoder (inputs -> latent codes) or its decoder (codes -> reconstruction)")
    train.add_argument("--quiet", action="store_true", help="print nothing but errors and warnings")
    from core import cli_lr_find, cli_summary, cli_sweep

    cli_summary.add_parser(sub)
    cli_lr_find.add_parser(sub, _positive_int, _seed)
    cli_sweep.add_parser(sub, _positive_int, _seed)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {echo(text)}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {echo(text)}") from None
    if not 0 <= value <= 2**31 - 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and {2**31 - 1}, got {value}")
    return value


def _export_list(text: str) -> tuple[str, ...]:
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    if names == ["all"]:
        return EXPORT_CHOICES
    unknown = [n for n in names if n not in EXPORT_CHOICES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown export '{','.join(unknown) or text}'; choose from "
                                         f"{', '.join(EXPORT_CHOICES)} or all")
    return tuple(dict.fromkeys(names))


def _part_list(text: str) -> tuple[str, ...]:
    from core.export.autoencoder_parts import PARTS

    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in PARTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown part '{','.join(unknown) or text}'; choose from {', '.join(PARTS)}")
    return tuple(dict.fromkeys(names))


def main(argv: Sequence[str] | None = None, open_window: Callable[[], int] | None = None) -> int:
    """Run the command line; returns the exit code (the console script passes it to sys.exit).

    `open_window` starts the GUI when there are no arguments; the `layerlab` console script
    (app.launcher) passes it, so core itself never depends on the app.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv:
            return _open_window(open_window)
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as done:  # --help / --version print and "exit"
            return int(done.code or 0)
        if args.command == "summary":
            from core import cli_summary

            return cli_summary.run(args, CliError, EXIT_USAGE)
        if args.command == "lr-find":
            from core import cli_lr_find

            return cli_lr_find.run(args, _load_trainer, CliError)
        if args.command == "sweep":
            from core import cli_sweep

            return cli_sweep.run(args, CliError)
        if args.command != "train":
            raise CliError("choose a command: 'layerlab train EXPERIMENT.json', 'layerlab summary EXPERIMENT.json', "
                           "'layerlab lr-find EXPERIMENT.json', 'layerlab sweep EXPERIMENT.json --set KEY=V1,V2', "
                           "or no arguments for the window (see 'layerlab --help')", EXIT_USAGE)
        return _train(args)
    except CliError as err:
        print(f"layerlab: error: {err}", file=sys.stderr)
        return err.code
    except KeyboardInterrupt:  # Ctrl+C outside the training loop (loading data, exporting)
        print("\nlayerlab: error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:  # noqa: BLE001 - a bug or an unforeseen failure: still one line, no traceback
        if os.environ.get("LAYERLAB_DEBUG"):
            raise
        text = " ".join(str(err).split())[:300] or "no details"
        print(f"layerlab: error: unexpected {type(err).__name__}: {text} (set LAYERLAB_DEBUG=1 for the "
              "full traceback)", file=sys.stderr)
        return EXIT_RUNTIME


def _open_window(open_window: Callable[[], int] | None) -> int:
    if open_window is None:
        raise CliError("no window to open from here: start it with 'layerlab' or 'python -m app', "
                       "or train without it: layerlab train EXPERIMENT.json", EXIT_USAGE)
    # The app imports Qt only when it starts, so a missing PySide6 surfaces here.
    try:
        return int(open_window() or 0)
    except ImportError as err:
        missing = (err.name or "").split(".")[0]
        if missing in ("PySide6", "shiboken6", "pyqtgraph", "superqt"):
            raise CliError(f"the window needs {missing}, which is not installed; install it with "
                           f"'pip install {_PACKAGES.get(missing, missing)}', or train without the "
                           "window: layerlab train EXPERIMENT.json") from None
        raise CliError(f"cannot open the window: {err}") from None


_PACKAGES = {"PySide6": "PySide6-Essentials", "shiboken6": "PySide6-Essentials"}


# --------------------------------------------------------------------------------------- train
def _load_fast_engine(trainer: Any, out: Output) -> None:
    """The fused kernels in before the clock starts, so the epochs/s figure is training's; on a machine's
    first run they compile for about a minute, and the note says why nothing moves (Ctrl+C still works).
    Unlike the window, the CLI waits: a short run that ended first would never write numba's cache."""
    if trainer.engine != "fused":
        return
    from core.engines import fused_warmup

    load = fused_warmup.load_kernels()
    if not load.join(COMPILE_NOTE_S):
        out.note("note: the fast engine compiles for its first run on this machine (about a minute); "
                 "later runs start at once")
        while not load.join(0.25):
            pass


def _train(args: argparse.Namespace) -> int:
    from core.training.control import TrainingControl
    from core.spec import SpecError, load_experiment

    out = Output(quiet=args.quiet)
    path = Path(args.experiment)
    try:
        spec = load_experiment(path)
        overrides = {k: v for k, v in (("epochs", args.epochs), ("seed", args.seed),
                                       ("device", args.device)) if v is not None}
        if overrides:
            spec = spec.replace(**overrides)
    except SpecError as err:
        raise CliError(str(err), EXIT_USAGE) from None
    if args.part != ("all",) and spec.task.value != "autoencoder":
        raise CliError(f"--part {','.join(args.part)} needs an autoencoder (task 'autoencoder'); this experiment's "
                       f"task is '{spec.task.value}'", EXIT_USAGE)
    device = _strict_device(args.device)
    trainer = _make_trainer(spec, path, device)
    run_dir = _prepare_out_dir(args.out, path)
    if trainer.device_note:
        out.note(f"note: {trainer.device_note}")
    out.line(f"training {path.name}: {trainer.dataset.description or spec.data.source.value}, "
             f"{spec.epochs} epochs on {trainer.device} ({trainer.engine} engine)")
    _load_fast_engine(trainer, out)

    control = TrainingControl()
    progress = Progress(out, total=spec.epochs, start_epoch=trainer.epoch)
    started = time.perf_counter()
    with stop_on_ctrl_c(control) as interrupted:
        try:
            state = trainer.run(control, progress.emit, snapshot_hz=10.0, grid_hz=1e-3)
        except KeyboardInterrupt:  # a second Ctrl+C: the epoch in progress is abandoned
            from core.training.snapshot import RunState

            state = RunState.stopped
            interrupted.set()
    wall = time.perf_counter() - started
    progress.finish()
    metrics = _write_results(trainer, run_dir, state.value, wall, progress.last_message, path)
    out.line(summary_line(metrics))
    if health_line(metrics):
        out.line(health_line(metrics))
    if trainer.last_stop is not None and trainer.last_stop.report:
        out.line(trainer.last_stop.report)
    out.line(f"wrote {run_dir / 'metrics.json'} and {run_dir / 'history.csv'}")

    if state.value == "stopped":
        out.line(f"stopped by Ctrl+C after {metrics['epochs']} epochs; exports skipped")
        return EXIT_INTERRUPTED
    if state.value in ("diverged", "failed"):
        message = progress.last_message or f"training {state.value}"
        raise CliError(f"{message} (metrics for the epochs done are in {run_dir})", EXIT_RUNTIME)
    _export_all(trainer, run_dir, args.export, out, args.part)
    return EXIT_OK


def _load_trainer(path: Path, seed: int | None):
    """The experiment file's Trainer (seed overridden when given); bad files and data are usage errors."""
    from core.spec import SpecError, load_experiment

    try:
        spec = load_experiment(path)
        if seed is not None:
            spec = spec.replace(seed=seed)
    except SpecError as err:
        raise CliError(str(err), EXIT_USAGE) from None
    return _make_trainer(spec, path, None)


def _strict_device(requested: str | None) -> str | None:
    """An explicitly asked device must exist; a device named only in the file falls back with a note."""
    if requested is None:
        return None
    from core.engines.device import DeviceUnavailable, resolve_device

    try:
        resolve_device(requested, strict=True)
    except DeviceUnavailable as err:
        raise CliError(str(err), EXIT_RUNTIME) from None
    except ValueError as err:
        raise CliError(str(err), EXIT_USAGE) from None
    return requested


def _make_trainer(spec, path: Path, device: str | None):
    from core.data.dataset import DataError
    from core.training.trainer import Trainer

    try:
        return Trainer(spec, device=device)
    except DataError as err:
        raise CliError(f"{path}: {err}", EXIT_USAGE) from None
    except ValueError as err:  # a spec the data cannot serve (e.g. a loss for the wrong task)
        raise CliError(f"{path}: {err}", EXIT_USAGE) from None
    except OSError as err:
        raise CliError(f"{path}: cannot read the data ({err.strerror or err})", EXIT_RUNTIME) from None


def default_out_dir(experiment: Path, now: datetime | None = None) -> Path:
    """runs/<experiment stem>-<YYYYmmdd-HHMMSS>, relative to the current folder."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{experiment.stem}-{stamp}"


def _prepare_out_dir(requested: Path | None, experiment: Path) -> Path:
    """Create the output folder and prove it is writable before spending time on training."""
    run_dir = requested if requested is not None else default_out_dir(experiment)
    if requested is None:
        base, n = run_dir, 2
        while run_dir.exists():
            run_dir, n = base.with_name(f"{base.name}-{n}"), n + 1
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=run_dir):
            pass
    except FileExistsError:
        raise CliError(f"output folder {run_dir} is a file; choose another --out") from None
    except NotADirectoryError:
        raise CliError(f"output folder {run_dir} cannot be created: part of its path is a file; "
                       "choose another --out") from None
    except PermissionError:
        raise CliError(f"output folder {run_dir} is not writable; choose another --out") from None
    except OSError as err:
        raise CliError(f"output folder {run_dir} cannot be used ({err.strerror or err}); "
                       "choose another --out") from None
    return run_dir


def _write_results(trainer, run_dir: Path, state: str, wall: float, message: str, experiment: Path) -> dict:
    from core.files.atomic import WriteError, atomic_write_text

    metrics = run_metrics(trainer, state, wall, message, experiment)
    try:
        atomic_write_text(run_dir / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        trainer.history.to_csv(run_dir / "history.csv")
    except WriteError as err:
        raise CliError(str(err)) from None
    return metrics


def _export_all(trainer, run_dir: Path, formats: Sequence[str], out: Output,
                parts: Sequence[str] = ("all",)) -> None:
    from core.export import ExportError, write_format
    from core.files.checkpoint import CheckpointError

    for fmt in formats:
        record = FORMATS[fmt]
        for part in parts if record.kind == "model" else ("all",):  # a checkpoint is the whole run
            # model.onnx, encoder.onnx, decoder.onnx
            name = record.default_name if part == "all" else record.default_name.replace("model", part, 1)
            try:
                report = write_format(trainer, run_dir / name, fmt, part=part)
            except (ExportError, CheckpointError) as err:
                raise CliError(f"{fmt} export{'' if part == 'all' else ' of the ' + part} failed: {err}") from None
            if record.kind == "run":
                out.line(f"exported {fmt:<12} {report.path}")
                continue
            extra = "" if len(report.files) == 1 else f" (+ {report.files[1].name})"
            out.line(f"exported {fmt:<12} {report.path}{extra}  verified: max diff {report.max_abs_diff:.2e}")
