"""Model building, losses and optimizers: names, shapes, conventions (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from core.data.dataset import Dataset
from core.nn.losses import LossError, loss_function, regularization_penalty, validate_loss_for
from core.nn.activations import ACTIVATIONS
from core.nn.build import build_model, hidden_activations, linear_layers
from core.nn.optimizers import OPTIMIZERS, build_optimizer
from core.training.schedule import LRSchedule, get_lr
from core.spec import Activation, Experiment, LayerSpec, Loss, OptimizerName, RegularizationKind, parse_experiment

torch.set_num_threads(1)


def make_spec(**changes) -> Experiment:
    base = {"schema_version": 1, "data": {"source": "circle", "samples": 100}}
    base.update(changes)
    return parse_experiment(base)


# ------------------------------------------------------------------ model


def test_the_same_seed_gives_the_same_weights_while_another_thread_builds():
    """torch's initial weights come from its one global generator: a run thread and another thread
    building at once interleaved their draws (a window sweep's figures then differed from a headless run)."""
    import sys
    import threading

    specs = [make_spec(seed=seed, layers=[{"units": 64, "activation": "tanh"}] * 6) for seed in (1, 2)]
    alone = [build_model(spec, n_inputs=64, n_outputs=1).state_dict() for spec in specs]
    built: dict[int, list] = {0: [], 1: []}

    def build(k: int) -> None:
        for _ in range(15):
            built[k].append(build_model(specs[k], n_inputs=64, n_outputs=1).state_dict())

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can: draws interleave
    try:
        threads = [threading.Thread(target=build, args=(k,)) for k in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    for k in (0, 1):
        for state in built[k]:
            assert all(torch.equal(state[name], alone[k][name]) for name in alone[k])



def test_names_read_like_the_diagram():
    spec = make_spec(layers=[{"units": 4, "activation": "tanh", "norm": "batch", "dropout": 0.2},
                             {"units": 3, "activation": "leaky_relu", "norm": "layer"},
                             {"units": 2, "activation": "relu"}])
    model = build_model(spec, n_inputs=5, n_outputs=1)
    assert list(model._modules) == ["dense1", "norm1", "tanh1", "dropout1", "dense2", "norm2", "leaky_relu2",
                                    "dense3", "relu3", "output"]
    assert isinstance(model.norm1, nn.BatchNorm1d) and isinstance(model.norm2, nn.LayerNorm)
    assert model.dropout1.p == pytest.approx(0.2)
    # state-dict keys are what exports and checkpoints show
    assert "dense1.weight" in model.state_dict() and "output.bias" in model.state_dict()


def test_shapes_and_head_sizes():
    spec = make_spec(layers=[{"units": 7}, {"units": 3}])
    for n_outputs in (1, 3, 10):
        model = build_model(spec, n_inputs=4, n_outputs=n_outputs)
        shapes = [tuple(m.weight.shape) for m in linear_layers(model)]
        assert shapes == [(7, 4), (3, 7), (n_outputs, 3)]
        assert model(torch.zeros(6, 4)).shape == (6, n_outputs)


def test_no_hidden_layers_is_just_the_output():
    model = build_model(make_spec(layers=[]), n_inputs=2, n_outputs=1)
    assert list(model._modules) == ["output"]
    assert hidden_activations(model, torch.zeros(3, 2)) == []


@pytest.mark.parametrize("activation", list(Activation))
def test_every_activation_builds_and_runs(activation):
    spec = make_spec(layers=[{"units": 3, "activation": activation.value}])
    model = build_model(spec, n_inputs=2, n_outputs=1)
    assert list(model._modules)[1] == f"{activation.value}1"
    assert isinstance(model[1], ACTIVATIONS[activation].module_class())
    x = torch.linspace(-3, 3, 20).reshape(10, 2)
    (hidden,) = hidden_activations(model, x)
    expected = ACTIVATIONS[activation].make()(model.dense1(x))
    assert torch.allclose(hidden, expected)
    assert torch.isfinite(model(x)).all()


def test_registry_covers_every_activation():
    assert set(ACTIVATIONS) == set(Activation)
    assert ACTIVATIONS[Activation.linear].module_class() is nn.Identity


def test_hidden_activations_are_after_norm_and_activation():
    spec = make_spec(layers=[{"units": 5, "activation": "sigmoid", "norm": "layer"}, {"units": 2}])
    model = build_model(spec, 2, 1).eval()
    x = torch.randn(8, 2)
    first, second = hidden_activations(model, x)
    assert first.shape == (8, 5) and second.shape == (8, 2)
    assert torch.allclose(first, torch.sigmoid(model.norm1(model.dense1(x))))
    assert torch.allclose(second, torch.tanh(model.dense2(first)))


def test_same_seed_same_initial_weights_other_seed_differs():
    a = build_model(make_spec(seed=3), 2, 1)
    b = build_model(make_spec(seed=3), 2, 1)
    c = build_model(make_spec(seed=4), 2, 1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.dense1.weight, c.dense1.weight)


# ------------------------------------------------------------------ losses


def _dataset(task: str, classes: tuple[str, ...]) -> Dataset:
    x = np.zeros((4, 2), np.float32)
    y = np.zeros(4, np.int64 if len(classes) > 2 else np.float32)
    return Dataset(x, y, x, y, x, x, ("a", "b"), ("a", "b"), task, classes)


def test_binary_losses_follow_the_conventions():
    logit = torch.tensor([[2.0], [-1.0], [0.5]])
    target = torch.tensor([1.0, 0.0, 0.0])
    bce = loss_function(Loss.bce, "classification", 1)(logit, target)
    assert bce.item() == pytest.approx(F.binary_cross_entropy_with_logits(logit.squeeze(1), target).item())
    # cross_entropy on a binary set is bce on the single logit
    assert loss_function(Loss.cross_entropy, "classification", 1)(logit, target).item() == pytest.approx(bce.item())
    hinge = loss_function(Loss.hinge, "classification", 1)(logit, target)
    assert hinge.item() == pytest.approx((0.0 + 0.0 + 1.5) / 3)  # max(0, 1 - y*logit) with y in {-1, +1}
    mse = loss_function(Loss.mse, "classification", 1)(logit, target)
    assert mse.item() == pytest.approx(((torch.sigmoid(logit.squeeze(1)) - target) ** 2).mean().item())


def test_regression_losses_use_the_raw_value():
    out = torch.tensor([[2.0], [-1.0]])
    target = torch.tensor([1.0, 1.0])
    assert loss_function(Loss.mse, "regression", 1)(out, target).item() == pytest.approx((1 + 4) / 2)
    assert loss_function(Loss.l1, "regression", 1)(out, target).item() == pytest.approx((1 + 2) / 2)
    assert loss_function(Loss.huber, "regression", 1)(out, target).item() == pytest.approx((0.5 + 1.5) / 2)


def test_multiclass_cross_entropy():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 0.0, 3.0]])
    target = torch.tensor([0, 2])
    got = loss_function(Loss.cross_entropy, "classification", 3)(logits, target)
    assert got.item() == pytest.approx(F.cross_entropy(logits, target).item())


