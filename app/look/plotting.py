"""pyqtgraph, configured once for every LayerLab view: import `pg` from here, not from pyqtgraph.

Kept out of app/__init__ so `layerlab train` (which enters through app.launcher) never loads Qt.
"""

import os

# pyqtgraph picks its Qt binding on import; LayerLab ships PySide6 only.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg  # noqa: E402

# numpy arrays are (row = x2, column = x1), as Snapshot grids are.
pg.setConfigOptions(imageAxisOrder="row-major", antialias=True, background="w", foreground="#4a4a4a")

__all__ = ["pg"]
