"""A corpus of bad and odd inputs, each run as a user would: `layerlab train` on an experiment file
(and its CSV). Bad input: exit 2, one short `layerlab: error:` line with the words that say what to
fix, no traceback, nothing written. Odd but usable input: it trains and its figures are finite.
Divergence: lr 100 (the largest the spec takes) and 1e3 (set live) with every optimizer ends
finished or diverged, never failed, and the user is told."""

from __future__ import annotations

import codecs
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from core.cli import main
from core.training.control import TrainingControl
from core.training.snapshot import RunState
from core.spec import Experiment, OptimizerName
from core.training.trainer import Trainer

torch.set_num_threads(1)
OK = None  # expected words for input that must train
BASE = {"schema_version": 1, "epochs": 2, "engine": "torch", "device": "cpu"}
GOOD_CSV = "a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(20))


def _rows(n=20, value=lambda i: i, label=lambda i: i % 2, header="a,b,y") -> str:
    return header + "\n" + "".join(f"{value(i)},{i % 3},{label(i)}\n" for i in range(n))


def _special(kind: str, folder: Path) -> str:
    """A data.path that is not a plain file: made here, as the test machine allows."""
    if kind == "folder":
        (folder / "dir.csv").mkdir()
        return "dir.csv"
    if kind == "loop":
        os.symlink(folder / "loop.csv", folder / "loop.csv")
        return "loop.csv"
    if kind == "fifo":
        os.mkfifo(folder / "pipe.csv")
        return "pipe.csv"
    return kind  # /dev/zero, /dev/null


# name: (csv bytes or special path, data overrides, top-level overrides, expected words or OK)
CSV_CASES = {
    "empty": (b"", {}, {}, "empty"),
    "blank lines only": (b"\n \n\t\n", {}, {}, "empty"),
    "header only": (b"a,b,y\n", {}, {}, "no data rows"),
    "only the target column": (b"y\n0\n1\n0\n1\n", {}, {}, "only the target column"),
    "UTF-8 byte order mark": (codecs.BOM_UTF8 + GOOD_CSV.encode(), {}, {}, OK),
    "UTF-16 LE with mark": (codecs.BOM_UTF16_LE + GOOD_CSV.encode("utf-16-le"), {}, {}, OK),
    "UTF-16 BE with mark, CRLF": (codecs.BOM_UTF16_BE + GOOD_CSV.replace("\n", "\r\n").encode("utf-16-be"), {}, {}, OK),
    "UTF-16 without its mark": (GOOD_CSV.encode("utf-16-le"), {}, {}, "UTF-16"),
    "latin-1": (("a,b,y\n" + "".join(f"{i},caf\u00e9,{i % 2}\n" for i in range(8))).encode("latin-1"), {}, {},
                "not UTF-8"),
    "mixed types in an input": (_rows(value=lambda i: "abc" if i == 5 else i).encode(), {}, {}, "non-numeric"),
    "inf cell": (_rows(value=lambda i: "inf" if i == 3 else i).encode(), {}, {}, "infinite"),
    "NaN cell": (_rows(value=lambda i: "NaN" if i == 3 else i).encode(), {}, {}, "column 'a'"),
    "1e308 input": (_rows(value=lambda i: "1e308" if i == 2 else i).encode(), {}, {}, "32-bit float range"),
    "±3e38 input": (_rows(value=lambda i: "3e38" if i % 2 else "-3e38").encode(), {}, {}, "column 'a' spans"),
    "1e308 target": (_rows(label=lambda i: "1e308" if i == 2 else i).encode(), {}, {"task": "regression", "loss": "mse"},
                     "beyond the 32-bit float range"),
    "±3e38 target": (_rows(label=lambda i: "3e38" if i % 2 else "-3e38").encode(), {},
                     {"task": "regression", "loss": "mse"}, "target 'y' spans"),
    "duplicate column names": (b"a,a,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n", {}, {}, "twice"),
    "10k columns": (("," .join(f"c{j}" for j in range(10_000)) + ",y\n"
                     + "".join(",".join(str((i * j) % 7) for j in range(10_000)) + f",{i % 2}\n" for i in range(12))
                     ).encode(), {}, {}, OK),
    "quoted newline in the target": (b'a,y\n1,"x\ny"\n2,z\n3,x\n4,z\n', {}, {}, "several lines"),
    "quoted newline in an unused column": (b'a,note,y\n1,"two\nlines",0\n2,ok,1\n3,ok,0\n4,ok,1\n',
                                           {"columns": ["a"]}, {}, OK),
    "binary garbage": (bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)), {}, {},
                       "binary file|not UTF-8"),
    "zip/xlsx": (b"PK\x03\x04" + bytes(100), {}, {}, "Excel"),
    "a folder named .csv": ("folder", {}, {}, "is a folder"),
    "a link loop": ("loop", {}, {}, "link loop"),
    "/dev/zero": ("/dev/zero", {}, {}, "device file"),
    "/dev/null": ("/dev/null", {}, {}, "device file"),
    "a FIFO": ("fifo", {}, {}, "pipe (FIFO)"),
    "2 rows, 2 classes": (b"a,y\n1,cat\n2,dog\n", {}, {}, "has no training rows"),
    "a class with one row": (_rows(label=lambda i: "rare" if i == 4 else i % 2).encode(), {},
                             {"loss": "cross_entropy"}, OK),
    "one class only": (_rows(label=lambda i: 1).encode(), {}, {}, "only one class"),
    "target missing, 1 MB column name": (("x" * 1_000_000 + ",b,z\n1,2,0\n3,4,1\n").encode(), {}, {},
                                        "has no target column 'y'"),
    "semicolons and decimal commas": (("a;b;y\n" + "".join(f"{i},5;{i % 3};{i % 2}\n" for i in range(20))).encode(),
                                      {}, {}, OK),
    "trailing delimiter": ((_rows().replace("\n", ",\n")).encode(), {}, {}, OK),
}


