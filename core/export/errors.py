"""The one error every export failure becomes, so callers (GUI dialog, CLI) catch a single type."""


class ExportError(RuntimeError):
    """An export that could not be written or did not reproduce the model; no file was left behind."""
