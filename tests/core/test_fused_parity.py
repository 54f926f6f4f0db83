"""Every optimizer, activation, loss and dropout on the fused engine trains like torch.optim does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.engines import dropout_mask
from core.spec import parse_experiment
from core.training.trainer import Trainer

pytest.importorskip("numba")

RTOL, ATOL = 1e-4, 1e-5
EPOCHS = 20

OPTIMIZERS = {
    "sgd nesterov": {"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True},
    "adam": {"name": "adam", "lr": 0.01},
    "adamw": {"name": "adamw", "lr": 0.01},
    "rmsprop": {"name": "rmsprop", "lr": 0.003},
    "rmsprop momentum": {"name": "rmsprop", "lr": 0.002, "momentum": 0.5},
    "adagrad": {"name": "adagrad", "lr": 0.05},
}
# (data, task, loss) each optimizer is checked on; activations rotate so every one meets a loss.
TASKS = {
    "binary bce": ({"source": "spiral", "samples": 100}, "classification", "bce"),
    "binary hinge": ({"source": "xor", "samples": 100}, "classification", "hinge"),
    "iris cross entropy": ({"source": "iris"}, "classification", "cross_entropy"),
    "regression mse": ({"source": "plane", "samples": 100}, "regression", "mse"),
    "regression huber": ({"source": "plane", "samples": 100}, "regression", "huber"),
    "regression l1": ({"source": "plane", "samples": 100}, "regression", "l1"),
}
ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "gelu", "silu", "softplus", "mish"]


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _pair(**changes) -> tuple[Trainer, Trainer]:
    raw = {"schema_version": 1, "data": {"source": "spiral", "samples": 100}, "batch_size": 10, **changes}
    torch_run = Trainer(parse_experiment({**raw, "engine": "torch"}))
    fused_run = Trainer(parse_experiment({**raw, "engine": "fused"}))
    assert fused_run.engine == "fused", fused_run.engine_note
    return torch_run, fused_run


def _params(trainer: Trainer) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in trainer.model.parameters()]


def _train_and_compare(torch_run: Trainer, fused_run: Trainer, epochs: int = EPOCHS) -> None:
    start = _params(torch_run)
    for _ in range(epochs):
        torch_run.train_epoch()
        fused_run.train_epoch()
    for k, (a, b) in enumerate(zip(_params(torch_run), _params(fused_run))):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL, err_msg=f"parameter {k} differs")
    for a, b in zip(torch_run.history.to_records(), fused_run.history.to_records()):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=RTOL, abs=ATOL)
    moved = max(float(np.abs(a - b).max()) for a, b in zip(start, _params(fused_run)))
    assert moved > 1e-3, "training did not change the weights; the comparison would prove nothing"
    assert fused_run.engine == "fused"  # it never fell back to torch


@pytest.mark.parametrize("task", list(TASKS))
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_each_optimizer_on_each_loss_trains_like_torch(optimizer, task):
    data, kind, loss = TASKS[task]
    act = ACTIVATIONS[(list(OPTIMIZERS).index(optimizer) + 3 * list(TASKS).index(task)) % len(ACTIVATIONS)]
    _train_and_compare(*_pair(data=data, task=kind, loss=loss, optimizer=OPTIMIZERS[optimizer],
                              layers=[{"units": 6, "activation": act}, {"units": 4, "activation": act}]))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_trains_like_torch(activation):
    _train_and_compare(*_pair(optimizer=OPTIMIZERS["adam"],
                              layers=[{"units": 7, "activation": activation}, {"units": 5, "activation": activation}]))


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_dropout_uses_the_same_masks_on_both_engines(optimizer):
    _train_and_compare(*_pair(optimizer=OPTIMIZERS[optimizer],
                              layers=[{"units": 8, "activation": "relu", "dropout": 0.3},
                                      {"units": 6, "activation": "tanh", "dropout": 0.1}]))


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_layer_norm_trains_like_torch(optimizer):
    changes = {"optimizer": {**OPTIMIZERS[optimizer], "lr": OPTIMIZERS[optimizer]["lr"] / 2}} \
        if optimizer == "sgd nesterov" else {"optimizer": OPTIMIZERS[optimizer]}  # momentum 0.9 drifts
    _train_and_compare(*_pair(layers=[{"units": 8, "activation": "gelu", "norm": "layer", "dropout": 0.2},
                                      {"units": 6, "activation": "tanh", "norm": "layer"}],
                              regularization={"kind": "l2", "rate": 0.01}, **changes))


def test_layer_norm_regression_and_evaluation_match_torch():
    torch_run, fused_run = _pair(data={"source": "plane", "samples": 100}, task="regression", loss="huber",
                                 optimizer=OPTIMIZERS["adam"],
                                 layers=[{"units": 8, "activation": "relu", "norm": "layer"}])
    _train_and_compare(torch_run, fused_run)
    assert fused_run.evaluate() == pytest.approx(torch_run.evaluate(), rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("changes", [
    {"regularization": {"kind": "l2", "rate": 0.01}, "schedule": {"kind": "cosine"}},
    {"regularization": {"kind": "l1", "rate": 0.003}, "schedule": {"kind": "step", "step_size": 4, "gamma": 0.5}},
    {"schedule": {"kind": "exponential", "gamma": 0.9}},
], ids=["l2 cosine", "l1 step", "exponential"])
@pytest.mark.parametrize("optimizer", ["adam", "adamw", "rmsprop momentum", "adagrad"])
def test_regularisation_and_schedules_with_adaptive_optimizers(optimizer, changes):
    _train_and_compare(*_pair(optimizer=OPTIMIZERS[optimizer], layers=[{"units": 6, "activation": "tanh"}],
                              **changes))


# Wide layers multiply through BLAS (core/engines/fused_kernels.BLAS_MIN_WEIGHTS); these nets reach that path
# in the hidden layer (48 x 32 weights) and, on digits (64 inputs), in the first layer too.
WIDE_CASES = {
    "adam relu": ({"optimizer": OPTIMIZERS["adam"]}, "relu", {}),
    "sgd nesterov tanh l2": ({"optimizer": OPTIMIZERS["sgd nesterov"], "regularization": {"kind": "l2", "rate": 0.01}},
                             "tanh", {}),
    "plain sgd sigmoid l1": ({"optimizer": {"name": "sgd", "lr": 0.3}, "regularization": {"kind": "l1", "rate": 0.001}},
                             "sigmoid", {}),
    "adamw gelu dropout": ({"optimizer": OPTIMIZERS["adamw"]}, "gelu", {"dropout": 0.2}),
    "rmsprop leaky_relu layer norm": ({"optimizer": OPTIMIZERS["rmsprop momentum"]}, "leaky_relu", {"norm": "layer"}),
}


@pytest.mark.parametrize("case", list(WIDE_CASES))
def test_wide_layers_through_blas_train_and_evaluate_like_torch(case):
    from core.engines import fused_kernels

    assert 48 * 32 >= fused_kernels.BLAS_MIN_WEIGHTS, "the nets below no longer reach the BLAS path"
    changes, act, extra = WIDE_CASES[case]
    layers = [{"units": 48, "activation": act, **extra}, {"units": 32, "activation": act, **extra}]
    torch_run, fused_run = _pair(layers=layers, **changes)
    _train_and_compare(torch_run, fused_run)
    assert fused_run.evaluate() == pytest.approx(torch_run.evaluate(), rel=RTOL, abs=ATOL)
    digits = _pair(data={"source": "digits"}, loss="cross_entropy", batch_size=32, layers=layers, **changes)
    _train_and_compare(*digits, epochs=3)
    assert digits[1].evaluate() == pytest.approx(digits[0].evaluate(), rel=RTOL, abs=ATOL)


def test_a_block_of_adam_epochs_equals_epoch_by_epoch():
    """Trainer.run trains in blocks: the optimizer state and step count must carry across them."""
    spec = parse_experiment({"schema_version": 1, "data": {"source": "spiral", "samples": 100}, "engine": "fused",
                             "optimizer": {"name": "adam", "lr": 0.01},
                             "layers": [{"units": 6, "activation": "relu", "dropout": 0.2}]})
    block, single = Trainer(spec), Trainer(spec)
    records = block.train_epochs(7) + block.train_epochs(5)
    assert records == [single.train_epoch() for _ in range(12)]
    for a, b in zip(_params(block), _params(single)):
        np.testing.assert_array_equal(a, b)
    state_a, state_b = block.optimizer.state_dict()["state"], single.optimizer.state_dict()["state"]
    for k in state_b:
        assert float(state_a[k]["step"]) == float(state_b[k]["step"]) == 12 * 5  # 50 rows in batches of 10
        np.testing.assert_array_equal(state_a[k]["exp_avg_sq"].numpy(), state_b[k]["exp_avg_sq"].numpy())


def test_dropout_masks_depend_on_seed_epoch_layer_and_position_only():
    mask = dropout_mask.batch_mask(seed=3, epoch=5, layer=1, first_position=20, n_rows=400, n_units=50, p=0.3)
    assert mask.dtype == np.float32 and mask.shape == (400, 50)
    assert set(np.unique(mask)) == {0.0, np.float32(1) / np.float32(0.7)}
    assert (mask == 0).mean() == pytest.approx(0.3, abs=0.01)
    again = dropout_mask.batch_mask(3, 5, 1, 20, 400, 50, 0.3)
    np.testing.assert_array_equal(mask, again)
    # A batch later in the epoch sees the same rows' masks as the whole-epoch call (position keys them).
    np.testing.assert_array_equal(dropout_mask.batch_mask(3, 5, 1, 120, 10, 50, 0.3), mask[100:110])
    for other in [(4, 5, 1), (3, 6, 1), (3, 5, 2)]:
        assert (dropout_mask.batch_mask(*other, 20, 400, 50, 0.3) != mask).mean() > 0.3


@pytest.mark.parametrize("block", [False, True], ids=["epoch by epoch", "in blocks"])
def test_a_diverging_adam_epoch_rolls_back_weights_and_optimizer_state(block):
    from core.training.trainer import Diverged

    spec = parse_experiment({"schema_version": 1, "data": {"source": "plane", "samples": 100}, "task": "regression",
                             "loss": "mse", "engine": "fused", "optimizer": {"name": "adam", "lr": 0.01},
                             "layers": [{"units": 6, "activation": "relu"}] * 2})
    t = Trainer(spec)
    t.train_epochs(3)
    t.set_learning_rate(1e35)  # Adam's steps are about lr in size: overflow needs a huge one
    with pytest.raises(Diverged) as err:
        for _ in range(5):
            state = t.optimizer.state_dict()["state"]
            kept = (_params(t), {k: {n: v.clone() for n, v in entry.items()} for k, entry in state.items()})
            t.train_epochs(4) if block else t.train_epoch()
    assert t.engine == "fused" and not err.value.records  # it diverged in the first epoch it tried
    for a, b in zip(kept[0], _params(t)):
        np.testing.assert_array_equal(a, b)
    state = t.optimizer.state_dict()["state"]
    for k, entry in kept[1].items():
        for name, value in entry.items():
            assert torch.equal(state[k][name], value), f"optimizer state {k}.{name} was not rolled back"
