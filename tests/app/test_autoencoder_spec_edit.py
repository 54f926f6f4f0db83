"""The window's follow-on changes for an autoencoder: a new data set keeps the task, entering the task picks
mse (standardised units), leaving it picks a loss that fits the new task."""

from core.spec import parse_experiment
from app.spec_edit import with_consequences


def _autoencoder(loss="mse"):
    return parse_experiment({"schema_version": 2, "data": {"source": "digits"}, "task": "autoencoder",
                             "loss": loss})


def test_a_new_data_set_keeps_the_autoencoder():
    assert with_consequences(_autoencoder("bce"), {"data.source": "iris"}) == {"data.source": "iris"}


def test_entering_and_leaving_the_task_fix_the_loss():
    classifier = parse_experiment({"schema_version": 2, "data": {"source": "digits"}, "loss": "cross_entropy"})
    assert with_consequences(classifier, {"task": "autoencoder"}) == {"task": "autoencoder", "loss": "mse"}
    assert with_consequences(_autoencoder(), {"task": "classification"}) == {"task": "classification", "loss": "bce"}
    assert with_consequences(_autoencoder("bce"), {"task": "regression", "data.source": "diabetes"})["loss"] == "mse"
