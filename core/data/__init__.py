"""Data: the TF Playground toy sets, bundled real sets, CSV files, input features and the split."""

from core.data.dataset import Dataset, DataError

__all__ = ["Dataset", "DataError", "load_dataset"]


def load_dataset(spec):  # noqa: ANN001 - re-exported lazily to keep import light
    """Build the Dataset an Experiment describes (see core.data.build)."""
    from core.data.build import load_dataset as _load

    return _load(spec)
