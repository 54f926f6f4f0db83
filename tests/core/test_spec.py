"""The experiment spec: round-trips, clear rejections, migration of old files."""

import json

import pytest

from core.spec import (
    SCHEMA_VERSION, Activation, DataSource, Experiment, Feature, SpecError, load_experiment,
    loads_experiment, parse_experiment, save_experiment,
)

ISSUE_EXAMPLE = {
    "schema_version": 1, "seed": 0,
    "data": {"source": "spiral", "samples": 500, "noise": 0.0, "train_fraction": 0.5},
    "features": ["x1", "x2"],
    "task": "classification",
    "layers": [{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "tanh"}],
    "loss": "bce",
    "optimizer": {"name": "sgd", "lr": 0.03},
    "regularization": {"kind": "none", "rate": 0.0},
    "batch_size": 10, "epochs": 100,
}


def test_issue_example_parses_with_its_meaning():
    spec = parse_experiment(ISSUE_EXAMPLE)
    assert spec.data.source is DataSource.spiral
    assert [l.units for l in spec.layers] == [4, 2]
    assert spec.layers[0].activation is Activation.tanh
    assert spec.input_features == [Feature.x1, Feature.x2]
    assert spec.optimizer.lr == 0.03


def test_every_field_round_trips_through_json(tmp_path):
    spec = parse_experiment({
        **ISSUE_EXAMPLE, "seed": 7, "features": ["x1^2", "sin(x2)", "x1*x2"],
        "layers": [{"units": 8, "activation": "gelu", "dropout": 0.1, "norm": "layer"}],
        "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True},
        "regularization": {"kind": "l2", "rate": 0.001},
        "schedule": {"kind": "step", "step_size": 10, "gamma": 0.3},
        "device": "CPU", "engine": "torch",
    })
    path = tmp_path / "exp.json"
    save_experiment(spec, path)
    again = load_experiment(path)
    assert again == spec
    assert again.device == "cpu"
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION


@pytest.mark.parametrize("change, words", [
    ({"loss": "cross-entropy"}, ["loss", "'cross_entropy'"]),
    ({"layers": [{"units": 0}]}, ["layers.0.units", "greater than or equal to 1"]),
    ({"layers": [{"units": 3, "activation": "swish"}]}, ["layers.0.activation", "'silu'"]),
    ({"data": {"source": "mnist"}}, ["data.source", "'spiral'"]),
    ({"optimizer": {"name": "sgd", "lr": -1}}, ["optimizer.lr"]),
    ({"batch_size": "ten"}, ["batch_size"]),
    ({"learning_rate": 0.1}, ["learning_rate", "not a known key"]),
    ({"device": "tpu"}, ["device", "cuda"]),
    ({"features": ["x3"]}, ["features.0", "'sin(x1)'"]),
    ({"data": {"source": "csv"}}, ["data.path is required"]),
    ({"task": "regression", "data": {"source": "plane"}}, ["does not fit regression", "mse"]),
    ({"data": {"source": "plane"}, "loss": "mse"}, ["task must be 'regression'"]),
    ({"data": {"source": "iris"}}, ["features apply to the 2-D sets only"]),
])
def test_bad_specs_name_the_key_and_allowed_values(change, words):
    with pytest.raises(SpecError) as err:
        parse_experiment({**ISSUE_EXAMPLE, **change})
    for word in words:
        assert word in str(err.value)


def test_newer_schema_is_refused_with_advice():
    with pytest.raises(SpecError, match="newer than this LayerLab"):
        parse_experiment({**ISSUE_EXAMPLE, "schema_version": SCHEMA_VERSION + 1})


def test_version_0_file_is_migrated(tmp_path):
    old = {"dataset": "xor", "noise": 25, "hidden": [6, 3], "activation": "relu",
           "learning_rate": 0.1, "optimizer": "adam", "regularization": "l2",
           "regularization_rate": 0.01, "epochs": 40}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    spec = load_experiment(path)
    assert spec.schema_version == SCHEMA_VERSION
    assert spec.data.source is DataSource.xor and spec.data.noise == pytest.approx(0.25)
    assert [(l.units, l.activation.value) for l in spec.layers] == [(6, "relu"), (3, "relu")]
    assert spec.optimizer.name.value == "adam" and spec.optimizer.lr == 0.1
    assert spec.regularization.kind.value == "l2" and spec.regularization.rate == 0.01
    assert spec.epochs == 40


@pytest.mark.parametrize("content, words", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b"\x80garbage", "not UTF-8"),
    (b"\xff\xfe\x00garbage", "not valid JSON"),  # a UTF-16 mark: decoded as UTF-16, then not JSON
    (b"", "not valid JSON"),
])
def test_broken_files_give_clear_messages_naming_the_file(tmp_path, content, words):
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(SpecError) as err:
        load_experiment(path)
    assert words in str(err.value) and "broken.json" in str(err.value)


def test_missing_file_is_clear(tmp_path):
    with pytest.raises(SpecError, match="no such file"):
        load_experiment(tmp_path / "nope.json")


def test_csv_path_is_resolved_relative_to_the_experiment_file(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "exp.json"
    path.write_text(json.dumps({"data": {"source": "csv", "path": "data.csv", "target": "y"},
                                "loss": "cross_entropy"}))
    assert load_experiment(path).data.path == str((tmp_path / "sub" / "data.csv").resolve())


def test_replace_validates():
    spec = Experiment()
    assert spec.replace(batch_size=32).batch_size == 32
    with pytest.raises(SpecError):
        spec.replace(batch_size=0)


def test_loads_rejects_deeply_nested_json_cleanly():
    with pytest.raises(SpecError):
        loads_experiment("[" * 100_000 + "]" * 100_000)


def test_file_without_version_in_current_shape_is_read_as_current():
    raw = {k: v for k, v in ISSUE_EXAMPLE.items() if k != "schema_version"}
    assert parse_experiment(raw) == parse_experiment(ISSUE_EXAMPLE)
