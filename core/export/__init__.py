"""Export a trained model as TorchScript, ONNX or plain Python code, each checked against the live model.

Every export takes the raw inputs the user sees (x1, x2 or the CSV columns), because the feature
transform sits inside the exported graph. A file appears only after it has been loaded back the way
an outside user would and its outputs matched the live model.
"""

from core.export.errors import ExportError
from core.export.api import EXPORT_FORMATS, ExportReport, default_filename, export_model
from core.export.wrapper import DeployableModel, ExportMetadata, build_deployable

__all__ = ["EXPORT_FORMATS", "DeployableModel", "ExportError", "ExportMetadata", "ExportReport",
           "build_deployable", "default_filename", "export_model"]
