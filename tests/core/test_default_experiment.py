"""The experiment a new user starts with is TF Playground's, and it visibly learns."""

from __future__ import annotations

import torch

from core.spec import Activation, DataSource, Experiment, Feature, OptimizerName, RegularizationKind, Task
from core.training.trainer import Trainer

torch.set_num_threads(1)


def test_the_default_experiment_is_tf_playgrounds():
    spec = Experiment()
    assert spec.data.source is DataSource.circle and spec.task is Task.classification
    assert spec.input_features == [Feature.x1, Feature.x2]
    assert [(layer.units, layer.activation) for layer in spec.layers] == [(4, Activation.tanh), (2, Activation.tanh)]
    assert spec.optimizer.name is OptimizerName.sgd and spec.optimizer.lr == 0.03
    assert spec.batch_size == 10 and spec.data.train_fraction == 0.5 and spec.data.noise == 0.0
    assert spec.regularization.kind is RegularizationKind.none


def test_the_default_experiment_learns_within_a_few_hundred_epochs():
    trainer = Trainer(Experiment())
    accuracy = 0.0
    for _ in range(6):  # at most 300 epochs
        trainer.train_epochs(50)
        accuracy = trainer.evaluate()[3]
        if accuracy > 0.9:
            break
    assert accuracy > 0.9 and trainer.epoch <= 300, (trainer.epoch, accuracy)
