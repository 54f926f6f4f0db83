"""Training health: the per-layer figures equal hand-computed numpy values on a tiny net on both
engines, a ReLU unit killed by hand counts as dead, the update ratio is the per-step weight change,
and the warnings name the layer (the deep sigmoid demo's vanishing gradients), once."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from core.spec import Experiment, load_experiment
from core.training.health_demos import DEMOS, demo_experiment
from core.training.health_rules import WarningsOnce, check
from core.training import health_stats
from core.training.health_stats import HEALTH_ROWS, HISTOGRAM_BINS
from core.training.trainer import Trainer

pytest.importorskip("numba")
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def every_snapshot_measures(monkeypatch):
    """Fresh figures on every snapshot here (the probe otherwise samples costly nets less often)."""
    monkeypatch.setattr(health_stats, "HEALTH_BUDGET", 1.0)
ROOT = Path(__file__).resolve().parents[2]

W1 = np.array([[0.9, -0.4], [0.1, 0.15], [-0.3, 0.2]], np.float32)
B1 = np.array([0.1, 4.0, -0.2], np.float32)
W2 = np.array([[0.7, -1.2, 0.5]], np.float32)
B2 = np.array([0.05], np.float32)


def _tiny(engine: str, activation: str = "tanh") -> Trainer:
    spec = Experiment.model_validate({"data": {"source": "circle", "samples": 80}, "engine": engine,
                                      "layers": [{"units": 3, "activation": activation}]})
    trainer = Trainer(spec)
    assert trainer.engine == engine
    with torch.no_grad():
        for module, (w, b) in zip((trainer.model.dense1, trainer.model.output), ((W1, B1), (W2, B2))):
            module.weight.copy_(torch.from_numpy(w))
            module.bias.copy_(torch.from_numpy(b))
    return trainer


def _by_hand(trainer: Trainer, act):
    """(weight norms, gradient norms, hidden outputs) of the bce loss on the health rows, in float64."""
    x = trainer.x_train[:HEALTH_ROWS].numpy().astype(np.float64)
    y = trainer.y_train[:HEALTH_ROWS].numpy().astype(np.float64).reshape(-1, 1)
    pre = x @ W1.T + B1
    h, slope = act(pre)
    z = h @ W2.T + B2
    dz = (1 / (1 + np.exp(-z)) - y) / len(x)
    grad_w2 = dz.T @ h
    grad_w1 = ((dz @ W2) * slope).T @ x
    norms = [np.linalg.norm(W1), np.linalg.norm(W2)]
    return norms, [np.linalg.norm(grad_w1), np.linalg.norm(grad_w2)], h


def _tanh(pre):
    h = np.tanh(pre)
    return h, 1 - h ** 2


def _relu(pre):
    return np.maximum(pre, 0), (pre > 0).astype(np.float64)


@pytest.mark.parametrize("engine", ["torch", "fused"])
def test_figures_equal_hand_computed_values_on_a_tiny_net(engine):
    trainer = _tiny(engine)
    stats = trainer.snapshot().views["health"]
    norms, grads, h = _by_hand(trainer, _tanh)
    assert stats["layers"] == ("dense1", "output") and stats["activations"] == ("tanh", "")
    assert stats["gradients"] == ("fused kernel" if engine == "fused" else "torch autograd")
    np.testing.assert_allclose(stats["weight_norm"], norms, rtol=1e-6)
    np.testing.assert_allclose(stats["grad_norm"], grads, rtol=1e-4)
    counts, _ = np.histogram(h, bins=HISTOGRAM_BINS, range=(-1, 1))
    np.testing.assert_allclose(stats["histograms"][0], counts / h.size, atol=1e-6)
    assert stats["edges"][0][0] == -1 and stats["edges"][0][-1] == 1
    # unit 2 (bias 4, small weights) sits above 0.99 on most rows: the by-hand rule says how many
    saturated = (np.abs(h) > 0.99).mean(axis=0) > 0.9
    assert saturated.tolist() == [False, True, False]
    assert stats["saturated"][0] == pytest.approx(1 / 3)
    assert np.isnan(stats["dead"][0]) and np.isnan(stats["update_ratio"]).all()


@pytest.mark.parametrize("engine", ["torch", "fused"])
def test_a_relu_unit_killed_by_hand_counts_as_dead_and_the_update_ratio_is_per_step(engine):
    trainer = _tiny(engine, "relu")
    first = trainer.snapshot().views["health"]
    with torch.no_grad():
        trainer.model.dense1.bias[0] = -100.0  # never above 0 on any row
    norms, grads, h = _by_hand(trainer, lambda pre: _relu(pre + np.array([-100.1, 0, 0])))
    with torch.no_grad():
        trainer.model.dense1.weight[1] *= 1.5
        trainer.model.output.weight[0, 0] += 0.3
    trainer.step += 4  # as if four optimizer steps had made that change
    stats = trainer.snapshot().views["health"]
    assert stats["dead"][0] == pytest.approx(np.mean(~(h > 0).any(axis=0)))
    assert stats["dead"][0] >= 1 / 3
    x = trainer.x_train[:HEALTH_ROWS].numpy()
    now = np.maximum(x @ trainer.model.dense1.weight.detach().numpy().T + trainer.model.dense1.bias.detach().numpy(), 0)
    assert stats["edges"][0][0] == 0 and stats["edges"][0][-1] == pytest.approx(now.max())  # relu: [0, batch max]
    expected = [np.linalg.norm(trainer.model.dense1.weight.detach().numpy() - W1) / np.linalg.norm(W1) / 4,
                0.3 / np.linalg.norm(W2) / 4]
    np.testing.assert_allclose(stats["update_ratio"], expected, rtol=1e-5)
    assert np.isnan(first["update_ratio"]).all()
    trainer.model.zero_grad()  # the figures never touch the parameters' .grad (training's own)
    assert all(p.grad is None for p in trainer.model.parameters())


def test_dead_units_over_half_warn_naming_the_layer_once():
    trainer = _tiny("torch", "relu")
    with torch.no_grad():
        trainer.model.dense1.bias[:2] = -100.0
    stats = trainer.snapshot().views["health"]
    dead = [w for w in stats["warnings"] if w.kind == "dead"]
    assert len(dead) == 1 and dead[0].layer == "dense1" and "2 of 3 ReLU units" in dead[0].text
    once = WarningsOnce()
    assert once.new(stats) and not once.new(trainer.snapshot().views["health"])


@pytest.mark.parametrize("engine", ["torch", "fused"])
def test_the_deep_sigmoid_demo_warns_that_gradients_vanish_in_its_first_layers(engine):
    trainer = Trainer(demo_experiment("deep_sigmoid").replace(engine=engine))
    trainer.train_epochs(3)
    stats = trainer.snapshot().views["health"]
    grads = stats["grad_norm"]
    assert grads[0] < 1e-4 * grads[-1]  # orders of magnitude below the last layer
    vanishing = [w for w in stats["warnings"] if w.kind == "vanishing"]
    assert len(vanishing) == 1 and vanishing[0].layer == "dense1" and "Gradients vanish in dense1-" in vanishing[0].text


def test_the_batch_norm_contrast_learns_with_gradients_of_one_size():
    trainer = Trainer(demo_experiment("deep_sigmoid_batch_norm").replace(epochs=15))
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    start = trainer.snapshot().views["health"]  # batch norm as in training: no vanishing even at the start
    assert all(torch.equal(v, before[k]) for k, v in trainer.model.state_dict().items())  # running stats kept
    trainer.train_epochs(15)
    stats = trainer.snapshot().views["health"]
    for figures in (start, stats):
        assert figures["grad_norm"][0] > 1e-2 * figures["grad_norm"][-1]
        assert not [w for w in figures["warnings"] if w.kind == "vanishing"]
    assert trainer.evaluate()[3] > 0.75


def test_exploding_and_all_tiny_gradients_are_named():
    base = {"layers": ("dense1", "dense2", "output"), "activations": ("tanh", "tanh", ""), "units": (4, 4, 1),
            "dead": [np.nan] * 3, "saturated": [0.0, 0.0, np.nan], "rows": 10, "loss": 0.7}
    exploding = check({**base, "grad_norm": [5e3, 1.0, 1.0]})
    assert [(w.kind, w.layer) for w in exploding] == [("exploding", "dense1")]
    assert [(w.kind, w.layer) for w in check({**base, "grad_norm": [0.0, 0.0, 0.0]})] == [("vanishing", "dense1")]
    assert check({**base, "grad_norm": [0.0, 0.0, 0.0], "loss": 1e-5}) == []  # learnt, not stuck
    assert check({**base, "grad_norm": [0.01, 0.02, 0.03]}) == []


def test_the_example_files_are_the_demos():
    for name, (_, data) in DEMOS.items():
        path = ROOT / "examples" / f"{name}.json"
        assert json.loads(path.read_text()) == data
        assert load_experiment(path) == demo_experiment(name)


def test_layerlab_train_prints_a_health_line_and_writes_the_figures(tmp_path, capsys):
    from core.cli import main

    out = tmp_path / "run"
    assert main(["train", str(ROOT / "examples" / "deep_sigmoid.json"), "--epochs", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "health: Gradients vanish in dense1-" in printed
    health = json.loads((out / "metrics.json").read_text())["health"]
    assert list(health["layers"]) == [f"dense{k}" for k in range(1, 9)] + ["output"]
    assert health["layers"]["dense1"]["dead_share"] is None  # sigmoid units do not die
    assert health["layers"]["dense1"]["grad_norm"] < 1e-4 * health["layers"]["output"]["grad_norm"]
    assert any("dense1" in text for text in health["warnings"])


def test_the_probe_samples_a_costly_net_less_often_and_keeps_its_budget(monkeypatch):
    monkeypatch.setattr(health_stats, "HEALTH_BUDGET", 0.02)
    trainer = Trainer(Experiment(engine="torch"))
    first = trainer.snapshot().views["health"]
    trainer.step += 1  # as if trained: within 49x its cost of the last collection (budget 2 %) they stay
    assert trainer.snapshot().views["health"] is first
    monkeypatch.setattr(health_stats, "HEALTH_BUDGET", 1.0)
    again = trainer.snapshot().views["health"]
    assert again is not first and again["step"] == 1 and first["step"] == 0


def test_both_engines_agree_with_dropout_and_layer_norm():
    """The fused kernel's gradients are those of the model as it predicts: dropout off, layer norm in."""
    spec = Experiment.model_validate({"data": {"source": "xor", "samples": 120}, "layers": [
        {"units": 8, "activation": "relu", "dropout": 0.3, "norm": "layer"}, {"units": 4, "activation": "elu"}]})
    figures = {}
    for engine in ("torch", "fused"):
        trainer = Trainer(spec.replace(engine=engine))
        assert trainer.engine == engine
        trainer.train_epochs(2)
        figures[engine] = trainer.snapshot().views["health"]
    assert figures["fused"]["gradients"] == "fused kernel"
    np.testing.assert_allclose(figures["fused"]["grad_norm"], figures["torch"]["grad_norm"], rtol=1e-4)
    np.testing.assert_allclose(figures["fused"]["histograms"][0], figures["torch"]["histograms"][0], atol=1e-6)
