"""The trainer: one Experiment made into data, model and optimizer, trained epoch by epoch.

`Trainer.run(control, emit)` is the loop the GUI worker and the CLI share; everything else is
the step-by-step API it is built from (see docs/ARCHITECTURE.md, "Trainer API").

Loss figures: `EpochRecord.train_loss` and `test_loss` are both a full evaluation after the epoch
(eval mode, no dropout, no regularisation penalty), so the two curves compare like with like and
the gap between them shows over-fitting. The mean of the batch losses seen during the epoch
(penalty included) is only used to catch divergence early.

Tabular regression trains on standardised targets (Dataset.y_mean / y_std), so its losses are in
standardised units: an MSE of 1.0 is no better than always predicting the mean. Everything that
reports a prediction (`predict`, the snapshot grid) is in the target's original units.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from core.training.control import TrainingControl
from core.training.focus import Focus
from core.training.live import LIVE
from core.data.dataset import Dataset, check_dataset
from core.engines import AUTO_ACCELERATOR_MIN_PARAMETERS
from core.engines.choice import FUSED_COMPILING, engine_notice
from core.engines.device import resolve_device
from core.engines.dropout_mask import batch_mask
from core.training.health import LossWatch
from core.training import run_loop
from core.training.evaluation import Evaluator
from core.training.history import LossHistory
from core.nn.losses import loss_function, regularization_penalty, validate_loss_for
from core.nn.activations import record_of
from core.nn.build import build_model, count_parameters, linear_layers
from core.nn.optimizers import build_optimizer
from core.training.schedule import LRSchedule, get_lr, set_lr
from core.training.rollback import Diverged, StateBackup
from core.training.shuffle import batches_per_epoch, epoch_orders
from core.training.snapshot import EpochRecord, RunState, Snapshot
from core.spec import Engine, Experiment, RegularizationKind, Task

log = logging.getLogger(__name__)



def _clone_tree(value: Any) -> Any:
    """A copy of a (nested) state dict in which every tensor is cloned, so later steps cannot touch it."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _clone_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clone_tree(v) for v in value]
    return value


