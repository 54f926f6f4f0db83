"""What `layerlab train` reports of a finished run: the figures metrics.json holds and the one-line
summary it prints (kept apart from the command's parsing and file writing)."""

from __future__ import annotations

import math
from pathlib import Path

import core
from core.cli_health import health_metrics


def run_metrics(trainer, state: str, wall: float, message: str, experiment: Path) -> dict:
    """What metrics.json holds: the final figures, where and how fast it trained, and the extras
    a task or stop rule adds."""
    train_loss, test_loss, train_acc, test_acc = trainer.evaluate()
    epochs = int(trainer.epoch)
    metrics = {
        "experiment": str(experiment),
        "state": state,
        "message": message,
        "epochs": epochs,
        "steps": int(trainer.step),
        "train_loss": _finite_or_none(train_loss),
        "test_loss": _finite_or_none(test_loss),
        "train_accuracy": _finite_or_none(train_acc),
        "test_accuracy": _finite_or_none(test_acc),
        "wall_seconds": round(wall, 6),
        "epochs_per_second": round(epochs / wall, 3) if wall > 0 else None,
        "device": str(trainer.device),
        "engine": trainer.engine,
        "seed": trainer.spec.seed,
        "layerlab_version": core.__version__,
        **_target_scale_metrics(trainer),
        **_autoencoder_metrics(trainer),
        **_best_metrics(trainer),
        **health_metrics(trainer),
    }
    return metrics


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _best_metrics(trainer) -> dict:
    """The run's lowest-test-loss epoch and its figures, why it stopped early, whether it restored them."""
    rule = getattr(trainer, "last_stop", None)
    return rule.summary() if rule is not None else {}


def _target_scale_metrics(trainer) -> dict:
    """For a standardised regression target: its scale, and the test error in the target's own units."""
    import numpy as np

    dataset = trainer.dataset
    if dataset.task != "regression" or dataset.y_mean is None or dataset.y_std is None:
        return {}
    rmse = None
    if len(dataset.raw_test):
        errors = trainer.predict(dataset.raw_test).astype(np.float64) - dataset.to_target_units(dataset.y_test)
        rmse = _finite_or_none(float(np.sqrt(np.mean(errors ** 2))))
    return {
        "target_scale": {
            "mean": dataset.y_mean, "std": dataset.y_std,
            "note": "losses are on the standardised target (y - mean) / std: 1.0 is no better than "
                    "predicting the mean; predictions and test_rmse_original_units are in the target's units",
        },
        "test_rmse_original_units": rmse,
    }


def _autoencoder_metrics(trainer) -> dict:
    """For an autoencoder: what the losses are in, and where its latent code is."""
    if not getattr(trainer, "autoencoder", False):
        return {}
    from core.data.autoencoder import loss_units
    from core.nn.latent import latent_layer, latent_size

    dataset = trainer.dataset
    args = (trainer.spec, dataset.input_shape, dataset.n_outputs)
    return {"loss_units": loss_units(dataset), "latent_layer": latent_layer(*args), "latent_units": latent_size(*args)}


def summary_line(m: dict) -> str:
    text = (f"{m['state']}: {m['epochs']} epochs in {m['wall_seconds']:.2f} s "
            f"({m['epochs_per_second'] or 0:.1f} epochs/s) on {m['device']} ({m['engine']}); "
            f"train loss {_fmt(m['train_loss'])}, test loss {_fmt(m['test_loss'])}")
    if m.get("loss_units"):
        text += f" ({m['loss_units'].split(':')[0]}; latent code {m['latent_units']} values, layers.{m['latent_layer']})"
    if m["test_accuracy"] is not None:
        text += f", accuracy {_pct(m['train_accuracy'])} train / {_pct(m['test_accuracy'])} test"
    if m.get("best_epoch") is not None:
        text += f"; best epoch {m['best_epoch']}" + (" (restored)" if m.get("restored_best") else "")
    if m.get("target_scale"):
        text += f" (standardised target); test RMSE {_fmt(m['test_rmse_original_units'])} in the target's units"
    return text


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"
