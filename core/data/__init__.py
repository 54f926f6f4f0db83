"""Data: the TF Playground toy sets, bundled real sets, CSV files, input features and the split.

Names load on first use (PEP 562), so `core.data.sources` (imported by the spec) stays light.
"""

__all__ = ["Dataset", "DataError", "load_dataset"]


def load_dataset(spec):  # noqa: ANN001 - re-exported lazily to keep import light
    """Build the Dataset an Experiment describes (see core.data.build)."""
    from core.data.build import load_dataset as _load

    return _load(spec)


def __getattr__(name: str):  # noqa: ANN202
    if name in ("Dataset", "DataError"):
        from core.data import dataset

        return getattr(dataset, name)
    raise AttributeError(f"module 'core.data' has no attribute {name!r}")
