"""LayerLab's window: PySide6 + pyqtgraph views over the core engine. Holds no training maths.

Importing this package loads nothing heavy: the `layerlab` console script (app.launcher) lives here
and must stay light for `layerlab train`. Views get pyqtgraph from app.look.plotting.
"""
