"""Sequence sources: shapes, labels, the seed, the per-source default length and clear errors."""

import numpy as np
import pytest

from core.data import load_dataset
from core.data.dataset import DataError
from core.data.sequences import PATTERN_NAMES, memory, patterns, sine
from core.spec import parse_experiment


def _spec(source, task, **data):
    loss = "mse" if task == "regression" else "cross_entropy"
    return parse_experiment({"schema_version": 2, "seed": 3, "data": {"source": source, **data},
                             "task": task, "loss": loss, "layers": [{"type": "lstm", "units": 4}]})


@pytest.mark.parametrize("source, task, length, classes", [
    ("sine", "regression", 40, ()), ("memory", "classification", 80, ("negative", "positive")),
    ("patterns", "classification", 40, PATTERN_NAMES)])
def test_each_generated_source_gives_flat_rows_viewed_as_time_by_features(source, task, length, classes):
    data = load_dataset(_spec(source, task, samples=200, noise=0.1))
    assert data.modality == "sequence" and data.input_shape == (length, 1)
    assert data.x_train.shape == (100, length) and data.x_test.shape == (100, length)
    assert data.raw_train.shape == (100, length) and data.class_names == classes
    assert data.raw_names[0] == "t1" and len(data.raw_names) == length
    # standardised per feature on the training rows: mean 0, std 1 over every value
    assert abs(data.x_train.mean()) < 1e-5 and abs(data.x_train.std() - 1) < 1e-4
    shorter = load_dataset(_spec(source, task, samples=200, sequence_length=12))
    assert shorter.input_shape == (12, 1)


def test_the_seed_decides_the_sequences():
    a, b = load_dataset(_spec("patterns", "classification", samples=100)), \
        load_dataset(_spec("patterns", "classification", samples=100))
    np.testing.assert_array_equal(a.raw_train, b.raw_train)
    c = load_dataset(_spec("patterns", "classification", samples=100).replace(seed=4))
    assert not np.array_equal(a.raw_train, c.raw_train)


def test_sine_target_is_the_next_value_of_the_window():
    rng = np.random.default_rng(0)
    x, y = sine(50, 30, 0.0, rng)
    assert x.shape == (50, 30, 1) and y.shape == (50,)
    # a clean sine obeys s(t+1) = 2cos(w) s(t) - s(t-1): the target continues each window
    w_cos = (x[:, 2, 0] + x[:, 0, 0]) / (2 * x[:, 1, 0])
    np.testing.assert_allclose(y, 2 * w_cos * x[:, -1, 0] - x[:, -2, 0], atol=1e-3)
    data = load_dataset(_spec("sine", "regression", samples=200))
    assert data.y_mean is not None and abs(float(np.mean(data.y_train))) < 1e-5  # standardised target


def test_memory_class_is_the_sign_of_the_first_value():
    x, y = memory(400, 15, 0.0, np.random.default_rng(1))
    assert set(np.unique(y)) == {0.0, 1.0} and y.mean() == 0.5
    np.testing.assert_array_equal(x[:, 0, 0] > 0, y == 1)
    assert 0.4 < x[:, 1:].std() < 0.6  # the distractors


def test_patterns_have_ten_balanced_classes_that_differ():
    x, y = patterns(500, 40, 0.0, np.random.default_rng(2))
    assert x.shape == (500, 40, 1) and np.bincount(y).tolist() == [50] * 10
    means = np.stack([np.abs(x[y == k, :, 0]).mean() for k in range(10)])
    assert (means > 0.1).all()  # every class draws a shape
    bump, dip = x[y == 0, :, 0].sum(1), x[y == 1, :, 0].sum(1)
    assert bump.mean() > 3 and dip.mean() < -3  # opposite shapes, opposite signs


def test_csv_series_cuts_a_column_into_windows_in_time_order(tmp_path):
    path = tmp_path / "series.csv"
    path.write_text("day,level\n" + "".join(f"{i},{i * 0.5}\n" for i in range(30)))
    spec = parse_experiment({"schema_version": 2, "data": {"source": "csv_series", "path": str(path),
                             "target": "level", "sequence_length": 5, "train_fraction": 0.8},
                             "task": "regression", "loss": "mse", "layers": [{"type": "gru", "units": 3}]})
    data = load_dataset(spec)
    assert data.input_shape == (5, 1) and len(data.raw_train) + len(data.raw_test) == 25
    assert data.raw_train[0].tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert data.raw_test[0, 0] > data.raw_train[-1, 0]  # test windows come after the training ones
    np.testing.assert_allclose(data.to_target_units(data.y_train[:1]), [2.5], atol=1e-5)


def test_csv_series_errors_say_what_to_fix(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("a,b\n1,x\n2,3\n")
    base = {"schema_version": 2, "task": "regression", "loss": "mse", "layers": []}
    with pytest.raises(DataError, match="non-numeric"):
        load_dataset(parse_experiment({**base, "data": {"source": "csv_series", "path": str(path), "target": "b"}}))
    with pytest.raises(DataError, match="too few"):
        load_dataset(parse_experiment({**base, "data": {"source": "csv_series", "path": str(path), "target": "a"}}))
    with pytest.raises(DataError, match="no target column"):
        load_dataset(parse_experiment({**base, "data": {"source": "csv_series", "path": str(path), "target": "c"}}))
    with pytest.raises(Exception, match="data.target"):
        parse_experiment({**base, "data": {"source": "csv_series", "path": str(path)}})


def test_sequence_sources_fix_their_task():
    with pytest.raises(Exception, match="task must be 'classification'"):
        parse_experiment({"schema_version": 2, "data": {"source": "memory"}, "task": "regression", "loss": "mse"})
    with pytest.raises(Exception, match="task must be 'regression'"):
        parse_experiment({"schema_version": 2, "data": {"source": "sine"}, "task": "classification"})
