"""Exports reproduce the live model from raw inputs, carry their metadata, and never leave partial files."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from core.data import load_dataset
from core.data.features import compute_features, standardize
from core.export import ExportError, export_model
from core.export import pycode, verify
from core.nn.build import build_model
from core.spec import Experiment, parse_experiment

torch.set_num_threads(1)
# Loading TorchScript is what an outside user does; torch >= 2.10 marks torch.jit as deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
ASSETS = Path(__file__).resolve().parents[2] / "assets"

CASES = {
    "binary_xy": {"data": {"source": "circle", "samples": 200, "noise": 0.1}},
    "binary_features": {"data": {"source": "spiral", "samples": 200},
                        "features": ["x1^2", "sin(x1)", "x1*x2"],
                        "layers": [{"units": 6, "activation": "relu", "norm": "batch", "dropout": 0.3},
                                   {"units": 3, "activation": "leaky_relu", "norm": "layer"}]},
    "multiclass": {"data": {"source": "iris", "train_fraction": 0.6}, "loss": "cross_entropy",
                   "layers": [{"units": 8, "activation": "gelu"}, {"units": 5, "activation": "mish"}]},
    "regression_plane": {"data": {"source": "plane", "samples": 120}, "task": "regression", "loss": "mse",
                         "features": ["x1", "x2", "sin(x2)", "x2^2"],
                         "layers": [{"units": 5, "activation": "elu"}, {"units": 4, "activation": "softplus"}]},
    "regression_csv": {"data": {"source": "csv", "path": str(ASSETS / "diabetes.csv"), "target": "progression"},
                       "task": "regression", "loss": "huber",
                       "layers": [{"units": 7, "activation": "silu"}]},
}
ONNX_CASES = ("binary_features", "multiclass", "regression_csv")  # the dynamo exporter takes seconds each


def _make(case: str):
    spec = parse_experiment({"seed": 3, **CASES[case]})
    dataset = load_dataset(spec)
    model = build_model(spec, dataset.n_inputs, dataset.n_outputs)
    with torch.no_grad():  # move away from the init so every output is distinct and non-trivial
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)
        for m in model:
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    model.train()  # as a live, still-training model would be
    return spec, dataset, model


def _expected(dataset, model, raw: np.ndarray) -> np.ndarray:
    """The live model on raw inputs, preprocessed the way the training arrays were (numpy path)."""
    if dataset.is_planar:
        x = compute_features(raw, dataset.features)
    else:
        x = standardize(raw, dataset.mean, dataset.std)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(x))
    model.train(was_training)
    if dataset.task == "regression":  # tabular targets are standardised: back to the target's units
        y_mean = 0.0 if dataset.y_mean is None else dataset.y_mean
        y_std = 1.0 if dataset.y_std is None else dataset.y_std
        return out.numpy() * np.float32(y_std) + np.float32(y_mean)
    return (torch.softmax(out, 1) if dataset.n_outputs > 1 else torch.sigmoid(out)).numpy()


def _raw(dataset, n: int = 1000) -> np.ndarray:
    rows = np.concatenate([dataset.raw_test, dataset.raw_train]).astype(np.float32)
    shift = (np.arange(n) // len(rows))[:, None] * 0.01  # repeats are shifted so rows stay distinct
    return (rows[np.arange(n) % len(rows)] + shift).astype(np.float32)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every case exported once in every format (ONNX for three cases only), shared by the tests."""
    out = {}
    for case in CASES:
        spec, dataset, model = _make(case)
        folder = tmp_path_factory.mktemp(case)
        reports = {fmt: export_model((spec, dataset, model), folder / name, fmt)
                   for fmt, name in (("torchscript", "model.pt"), ("python", "model.py"))}
        if case in ONNX_CASES:
            reports["onnx"] = export_model((spec, dataset, model), folder / "model.onnx", "onnx")
        out[case] = (spec, dataset, model, reports)
    return out


def _import(path: Path):
    spec = importlib.util.spec_from_file_location(f"exported_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("case", list(CASES))
def test_torchscript_reproduces_model_from_raw_inputs(exported, case):
    _, dataset, model, reports = exported[case]
    raw = _raw(dataset)
    loaded = torch.jit.load(str(reports["torchscript"].path))
    with torch.no_grad():
        got = loaded(torch.from_numpy(raw)).numpy()
    expected = _expected(dataset, model, raw)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)
    # float32 rounding grows with the outputs' size (regression targets in their own units, ~100s)
    assert reports["torchscript"].max_abs_diff <= 1e-5 * max(1.0, float(np.abs(expected).max()))


@pytest.mark.parametrize("case", list(CASES))
def test_generated_python_reproduces_model(exported, case):
    _, dataset, model, reports = exported[case]
    report = reports["python"]
    code_path, weights_path = report.files
    assert weights_path.name == "model_weights.pt" and weights_path.parent == code_path.parent
    module = _import(code_path)
    raw = _raw(dataset)
    got = module.predict(raw, module.load_model()).numpy()
    np.testing.assert_allclose(got, _expected(dataset, model, raw), atol=1e-5, rtol=1e-5)
    # same names as the live model, so the state dict reads like the drawn network
    assert list(module.build_network()._modules) == list(model._modules)


