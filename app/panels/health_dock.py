"""Where the training-health panel lives: a dock under the window, hidden until View ▸ Training health
(or a Help ▸ Demo) opens it, so the default window keeps its room at 1366x768. It follows the
controller's snapshots and restarts, and says each new health warning once in the message bar."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget

from app.look.widgets import make_action
from app.panels.health_panel import HealthPanel
from core.training.health_demos import DEMOS, demo_experiment


MIN_BOTTOM_HEIGHT = 280  # below the views: the plots and histograms need about this much
MIN_SIDE_WIDTH = 340
MAX_SIDE_WIDTH = 400  # the views beside it keep the rest


class HealthDock(QDockWidget):
    """The dock around a HealthPanel (`panel`), its View action and the Help ▸ Demo actions."""

    def __init__(self, window: Any) -> None:
        super().__init__("Training health", window)
        self.setObjectName("healthDock")
        self.panel = HealthPanel()
        self.setWidget(self.panel)
        self.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        controller = window.controller
        controller.snapshotArrived.connect(self.panel.take)
        controller.restarted.connect(self.panel.clear)
        self.panel.warned.connect(self._warn)
        self.view_action: QAction = self.toggleViewAction()  # its shown state follows the dock; opening places it
        self.view_action.triggered.disconnect()
        self.view_action.triggered.connect(lambda on: self.open() if on else self.hide())
        self.view_action.setText("Training &health")
        self.view_action.setObjectName("healthPanelAction")
        self.view_action.setShortcut("Ctrl+H")
        self.view_action.setToolTip("Per-layer weight and gradient norms, update ratios, dead or saturated "
                                    "units and activation histograms, live while training.")
        self.demo_actions = [
            make_action(window, text, lambda _=False, n=name: self.open_demo(n), name=_camel(name) + "DemoAction",
                        tip="Load this example and open the training-health panel.")
            for name, (text, _) in DEMOS.items()]

    def _warn(self, text: str) -> None:
        self.parentWidget().show_message(f"Training health: {text}", "warning")

    def open(self) -> None:
        """Show the panel: below the window's views, a third of its height, where that leaves them their
        room (1080 rows); else at the side in the spare width (1366x768). A floating panel stays put."""
        window = self.parentWidget()  # the main window (not kept in an attribute: no reference cycle)
        if not self.isFloating():
            central = window.views_min_size()
            if window.height() - central.height() >= MIN_BOTTOM_HEIGHT:
                window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self)
                size, orientation = max(MIN_BOTTOM_HEIGHT, window.height() // 3), Qt.Orientation.Vertical
            else:
                window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self)
                size = max(MIN_SIDE_WIDTH, min(MAX_SIDE_WIDTH, window.width() - central.width() - 20))
                orientation = Qt.Orientation.Horizontal
        self.show()
        self.raise_()
        if not self.isFloating():
            window.resizeDocks([self], [size], orientation)
            # once the dock is laid out in its new area (the first call can come too early for it)
            QTimer.singleShot(0, self, lambda: window.resizeDocks([self], [size], orientation))

    def open_demo(self, name: str) -> bool:
        """Load the demo's experiment (after the usual unsaved-changes question) and show the panel."""
        window = self.parentWidget()  # the main window (not kept in an attribute: no reference cycle)
        if not window.files.confirm_unsaved():
            return False
        if not window.controller.load_spec(demo_experiment(name), None):
            return False
        self.open()
        window.statusBar().showMessage("Press Play (Space): the health panel shows the gradients layer by layer.",
                                       8000)
        return True


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
