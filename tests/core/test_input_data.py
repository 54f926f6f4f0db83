"""Data that standardising would overflow, and the stratified split: every class trains unless it
cannot, and then the message names it."""

from __future__ import annotations

import numpy as np
import pytest

from core.data import DataError, load_dataset
from core.data.build import split_indices
from core.spec import parse_experiment


def _csv_spec(path, task="classification", **data):
    loss = "bce" if task == "classification" else "mse"
    return parse_experiment({"schema_version": 1, "task": task, "loss": loss,
                             "data": {"source": "csv", "path": str(path), "target": "y", **data}})


def _write(tmp_path, rows, header="a,b,y"):
    path = tmp_path / "d.csv"
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("task, rows, words", [
    ("classification", [(3e38 if i % 2 else -3e38, i, i % 2) for i in range(20)], "column 'a' spans -3e+38 to 3e+38"),
    ("classification", [(1, -3.4e38 if i == 3 else 3.4e38, i % 2) for i in range(20)], "column 'b' spans"),
    ("regression", [(i, i, 3e38 if i % 2 else -3e38) for i in range(20)], "target 'y' spans -3e+38 to 3e+38"),
    ("regression", [(i, i, 1e308 if i == 4 else i) for i in range(20)],
     "target 'y' has 1 value beyond the 32-bit float range (about 3.4e38), first at row 5"),
])
def test_values_too_wide_to_standardise_are_a_data_error_naming_the_column(tmp_path, task, rows, words):
    with pytest.raises(DataError, match=words.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        load_dataset(_csv_spec(_write(tmp_path, rows), task))


def test_large_but_standardisable_values_still_load(tmp_path):
    rows = [(3e38 if i % 3 else 1.0, i, i % 2) for i in range(30)]
    data = load_dataset(_csv_spec(_write(tmp_path, rows)))
    assert np.isfinite(data.x_train).all() and np.isfinite(data.x_test).all()


def _shares(y: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(np.asarray(y, np.int64), minlength=k)


@pytest.mark.parametrize("source, fraction", [("circle", 0.5), ("spiral", 0.3), ("xor", 0.7), ("iris", 0.5),
                                              ("wine", 0.3), ("breast_cancer", 0.5), ("digits", 0.2)])
def test_classification_splits_keep_each_class_share(source, fraction):
    spec = parse_experiment({"schema_version": 1, "data": {"source": source, "train_fraction": fraction},
                             "loss": "bce" if source in ("circle", "spiral", "xor", "breast_cancer") else "cross_entropy"})
    data = load_dataset(spec)
    k = data.n_classes
    train, test = _shares(data.y_train, k), _shares(data.y_test, k)
    total = train + test
    assert (np.abs(train - total * len(data.y_train) / len(data)) < 1).all(), (train, total)
    again = load_dataset(spec)  # a pure function of the seed
    assert np.array_equal(again.x_train, data.x_train) and np.array_equal(again.y_test, data.y_test)
    other = load_dataset(spec.replace(seed=1))
    assert not np.array_equal(other.x_train, data.x_train)


def test_a_rare_class_always_trains_whatever_the_seed(tmp_path):
    rows = [(i, i % 5, "rare" if i == 7 else ("a" if i % 2 else "b")) for i in range(21)]
    path = _write(tmp_path, rows)
    for seed in range(12):
        data = load_dataset(_csv_spec(path, train_fraction=0.5).replace(seed=seed))
        assert set(np.unique(data.y_train).tolist()) == {0, 1, 2}, f"seed {seed}: {data.class_names}"


def test_a_class_that_cannot_train_is_named(tmp_path):
    path = _write(tmp_path, [(1, 2, "cat"), (3, 4, "dog")])
    with pytest.raises(DataError, match=r"class '(cat|dog)' has no training rows: 2 rows at train_fraction 0.5 "
                                        r"leave 1 for training, fewer than the 2 classes"):
        load_dataset(_csv_spec(path))


def test_split_order_is_the_seeded_shuffle_and_regression_is_unchanged():
    order = np.random.default_rng([3, 1]).permutation(50)
    train, test = split_indices(50, 0.4, 3)
    assert train.tolist() == order[:20].tolist() and test.tolist() == order[20:].tolist()
    labels = np.arange(50) % 2
    train, test = split_indices(50, 0.4, 3, labels)
    assert sorted([*train, *test]) == list(range(50)) and _shares(labels[train], 2).tolist() == [10, 10]
    position = {row: i for i, row in enumerate(order)}
    assert [position[r] for r in train] == sorted(position[r] for r in train)  # shuffled order kept