@pytest.mark.parametrize("case", ONNX_CASES)
def test_onnx_reproduces_model_at_any_batch_size(exported, case):
    _, dataset, model, reports = exported[case]
    session = ort.InferenceSession(str(reports["onnx"].path), providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert inp.name == "raw_inputs"
    raw = _raw(dataset)
    expected = _expected(dataset, model, raw)
    for n in (1, 7, 1000):
        got = session.run(None, {"raw_inputs": raw[:n]})[0]
        assert got.shape == expected[:n].shape
        np.testing.assert_allclose(got, expected[:n], atol=1e-5, rtol=1e-5)


def test_onnx_names_and_metadata_describe_the_model(exported):
    spec, dataset, _, reports = exported["multiclass"]
    model = onnx.load(str(reports["onnx"].path))
    assert [o.name for o in model.graph.output] == ["class_probabilities"]
    batch_dim = model.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param and not batch_dim.dim_value  # symbolic: any batch size
    props = {p.key: p.value for p in model.metadata_props}
    assert parse_experiment(json.loads(props["experiment"])) == spec
    assert json.loads(props["class_names"]) == list(dataset.class_names)
    assert json.loads(props["input_names"]) == list(dataset.raw_names)
    assert len(dataset.class_names) == 3


def test_output_names_follow_task(exported):
    names = {case: onnx.load(str(r["onnx"].path)).graph.output[0].name
             for case, (_, _, _, r) in exported.items() if "onnx" in r}
    assert names == {"binary_features": "probability", "multiclass": "class_probabilities",
                     "regression_csv": "prediction"}


def test_torchscript_carries_metadata(exported):
    spec, dataset, _, reports = exported["binary_features"]
    extra = {"layerlab.json": ""}
    torch.jit.load(str(reports["torchscript"].path), _extra_files=extra)
    meta = json.loads(extra["layerlab.json"])
    assert meta["input_name"] == "raw_inputs" and meta["output_name"] == "probability"
    assert meta["raw_names"] == ["x1", "x2"]
    assert meta["model_input_names"] == ["x1^2", "sin(x1)", "x1*x2"]
    assert parse_experiment(json.loads(meta["spec_json"])) == spec


def test_export_leaves_live_model_untouched(exported):
    _, _, model, _ = exported["binary_features"]
    assert model.training  # export works on a copy in eval mode
    assert all(p.requires_grad for p in model.parameters())


def test_generated_code_is_readable_and_runs_as_a_script(exported):
    _, dataset, model, reports = exported["binary_features"]
    code_path = reports["python"].path
    text = code_path.read_text()
    assert "nn.Sequential(OrderedDict([" in text
    for name in ("'dense1'", "'norm1'", "'relu1'", "'dropout1'", "'output'", "torch.sin(x1)", "x1 * x2"):
        assert name in text
    assert "weights_only=True" in text and "import core" not in text and "layerlab" not in text.split('"""')[2]
    run = subprocess.run([sys.executable, str(code_path), "1.5", "-2.0", "0", "3"], capture_output=True,
                         text=True, cwd=code_path.parent.parent, timeout=120,
                         env={**os.environ, "PYTHONPATH": ""})
    assert run.returncode == 0, run.stderr
    printed = np.array([[float(v) for v in line.split()] for line in run.stdout.strip().splitlines()])
    expected = _expected(dataset, model, np.array([[1.5, -2.0], [0.0, 3.0]], np.float32))
    np.testing.assert_allclose(printed, expected, atol=1e-5)


def test_wrong_generated_code_is_caught_and_nothing_is_written(tmp_path, monkeypatch):
    spec, dataset, model = _make("binary_features")
    monkeypatch.setitem(pycode._FEATURE_CODE, "sin(x1)", "torch.cos(x1)")
    with pytest.raises(ExportError, match="generated Python code differs from the live model"):
        export_model((spec, dataset, model), tmp_path / "model.py", "python")
    assert list(tmp_path.iterdir()) == []


def test_mismatching_torchscript_is_refused_and_removed(tmp_path, monkeypatch):
    spec, dataset, model = _make("binary_xy")
    real = verify.reference_outputs
    monkeypatch.setattr(verify, "reference_outputs", lambda d, raw: real(d, raw) + 0.01)
    with pytest.raises(ExportError, match="TorchScript file differs from the live model by 0.01"):
        export_model((spec, dataset, model), tmp_path / "model.pt", "torchscript")
    assert list(tmp_path.iterdir()) == []


def test_existing_export_survives_a_failed_one(tmp_path, monkeypatch):
    spec, dataset, model = _make("binary_xy")
    target = tmp_path / "model.pt"
    export_model((spec, dataset, model), target, "torchscript")
    before = target.read_bytes()
    monkeypatch.setattr(verify, "compare", lambda *a: (_ for _ in ()).throw(ExportError("boom")))
    with pytest.raises(ExportError, match="boom"):
        export_model((spec, dataset, model), target, "torchscript")
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


@pytest.mark.parametrize("fmt", ["torchscript", "python"])
def test_missing_folder_gives_clear_error(tmp_path, fmt):
    spec, dataset, model = _make("binary_xy")
    target = tmp_path / "no" / "such" / "folder" / "model.out"
    with pytest.raises(ExportError, match=r"folder .*folder does not exist"):
        export_model((spec, dataset, model), target, fmt)
    assert list(tmp_path.iterdir()) == []


def test_file_in_place_of_folder_gives_clear_error(tmp_path):
    spec, dataset, model = _make("binary_xy")
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder")
    with pytest.raises(ExportError, match="is a file, not a folder"):
        export_model((spec, dataset, model), blocker / "model.pt", "torchscript")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="running as root: chmod cannot make a folder read-only (other tests cover "
                           "missing folders and files in place of folders)")
