"""Export a trained model as TorchScript, ONNX or plain Python code, each checked against the live model.

Every export takes the raw inputs the user sees (x1, x2 or the CSV columns), because the feature
transform sits inside the exported graph. A file appears only after it has been loaded back the way
an outside user would and its outputs matched the live model.
"""

from core.export.errors import ExportError
from core.export.formats import FORMATS, ExportFormat, write_format

__all__ = ["EXPORT_FORMATS", "FORMATS", "DeployableModel", "ExportError", "ExportFormat", "ExportMetadata",
           "ExportReport", "build_deployable", "default_filename", "export_model", "write_format"]

_LAZY = {"EXPORT_FORMATS": "api", "ExportReport": "api", "default_filename": "api", "export_model": "api",
         "DeployableModel": "wrapper", "ExportMetadata": "wrapper", "build_deployable": "wrapper"}


def __getattr__(name: str):  # noqa: ANN202 - PEP 562: the torch-heavy names load on first use
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"core.export.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'core.export' has no attribute {name!r}")
