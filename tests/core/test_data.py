"""The data layer: toy generators (Playground semantics), features in numpy and torch, CSV and bundled sets,
and the seeded train/test split."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from core.data import DataError, load_dataset
from core.data import toy
from core.data.build import split_indices
from core.data.features import compute_features, fit_standardization
from core.data.input_modules import FeatureMap, Standardize, preprocess_module
from core.data.tabular import load_bundled, load_csv
from core.spec import TOY_CLASSIFICATION, TOY_REGRESSION, DataSource, Experiment, Feature

ASSETS = Path(__file__).resolve().parents[2] / "assets"
ALL_FEATURES = [f.value for f in Feature]


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def toy_spec(source: str, **data) -> Experiment:
    task = "regression" if DataSource(source) in TOY_REGRESSION else "classification"
    return Experiment.model_validate({"data": {"source": source, **data}, "task": task,
                                      "loss": "mse" if task == "regression" else "bce"})


def radius(points: np.ndarray) -> np.ndarray:
    return np.hypot(points[:, 0].astype(np.float64), points[:, 1].astype(np.float64))


# ------------------------------------------------------------------------------------------ toy sets


@pytest.mark.parametrize("source", list(TOY_CLASSIFICATION))
def test_classification_toys_give_n_points_with_both_labels(source):
    points, labels = toy.generate(source, 301, 0.1, seed=3)
    assert points.shape == (301, 2) and points.dtype == np.float32
    assert labels.shape == (301,) and labels.dtype == np.int64
    assert set(np.unique(labels)) == {0, 1}
    assert np.isfinite(points).all()


@pytest.mark.parametrize("source", list(TOY_REGRESSION))
def test_regression_toys_give_float_values(source):
    points, values = toy.generate(source, 300, 0.0, seed=3)
    assert points.shape == (300, 2) and points.dtype == np.float32
    assert values.shape == (300,) and values.dtype == np.float32
    assert np.abs(points).max() <= 6.0
    assert np.abs(values).max() <= 1.2 + 1e-6 and values.std() > 0.1


@pytest.mark.parametrize("source", list(toy.TOY_GENERATORS))
def test_same_seed_same_set_other_seed_other_set(source):
    a = toy.generate(source, 200, 0.2, seed=7)
    b = toy.generate(source, 200, 0.2, seed=7)
    c = toy.generate(source, 200, 0.2, seed=8)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_circle_has_playground_geometry():
    points, labels = toy.generate("circle", 2000, 0.0, seed=0)
    r = radius(points)
    assert np.all(r[labels == 1] < 2.5)
    assert np.all((r[labels == 0] >= 3.5 - 1e-5) & (r[labels == 0] <= 5.0 + 1e-5))
    assert labels.sum() == 1000


@pytest.mark.parametrize("source", ["circle", "xor", "checkerboard"])
def test_label_noise_flips_labels_but_keeps_points(source):
    clean_points, clean = toy.generate(source, 2000, 0.0, seed=1)
    noisy_points, noisy = toy.generate(source, 2000, 0.5, seed=1)
    assert np.array_equal(clean_points, noisy_points)
    flipped = np.mean(clean != noisy)
    assert 0.05 < flipped < 0.45
    _, little = toy.generate(source, 2000, 0.1, seed=1)
    assert np.mean(clean != little) < flipped


def test_circle_noise_only_flips_points_near_the_gap():
    points, noisy = toy.generate("circle", 4000, 0.1, seed=2)
    r = radius(points)
    # a shift of at most 0.5 per axis (0.71 in all) cannot carry a point across r = 2.5 from r < 1.7
    # or from the outer ring (r >= 3.5), so only inner points near the edge flip
    assert np.all(noisy[r < 1.7] == 1)
    assert np.all(noisy[r >= 3.5 - 1e-5] == 0)
    assert np.any(noisy[(r > 1.8) & (r < 2.5)] == 0)


def test_xor_keeps_points_off_the_axes_and_labels_by_quadrant():
    points, labels = toy.generate("xor", 2000, 0.0, seed=0)
    assert np.abs(points).min() >= 0.3 - 1e-6 and np.abs(points).max() <= 5.3 + 1e-5
    assert np.array_equal(labels, (points[:, 0] * points[:, 1] >= 0).astype(np.int64))


def test_gauss_spread_grows_with_noise():
    def spread(noise):
        points, labels = toy.generate("gauss", 4000, noise, seed=0)
        return points[labels == 1].std(axis=0).mean(), points[labels == 1].mean(axis=0)
    s0, c0 = spread(0.0)
    s5, _ = spread(0.5)
    assert np.allclose(c0, [2, 2], atol=0.1)
    assert s0 == pytest.approx(np.sqrt(0.5), rel=0.08)   # variance 0.5 at noise 0
    assert s5 == pytest.approx(2.0, rel=0.08)            # variance 4 at noise 0.5


def test_spiral_without_noise_lies_on_its_arms():
    points, labels = toy.generate("spiral", 200, 0.0, seed=0)
    r = radius(points)
    i = np.arange(100)
    assert np.allclose(r[:100], i / 100 * 5, atol=1e-5) and np.all(labels[:100] == 1)
    assert np.allclose(points[100:], -points[:100], atol=1e-5)  # the other arm is turned by pi
    noisy, _ = toy.generate("spiral", 200, 0.3, seed=0)
    moved = np.abs(noisy - points)
    assert moved.max() <= 0.3 + 1e-6 and moved.mean() > 0.05


def test_moons_and_checkerboard_fill_the_plane():
    points, labels = toy.generate("moons", 1000, 0.0, seed=0)
    assert np.abs(points).max() <= 6.0
    assert points[:, 0].max() - points[:, 0].min() > 8  # fitted to the plane, not the unit square
    assert points[labels == 0][:, 1].mean() > points[labels == 1][:, 1].mean()  # class 0 is the upper moon
    noisy, _ = toy.generate("moons", 1000, 0.5, seed=0)
    assert np.abs(noisy - points).mean() > 0.5
    board, cells = toy.generate("checkerboard", 4000, 0.0, seed=0)
    assert np.abs(board).max() <= 6.0
    squares = np.floor((board + 6) / 3).astype(int)
    assert np.array_equal(cells, ((squares[:, 0] + squares[:, 1]) % 2 == 0).astype(np.int64))
    assert len(np.unique(squares, axis=0)) == 16


def test_plane_and_multi_gauss_values():
    points, values = toy.generate("plane", 500, 0.0, seed=0)
    assert np.allclose(values, (points[:, 0] + points[:, 1]) / 10, atol=1e-6)
    _, noisy = toy.generate("plane", 500, 0.5, seed=0)
    assert np.abs(noisy - values).max() > 0.2
    bumps = toy.multi_gauss_value(np.array([[-4, 2.5], [0, 2.5], [0, 0], [5.9, 0]]))
    assert np.allclose(bumps, [1.0, -1.0, 0.0, 0.0])  # peaks at the centres, flat 2 away from them


def test_unknown_toy_source_is_refused():
    with pytest.raises(ValueError, match="not a 2-D toy set"):
        toy.generate("iris", 10, 0.0)


# ------------------------------------------------------------------------------------------ features


def test_features_of_a_known_point():
    got = compute_features(np.array([[1.5, -2.0]]), ALL_FEATURES)[0]
    want = [1.5, -2.0, 2.25, 4.0, -3.0, np.sin(1.5), np.sin(-2.0)]
    assert got.dtype == np.float32
    assert np.allclose(got, want, atol=1e-6)
    assert np.allclose(compute_features(np.array([[1.5, -2.0]]), ["sin(x2)", "x1"])[0], [np.sin(-2.0), 1.5])


def test_unknown_feature_names_the_choices():
    with pytest.raises(ValueError, match="x1\\^2"):
        compute_features(np.zeros((2, 2)), ["x3"])


def test_feature_module_matches_numpy():
    points = np.random.default_rng(0).uniform(-12, 12, (1000, 2)).astype(np.float32)
    module = FeatureMap(ALL_FEATURES)
    with torch.no_grad():
        got = module(torch.from_numpy(points)).numpy()
    assert got.shape == (1000, 7)
    assert np.abs(got - compute_features(points, ALL_FEATURES)).max() < 1e-6


def test_standardize_module_matches_numpy_and_keeps_buffers():
    raw = np.random.default_rng(0).normal(50, 20, (500, 3)).astype(np.float32)
    mean, std = fit_standardization(raw)
    module = Standardize(mean, std)
    assert set(module.state_dict()) == {"mean", "std"}
    with torch.no_grad():
        got = module(torch.from_numpy(raw)).numpy()
    assert np.abs(got - (raw - mean) / std).max() < 1e-6
    assert np.allclose(got.mean(axis=0), 0, atol=1e-4) and np.allclose(got.std(axis=0), 1, atol=1e-3)


def test_constant_column_is_standardized_to_zero_not_nan():
    raw = np.c_[np.full(10, 3.0), np.arange(10.0)]
    mean, std = fit_standardization(raw)
    assert std[0] == 1.0
    assert np.all(((raw - mean) / std)[:, 0] == 0)


def test_feature_module_scripts_with_torchscript():
    module = FeatureMap(["x1*x2", "sin(x1)", "x2^2"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.script is deprecated upstream
        scripted = torch.jit.script(module)
    x = torch.randn(20, 2) * 4
    assert torch.equal(scripted(x), module(x))


@pytest.mark.slow  # the torch.export-based exporter takes several seconds
def test_feature_module_exports_to_onnx():
    import onnxruntime as ort

    module = FeatureMap(ALL_FEATURES).eval()
    x = torch.randn(8, 2) * 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's own deprecation notes
        program = torch.onnx.export(module, (x,), input_names=["x"], output_names=["features"],
                                    dynamic_shapes=({0: torch.export.Dim("n")},), verbose=False)
    ops = {node.op_type for node in program.model_proto.graph.node}
    assert ops <= {"Slice", "Mul", "Sin", "Concat", "Gather", "Unsqueeze", "Identity"}
    session = ort.InferenceSession(program.model_proto.SerializeToString())
    other = np.random.default_rng(1).uniform(-6, 6, (31, 2)).astype(np.float32)  # another batch size
    out = session.run(None, {"x": other})[0]
    assert np.abs(out - compute_features(other, ALL_FEATURES)).max() < 1e-6


# ----------------------------------------------------------------------------------- load_dataset


@pytest.mark.parametrize("source", list(toy.TOY_GENERATORS))
def test_toy_dataset_fields(source):
    spec = toy_spec(source, samples=200, noise=0.1, train_fraction=0.3)
    ds = load_dataset(spec)
    assert len(ds) == 200 and len(ds.x_train) == 60 and len(ds.x_test) == 140
    assert ds.is_planar and ds.extent == (-6.0, 6.0, -6.0, 6.0)
    assert ds.features == ("x1", "x2") and ds.raw_names == ("x1", "x2") and ds.input_names == ds.features
    assert ds.mean is None and ds.std is None
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.float32
    assert np.array_equal(ds.x_train, ds.raw_train)  # x1, x2 are the raw points
    assert ds.description
    if DataSource(source) in TOY_CLASSIFICATION:
        assert ds.task == "classification" and ds.class_names == ("0", "1") and ds.n_outputs == 1
        assert set(np.unique(np.r_[ds.y_train, ds.y_test])) == {0.0, 1.0}
    else:
        assert ds.task == "regression" and ds.class_names == ()


def test_split_covers_the_generated_set_once_and_is_seeded():
    spec = toy_spec("spiral", samples=100, noise=0.0)
    ds = load_dataset(spec)
    points, _ = toy.generate("spiral", 100, 0.0, seed=spec.seed)
    together = np.r_[ds.raw_train, ds.raw_test]
    assert np.array_equal(np.unique(together, axis=0), np.unique(points, axis=0))
    again = load_dataset(spec)
    assert np.array_equal(again.x_train, ds.x_train) and np.array_equal(again.y_test, ds.y_test)
    other = load_dataset(spec.replace(seed=5))
    assert not np.array_equal(other.raw_train, ds.raw_train)


def test_split_fraction_rounds_and_refuses_empty_parts():
    train, test = split_indices(10, 0.33, seed=0)
    assert len(train) == 3 and len(test) == 7 and not set(train) & set(test)
    with pytest.raises(DataError, match="add rows"):
        split_indices(4, 0.9, seed=0)


def test_chosen_features_become_the_model_inputs():
    spec = toy_spec("circle", samples=100).replace(features=["x1^2", "x2^2", "sin(x1)"])
    ds = load_dataset(spec)
    assert ds.input_names == ("x1^2", "x2^2", "sin(x1)") and ds.n_inputs == 3
    assert np.allclose(ds.x_train[:, 0], ds.raw_train[:, 0] ** 2, atol=1e-5)
    with torch.no_grad():
        via_module = preprocess_module(ds)(torch.from_numpy(ds.raw_test)).numpy()
    assert np.abs(via_module - ds.x_test).max() < 1e-6


def test_tabular_standardization_is_fitted_on_training_rows():
    spec = Experiment.model_validate({"data": {"source": "wine", "train_fraction": 0.7}, "loss": "cross_entropy"})
    ds = load_dataset(spec)
    assert not ds.is_planar and ds.features == () and ds.n_inputs == 13 and ds.n_outputs == 3
    assert np.allclose(ds.mean, ds.raw_train.mean(axis=0), rtol=1e-4)
    assert np.allclose(ds.x_train.mean(axis=0), 0, atol=1e-4)
    assert np.allclose(ds.x_train.std(axis=0), 1, atol=1e-3)
    with torch.no_grad():
        via_module = preprocess_module(ds)(torch.from_numpy(ds.raw_test)).numpy()
    assert np.abs(via_module - ds.x_test).max() < 1e-6


@pytest.mark.parametrize("source, shape, n_classes", [
    ("iris", (150, 4), 3), ("wine", (178, 13), 3), ("breast_cancer", (569, 30), 2),
    ("digits", (1797, 64), 10), ("diabetes", (442, 10), 0)])
def test_bundled_sets_load_without_download(source, shape, n_classes):
    table = load_bundled(source)
    assert table.x.shape == shape and table.x.dtype == np.float32
    assert len(table.class_names) == n_classes
    if n_classes == 2:
        assert table.y.dtype == np.float32 and set(np.unique(table.y)) == {0.0, 1.0}
    elif n_classes > 2:
        assert table.y.dtype == np.int64 and table.y.max() == n_classes - 1
    else:
        assert table.task == "regression" and table.y.dtype == np.float32


def test_bundled_set_with_chosen_columns():
    spec = Experiment.model_validate({"data": {"source": "iris", "columns": ["petal length (cm)",
                                                                              "petal width (cm)"]},
                                      "loss": "cross_entropy"})
    ds = load_dataset(spec)
    assert ds.input_names == ("petal length (cm)", "petal width (cm)")
    with pytest.raises(DataError, match="did you mean 'petal width \\(cm\\)'"):
        load_bundled("iris", ["petal width"])


# ----------------------------------------------------------------------------------------------- CSV


def test_iris_csv_with_string_target():
    ds = load_dataset(Experiment.model_validate({
        "data": {"source": "csv", "path": str(ASSETS / "iris.csv"), "target": "species"},
        "loss": "cross_entropy"}))
    assert ds.class_names == ("setosa", "versicolor", "virginica")
    assert ds.raw_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert len(ds) == 150 and ds.y_train.dtype == np.int64
    assert np.bincount(np.r_[ds.y_train, ds.y_test]).tolist() == [50, 50, 50]
    assert "iris.csv" in ds.description


def test_csv_selected_columns_and_binary_string_target(tmp_path):
    path = tmp_path / "pets.csv"
    path.write_text("weight,height,noise,kind\n4,30,x,dog\n5,25,y,cat\n30,60,z,dog\n3,20,w,cat\n",
                    encoding="utf-8")
    table = load_csv(path, "kind", columns=["height", "weight"])
    assert table.columns == ("height", "weight")
    assert table.x.tolist() == [[30, 4], [25, 5], [60, 30], [20, 3]]
    assert table.class_names == ("cat", "dog")
    assert table.y.dtype == np.float32 and table.y.tolist() == [1, 0, 1, 0]


def test_csv_integer_classes_sort_as_numbers(tmp_path):
    rows = "".join(f"{i},{[2, 10, 9][i % 3]}\n" for i in range(30))
    path = tmp_path / "grades.csv"
    path.write_text("score,grade\n" + rows, encoding="utf-8")
    table = load_csv(path, "grade")
    assert table.class_names == ("2", "9", "10")
    assert table.y.tolist()[:3] == [0, 2, 1]


def test_csv_regression_keeps_target_values():
    table = load_csv(ASSETS / "diabetes.csv", "progression", task="regression")
    assert table.x.shape == (442, 10) and table.class_names == ()
    assert table.y.dtype == np.float32 and table.y[:2].tolist() == [151.0, 75.0]


@pytest.mark.parametrize("text", [
    "a;b;y\n1,5;2;x\n3;4,25;z\n",            # semicolon with decimal commas
    "a\tb\ty\n1.5\t2\tx\n3\t4.25\tz\n",      # tab
    "\ufeffa,b,y\n1.5,2,x\n3,4.25,z\n",      # UTF-8 byte order mark (Excel 'CSV UTF-8')
    "a, b, y,\n1.5, 2, x,\n3, 4.25, z,\n",   # spaces after commas, trailing delimiters
])
def test_csv_dialects(tmp_path, text):
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    table = load_csv(path, "y")
    assert table.columns == ("a", "b")
    assert table.x.tolist() == [[1.5, 2.0], [3.0, 4.25]]
    assert table.class_names == ("x", "z")


def test_csv_dataset_standardizes_and_exports_the_same(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(100, 15, (60, 2))
    lines = "".join(f"{a:.4f},{b:.4f},{'yes' if a > 100 else 'no'}\n" for a, b in x)
    path = tmp_path / "m.csv"
    path.write_text("a,b,ok\n" + lines, encoding="utf-8")
    ds = load_dataset(Experiment.model_validate({"data": {"source": "csv", "path": str(path), "target": "ok"}}))
    assert ds.n_outputs == 1 and ds.class_names == ("no", "yes")
    assert np.allclose(ds.x_train.mean(axis=0), 0, atol=1e-4)
    with torch.no_grad():
        assert np.abs(preprocess_module(ds)(torch.from_numpy(ds.raw_test)).numpy() - ds.x_test).max() < 1e-6


# ------------------------------------------------------------------ regression targets


@pytest.mark.parametrize("source", ["diabetes", "csv"])
def test_tabular_regression_targets_are_standardised_on_training_rows(source):
    data = {"source": "diabetes"} if source == "diabetes" else \
        {"source": "csv", "path": str(ASSETS / "diabetes.csv"), "target": "progression"}
    spec = Experiment.model_validate({"data": {**data, "train_fraction": 0.7}, "task": "regression", "loss": "mse"})
    ds = load_dataset(spec)
    table = load_bundled("diabetes") if source == "diabetes" else \
        load_csv(ASSETS / "diabetes.csv", "progression", task="regression")
    train, _ = split_indices(len(table.y), 0.7, spec.seed)
    assert ds.y_mean == pytest.approx(float(table.y[train].mean()), rel=1e-6)  # training rows only
    assert ds.y_std == pytest.approx(float(table.y[train].std()), rel=1e-5)
    assert 100 < ds.y_mean < 200 and 50 < ds.y_std < 100  # disease progression, 25..346
    assert ds.y_train.dtype == np.float32 and ds.y_test.dtype == np.float32
    assert abs(float(ds.y_train.mean())) < 1e-5 and float(ds.y_train.std()) == pytest.approx(1.0, abs=1e-5)
    back = np.r_[ds.to_target_units(ds.y_train), ds.to_target_units(ds.y_test)]
    np.testing.assert_allclose(np.sort(back), np.sort(table.y), atol=1e-3)


def test_toy_regression_targets_are_left_as_generated():
    spec = toy_spec("multi_gauss", samples=200, noise=0.2)
    ds = load_dataset(spec)
    _, values = toy.generate("multi_gauss", 200, 0.2, seed=spec.seed)
    train, test = split_indices(200, spec.data.train_fraction, spec.seed)
    assert ds.y_mean is None and ds.y_std is None
    assert np.array_equal(ds.y_train, values[train].astype(np.float32))
    assert np.array_equal(ds.y_test, values[test].astype(np.float32))
    assert np.array_equal(ds.to_target_units(ds.y_test), ds.y_test)  # nothing to undo


def test_classification_targets_are_not_rescaled():
    ds = load_dataset(Experiment.model_validate({"data": {"source": "wine"}, "loss": "cross_entropy"}))
    assert ds.y_mean is None and ds.y_std is None and ds.y_train.dtype == np.int64


def test_constant_regression_target_gets_std_one_not_nan(tmp_path):
    path = tmp_path / "flat.csv"
    path.write_text("a,y\n" + "".join(f"{i},7.5\n" for i in range(20)), encoding="utf-8")
    spec = Experiment.model_validate({"data": {"source": "csv", "path": str(path), "target": "y"},
                                      "task": "regression", "loss": "mse"})
    ds = load_dataset(spec)
    assert (ds.y_mean, ds.y_std) == (7.5, 1.0)
    assert np.array_equal(ds.y_train, np.zeros(len(ds.y_train), np.float32))