def _train(tmp_path, spec: dict, capsys) -> tuple[int, list[str], Path]:
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps(spec))
    out = tmp_path / "run"
    code = main(["train", str(exp), "--out", str(out), "--quiet"])
    return code, capsys.readouterr().err.strip().splitlines(), out


def _check(code, err, out, words):
    if words is OK:
        assert code == 0, err
        metrics = json.loads((out / "metrics.json").read_text())
        assert math.isfinite(metrics["train_loss"]) and math.isfinite(metrics["test_loss"])
        return
    assert code == 2 and len(err) == 1, err
    line = err[0]
    assert line.startswith("layerlab: error: ") and "Traceback" not in line and len(line) < 600, line[:700]
    assert any(w in line for w in words.split("|")), line
    assert not out.exists()


@pytest.mark.parametrize("name", list(CSV_CASES))
def test_csv_corpus(tmp_path, capsys, name):
    content, data, top, words = CSV_CASES[name]
    if isinstance(content, bytes):
        (tmp_path / "d.csv").write_bytes(content)
        path = "d.csv"
    else:
        path = _special(content, tmp_path)
    target = "y"
    spec = {**BASE, "data": {"source": "csv", "path": path, "target": target, **data}, **top}
    _check(*_train(tmp_path, spec, capsys), words)