def test_loss_that_does_not_fit_says_which_does():
    with pytest.raises(LossError, match="use cross_entropy"):
        validate_loss_for(_dataset("classification", ("a", "b", "c")), Loss.bce)
    with pytest.raises(LossError, match="mse"):
        validate_loss_for(_dataset("regression", ()), Loss.hinge)
    validate_loss_for(_dataset("classification", ("0", "1")), Loss.hinge)  # fine
    with pytest.raises(LossError, match="cross_entropy"):
        loss_function(Loss.bce, "classification", 3)(torch.zeros(2, 3), torch.tensor([0, 1]))


def test_regularization_counts_weights_not_biases():
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    with torch.no_grad():
        model[0].weight.fill_(2.0)
        model[0].bias.fill_(100.0)
        model[2].weight.fill_(-1.0)
        model[2].bias.fill_(100.0)
    # l2: rate * 0.5 * (4 * 4 + 2 * 1); l1: rate * (4 * 2 + 2 * 1)
    assert regularization_penalty(model, RegularizationKind.l2, 0.1).item() == pytest.approx(0.1 * 0.5 * 18)
    assert regularization_penalty(model, RegularizationKind.l1, 0.1).item() == pytest.approx(0.1 * 10)
    assert regularization_penalty(model, RegularizationKind.none, 0.1) is None
    assert regularization_penalty(model, RegularizationKind.l2, 0.0) is None


# ------------------------------------------------------------------ optimizers and schedules


@pytest.mark.parametrize("name", list(OptimizerName))
def test_every_optimizer_builds_and_steps(name):
    spec = make_spec(optimizer={"name": name.value, "lr": 0.05})
    model = build_model(spec, 2, 1)
    opt = build_optimizer(spec, model.parameters())
    assert isinstance(opt, OPTIMIZERS[name].optimizer_class()) and get_lr(opt) == pytest.approx(0.05)
    before = model.output.weight.detach().clone()
    model(torch.ones(4, 2)).sum().backward()
    opt.step()
    assert not torch.equal(before, model.output.weight)


def test_sgd_and_rmsprop_get_momentum():
    spec = make_spec(optimizer={"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True})
    group = build_optimizer(spec, build_model(spec, 2, 1).parameters()).param_groups[0]
    assert group["momentum"] == pytest.approx(0.9) and group["nesterov"] is True
    spec = make_spec(optimizer={"name": "rmsprop", "lr": 0.1, "momentum": 0.5})
    assert build_optimizer(spec, build_model(spec, 2, 1).parameters()).param_groups[0]["momentum"] == 0.5


def _schedule(kind: str, **kw) -> LRSchedule:
    return LRSchedule.from_spec(make_spec(optimizer={"lr": 1.0}, epochs=100, schedule={"kind": kind, **kw}))


def test_schedules_decay_per_epoch():
    assert [_schedule("none").lr_at(e) for e in (0, 50)] == [1.0, 1.0]
    step = _schedule("step", step_size=10, gamma=0.5)
    assert [step.lr_at(e) for e in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    assert _schedule("exponential", gamma=0.9).lr_at(3) == pytest.approx(0.9 ** 3)
    cosine = _schedule("cosine")  # T_max = spec.epochs
    assert cosine.lr_at(0) == 1.0 and cosine.lr_at(50) == pytest.approx(0.5)
    assert cosine.lr_at(100) == pytest.approx(0.0, abs=1e-12) and cosine.lr_at(150) == pytest.approx(0.0, abs=1e-12)


def test_live_rate_change_continues_the_decay_from_the_new_rate():
    step = _schedule("step", step_size=10, gamma=0.5)
    step.set_base(0.2, epoch=15)
    assert step.lr_at(15) == pytest.approx(0.2)  # the rate set is the rate now
    assert step.lr_at(20) == pytest.approx(0.1)  # and it still halves at the next boundary
    restored = _schedule("step", step_size=10, gamma=0.5)
    restored.load_state_dict(step.state_dict())
    assert restored.lr_at(30) == pytest.approx(step.lr_at(30))
    assert math.isfinite(_schedule("cosine").lr_at(10))


def test_layer_spec_bounds_are_the_specs_job():
    # build_model trusts the spec; a zero-width layer never reaches it
    with pytest.raises(ValueError):
        LayerSpec(units=0)
