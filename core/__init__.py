"""LayerLab's engine: specs, data, models, training and export. Never imports Qt."""

__version__ = "0.1.0"
