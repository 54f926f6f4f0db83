"""The window's first epochs, trained before torch has loaded.

`import torch` takes ~2 s, longer than everything else before a first epoch; the fused kernels need only
numpy and numba. For a run the fused engine would train anyway (dense layers, the CPU, no stop conditions:
`why_not` says what else), a Prelude starts from the weights torch would draw (core/nn/seeded_init.py)
and the optimizer state torch starts from (zeros, step 0), trains with the same kernels on the same row orders and learning rates, and
sends the window its snapshots while torch loads beside it. `hand_over(trainer)` then gives the Trainer
built from the same spec its weights, optimizer state, counters and history, and the Trainer carries on: the run is the one
the Trainer alone would have trained (tests check it epoch by epoch). Nothing here imports torch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from core.data.dataset import check_dataset
from core.data.features import compute_features, grid_points
from core.engines import AUTO_ACCELERATOR_MIN_PARAMETERS, fused_act, fused_optim
from core.engines.fused_flat import INCLUDE_PENALTY_IN_LOSS, eval_set, evaluate, train_block, training_rows
from core.engines.fused_fit import REG_CODES, buffers_too_large, estimated_epoch_seconds, loss_code, numba_available
from core.engines.fused_kernels import KernelOptimizer
from core.engines.fused_plan import NetPlan, make_plan
from core.engines.numpy_forward import forward, linear_parameters
from core.nn.activations import ACTIVATIONS
from core.nn.layers import LAYER_TYPES
from core.nn.losses import validate_loss_for
from core.nn.seeded_init import linear_init
from core.spec import Engine, Experiment, Norm, Task
from core.training.control import TrainingControl
from core.training.pace import BlockPace, SnapshotClock
from core.training.schedule import LRSchedule
from core.training.shuffle import batches_per_epoch, epoch_orders
from core.training.snapshot import EpochRecord, RunState, Snapshot

log = logging.getLogger(__name__)

# Activation parameters as torch's modules default them (nn.LeakyReLU's slope, nn.ELU's alpha), which is
# how build_model makes them; a test compares the plan with the Trainer's.
_DEFAULT_PARAMS = {fused_act.LEAKY_RELU: 0.01, fused_act.ELU: 1.0}
_LAYER_NORM_EPS = 1e-5  # nn.LayerNorm's default


def why_not(spec: Experiment, dataset: Any) -> str:
    """"" if a Prelude can train this run before torch loads, else why not (the Trainer then starts it)."""
    if not numba_available():
        return "numba is not installed"
    if Engine(spec.engine) == Engine.torch:
        return "the torch engine was chosen"
    if dataset.modality not in ("points", "table") or dataset.task == Task.autoencoder.value:
        return f"{dataset.modality or 'this'} data trains on the Trainer"
    if fused_optim.config_from_spec(spec) is None:
        return f"optimizer '{spec.optimizer.name.value}' is not on the fused engine"
    if spec.stop.active or spec.stop.at_epochs:
        return "stop conditions are the Trainer's"
    if why := _layers_why_not(spec):
        return why
    try:
        check_dataset(dataset)
        validate_loss_for(dataset, spec.loss)
    except ValueError as err:
        return str(err)
    widths = _widths(spec, dataset)
    if loss_code(spec, widths[-1])[0] is None or spec.regularization.kind not in REG_CODES:
        return "the loss or regularisation is not on the fused engine"
    n_rows = len(dataset.x_train)
    if n_rows == 0 or buffers_too_large(widths, min(int(spec.batch_size), n_rows)):
        return "the batch does not fit the fused engine's buffers"
    device = spec.device.strip().lower()
    if device not in ("auto", "cpu"):
        return f"device '{spec.device}' was chosen"
    if device == "auto" and sum(a * b + b for a, b in zip(widths, widths[1:])) >= AUTO_ACCELERATOR_MIN_PARAMETERS:
        return "a net this large may train on an accelerator"
    fused_s, torch_s = estimated_epoch_seconds(widths, n_rows, int(spec.batch_size), spec.optimizer.name.value)
    if Engine(spec.engine) == Engine.auto and fused_s > torch_s:
        return "the torch engine is faster for this net"
    return ""


def _layers_why_not(spec: Experiment) -> str:
    """"" if every layer is dense with an activation the prelude can set up as build_model does."""
    for layer in spec.layers:
        if layer.type != "dense" or layer.norm == Norm.batch or LAYER_TYPES[layer.type].fused(layer):
            return f"a {layer.type} layer like this one trains on the Trainer"
        record = ACTIVATIONS[layer.activation]
        if not (record.fused and isinstance(record.module, str) and record.name in fused_act.CODES):
            return f"activation '{record.name}' trains on the Trainer"
    return ""


def _widths(spec: Experiment, dataset: Any) -> list[int]:
    return [dataset.n_inputs] + [int(layer.units) for layer in spec.layers] + [dataset.n_outputs]


def _flat_net(spec: Experiment, widths: list[int], code: int, squash: bool) -> tuple[np.ndarray, NetPlan]:
    """(initial theta, NetPlan) in the layout of core/engines/fused_layout.py: each Linear's weight and
    bias, then its layer norm's weight (ones) and bias (zeros)."""
    parts, offsets, norm_offsets, acts, params, drops = [], [], [], [], [], []
    at = 0
    hidden = list(spec.layers)
    for k, (weight, bias) in enumerate(linear_init(spec.seed, widths)):
        offsets.append(at)
        parts += [weight.ravel(), bias]
        at += weight.size + bias.size
        layer = hidden[k] if k < len(hidden) else None
        if layer is not None and layer.norm == Norm.layer:
            norm_offsets.append(at)
            parts += [np.ones(bias.size, np.float32), np.zeros(bias.size, np.float32)]
            at += 2 * bias.size
        else:
            norm_offsets.append(-1)
        act = fused_act.CODES[ACTIVATIONS[layer.activation].name] if layer is not None else fused_act.LINEAR
        acts.append(act)
        params.append(_DEFAULT_PARAMS.get(act, 0.0))
        drops.append(float(layer.dropout) if layer is not None else 0.0)
    net = make_plan(widths, acts, params, drops, [_LAYER_NORM_EPS if o >= 0 else None for o in norm_offsets],
                    offsets, norm_offsets, code, squash, spec.seed)
    return np.concatenate(parts).astype(np.float32), net


