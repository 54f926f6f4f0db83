"""Pictures and numbers out of the window: PNG/SVG of a view, copy to clipboard, loss history as CSV.

Wiring in MainWindow (the lead):

    views = {"Decision Boundary": self.boundary_view, "Loss Plot": self.loss_plot,
             "Network Diagram": self.network_view}
    file_menu.addMenu(build_export_picture_menu(self, views))          # File > Export Picture > …
    file_menu.addAction("Export Loss History as CSV…",
                        lambda: save_history_csv_interactive(self, self.loss_plot))   # or trainer.history
    edit_menu.addAction("Copy View", lambda: copy_to_clipboard(self.focused_view()), QKeySequence.Copy)

Every file is written through core.files.atomic (temp file + rename): an unwritable or full folder
gives a ViewExportError whose message says where and what to do, and leaves no file behind.
PNG is the widget's grab(); SVG paints the widget into QtSvg's QSvgGenerator (PySide6-Essentials
ships QtSvg) as SVG 1.1, for pyqtgraph plots and the painted network diagram alike: curves, axes
and text stay vectors, the boundary image is embedded. pyqtgraph 0.14's own SVGExporter is not
used: it crashes on the closed paths ("... Z") Qt 6.12 writes (pyqtgraph issue #3495).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from core.files.atomic import WriteError, atomic_write_bytes, atomic_write_text

PICTURE_FILTERS = "PNG image (*.png);;SVG drawing (*.svg)"
HISTORY_COLUMNS = ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy")


class ViewExportError(OSError):
    """A picture or CSV could not be saved; the message names the file, the reason and what to do."""


# --- pictures ------------------------------------------------------------------------------------

def _check_size(target: QWidget) -> None:
    if not isinstance(target, QWidget):
        raise ViewExportError(f"cannot make a picture of a {type(target).__name__}; pass the view's widget")
    if target.width() <= 0 or target.height() <= 0:
        raise ViewExportError(f"the view '{target.objectName() or type(target).__name__}' has no size yet; "
                              "show the window first")


def picture_png(target: QWidget) -> bytes:
    """PNG bytes of a widget as it looks on screen (at the screen's pixel ratio)."""
    _check_size(target)
    return _encode(target.grab().toImage(), "PNG")


def _encode(image: QImage, fmt: str) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if image.isNull() or not image.save(buffer, fmt):
        raise ViewExportError(f"could not encode the picture as {fmt}")
    buffer.close()
    return bytes(data)


def picture_svg(target: QWidget, title: str = "LayerLab") -> bytes:
    """SVG 1.1 bytes of a widget painted through QSvgGenerator: lines and text stay vectors.

    The generator's resolution is set to the widget's logical DPI, because pyqtgraph sizes its
    axes by the paint device's DPI (the default 72 misplaces tick labels); SVG 1.1 keeps the
    plot's clipping, so zoomed-in curves do not spill over the axes.
    """
    _check_size(target)
    size = target.size()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)
    generator.setOutputDevice(buffer)
    generator.setResolution(target.logicalDpiX())
    generator.setSize(QSize(size))
    generator.setViewBox(QRect(0, 0, size.width(), size.height()))
    generator.setTitle(title)
    generator.setDescription("Exported from LayerLab")
    painter = QPainter(generator)
    try:
        QWidget.render(target, painter, QPoint(0, 0))  # the QWidget overload, also for QGraphicsView
    finally:
        painter.end()
    buffer.close()
    return bytes(data)


def save_picture(target: Any, path: str | Path) -> Path:
    """Save a view as .png or .svg (by suffix), atomically. Raises ViewExportError with a clear message."""
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ViewExportError(f"cannot save '{path.name}': choose a name ending in .png or .svg")
    data = picture_png(target) if suffix == ".png" else picture_svg(target, title=path.stem)
    try:
        atomic_write_bytes(path, data)
    except WriteError as err:
        raise ViewExportError(f"Could not save the picture: {err}. Choose another folder.") from None
    return path


def copy_to_clipboard(target: QWidget) -> QPixmap:
    """Put a picture of the widget on the clipboard (paste into a document or chat); returns it."""
    pixmap = target.grab()
    QGuiApplication.clipboard().setPixmap(pixmap)
    return pixmap


