"""Spec strings and files that are not what they claim: lone surrogates, NUL bytes, link loops,
device files and pipes, NaN/inf numbers, UTF-16 files, 50 MB values. Each is one clear message that
names the key (or the file), through the core API and the command line, never a traceback."""

from __future__ import annotations

import codecs
import json
import os

import pytest

from core.cli import main
from core.data.dataset import DataError
from core.data.tabular import load_csv
from core.echo import ECHO_CHARS, clip, echo
from core.spec import Experiment, SpecError, load_experiment, loads_experiment, parse_experiment

CSV = "a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n"
FLOAT_FIELDS = [("data", "noise"), ("data", "train_fraction"), ("optimizer", "lr"), ("optimizer", "momentum"),
                ("regularization", "rate"), ("schedule", "gamma"), ("layers", 0, "dropout")]


def _with(path: tuple, value) -> dict:
    spec = Experiment().to_dict()
    target = spec
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return spec


@pytest.mark.parametrize("field", FLOAT_FIELDS, ids=lambda f: ".".join(map(str, f)))
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
def test_nan_and_inf_are_refused_as_not_numbers_for_every_float_field(field, value):
    with pytest.raises(SpecError) as err:
        parse_experiment(_with(field, value))
    text = str(err.value)
    assert ".".join(map(str, field)) in text and "NaN and infinity are not numbers it accepts" in text
    assert "less than" not in text and "greater than" not in text


def test_nan_literal_in_a_json_file_is_refused_the_same_way(tmp_path):
    path = tmp_path / "nan.json"
    path.write_text('{"schema_version": 1, "optimizer": {"lr": NaN}, "epochs": Infinity}')
    with pytest.raises(SpecError) as err:
        load_experiment(path)
    text = str(err.value)
    assert "optimizer.lr: got nan; NaN and infinity" in text and "epochs: got inf" in text


@pytest.mark.parametrize("path, value, words", [
    (("device",), "\ud800", "device: contains a lone surrogate"),
    (("device",), "cpu\x00", "device: contains a NUL character"),
    (("data",), {"source": "csv", "path": "\ud800.csv", "target": "y"}, "data.path: contains a lone surrogate"),
    (("data",), {"source": "csv", "path": "a\x00b.csv", "target": "y"}, "data.path: contains a NUL character"),
    (("data",), {"source": "csv", "path": "d.csv", "target": "y\udfff"}, "data.target: contains a lone surrogate"),
    (("data",), {"source": "csv", "path": "d.csv", "target": "y", "columns": ["a", "\udc80"]},
     "data.columns.1: contains a lone surrogate"),
])
def test_strings_that_are_not_text_name_their_key(path, value, words):
    raw = _with(path, value)
    with pytest.raises(SpecError, match=words.replace(".", r"\.")) as err:
        parse_experiment(raw)
    str(err.value).encode("utf-8")  # the message itself can be printed and shown
    # built directly, the same check answers (a ValidationError, not pydantic's UnicodeEncodeError)
    with pytest.raises(ValueError, match="not valid text|NUL character") as direct:
        Experiment(**{path[0]: value})
    assert not isinstance(direct.value, UnicodeError)


def test_a_key_that_is_not_text_is_named_escaped():
    with pytest.raises(SpecError, match=r"data\.\\udc00: this key contains a lone surrogate"):
        parse_experiment({"schema_version": 1, "data": {"\udc00": 1}})


@pytest.mark.parametrize("raw", [
    {"schema_version": 1, "device": "x" * 50_000_000},
    {"schema_version": 1, "k" * 10_000_000: 1},
    {"schema_version": 1, "loss": "y" * 10_000_000},
    {"schema_version": 1, "layers": [{"activation": "z" * 10_000_000}]},
    {"schema_version": "v" * 10_000_000},
    {"schema_version": 1, "data": {"source": "csv", "path": "p" * 10_000_000, "target": "y"}},
], ids=["device", "unknown key", "enum", "nested enum", "schema_version", "csv path"])
def test_messages_echo_at_most_about_80_characters_of_a_value(raw, tmp_path):
    with pytest.raises((SpecError, DataError)) as err:
        spec = parse_experiment(raw)
        from core.data import load_dataset
        load_dataset(spec)
    assert len(str(err.value)) < 400, str(err.value)[:500]