def same_net(a: NetPlan, b: NetPlan) -> bool:
    """Whether two plans run the same maths (every field equal)."""
    return all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a, b))


class Prelude:
    """One run's weights, counters and records from its first epoch until the Trainer takes over."""

    def __init__(self, spec: Experiment, dataset: Any) -> None:
        self.spec = spec
        self.dataset = dataset
        widths = _widths(spec, dataset)
        code, squash, _ = loss_code(spec, widths[-1])
        self.theta, self.net = _flat_net(spec, widths, int(code), squash)
        self.initial_theta = self.theta.copy()
        config = fused_optim.config_from_spec(spec)
        assert config is not None
        slots = len(config.slots)
        self.opt = KernelOptimizer(  # the optimizer's state starts as torch starts it: zeros, step 0
            code=config.code, hyper=config.hyper,
            state=np.zeros((slots, self.theta.size) if slots else (1, 1), np.float32),
            step=np.zeros(1, np.float64), factors=np.zeros(fused_optim.N_FACTORS, np.float64),
            counts_steps=config.counts_steps, reg_code=REG_CODES[spec.regularization.kind],
            with_penalty=INCLUDE_PENALTY_IN_LOSS)
        self.x, self.y = training_rows(dataset)
        self.rows = eval_set(dataset)
        self.schedule = LRSchedule.from_spec(spec)
        self.batch_size = int(spec.batch_size)
        self.epoch = 0
        self.step = 0
        self.records: list[EpochRecord] = []
        self.diverged = False
        self.figures, self.confusion = evaluate(self.theta, self.net, self.rows)

    # ------------------------------------------------------------------ training
    @property
    def learning_rate(self) -> float:
        """The rate of the last epoch trained (the first's before any), as Trainer.learning_rate says."""
        return self.schedule.lr_at(max(self.epoch - 1, 0))

    def train(self, count: int) -> list[EpochRecord]:
        """Train `count` epochs in one kernel call, as Trainer.train_epochs does on the fused engine; an epoch
        that diverges is rolled back and ends the prelude (`diverged`: the Trainer redoes it and says so)."""
        lrs = [self.schedule.lr_at(self.epoch + k) for k in range(count)]
        orders = epoch_orders(self.spec.seed, self.epoch, count, self.rows.n_train)
        result = train_block(self.x, self.y, orders, self.batch_size, self.theta, self.net, self.opt,
                             np.asarray(lrs, np.float32), self.spec.regularization.rate, self.epoch, self.rows)
        steps = batches_per_epoch(self.rows.n_train, self.batch_size)
        records = []
        for lr, figures in zip(lrs, result.figures):
            self.epoch += 1
            self.step += steps
            records.append(EpochRecord(self.epoch, self.step, *figures, learning_rate=lr))
        if result.done < count:
            self.diverged = True
            self.figures, self.confusion = evaluate(self.theta, self.net, self.rows)  # the kept weights'
        else:
            self.figures, self.confusion = result.figures[-1], result.confusion
        self.records += records
        return records

    # ------------------------------------------------------------------ pictures
    def snapshot(self, grid: bool, resolution: int, state: RunState, history: tuple[EpochRecord, ...] = (),
                 epochs_per_second: float = 0.0, steps_per_second: float = 0.0) -> Snapshot:
        """What Evaluator.snapshot gives on the Trainer (no probe views: those need torch)."""
        pictures: dict[str, Any] = {}
        if grid and self.dataset.is_planar:
            pictures = self._grid(int(resolution))
        elif grid and self.rows.classify and self.rows.n_test:
            _, out = forward(self.theta, self.net, self.rows.x[self.rows.n_train:])
            pictures = {"test_predictions": self._labels(out)}
        linears = linear_parameters(self.theta, self.net)
        train_loss, test_loss, train_acc, test_acc = self.figures
        return Snapshot(
            epoch=self.epoch, step=self.step, train_loss=train_loss, test_loss=test_loss, train_accuracy=train_acc,
            test_accuracy=test_acc, learning_rate=self.learning_rate,
            batch_size=self.batch_size, state=state, history=tuple(history),
            epochs_per_second=float(epochs_per_second), steps_per_second=float(steps_per_second),
            confusion=None if self.confusion is None else self.confusion.copy(),
            weights=tuple(w.copy() for w, _ in linears), biases=tuple(b.copy() for _, b in linears),
            extent=tuple(float(v) for v in self.dataset.extent), device="cpu", engine="fused", **pictures)

    def _labels(self, out: np.ndarray) -> np.ndarray:
        return (out[:, 0] > 0).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1).astype(np.int64)

    def _grid(self, resolution: int) -> dict[str, Any]:
        """Evaluator.grid's pictures: row 0 is the lowest x2."""
        features = compute_features(grid_points(self.dataset.extent, resolution), self.dataset.features)
        hidden, out = forward(self.theta, self.net, features)
        res = (resolution, resolution)
        pictures: dict[str, Any] = {
            "input_outputs": features.T.reshape(-1, resolution, resolution).copy(),
            "neuron_outputs": tuple(h.T.reshape(-1, resolution, resolution).copy() for h in hidden),
            "confidence": None,
        }
        if self.dataset.task == Task.regression.value:
            scale = (self.dataset.y_std, self.dataset.y_mean)
            value = out.reshape(res)
            pictures["boundary"] = (value * np.float32(scale[0]) + np.float32(scale[1])
                                    if None not in scale else value).astype(np.float32)
        elif out.shape[1] == 1:
            with np.errstate(over="ignore"):
                pictures["boundary"] = (1 / (1 + np.exp(-out.reshape(res)))).astype(np.float32)
        else:
            shifted = np.exp(out - out.max(axis=1, keepdims=True))
            probs = shifted / shifted.sum(axis=1, keepdims=True)
            pictures["boundary"] = probs.argmax(axis=1).reshape(res).astype(np.int64)
            pictures["confidence"] = probs.max(axis=1).reshape(res).astype(np.float32)
        return pictures

    # ------------------------------------------------------------------ the loop and the hand-over
    def run(self, control: TrainingControl, emit: Callable[[Snapshot], None], ready: Callable[[], bool],
            snapshot_hz: float = 30.0, grid_hz: float = 10.0, grid_resolution: int = 50) -> bool:
        """Train and emit snapshots as Trainer.run would, until `ready()` (torch has loaded) or the run needs
        the Trainer (a live change or weight edit waits, the run diverged); while paused, only wait (a step
        waits for the Trainer). Returns False if the run was stopped."""
        clock = time.monotonic
        timer = SnapshotClock(clock, snapshot_hz, grid_hz, self.epoch, self.step)
        pace = BlockPace(clock)
        pending: list[EpochRecord] = []

        def send(grid: bool, state: RunState) -> None:
            now, eps, sps = timer.rates(self.epoch, self.step)
            emit(self.snapshot(grid, grid_resolution, state, tuple(pending), eps, sps))
            pending.clear()
            timer.sent(now, self.epoch, self.step, grid)

        paused_shown = control.paused
        send(True, RunState.paused if paused_shown else RunState.running)
        while not ready() and not self.diverged:
            if control.stop_requested:
                return False
            if control.has_changes():
                break
            if control.paused:
                if not paused_shown or pending:
                    send(True, RunState.paused)
                    paused_shown = True
                control.wait(0.02)
                continue
            count, wait = control.grant_epochs(pace.epochs_until(timer.next_due))
            if count == 0:
                control.wait(min(wait, 0.02))
                continue
            started = clock()
            pending += self.train(count)
            now = clock()
            pace.record(now - started, count)
            paused_shown = False
            if timer.due(now):
                send(timer.grid_due(now), RunState.running)
        if pending:  # every record reaches the window before the Trainer takes over
            send(True, RunState.paused if control.paused else RunState.running)
        return not control.stop_requested

    def hand_over(self, trainer: Any) -> bool:
        """Give `trainer` (built from the same spec and data, now that torch has loaded) this prelude's
        weights, counters and records. Returns whether the trainer started from the same weights and runs
        the same net, i.e. whether the run is exactly the one the Trainer alone would have trained (a
        torch build whose random numbers differ would make it differ by rounding)."""
        from core.engines import fused
        from core.training.schedule import set_lr

        start, net, opt = fused.flat_state(trainer)
        same = (np.array_equal(start, self.initial_theta) and same_net(net, self.net) and opt.code == self.opt.code
                and np.array_equal(opt.hyper, self.opt.hyper) and opt.counts_steps == self.opt.counts_steps
                and opt.state.shape == self.opt.state.shape and not opt.state.any() and opt.step[0] == 0)
        if not same:
            log.warning("the first epochs (trained before torch loaded) did not start from the Trainer's weights")
        fused.set_flat_state(trainer, self.theta, self.opt.state, float(self.opt.step[0]))
        trainer.epoch, trainer.step = self.epoch, self.step
        for record in self.records:
            trainer.history.append(record)
        set_lr(trainer.optimizer, self.learning_rate)  # as train_epoch leaves it
        trainer._weights_changed()
        return same
