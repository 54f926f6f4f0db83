"""`layerlab summary EXPERIMENT.json`: the model summary table (like Keras' model.summary())."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    summary = sub.add_parser("summary", help="print the model summary (layers, output shapes, parameters)",
                             description="Print each layer's output shape, parameters and multiply-adds, "
                                         "with totals, for the network an experiment file describes.")
    summary.add_argument("experiment", help="experiment file (.json), e.g. examples/digits_cnn.json")


def run(args: argparse.Namespace, error, usage_code: int) -> int:
    """Print the table (loads the data for its sizes); bad files, data and misfit layers are usage errors."""
    from core.data import load_dataset
    from core.data.dataset import DataError
    from core.nn.summary import model_summary
    from core.spec import SpecError, load_experiment

    path = Path(args.experiment)
    try:
        spec = load_experiment(path)
    except SpecError as err:
        raise error(str(err), usage_code) from None
    try:
        dataset = load_dataset(spec)
        summary = model_summary(spec, dataset.n_inputs, dataset.n_outputs, dataset.input_shape)
    except (DataError, ValueError) as err:  # a misfit layer (ShapeError) is a ValueError too
        raise error(f"{path}: {err}", usage_code) from None
    print(f"{path.name}: {dataset.description or spec.data.source.value}")
    print(summary.to_text())
    return 0