# --- numbers -------------------------------------------------------------------------------------

def _fmt(value: Any) -> str:
    if value is None:
        return ""
    value = float(value)
    if math.isnan(value):
        return ""
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 and not math.isinf(value) else repr(value)


def history_csv_text(source: Any) -> str:
    """CSV of a loss history: a core LossHistory, EpochRecords, a LossPlot, or a mapping of columns."""
    if hasattr(source, "to_csv_text"):
        return source.to_csv_text()
    if hasattr(source, "series") and hasattr(source, "n_points"):  # app.plots.loss_plot.LossPlot
        source = {"epoch": source.series("epoch"), "train_loss": source.series("train_loss"),
                  "test_loss": source.series("test_loss"), "train_accuracy": source.series("train_acc"),
                  "test_accuracy": source.series("test_acc")}
    if isinstance(source, Mapping):
        names = [n for n in source]
        columns = [list(source[n]) for n in names]
        lengths = {len(c) for c in columns}
        if len(lengths) > 1:
            raise ViewExportError(f"history columns have different lengths {sorted(lengths)}")
        rows = zip(*columns) if columns else []
    else:
        from core.training.history import LossHistory

        history = LossHistory()
        history.extend(source)
        return history.to_csv_text()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_fmt(v) for v in row])
    return out.getvalue()


def export_history_csv(source: Any, path: str | Path) -> Path:
    """Write the loss/accuracy history as CSV atomically; ViewExportError if the folder is unusable."""
    path = Path(path).expanduser()
    text = history_csv_text(source)
    try:
        atomic_write_text(path, text)
    except WriteError as err:
        raise ViewExportError(f"Could not save the history: {err}. Choose another folder.") from None
    return path


# --- dialogs and menu ----------------------------------------------------------------------------

def _ask_path(parent: QWidget | None, title: str, suggested: str, filters: str) -> Path | None:
    chosen, selected = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    if not chosen:
        return None
    path = Path(chosen)
    if not path.suffix:  # the filter the user picked gives the suffix
        path = path.with_suffix(".svg" if "svg" in selected.lower() else ".png" if "png" in selected.lower()
                                else ".csv")
    return path


def save_picture_interactive(parent: QWidget | None, target: Any, name: str = "view",
                             folder: Path | None = None) -> Path | None:
    """Ask for a .png/.svg file, save, and show a message on failure. Returns the path or None."""
    path = _ask_path(parent, "Export Picture", str((folder or Path.home()) / f"{name}.png"), PICTURE_FILTERS)
    if path is None:
        return None
    try:
        return save_picture(target, path)
    except ViewExportError as err:
        QMessageBox.warning(parent, "Picture not saved", str(err))
        return None


def save_history_csv_interactive(parent: QWidget | None, source: Any, name: str = "loss_history",
                                 folder: Path | None = None) -> Path | None:
    """Ask for a .csv file and write the history; a message on failure. Returns the path or None."""
    path = _ask_path(parent, "Export Loss History", str((folder or Path.home()) / f"{name}.csv"),
                     "CSV table (*.csv)")
    if path is None:
        return None
    try:
        return export_history_csv(source, path)
    except ViewExportError as err:
        QMessageBox.warning(parent, "History not saved", str(err))
        return None


def _file_stem(label: str) -> str:
    return "_".join(label.lower().split())


def build_export_picture_menu(parent: QWidget, views: Mapping[str, Any | Callable[[], Any]],
                              title: str = "Export Picture") -> QMenu:
    """A menu with one 'Label…' action per view (a widget, or a callable returning one)."""
    menu = QMenu(title, parent)
    menu.setObjectName("exportPictureMenu")
    for label, view in views.items():
        def save(_checked: bool = False, label: str = label, view: Any = view) -> None:
            target = view() if callable(view) and not isinstance(view, QWidget) else view
            save_picture_interactive(parent, target, _file_stem(label))
        action = menu.addAction(f"{label}…")
        action.setObjectName(f"exportPicture_{_file_stem(label)}")
        action.triggered.connect(save)
    return menu

