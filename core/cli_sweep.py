"""`layerlab sweep EXPERIMENT.json --set KEY=V1,V2,... --out DIR`: one setting, several values, in parallel.

Each variant is the experiment with KEY set to one value, written to DIR/<nn>-<key>=<value>/experiment.json
and trained there by `layerlab train` itself (in a worker process), so its metrics.json and
history.csv are exactly what a separate `layerlab train` of that file with the same seed writes.
DIR/sweep.csv has one row per variant.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import re
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from core.echo import echo
from core.runs.variants import folder_name, parse_value, value_text, variant_specs

COLUMNS = ["variant", "setting", "value", "exit_code", "state", "epochs", "train_loss", "test_loss",
           "train_accuracy", "test_accuracy", "best_epoch", "best_test_loss", "wall_seconds", "folder"]


def add_parser(sub, positive_int, seed) -> None:
    sweep = sub.add_parser("sweep", help="train variants of one setting in parallel processes",
                           description="Train one variant of EXPERIMENT.json per value of one setting, in "
                           "parallel processes; each variant's folder holds what 'layerlab train' writes, "
                           "and DIR/sweep.csv compares them.")
    sweep.add_argument("experiment", help="experiment file (.json)")
    sweep.add_argument("--set", dest="setting", required=True, type=_setting,
                       help="KEY=V1,V2,... with KEY a dotted spec key (optimizer.lr=0.003,0.01,0.03,0.1) or one of "
                       "learning_rate, batch_size, width, depth, optimizer, activation, regularization_rate")
    sweep.add_argument("--out", type=Path, required=True, help="output folder")
    sweep.add_argument("--workers", type=positive_int, help="processes at once (default: one per core, at most "
                       "one per variant)")
    sweep.add_argument("--epochs", type=positive_int, help="epochs to train (overrides the file)")
    sweep.add_argument("--seed", type=seed, help="random seed (overrides the file)")
    sweep.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _setting(text: str) -> tuple[str, list[Any]]:
    key, eq, values = text.partition("=")
    key = key.strip()
    if not eq or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*", key):
        raise argparse.ArgumentTypeError(f"expected KEY=V1,V2,... (e.g. optimizer.lr=0.01,0.1), got {echo(text)}")
    parsed = [parse_value(v.strip()) for v in values.split(",") if v.strip()]
    if not 1 <= len(parsed) <= 64:
        raise argparse.ArgumentTypeError(f"give 1 to 64 values for {key}, got {len(parsed)}")
    return key, parsed


def run(args: argparse.Namespace, error) -> int:
    from core.spec import SpecError, load_experiment

    path = Path(args.experiment)
    try:
        base = load_experiment(path).to_dict()
    except SpecError as err:
        raise error(str(err), 2) from None
    key, values = args.setting
    overrides = {k: v for k, v in (("epochs", args.epochs), ("seed", args.seed)) if v is not None}
    try:
        specs = variant_specs({**base, **overrides}, key, values, folder=path.parent)
    except SpecError as err:
        raise error(str(err), 2) from None
    variants = [(index, value, spec) for index, (value, spec) in enumerate(zip(values, specs), 1)]
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
        jobs = []
        for index, value, spec in variants:
            folder = out / folder_name(index, key, value)
            folder.mkdir(exist_ok=True)
            (folder / "experiment.json").write_text(spec.to_json() + "\n")
            jobs.append((index, value, folder))
    except OSError as err:
        raise error(f"output folder {out} cannot be used ({err.strerror or err}); choose another --out", 1) from None
    workers = min(len(jobs), args.workers or os.cpu_count() or 1)
    if not args.quiet:
        print(f"sweeping {key} over {', '.join(json.dumps(v) for v in values)}: {len(jobs)} runs, "
              f"{workers} at a time")
    # spawn: a forked child of a process with torch/numba threads can hang
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(train_variant, str(folder)) for _, _, folder in jobs]
        codes = [_exit_code(future, folder) for future, (_, _, folder) in zip(futures, jobs)]
    rows = [_row(index, key, value, folder, code) for (index, value, folder), code in zip(jobs, codes)]
    text = io.StringIO()
    writer = csv.DictWriter(text, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    from core.files.atomic import atomic_write_text

    atomic_write_text(out / "sweep.csv", text.getvalue())
    if not args.quiet:
        for row in rows:
            if row["exit_code"] != 0:
                print(f"  {key}={row['value']}: failed (the reason follows)")
                continue
            print(f"  {key}={row['value']}: {row['state']}, test loss {row['test_loss']}, "
                  f"test accuracy {row['test_accuracy']}")
        print(f"wrote {out / 'sweep.csv'}")
    failed = [(r, folder) for r, (_, _, folder) in zip(rows, jobs) if r["exit_code"] != 0]
    if failed:
        from core.runs.pool import failures_line

        reasons = failures_line([(f"{key}={r['value']}", _last_error(folder)) for r, folder in failed])
        raise error(f"{len(failed)} of {len(rows)} variants failed: {reasons}; "
                    f"see train.log in their folders under {out}", 1)
    return 0


def _exit_code(future: Any, folder: Path) -> int:
    """The variant's exit code; a process that died (killed, out of memory) leaves its reason in train.log."""
    from core.runs.pool import failure_text

    try:
        return int(future.result())
    except Exception as err:  # noqa: BLE001 - one variant's crash must not hide the others' results
        with contextlib.suppress(OSError):
            with (folder / "train.log").open("a") as log:
                log.write(f"error: {failure_text(err)}\n")
        return 1


def _last_error(folder: Path) -> str:
    """The last line of the variant's train.log (where 'layerlab train' wrote its error)."""
    try:
        lines = [line.strip() for line in (folder / "train.log").read_text(errors="replace").splitlines()]
    except OSError:
        return "no train.log was written"
    lines = [line for line in lines if line]
    return lines[-1].removeprefix("layerlab: error: ") if lines else "no reason given"


def train_variant(folder: str) -> int:
    """`layerlab train folder/experiment.json --out folder --quiet` in this process, its output in train.log."""
    from core.cli import main

    log = Path(folder) / "train.log"
    with log.open("w") as stream, contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        return main(["train", str(Path(folder) / "experiment.json"), "--out", folder, "--quiet"])


def _row(index: int, key: str, value: Any, folder: Path, code: int) -> dict:
    try:
        metrics = json.loads((folder / "metrics.json").read_text())
    except (OSError, ValueError):
        metrics = {}
    row = {"variant": index, "setting": key, "value": value_text(value),
           "exit_code": code, "folder": folder.name}
    for column in COLUMNS:
        if column not in row:
            row[column] = metrics.get(column, "")
    return row