@pytest.mark.parametrize("fmt", ["torchscript", "python"])
def test_read_only_folder_gives_clear_error(tmp_path, fmt):
    spec, dataset, model = _make("binary_xy")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="not writable"):
            export_model((spec, dataset, model), folder / "model.x", fmt)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize("fmt", ["torchscript", "python"])
def test_folder_refusing_writes_gives_clear_error(tmp_path, monkeypatch, fmt):
    """What a read-only folder does for a normal user, simulated so it also runs as root."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    spec, dataset, model = _make("binary_xy")
    with pytest.raises(ExportError, match=f"{tmp_path}.*: folder {tmp_path} is not writable"):
        export_model((spec, dataset, model), tmp_path / "model.x", fmt)
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_is_refused(tmp_path):
    spec, dataset, model = _make("binary_xy")
    with pytest.raises(ExportError, match="unknown export format 'keras'; choose one of torchscript, onnx, python"):
        export_model((spec, dataset, model), tmp_path / "m", "keras")


def test_export_from_a_trainer_matches_its_predictions(tmp_path):
    from core.training.trainer import Trainer

    trainer = Trainer(Experiment(data={"source": "xor", "samples": 100}, epochs=2, engine="torch"))
    trainer.train_epoch()
    report = export_model(trainer, tmp_path / "model.pt", "torchscript")
    assert report.n_checked == 1000  # 100 real rows plus points over the plane, all compared
    raw = np.array([[1.0, 2.0], [-3.0, 0.5]], np.float32)
    with torch.no_grad():
        got = torch.jit.load(str(report.path))(torch.from_numpy(raw)).numpy().reshape(-1)
    np.testing.assert_allclose(got, trainer.predict(raw), atol=1e-6)


# ------------------------------------------------------------------ regression in the target's units


def test_regression_exports_record_the_target_scale(exported):
    _, csv_set, _, csv_reports = exported["regression_csv"]
    props = {p.key: p.value for p in onnx.load(str(csv_reports["onnx"].path)).metadata_props}
    meta = json.loads(props["layerlab.json"])
    assert meta["head"] == "unstandardize"
    assert (meta["y_mean"], meta["y_std"]) == (csv_set.y_mean, csv_set.y_std)
    code = csv_reports["python"].path.read_text()
    assert f"Y_MEAN = torch.tensor({csv_set.y_mean!r})" in code and "logits * Y_STD + Y_MEAN" in code
    _, _, _, plane_reports = exported["regression_plane"]  # toy targets are not rescaled
    extra = {"layerlab.json": ""}
    torch.jit.load(str(plane_reports["torchscript"].path), _extra_files=extra)
    meta = json.loads(extra["layerlab.json"])
    assert meta["head"] == "identity" and meta["y_mean"] is None and meta["y_std"] is None


def test_trained_csv_regression_exports_predict_in_original_units(tmp_path):
    from core.training.trainer import Trainer

    spec = parse_experiment({"data": {"source": "csv", "path": str(ASSETS / "diabetes.csv"),
                                      "target": "progression"},
                             "task": "regression", "loss": "mse", "engine": "torch", "epochs": 10})
    trainer = Trainer(spec)
    for _ in range(spec.epochs):
        trainer.train_epoch()
    dataset = trainer.dataset
    raw = np.asarray(dataset.raw_test, np.float32)
    truth = dataset.to_target_units(dataset.y_test)
    live = trainer.predict(raw)
    assert abs(live.mean() - truth.mean()) < 0.3 * truth.std()  # the target's units, not standardised ones
    got = {}
    ts = export_model(trainer, tmp_path / "model.pt", "torchscript").path
    with torch.no_grad():
        got["torchscript"] = torch.jit.load(str(ts))(torch.from_numpy(raw)).numpy()
    onnx_path = export_model(trainer, tmp_path / "model.onnx", "onnx").path
    got["onnx"] = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).run(
        None, {"raw_inputs": raw})[0]
    module = _import(export_model(trainer, tmp_path / "model.py", "python").path)
    got["python"] = module.predict(raw).numpy()
    for fmt, values in got.items():
        assert values.shape == (len(raw), 1), fmt
        np.testing.assert_allclose(values.reshape(-1), live, rtol=1e-5, atol=1e-3, err_msg=fmt)
