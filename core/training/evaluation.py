"""What a Trainer's model says now: losses and accuracies (cached per weights version), predictions in
the user's units, the decision-boundary grid and immutable snapshots.

The Trainer owns one Evaluator (`trainer.evaluator`) and its documented methods (evaluate, predict,
snapshot, ...) delegate here; the trainer keeps training, the evaluator keeps the figures.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from core.nn.build import hidden_layer_ends, linear_layers
from core.spec.shapes import layer_shapes
from core.training.probes import collect_views
from core.training import feature_maps, gallery_probe, latent_probe, sequence_probe  # noqa: F401 - register their probes
from core.training.snapshot import EpochRecord, RunState, Snapshot

if TYPE_CHECKING:
    from core.training.trainer import Trainer

log = logging.getLogger(__name__)

EVAL_CHUNK_ROWS = 65_536  # rows per forward pass when evaluating, so huge sets do not need one huge batch
MAX_NEURON_GRID_VALUES = 1 << 24  # neuron thumbnails are left out of a grid bigger than this (values)


class Evaluator:
    """Figures and pictures of `trainer`'s model; reads the trainer's model, data, loss and counters."""

    def __init__(self, trainer: "Trainer") -> None:
        self.trainer = trainer
        dataset = trainer.dataset
        self.target_scale: tuple[float, float] | None = None
        if trainer.regression and dataset.y_std is not None and dataset.y_mean is not None:
            self.target_scale = (float(dataset.y_std), float(dataset.y_mean))
        self.x_all = torch.cat([trainer.x_train, trainer.x_test])
        self.y_all = torch.cat([trainer.y_train, trainer.y_test]).long()
        self.scored = not (trainer.regression or trainer.autoencoder)  # has accuracies and predicted classes
        # (weights version, figures, test confusion or None, test labels or None)
        self.cache: tuple[int, tuple[float, float, float | None, float | None], np.ndarray | None,
                          torch.Tensor | None] | None = None
        self.fused_failed = False  # the fused evaluation failed once: evaluate with torch from then on
        self.hidden_shapes = layer_shapes(trainer.spec, trainer.dataset.input_shape, trainer.n_outputs)

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.trainer._mode_matters and self.trainer.model.training:
            self.trainer.model.eval()
        if len(x) <= EVAL_CHUNK_ROWS:
            return self.trainer.model(x)
        return torch.cat([self.trainer.model(x[i:i + EVAL_CHUNK_ROWS]) for i in range(0, len(x), EVAL_CHUNK_ROWS)])

    def predicted_labels(self, output: torch.Tensor) -> torch.Tensor:
        if self.trainer.n_outputs == 1:
            return (output.reshape(-1) > 0).long()
        return output.argmax(dim=1)

    @torch.no_grad()
    def evaluate(self) -> tuple[float, float, float | None, float | None]:
        """(train_loss, test_loss, train_acc, test_acc) over the whole sets in eval mode.

        Accuracies are None for regression; test figures are NaN/None when there are no test rows.
        Losses compare outputs with `dataset.y_*`, so tabular regression losses are in standardised units.
        With the fused engine the figures come from its compiled forward pass (equal within float
        rounding; eval mode is train mode for the nets it runs).
        """
        if self.cache is not None and self.cache[0] == self.trainer._version:
            return self.cache[1]
        if self.trainer.engine == "fused" and not self.fused_failed:
            try:
                from core.engines import fused

                train_loss, test_loss, train_acc, test_acc, confusion = fused.evaluate(self.trainer)
                result = (train_loss, test_loss, train_acc, test_acc)
                self.cache = (self.trainer._version, result, confusion, None)
                return result
            except Exception as err:  # the torch evaluation always works: use it from now on
                log.warning("fused evaluation failed (%s); evaluating with torch", err)
                self.fused_failed = True
        n_train, n_test = len(self.trainer.x_train), len(self.trainer.x_test)
        output = self.forward(self.x_all)  # one pass over train and test rows together
        out_train, out_test = output[:n_train], output[n_train:]
        losses = [self.trainer.loss_fn(out_train, self.trainer.y_train)]
        if n_test:
            losses.append(self.trainer.loss_fn(out_test, self.trainer.y_test))
        test_labels = None
        hits: list[torch.Tensor] = []
        if self.scored:
            labels = self.predicted_labels(output)
            correct = labels == self.y_all
            hits.append(correct[:n_train].sum())
            if n_test:
                hits.append(correct[n_train:].sum())
                test_labels = labels[n_train:]
        values = torch.stack(losses).tolist()  # one transfer for the losses, one for the counts
        counts = torch.stack(hits).tolist() if hits else []
        train_loss = values[0]
        test_loss = values[1] if n_test else float("nan")
        train_acc = counts[0] / n_train if counts else None
        test_acc = counts[1] / n_test if len(counts) > 1 else None
        result = (train_loss, test_loss, train_acc, test_acc)
        self.cache = (self.trainer._version, result, None, test_labels)
        return result

    def confusion_matrix(self) -> np.ndarray | None:
        """(n_classes, n_classes) counts on the test set, rows = truth, columns = prediction."""
        self.evaluate()
        assert self.cache is not None
        version, result, confusion, test_labels = self.cache
        if confusion is None and test_labels is not None:  # counted on demand: snapshots need it, epochs do not
            c = max(self.trainer.n_classes, 2)
            pairs = self.trainer.y_test.cpu().numpy().astype(np.int64) * c + test_labels.cpu().numpy()
            confusion = np.bincount(pairs, minlength=c * c).reshape(c, c).astype(np.int64)
            self.cache = (version, result, confusion, None)
        return None if confusion is None else confusion.copy()

    def test_predictions(self) -> np.ndarray:
        """The predicted class of each test row (int64), for classification."""
        return self.predicted_labels(self.forward(self.trainer.x_test)).cpu().numpy().astype(np.int64)

    def preprocess(self, raw_inputs: np.ndarray) -> np.ndarray:
        """Raw inputs (x1, x2 points, or the raw tabular columns) -> model inputs, as the data module does."""
        from core.data.features import compute_features, standardize

        raw = np.asarray(raw_inputs, dtype=np.float32)
        if raw.ndim == 1:
            raw = raw.reshape(1, -1)
        elif raw.ndim > 2 and self.trainer.dataset.modality in ("image", "sequence"):  # (n, C, H, W) / (n, T, F) -> flat
            raw = raw.reshape(len(raw), -1)
        n_raw = len(self.trainer.dataset.raw_names) or raw.shape[1]
        if raw.ndim != 2 or raw.shape[1] != n_raw:
            raise ValueError(f"expected raw inputs of shape (n, {n_raw}) for columns "
                             f"{', '.join(self.trainer.dataset.raw_names)}; got {raw.shape}")
        if self.trainer.dataset.is_planar:
            return compute_features(raw, self.trainer.dataset.features)
        if self.trainer.dataset.mean is not None and self.trainer.dataset.std is not None:
            return standardize(raw, self.trainer.dataset.mean, self.trainer.dataset.std)
        return raw

    def to_target_units(self, output: torch.Tensor) -> torch.Tensor:
        """Regression outputs in the target's original units (the same float32 ops as the export head)."""
        if self.target_scale is None:
            return output
        scale, shift = self.target_scale
        return output * scale + shift

    def probabilities(self, output: torch.Tensor) -> np.ndarray:
        if self.trainer.autoencoder:  # the reconstruction, in the inputs' units
            from core.data.autoencoder import to_raw_units

            return to_raw_units(self.trainer.dataset, output.float().cpu().numpy())
        if self.trainer.regression:
            return self.to_target_units(output.reshape(-1)).cpu().numpy()
        if self.trainer.n_outputs == 1:
            return torch.sigmoid(output.reshape(-1)).cpu().numpy()
        return torch.softmax(output, dim=1).cpu().numpy()

    def predict(self, raw_inputs: np.ndarray) -> np.ndarray:
        """Raw inputs -> binary: P(class 1) (n,); multi-class: probabilities (n, C); regression: values (n,)
        in the target's original units (standardised targets are scaled back)."""
        x = torch.as_tensor(self.preprocess(raw_inputs), device=self.trainer.device)
        return self.probabilities(self.forward(x))

    def grid(self, resolution: int) -> dict[str, Any]:
        """The decision-boundary picture over `dataset.extent`: row 0 is the lowest x2."""
        from core.data.features import grid_points

        features = self.preprocess(grid_points(self.trainer.dataset.extent, resolution))
        x = torch.as_tensor(features, device=self.trainer.device)
        ends = hidden_layer_ends(self.trainer.model)
        units = sum(math.prod(shape) for shape in self.hidden_shapes)
        keep_neurons = units * resolution * resolution <= MAX_NEURON_GRID_VALUES
        hidden: list[np.ndarray] = []
        if self.trainer._mode_matters:
            self.trainer.model.eval()
        with torch.no_grad():
            h = x
            for i, module in enumerate(self.trainer.model):
                h = module(h)
                if keep_neurons and i in ends:
                    hidden.append(h.T.reshape(-1, resolution, resolution).float().cpu().numpy())
            output = h
        res = (resolution, resolution)
        out: dict[str, Any] = {
            "input_outputs": features.T.reshape(-1, resolution, resolution).copy(),
            "neuron_outputs": tuple(hidden),
            "confidence": None,
        }
        if self.trainer.regression:
            out["boundary"] = self.to_target_units(output.reshape(res)).float().cpu().numpy()
        elif self.trainer.n_outputs == 1:
            out["boundary"] = torch.sigmoid(output.reshape(res)).float().cpu().numpy()
        else:
            probs = torch.softmax(output, dim=1)
            confidence, label = probs.max(dim=1)
            out["boundary"] = label.reshape(res).cpu().numpy().astype(np.int64)
            out["confidence"] = confidence.reshape(res).float().cpu().numpy()
        return out

    def snapshot(self, grid: bool = True, resolution: int = 50, *, state: RunState = RunState.running,
                 message: str = "", history: tuple[EpochRecord, ...] = (),
                 epochs_per_second: float = 0.0, steps_per_second: float = 0.0,
                 best_epoch: int | None = None) -> Snapshot:
        """An immutable picture of the run now (numpy copies). The grid is drawn for 2-D sets only.

        Multi-class `boundary` holds int64 class indices; binary holds P(class 1), regression the value
        (in the target's units). Losses are those of `evaluate` (standardised units for tabular regression).
        """
        if grid and not 2 <= int(resolution) <= 1024:
            raise ValueError(f"grid resolution must be between 2 and 1024, got {resolution}")
        train_loss, test_loss, train_acc, test_acc = self.evaluate()
        linears = linear_layers(self.trainer.model)
        pictures: dict[str, Any] = {}
        if grid and self.trainer.dataset.is_planar:
            pictures = self.grid(int(resolution))
        elif grid and self.scored and len(self.trainer.x_test):
            pictures = {"test_predictions": self.test_predictions()}
        if grid:
            pictures["views"] = collect_views(self.trainer)
        return Snapshot(
            epoch=self.trainer.epoch, step=self.trainer.step, train_loss=train_loss, test_loss=test_loss,
            train_accuracy=train_acc, test_accuracy=test_acc, learning_rate=self.trainer.learning_rate,
            batch_size=self.trainer.batch_size, state=state, message=message, history=tuple(history),
            epochs_per_second=float(epochs_per_second), steps_per_second=float(steps_per_second),
            confusion=self.confusion_matrix(),
            weights=tuple(m.weight.detach().cpu().numpy().copy() for m in linears),
            biases=tuple(m.bias.detach().cpu().numpy().copy() if m.bias is not None
                         else np.zeros(m.out_features, np.float32) for m in linears),
            extent=tuple(float(v) for v in self.trainer.dataset.extent),  # type: ignore[arg-type]
            device=str(self.trainer.device), engine=self.trainer.engine, best_epoch=best_epoch, **pictures,
        )
