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

COLUMNS = ["variant", "setting", "value", "exit_code", "state", "epochs", "train_loss", "test_loss",
           "train_accuracy", "test_accuracy", "best_epoch", "best_test_loss", "wall_seconds", "folder"]


def add_parser(sub, positive_int, seed) -> None:
    sweep = sub.add_parser("sweep", help="train variants of one setting in parallel processes",
                           description="Train one variant of EXPERIMENT.json per value of one setting, in "
                           "parallel processes; each variant's folder holds what 'layerlab train' writes, "
                           "and DIR/sweep.csv compares them.")
    sweep.add_argument("experiment", help="experiment file (.json)")
    sweep.add_argument("--set", dest="setting", required=True, type=_setting,
                       help="KEY=V1,V2,... with KEY a dotted spec key, e.g. optimizer.lr=0.003,0.01,0.03,0.1")
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
    parsed = [_value(v.strip()) for v in values.split(",") if v.strip()]
    if not 1 <= len(parsed) <= 64:
        raise argparse.ArgumentTypeError(f"give 1 to 64 values for {key}, got {len(parsed)}")
    return key, parsed


def _value(text: str) -> Any:
    """A JSON value when the text is one (numbers, true/false, lists), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _with(raw: dict, key: str, value: Any) -> dict:
    data = json.loads(json.dumps(raw))
    node = data
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part) if isinstance(node, dict) else None
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value
    return data


def _folder_name(index: int, key: str, value: Any) -> str:
    text = re.sub(r"[^A-Za-z0-9_.=+-]", "_", f"{key}={json.dumps(value) if not isinstance(value, str) else value}")
    return f"{index:02d}-{text[:80]}"


def run(args: argparse.Namespace, error) -> int:
    from core.spec import SpecError, load_experiment, parse_experiment

    path = Path(args.experiment)
    try:
        base = load_experiment(path).to_dict()
    except SpecError as err:
        raise error(str(err), 2) from None
    key, values = args.setting
    overrides = {k: v for k, v in (("epochs", args.epochs), ("seed", args.seed)) if v is not None}
    variants = []
    for index, value in enumerate(values, 1):
        data = _with({**base, **overrides}, key, value)
        try:
            spec = parse_experiment(data)
        except SpecError as err:
            raise error(f"{key}={echo(value)}: {err}", 2) from None
        if data_path := spec.data.path:  # a CSV path is relative to the experiment file: keep it findable
            if not Path(data_path).is_absolute():
                spec = spec.replace(data={**spec.data.model_dump(mode="json"),
                                          "path": str((path.parent / data_path).resolve())})
        variants.append((index, value, spec))
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
        jobs = []
        for index, value, spec in variants:
            folder = out / _folder_name(index, key, value)
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
        codes = list(pool.map(train_variant, [str(folder) for _, _, folder in jobs]))
    rows = [_row(index, key, value, folder, code) for (index, value, folder), code in zip(jobs, codes)]
    text = io.StringIO()
    writer = csv.DictWriter(text, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    from core.files.atomic import atomic_write_text

    atomic_write_text(out / "sweep.csv", text.getvalue())
    if not args.quiet:
        for row in rows:
            print(f"  {key}={row['value']}: {row['state']}, test loss {row['test_loss']}, "
                  f"test accuracy {row['test_accuracy']}")
        print(f"wrote {out / 'sweep.csv'}")
    failed = [r for r in rows if r["exit_code"] != 0]
    if failed:
        raise error(f"{len(failed)} of {len(rows)} variants failed ({', '.join(str(r['value']) for r in failed)}); "
                    f"see train.log in their folders under {out}", 1)
    return 0


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
    row = {"variant": index, "setting": key, "value": value if isinstance(value, str) else json.dumps(value),
           "exit_code": code, "folder": folder.name}
    for column in COLUMNS:
        if column not in row:
            row[column] = metrics.get(column, "")
    return row