# name: (experiment file text, expected words or OK)
SPEC_CASES = {
    "wrong type: epochs as text": ({**BASE, "epochs": "ten"}, "epochs"),
    "wrong type: layers as text": ({**BASE, "layers": "4,2"}, "layers"),
    "wrong type: data as a list": ({**BASE, "data": [1, 2]}, "data"),
    "unknown key": ({**BASE, "learningrate": 0.1}, "learningrate: is not a known key"),
    "unknown nested key": ({**BASE, "optimizer": {"name": "sgd", "beta": 2}}, "optimizer.beta: is not a known key"),
    "huge epochs": ({**BASE, "epochs": 10**30}, "epochs"),
    "epochs 1e400 (inf)": ('{"schema_version": 1, "epochs": 1e400}', "NaN and infinity"),
    "huge seed": ({**BASE, "seed": 2**64}, "seed"),
    "negative samples": ({**BASE, "data": {"source": "circle", "samples": -5}}, "data.samples"),
    "negative batch size": ({**BASE, "batch_size": -1}, "batch_size"),
    "negative units": ({**BASE, "layers": [{"units": -3}]}, "layers.0.units"),
    "zero epochs": ({**BASE, "epochs": 0}, "epochs"),
    "10k deep nesting": ('{"schema_version": 1, "data": ' + "[" * 10_000 + "]" * 10_000 + "}", "nested too deeply"),
    "1M deep nesting": ("[" * 1_000_000 + "]" * 1_000_000, "not valid JSON"),
    "10 MB device": ({**BASE, "device": "x" * 10_000_000}, "is not one of auto"),
    "10 MB unknown key": ({**BASE, "k" * 10_000_000: 1}, "is not a known key"),
    "lone surrogate device": ({**BASE, "device": "\ud800"}, "device: contains a lone surrogate"),
    "lone surrogate data.path": ({**BASE, "data": {"source": "csv", "path": "\udfff", "target": "y"}},
                                 "data.path: contains a lone surrogate"),
    "NUL in data.path": ({**BASE, "data": {"source": "csv", "path": "a\x00.csv", "target": "y"}},
                         "data.path: contains a NUL"),
    "NaN lr": ({**BASE, "optimizer": {"lr": float("nan")}}, "optimizer.lr: got nan"),
    "-inf noise": ({**BASE, "data": {"source": "circle", "noise": float("-inf")}}, "data.noise: got -inf"),
    "NaN literal": ('{"schema_version": 1, "regularization": {"kind": "l2", "rate": NaN}}', "regularization.rate"),
    "lr 1e3 (above the spec's 100)": ({**BASE, "optimizer": {"lr": 1e3}}, "optimizer.lr"),
    "newer schema": ({"schema_version": 99}, "newer than this LayerLab"),
    "top-level list": ("[1, 2, 3]", "JSON object"),
    "empty file": ("", "not valid JSON"),
    "no features": ({**BASE, "features": []}, "at least one"),
    "features on a table": ({**BASE, "data": {"source": "iris"}, "features": ["x1"]}, "features apply to the 2-D"),
    "csv without a path": ({**BASE, "data": {"source": "csv", "target": "y"}}, "data.path is required"),
    "csv path that does not exist": ({**BASE, "data": {"source": "csv", "path": "/no/such.csv", "target": "y"}},
                                     "no such file"),
    "no hidden layers": ({**BASE, "layers": []}, OK),
    "mse for classification": ({**BASE, "loss": "mse"}, OK),
    "a bool as the learning rate": ({**BASE, "optimizer": {"lr": True}}, "optimizer.lr: got true"),
    "a bool as epochs": ({**BASE, "epochs": False}, "epochs: got false"),
    "lr as a string number": ({**BASE, "optimizer": {"lr": "0.1"}}, OK),
}


@pytest.mark.parametrize("name", list(SPEC_CASES))
def test_spec_corpus(tmp_path, capsys, name):
    raw, words = SPEC_CASES[name]
    exp = tmp_path / "exp.json"
    exp.write_text(raw if isinstance(raw, str) else json.dumps(raw))
    out = tmp_path / "run"
    code = main(["train", str(exp), "--out", str(out), "--quiet"])
    _check(code, capsys.readouterr().err.strip().splitlines(), out, words)


@pytest.mark.parametrize("optimizer", [o.value for o in OptimizerName])
@pytest.mark.parametrize("lr", [100.0, 1e3])
def test_divergence_with_every_optimizer_ends_cleanly_and_says_so(optimizer, lr):
    spec = Experiment().replace(optimizer={"name": optimizer, "lr": min(lr, 100.0)}, epochs=150, engine="torch")
    trainer = Trainer(spec)
    if lr > 100:
        trainer.set_learning_rate(lr)  # the live control takes any positive rate
    messages: list[str] = []
    state = trainer.run(TrainingControl(), lambda s: messages.append(s.message) if s.message else None,
                        snapshot_hz=0)
    assert state in (RunState.finished, RunState.diverged), messages
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())
    told = " ".join(messages)
    assert "lower learning rate" in told or "may be too high" in told, (state, messages)