def test_echo_and_clip_keep_start_and_end_and_escape():
    assert echo("ab") == "'ab'" and clip("ab") == "ab"
    long = echo("a" * 1000 + "END")
    assert len(long) <= ECHO_CHARS + 10 and long.endswith("END'") and "..." in long
    assert clip("k" * 1000).endswith("... (1,000 characters)")
    assert echo("\ud800") == "'\\ud800'" and clip("a\x00b") == "a\\x00b"
    nested: list = []
    for _ in range(10_000):
        nested = [nested]
    assert len(echo(nested)) < 100 and len(echo(list(range(10**6)))) < 100


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
                                        (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le")])
def test_experiment_files_with_a_byte_order_mark_are_read(tmp_path, bom, codec):
    path = tmp_path / "exp.json"
    path.write_bytes(bom + json.dumps({"schema_version": 1, "seed": 7, "device": "cpu"}).encode(codec))
    spec = load_experiment(path)
    assert spec.seed == 7 and spec.device == "cpu"


def test_utf16_without_its_mark_says_save_as_utf8(tmp_path):
    path = tmp_path / "exp.json"
    path.write_bytes(json.dumps({"schema_version": 1}).encode("utf-16-le"))
    with pytest.raises(SpecError, match="exp.json: not a text file: it looks like UTF-16 .*save it again as UTF-8"):
        load_experiment(path)


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_utf16_csv_reads_like_the_utf8_file(tmp_path, bom, codec):
    (tmp_path / "u8.csv").write_text(CSV)
    (tmp_path / "u16.csv").write_bytes(bom + CSV.replace("\n", "\r\n").encode(codec))
    plain, wide = load_csv(tmp_path / "u8.csv", "y"), load_csv(tmp_path / "u16.csv", "y")
    assert wide.columns == plain.columns == ("a", "b")
    assert (wide.x == plain.x).all() and (wide.y == plain.y).all()


def _special_paths(tmp_path):
    loop = tmp_path / "loop.csv"
    os.symlink(tmp_path / "loop2.csv", loop)
    os.symlink(loop, tmp_path / "loop2.csv")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    return {"loop": (str(loop), "link loop"), "loop (relative)": ("loop.csv", "link loop"),
            "/dev/zero": ("/dev/zero", "is a device file"), "/dev/null": ("/dev/null", "is a device file"),
            "fifo": (str(fifo), "is a pipe (FIFO)")}


@pytest.mark.parametrize("case", ["loop", "loop (relative)", "/dev/zero", "/dev/null", "fifo"])
def test_links_devices_and_pipes_as_data_path_say_what_they_are(tmp_path, case, capsys):
    path, words = _special_paths(tmp_path)[case]
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps({"schema_version": 1, "data": {"source": "csv", "path": path, "target": "y"},
                               "epochs": 1}))
    from core.data import load_dataset
    with pytest.raises(DataError) as err:
        load_dataset(load_experiment(exp))
    text = str(err.value)
    assert words in text and "data.path" in text
    assert "no such file" not in text and "folder" not in text
    # the command line: one line, usage exit code, nothing written
    assert main(["train", str(exp), "--out", str(tmp_path / "run")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("layerlab: error: ") and "exp.json" in lines[0] and words in lines[0]
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("path, words", [("a\x00b.csv", "NUL character"), ("\ud800.csv", "lone surrogate"),
                                         ("x" * 5000 + ".csv", "too long")], ids=["nul", "surrogate", "long"])
def test_load_csv_called_directly_with_a_name_that_cannot_exist(path, words):
    with pytest.raises(DataError, match=words) as err:
        load_csv(path, "y")
    assert len(str(err.value)) < 300


@pytest.mark.parametrize("raw, words", [
    ({"schema_version": 1, "device": "\ud800"}, "device: contains a lone surrogate"),
    ({"schema_version": 1, "data": {"source": "csv", "path": "a\x00.csv", "target": "y"}}, "data.path: contains a NUL"),
    ({"schema_version": 1, "optimizer": {"lr": float("nan")}}, "optimizer.lr: got nan"),
    ({"schema_version": 1, "device": "d" * 10_000_000}, "is not one of auto"),
])
def test_cli_reports_bad_strings_in_one_short_line(tmp_path, capsys, raw, words):
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps(raw))  # json escapes the surrogate as \ud800, as an editor might write it
    assert main(["train", str(exp), "--out", str(tmp_path / "run")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and len(lines[0]) < 400
    assert "Traceback" not in lines[0]


def test_loads_experiment_keeps_rejecting_plain_garbage():
    with pytest.raises(SpecError):
        loads_experiment('{"schema_version": 1, "device": "\\ud800"}')


def test_csv_messages_echo_at_most_about_80_characters_of_a_cell_or_name(tmp_path):
    long_cell = "z" * 999  # just under the 1000-character cell limit, so it reaches the numeric check
    path = tmp_path / "d.csv"
    path.write_text(f"a,b,y\n1,{long_cell},0\n2,3,1\n3,4,0\n4,5,1\n")
    with pytest.raises(DataError, match="column 'b' has 1 non-numeric value") as err:
        load_csv(path, "y")
    assert len(str(err.value)) < 400
    wide = tmp_path / "w.csv"
    wide.write_text("a," + "n" * 100_000 + ",y\n1,2,0\n3,4,1\n")
    with pytest.raises(DataError, match="has no target column 'target'") as err:
        load_csv(wide, "target")
    assert len(str(err.value)) < 400