class Trainer:
    """Data, model, optimizer and the epoch loop for one Experiment. Not thread-safe: one thread drives it.

    Public attributes: spec, dataset, model, optimizer, schedule, device, device_note, engine,
    engine_note, engine_notice, epoch, step, history, batch_size, learning_rate, regularization_rate, task,
    n_outputs, last_error, loss_watch (its `warning` once the loss has risen: see core.training.health).
    """

    def __init__(self, spec: Experiment, dataset: Dataset | None = None,
                 device: str | torch.device | None = None) -> None:
        # One intra-op thread: playground nets are tiny, so thread hand-offs cost more than they
        # save, and the GUI thread (and the fused engine) need the remaining cores.
        torch.set_num_threads(1)
        self.spec = spec
        self.loss_watch = LossWatch()  # warns once if the loss climbs or swings without becoming NaN
        if dataset is None:
            from core.data import load_dataset

            dataset = load_dataset(spec)
        self.dataset = dataset
        check_dataset(dataset)
        validate_loss_for(dataset, spec.loss)
        self.task = Task(dataset.task)
        self.regression = self.task == Task.regression
        self.autoencoder = self.task == Task.autoencoder  # outputs reconstruct the inputs; no accuracy
        self.n_outputs = dataset.n_outputs
        self.n_classes = dataset.n_classes

        model = build_model(spec, dataset.n_inputs, self.n_outputs, dataset.input_shape)
        self.device, self.device_note = self._pick_device(device if device is not None else spec.device,
                                                          count_parameters(model))
        self.model: nn.Sequential = model.to(self.device)
        self._has_batch_norm = any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in self.model)
        self._has_dropout = any(isinstance(m, nn.Dropout) and m.p > 0 for m in self.model)
        # Whether train/eval mode changes the outputs; when not, evaluating skips the two mode
        # switches per epoch (each walks every module, ~25 µs).
        self._mode_matters = not all(_mode_free(m) for m in self.model.modules())
        if self._has_batch_norm and len(dataset.x_train) < 2:
            raise ValueError("batch norm needs at least 2 training rows; this dataset has "
                             f"{len(dataset.x_train)}. Use more samples or norm 'none'/'layer'.")
        self.loss_fn = loss_function(spec.loss, self.task, self.n_outputs)
        self.optimizer = build_optimizer(spec, self.model.parameters())
        self.schedule = LRSchedule.from_spec(spec)
        self.batch_size = int(spec.batch_size)
        self.regularization_rate = float(spec.regularization.rate)
        self.epoch = 0
        self.step = 0
        self.history = LossHistory()
        self.last_error: BaseException | None = None
        self.last_stop = None  # the last run's StopRule (core/training/stopping.py): best epoch, stop reason

        target_dtype = torch.long if self.n_outputs > 1 and not self.autoencoder else torch.float32
        self.x_train = torch.as_tensor(np.asarray(dataset.x_train, np.float32), device=self.device)
        self.y_train = torch.as_tensor(np.asarray(dataset.y_train), device=self.device).to(target_dtype)
        self.x_test = torch.as_tensor(np.asarray(dataset.x_test, np.float32), device=self.device)
        self.y_test = torch.as_tensor(np.asarray(dataset.y_test), device=self.device).to(target_dtype)
        # Regression outputs -> the target's units: output * y_std + y_mean (None: outputs are the units).
        self._version = 0  # bumped whenever the weights change, so evaluations can be cached
        self.evaluator = Evaluator(self)
        self.focus = Focus()  # the sample the per-sample pictures (probes) show
        self._backup: StateBackup | None = None  # the rollback copy, refreshed before every epoch
        self._finite_check: tuple[nn.Module | None, list[torch.Tensor]] = (None, [])
        self.engine, self.engine_note = "torch", ""
        self._kernels_ready: Callable[[], bool] | None = None  # set by hold_fused while the kernels compile
        self.choose_engine()

    # ------------------------------------------------------------------ setup helpers
    @staticmethod
    def _pick_device(requested: str | torch.device, n_parameters: int) -> tuple[torch.device, str]:
        if isinstance(requested, torch.device):
            requested = str(requested)
        if requested.strip().lower() == "auto":
            device, _ = resolve_device("auto")
            if device.type != "cpu" and n_parameters < AUTO_ACCELERATOR_MIN_PARAMETERS:
                return torch.device("cpu"), ""  # small nets run faster on the CPU
            return device, ""
        return resolve_device(requested)

    def choose_engine(self) -> str:
        """Pick the fused engine when allowed and able, else torch; `engine_note` says why not fused."""
        wanted = Engine(self.spec.engine)
        if wanted == Engine.torch:
            self.engine, self.engine_note = "torch", ""
            return self.engine
        try:
            from core.engines import fused
            ok, why = fused.supports(self, check_speed=wanted == Engine.auto)
        except Exception as err:  # fused.py absent or broken: the torch path always works
            ok, why = False, f"the fused engine is not available ({type(err).__name__}: {err})"
        if ok and self._kernels_ready is not None:
            if not self._kernels_ready():
                ok, why = False, FUSED_COMPILING
            else:
                self._kernels_ready = None  # compiled: the fast engine from now on
        self.engine = "fused" if ok else "torch"
        self.engine_note = "" if ok else f"{why}; using the torch engine"
        self.engine_why = why  # the bare reason (engine_note adds "; using the torch engine")
        return self.engine

    def hold_fused(self, ready: Callable[[], bool]) -> None:
        """Train on torch until `ready()` says the fused kernels are in, then on the engine `choose_engine`
        picks: on a machine's first run they compile for about a minute, and no run waits for that."""
        self._kernels_ready = ready
        self.choose_engine()

    def _fused_if_compiled(self) -> None:
        """Between epochs: move to the fast engine once the kernels `hold_fused` waited for are in."""
        if self._kernels_ready is not None and self._kernels_ready():
            self.choose_engine()

    @property
    def engine_notice(self) -> str:
        """One line for the window when torch runs though the user did not ask for it (core/engines/choice.py)."""
        return engine_notice(self)

    # ------------------------------------------------------------------ live settings
    @property
    def learning_rate(self) -> float:
        """The learning rate the optimizer uses now."""
        return get_lr(self.optimizer)

    def set_learning_rate(self, lr: float) -> None:
        """Use `lr` from now on; a schedule keeps decaying from it (the epoch count is untouched)."""
        lr = float(lr)
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"learning rate must be a positive number, got {lr}")
        self.schedule.set_base(lr, self.epoch)
        set_lr(self.optimizer, lr)
        self.loss_watch.restart()  # a new rate starts a new curve

    def set_batch_size(self, n: int) -> None:
        n = int(n)
        if n < 1:
            raise ValueError(f"batch size must be at least 1, got {n}")
        self.batch_size = n
        if self.spec.engine != Engine.torch:
            self.choose_engine()

    def set_regularization_rate(self, rate: float) -> None:
        """Change the regularisation rate; the kind (l1/l2/none) stays as the spec says."""
        rate = float(rate)
        if not (math.isfinite(rate) and rate >= 0):
            raise ValueError(f"regularization rate must be a number >= 0, got {rate}")
        self.regularization_rate = rate

    def set_epochs(self, epochs: int) -> None:
        """Where a run with an epoch limit ends (the window's 'Stop at epochs'); no reset. A cosine
        schedule keeps the length it was built with."""
        from core.spec import SpecError

        try:
            self.spec = self.spec.replace(epochs=int(epochs))
        except SpecError as err:
            raise ValueError(str(err)) from None

    def set_stop_conditions(self, stop: Any) -> None:
        """Use these stop conditions (spec.stop, a dict or StopSpec) from the next epoch on; no reset."""
        from core.spec import SpecError

        try:
            self.spec = self.spec.replace(stop=stop)
        except SpecError as err:
            raise ValueError(str(err)) from None

    def set_focus(self, value: Any) -> None:
        """Show this sample in the per-sample pictures: a test row index, a drawn raw input, or None."""
        self.focus.set(value, self)

    def set_weight(self, layer: int, out_index: int, in_index: int, value: float) -> None:
        """Overwrite weight [out_index, in_index] of Linear `layer` (0 = dense1, the last = output)."""
        linears = linear_layers(self.model)
        if not 0 <= layer < len(linears):
            raise IndexError(f"set_weight: layer {layer} does not exist; the model has Linear layers "
                             f"0..{len(linears) - 1}")
        weight = linears[layer].weight
        n_out, n_in = weight.shape
        if not (0 <= out_index < n_out and 0 <= in_index < n_in):
            raise IndexError(f"set_weight: index ({out_index}, {in_index}) is outside layer {layer}'s "
                             f"weight of shape ({n_out}, {n_in})")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"set_weight: the value must be finite, got {value}")
        with torch.no_grad():
            weight[out_index, in_index] = value
        self._weights_changed()

    def _weights_changed(self) -> None:
        self._version += 1

    # ------------------------------------------------------------------ one epoch
    def epoch_permutation(self, epoch: int | None = None) -> np.ndarray:
        """The order of training rows for `epoch` (default: the next one), int64.

        A function of (spec.seed, epoch) only (core.training.shuffle), so it is the same for the torch and
        fused paths and after resuming from a checkpoint.
        """
        return self.epoch_permutations(self.epoch if epoch is None else int(epoch), 1)[0]

    def epoch_permutations(self, first_epoch: int, count: int) -> np.ndarray:
        """(count, n_train) int64: the row orders of epochs first_epoch .. first_epoch + count - 1."""
        return epoch_orders(self.spec.seed, first_epoch, count, len(self.dataset.x_train))

    def batch_bounds(self, n_rows: int | None = None) -> list[tuple[int, int]]:
        """(start, stop) of each minibatch in the permuted order: batch_size rows, the last may be short.

        With batch norm a trailing 1-row batch joins the one before (batch norm cannot train on 1 row).
        """
        n = len(self.dataset.x_train) if n_rows is None else int(n_rows)
        size = max(1, min(self.batch_size, n))
        if self._has_batch_norm:
            size = max(size, 2)
        bounds = [(s, min(s + size, n)) for s in range(0, n, size)]
        if self._has_batch_norm and len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
            last = bounds.pop()
            bounds[-1] = (bounds[-1][0], last[1])
        return bounds

    def _n_batches(self, n_rows: int) -> int:
        """len(batch_bounds(n_rows)) without building the list (it is called every epoch)."""
        if self._has_batch_norm:
            return len(self.batch_bounds(n_rows))
        return batches_per_epoch(n_rows, self.batch_size)

    def _backup_for_epoch(self) -> StateBackup:
        """The rollback copy, refreshed in place (rebuilt if the model or optimizer was replaced)."""
        backup = self._backup
        if backup is None or backup.model is not self.model or backup.optimizer is not self.optimizer:
            backup = self._backup = StateBackup(self.model, self.optimizer)
        backup.save()
        return backup

    def _torch_epoch(self, perm: np.ndarray) -> tuple[float, int]:
        if self._mode_matters or not self.model.training:
            self.model.train()
        kind = self.spec.regularization.kind
        rate = self.regularization_rate
        with_penalty = kind != RegularizationKind.none and rate > 0
        bounds = self.batch_bounds(len(perm))
        if len(bounds) == 1:  # one batch of everything: the order does not matter, skip the gather
            x_epoch, y_epoch = self.x_train, self.y_train
        else:  # one gather per epoch, then each batch is a slice (the same rows as gathering per batch)
            idx = torch.from_numpy(perm).to(self.device)
            x_epoch, y_epoch = self.x_train[idx], self.y_train[idx]
        model, optimizer, loss_fn = self.model, self.optimizer, self.loss_fn
        # zero_grad(set_to_none=True) done directly: the optimizer's method costs ~15 µs a batch.
        params = [p for group in optimizer.param_groups for p in group["params"]]
        total = torch.zeros((), device=self.device)
        # Dropout masks come from core.engines.dropout_mask (seed, epoch, position, unit), the same as the
        # fused engine's, so a run is the same whatever else used torch's generator, and resumable.
        masked = self._has_dropout
        for start, stop in bounds:
            x = x_epoch[start:stop]
            objective = loss_fn(self._masked_forward(x, start) if masked else model(x), y_epoch[start:stop])
            if with_penalty:
                penalty = regularization_penalty(model, kind, rate)
                if penalty is not None:
                    objective = objective + penalty
            for p in params:
                p.grad = None
            objective.backward()
            optimizer.step()
            total += objective.detach()
        return float(total) / len(bounds), len(bounds)

    def _masked_forward(self, x: torch.Tensor, first_position: int) -> torch.Tensor:
        """The model in training mode on a batch, its dropout applying the masks of core.engines.dropout_mask."""
        h = x
        hidden = 0
        for module in self.model:
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                hidden += 1
            if isinstance(module, nn.Dropout) and module.p > 0:
                units = h[0].numel()  # feature maps: one mask value per element of each row
                mask = batch_mask(self.spec.seed, self.epoch, hidden, first_position, h.shape[0], units, module.p)
                h = h * torch.from_numpy(mask).to(h.device).reshape(h.shape)
            else:
                h = module(h)
        return h

    def _fused_epoch(self, perm: np.ndarray) -> tuple[float, int]:
        from core.engines import fused

        mean_loss = float(fused.train_epoch(self, perm))
        return mean_loss, self._n_batches(len(perm))

    def train_epoch(self) -> EpochRecord:
        """Train one epoch and record it; raises Diverged (weights already rolled back) on NaN/inf."""
        self._fused_if_compiled()
        lr = self.schedule.lr_at(self.epoch)
        set_lr(self.optimizer, lr)
        backup = self._backup_for_epoch()
        perm = self.epoch_permutation()
        fused_done = False
        if self.engine == "fused":
            try:
                mean_loss, steps = self._fused_epoch(perm)
                fused_done = True
            except Exception as err:  # never lose a run to the fast path: redo the epoch with torch
                log.warning("fused engine failed (%s); continuing with torch", err)
                backup.restore()
                self.engine, self.engine_note = "torch", f"the fused engine failed ({err}); using torch"
                mean_loss, steps = self._torch_epoch(perm)
        else:
            mean_loss, steps = self._torch_epoch(perm)
        self._weights_changed()
        # The fused engine checks its own parameters and writes nothing back on NaN/inf.
        if not math.isfinite(mean_loss) or not (fused_done or self._parameters_finite()):
            self._diverge(backup, mean_loss, lr)
        self.epoch += 1
        self.step += steps
        train_loss, test_loss, train_acc, test_acc = self.evaluate()
        if not math.isfinite(train_loss) or (len(self.x_test) and not math.isfinite(test_loss)):
            self.epoch -= 1
            self.step -= steps
            self._diverge(backup, train_loss if not math.isfinite(train_loss) else test_loss, lr)
        record = EpochRecord(epoch=self.epoch, step=self.step, train_loss=train_loss, test_loss=test_loss,
                             train_accuracy=train_acc, test_accuracy=test_acc, learning_rate=lr)
        self.history.append(record)
        return record

    def _parameters_finite(self) -> bool:
        # One reduction and one sync: the largest |value| of each tensor is NaN or inf iff one is.
        if self._finite_check[0] is not self.model:  # detached aliases: the check stays out of autograd
            self._finite_check = (self.model, [p.detach() for p in self.model.parameters()])
        params = self._finite_check[1]
        if not params:
            return True
        try:
            peaks = torch._foreach_norm(params, float("inf"))
        except (AttributeError, RuntimeError):
            peaks = [p.detach().abs().max() for p in params]
        return bool(torch.isfinite(torch.stack(peaks)).all())

    def _diverge(self, backup: StateBackup, bad_loss: float, lr: float) -> None:
        backup.restore()
        self._weights_changed()
        raise Diverged(self._divergence_message(bad_loss, lr), self.epoch + 1)

    def _divergence_message(self, bad_loss: float, lr: float) -> str:
        """What went wrong in the next epoch and what to try."""
        what = "infinite" if math.isinf(bad_loss) else "NaN"
        hint = "Try a lower learning rate"
        if self.spec.regularization.kind != RegularizationKind.none and self.regularization_rate > 0:
            hint += " or a lower regularization rate"
        return (f"Loss became {what} at epoch {self.epoch + 1} (lr {lr:g}). "
                f"The last finite weights are kept. {hint}.")

    def train_epochs(self, count: int) -> list[EpochRecord]:
        """Train and record `count` epochs, the same as `count` calls of `train_epoch`.

        With the fused engine they run in one compiled call that releases the GIL throughout, so a
        GUI thread beside it costs training nothing. Raises Diverged (weights rolled back to before
        the failed epoch; the epochs finished before it are recorded and in `err.records`).
        """
        count = int(count)
        self._fused_if_compiled()
        if count > 1 and self.engine == "fused":
            try:
                return self._fused_block(count)
            except Diverged:
                raise
            except Exception as err:  # never lose a run to the fast path; nothing was written back
                log.warning("fused engine failed (%s); continuing with torch", err)
                self.engine, self.engine_note = "torch", f"the fused engine failed ({err}); using torch"
        records: list[EpochRecord] = []
        try:
            for _ in range(count):
                records.append(self.train_epoch())
        except Diverged as err:
            err.records = records + err.records
            raise
        return records

    def _fused_block(self, count: int) -> list[EpochRecord]:
        from core.engines import fused

        lrs = [self.schedule.lr_at(self.epoch + k) for k in range(count)]
        result = fused.train_epochs(self, self.epoch_permutations(self.epoch, count), np.asarray(lrs, np.float32))
        steps = self._n_batches(len(self.dataset.x_train))
        records = []
        for lr, (train_loss, test_loss, train_acc, test_acc) in zip(lrs, result.figures):
            self.epoch += 1
            self.step += steps
            record = EpochRecord(epoch=self.epoch, step=self.step, train_loss=train_loss, test_loss=test_loss,
                                 train_accuracy=train_acc, test_accuracy=test_acc, learning_rate=lr)
            self.history.append(record)
            records.append(record)
        self._weights_changed()
        set_lr(self.optimizer, lrs[min(result.done, count - 1)])  # as train_epoch leaves it
        if result.done < count:
            raise Diverged(self._divergence_message(result.bad_loss, lrs[result.done]), self.epoch + 1, records)
        self.evaluator.cache = (self._version, result.figures[-1], result.confusion, None)
        return records

    # ------------------------------------------------------------------ figures (core/training/evaluation.py)
    def evaluate(self) -> tuple[float, float, float | None, float | None]:
        """(train_loss, test_loss, train_acc, test_acc) over the whole sets in eval mode (Evaluator.evaluate)."""
        return self.evaluator.evaluate()

    def confusion_matrix(self) -> np.ndarray | None:
        """(n_classes, n_classes) counts on the test set, rows = truth, columns = prediction."""
        return self.evaluator.confusion_matrix()

    def test_predictions(self) -> np.ndarray:
        """The predicted class of each test row (int64), for classification."""
        return self.evaluator.test_predictions()

    def preprocess(self, raw_inputs: np.ndarray) -> np.ndarray:
        """Raw inputs (x1, x2 points, or the raw tabular columns) -> model inputs, as the data module does."""
        return self.evaluator.preprocess(raw_inputs)

    def predict(self, raw_inputs: np.ndarray) -> np.ndarray:
        """Raw inputs -> binary: P(class 1) (n,); multi-class: probabilities (n, C); regression: values (n,)
        in the target's original units; autoencoder: reconstructions (n, n_inputs) in the inputs' units."""
        return self.evaluator.predict(raw_inputs)

    def snapshot(self, grid: bool = True, resolution: int = 50, **details: Any) -> Snapshot:
        """An immutable picture of the run now (numpy copies); see Evaluator.snapshot for `details`."""
        return self.evaluator.snapshot(grid, resolution, **details)

    # ------------------------------------------------------------------ checkpoint support
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: weights, optimizer, schedule, counters, live settings, history."""
        return {
            "model": _clone_tree(self.model.state_dict()),
            "optimizer": _clone_tree(self.optimizer.state_dict()),
            "schedule": self.schedule.state_dict(),
            "epoch": self.epoch, "step": self.step,
            "batch_size": self.batch_size, "regularization_rate": self.regularization_rate,
            "history": self.history.to_records(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` saved (the model must have been built from the same spec)."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        self.batch_size = int(state.get("batch_size", self.batch_size))
        self.regularization_rate = float(state.get("regularization_rate", self.regularization_rate))
        self.history = LossHistory.from_records(state.get("history", []), self.history.max_points)
        self._weights_changed()
        self.choose_engine()

    # ------------------------------------------------------------------ the loop
    def apply_pending(self, settings: dict[str, Any], edits: list[tuple[int, int, int, float]]) -> str:
        """Apply the control's pending live settings (by LIVE name) and weight edits; returns a message
        for the ones that could not apply."""
        problems = []
        for name in LIVE:
            if name in settings:
                try:
                    getattr(self, LIVE[name].apply)(settings[name])
                except ValueError as err:
                    problems.append(str(err))
        for edit in edits:
            try:
                self.set_weight(*edit)
            except (ValueError, IndexError) as err:
                problems.append(str(err))
        return "; ".join(problems)

    def run(self, control: TrainingControl, emit: Callable[[Snapshot], None], max_epochs: int | None = None,
            snapshot_hz: float = 30.0, grid_hz: float = 10.0, *, until_stopped: bool = False,
            grid_resolution: int = 50) -> RunState:
        """Train until spec.epochs (or `max_epochs`), or until stopped; see core/training/run_loop.py."""
        return run_loop.run(self, control, emit, max_epochs, snapshot_hz, grid_hz, until_stopped=until_stopped,
                            grid_resolution=grid_resolution)


# Modules whose output is the same in train and eval mode (dropout with p > 0 and batch norm are not);
# activations say so in their record.
_MODE_FREE_TYPES = (nn.Sequential, nn.Linear, nn.LayerNorm, nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.Flatten,
                    nn.Unflatten, nn.AdaptiveAvgPool2d)


def _mode_free(module: nn.Module) -> bool:
    if isinstance(module, nn.Dropout):
        return module.p == 0
    if type(module) in _MODE_FREE_TYPES:
        return True
    record = record_of(module)
    return record is not None and record.same_in_eval
