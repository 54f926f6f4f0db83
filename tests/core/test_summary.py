"""The model summary (Keras-like): output shapes, parameters, multiply-adds, totals; `layerlab summary`."""

import json
from pathlib import Path

from core.cli import main
from core.nn.build import build_model, count_parameters
from core.nn.summary import model_summary
from core.spec import load_experiment, parse_experiment

EXAMPLE = Path(__file__).parents[2] / "examples" / "digits_cnn.json"


def test_summary_of_the_example_counts_every_layer():
    spec = load_experiment(EXAMPLE)
    summary = model_summary(spec, 64, 10)
    rows = {r.name: r for r in summary.rows}
    assert [r.name for r in summary.rows] == ["input", "conv1 + relu1", "pool2", "conv3 + relu3", "flatten4",
                                              "dense5 + relu5", "output"]
    assert rows["conv1 + relu1"].output_shape == (8, 8, 8) and rows["conv1 + relu1"].parameters == 8 * 9 + 8
    assert rows["pool2"].output_shape == (8, 4, 4) and rows["pool2"].parameters == 0
    assert rows["conv3 + relu3"].multiply_adds == 16 * 4 * 4 * 8 * 9
    assert rows["dense5 + relu5"].parameters == 256 * 32 + 32
    assert summary.total_parameters == count_parameters(build_model(spec, 64, 10)) == 9802
    assert summary.multiply_adds == 8 * 64 * 9 + 16 * 16 * 72 + 256 * 32 + 32 * 10
    text = summary.to_text()
    assert "(None, 16, 4, 4)" in text and "Total params: 9,802" in text and "Multiply-adds per sample: 31,552" in text


def test_summary_says_a_dense_layer_flattens_an_image():
    spec = parse_experiment({"data": {"source": "digits"}, "loss": "cross_entropy", "layers": [{"units": 32}]})
    summary = model_summary(spec, 64, 10)
    assert summary.rows[1].note == "flattens 1×8×8 → 64"
    assert "dense1 + tanh1: flattens 1×8×8 → 64" in summary.to_text()


def test_cli_summary_prints_the_table(capsys):
    assert main(["summary", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "conv3 + relu3" in out and "Total params: 9,802" in out


def test_cli_summary_refuses_a_misfit_naming_the_layer(tmp_path, capsys):
    spec = json.loads(EXAMPLE.read_text())
    spec["layers"].insert(2, {"type": "maxpool2d", "size": 8})
    path = tmp_path / "misfit.json"
    path.write_text(json.dumps(spec))
    assert main(["summary", str(path)]) == 2
    err = capsys.readouterr().err
    assert "layers.2 (maxpool2d): gets (8, 4, 4) from layers.1; needs an image of at least 8×8 pixels" in err
