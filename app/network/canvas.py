"""The painted part of the network diagram: neurons as thumbnails, links as curves, hover and editing.

Painting is plain QPainter over geometry computed once per resize / structure change; a snapshot
only swaps the thumbnail images and the link pens, so a redraw costs no Python work per pixel.
Where things go is `app.network.geometry`, how they look `app.network.painter`, when to re-render
`app.network.render_cache`, what the tooltips say `app.network.tooltips`; this widget owns the state
(structure, the latest weights and images) and the mouse.
Indices in signals are 0-based; text shown to the user counts from 1 ("unit 3").
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QToolTip, QWidget

from app.network import feature_maps, neuron_images, tooltips
from app.network.layer_header import LayerHeader
from app.network.geometry import (HEADER_HEIGHT, HEADER_TOP, MAX_DRAWN, MIN_NODE, Column, Links,
                                  build_links, measure_labels, minimum_size, more_column_at, node_hit,
                                  is_dense, place_columns, pretty_feature, snapshot_fits)
from app.network.painter import (BACKGROUND, DiagramPainter, bias_fills, link_keys, output_subtitle,
                                 paint_labels, paint_nodes)
from app.network.render_cache import RenderCache
from app.network.weight_editor import WeightEditor
from core.nn.activations import ACTIVATIONS
from core.training.snapshot import RunState, Snapshot
from core.spec import LayerSpec

__all__ = ["MAX_DRAWN", "Column", "NetworkCanvas"]


class NetworkCanvas(QWidget):
    """Columns of neurons and the links between them; see NetworkView for the public API."""

    neuronHovered = Signal(str, int, int)
    neuronUnhovered = Signal()
    weightEdited = Signal(int, int, int, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkCanvas")
        self.setMouseTracking(True)
        self.setAutoFillBackground(False)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self._hidden: list[LayerSpec] = []
        self._shapes: list = []
        self._input_names: list[str] = []
        self._output_names: list[str] = []
        self._n_outputs = 1
        self._planar = True
        self._regression = False
        self._columns: list[Column] = []
        self.headers: list[LayerHeader] = []
        self._node = float(MIN_NODE)
        self._label_width = 0.0
        self._right_width = 0.0
        self._links = Links()
        self._keys: np.ndarray | None = None                  # link_keys of the drawn links
        self._painter = DiagramPainter()
        self._weights: list[np.ndarray] | None = None
        self._biases: list[np.ndarray] | None = None
        self._images: dict[int, neuron_images.ImageSet] = {}   # column index -> thumbnails
        self._input_shape: tuple[int, ...] | None = None        # (C, H, W) for image data
        self._pictures: dict[int, feature_maps.Pictures] = {}   # column index -> feature maps, filters
        self.feature_view: dict | None = None                   # the views["feature_maps"] shown
        self._fills: dict[int, list[QColor]] = {}              # column index -> bias colours
        self._hover_node: tuple[int, int] | None = None         # (column, unit)
        self._hover_link: int | None = None
        self._editing: tuple[int, int, int] | None = None
        self._editor = WeightEditor(self)
        self._editor.committed.connect(self._commit_edit)
        self._editor.cancelled.connect(self.cancel_edit)
        # the rendered diagram: hover repaints only blit it, snapshots mark it dirty (this widget is its scene)
        self._render = RenderCache(self)
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))

    # --- structure ------------------------------------------------------------------------------
    def set_structure(self, hidden: list[LayerSpec], input_names: list[str], n_outputs: int,
                      planar: bool, regression: bool, output_names: list[str], shapes: list | None = None,
                      input_shape: tuple[int, ...] | None = None) -> None:
        """Columns for the input, each hidden layer and the output. A dense layer is a column of its
        units; an image layer (app.network.feature_maps.DRAWERS) a column of feature maps, one per
        channel; any other type (flatten ...) one plain box, its header naming type and shape.
        Image data (`input_shape` (C, H, W)) shows the input as one picture per channel."""
        self._shapes = list(shapes) if shapes is not None and len(shapes) == len(hidden) else [None] * len(hidden)
        old_totals = [c.total for c in self._columns]
        columns = []
        for k, spec in enumerate(hidden):
            maps = feature_maps.column_width(getattr(spec, "type", "dense"), self._shapes[k])
            columns.append(Column("hidden", k, _width(spec) if maps is None else maps, pictures=maps is not None))
        # images through image layers: the input is the picture; a dense-only net on images keeps its
        # pixel inputs, weight-coloured links and bias fills
        image_input = input_shape is not None and len(input_shape) == 3 and any(c.pictures for c in columns)
        columns.insert(0, Column("input", 0, int(input_shape[0]), _channel_names(int(input_shape[0])), pictures=True)
                       if image_input else
                       Column("input", 0, len(input_names), [pretty_feature(n) for n in input_names]))
        columns.append(Column("output", len(hidden), n_outputs, list(output_names)))
        same_shape = ([c.total for c in columns] == old_totals and planar == self._planar
                      and regression == self._regression and tuple(input_shape or ()) == (self._input_shape or ()))
        self._input_shape = tuple(input_shape) if image_input else None
        self.cancel_edit()
        if self._hover_node is not None:  # its indices may not exist any more
            self._hover_node = None
            self.neuronUnhovered.emit()
        self._hover_link = None
        self._hidden = list(hidden)
        self._input_names = list(input_names)
        self._n_outputs = n_outputs
        self._planar = planar
        self._regression = regression
        self._output_names = list(output_names)
        self._columns = columns
        if not same_shape:
            self.clear_snapshot()
        elif 0 not in self._images:
            self._preview_inputs()
        self._invalidate()
        self._sync_headers()
        self.updateGeometry()
        self._relayout()
        self.update()

    @property
    def column_renders(self) -> dict[int, int]:
        """Column index -> times its pictures were painted."""
        return self._render.column_renders

    @property
    def min_render_interval(self) -> float:
        """Seconds between renders while training, at least (tests set 0)."""
        return self._render.min_render_interval

    @min_render_interval.setter
    def min_render_interval(self, seconds: float) -> None:
        self._render.min_render_interval = seconds

    def _sync_headers(self) -> None:
        for k, spec in enumerate(self._hidden):
            if k == len(self.headers):
                self.headers.append(LayerHeader(k, self))
            header = self.headers[k]
            header.set_layer(k)
            header.sync(spec, self._shapes[k] if k < len(self._shapes) else None)
            header.show()
        # surplus headers are deleted later: one of them may be emitting the signal that got us here
        for header in self.headers[len(self._hidden):]:
            header.retire()
        del self.headers[len(self._hidden):]

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        width, height = minimum_size(self._columns, QFontMetrics(self.font()))
        return QSize(int(width), int(height))

    def sizeHint(self) -> QSize:  # noqa: N802
        return self.minimumSizeHint()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._relayout()

    def _relayout(self) -> None:
        """Place columns over the width, size the nodes to the height, rebuild link curves."""
        if not self._columns:
            return
        self._label_width, self._right_width = measure_labels(self._columns, QFontMetrics(self.font()))
        self._node, spacing = place_columns(self._columns, float(self.width()), float(self.height()),
                                            self._planar or self._input_shape is not None, self._label_width,
                                            self._right_width)
        header_width = int(min(LayerHeader.WIDTH, spacing - 8))
        for k, header in enumerate(self.headers):
            header.set_width(header_width)
            header.setGeometry(int(self._columns[k + 1].x - header.width() / 2), HEADER_TOP,
                               header.width(), HEADER_HEIGHT)
        self._links = build_links(self._columns)
        self._refresh_keys()
        self._invalidate()
        if self._editing is not None:
            self._editor.place(self.link_anchor(*self._editing))

    # --- snapshots ------------------------------------------------------------------------------
    def _dims(self) -> list[int]:
        return [c.total for c in self._columns]

    def fits(self, snap: Snapshot) -> bool:
        """True if the snapshot's arrays match the drawn architecture (stale ones are ignored)."""
        return snapshot_fits(snap, self._dims(), len(self._hidden))

    def update_snapshot(self, snap: Snapshot) -> bool:
        """Swap in new thumbnails and link colours; grids absent from `snap` keep their last image."""
        if self._input_shape is not None:
            return self._update_feature_maps(snap)
        if not self.fits(snap):
            return False
        changed = False
        if snap.weights:
            self._weights = list(snap.weights)
            if self._refresh_keys():  # a paused, stepped or finished run shows its final weights at once
                self._render.links_changed(at_once=snap.state != RunState.running)
        if snap.biases:
            self._biases = list(snap.biases)
            if not self._planar:
                self._refresh_fills()
                changed = True
        if self._planar:
            changed |= self._refresh_images(snap)
        self._render.snapshot_changed(changed)
        return True

    def _update_feature_maps(self, snap: Snapshot) -> bool:
        """Image data: the focused sample's maps and the filters (links stay grey: a convolution's
        weights are its filters, drawn beside its maps). Snapshots without them change nothing."""
        view = snap.views.get("feature_maps") if snap.views else None
        if not view or "layers" not in view or len(view["layers"]) != len(self._hidden):
            return False
        changed = feature_maps.changed_columns(self.feature_view, view)
        self.feature_view = dict(view)
        if not changed:
            return True
        pictures = feature_maps.column_pictures(view, only=changed)
        for column in changed:
            if column in pictures:
                self._pictures[column] = pictures[column]
            else:
                self._pictures.pop(column, None)
        self._render.columns_changed(changed)
        return True

    def _refresh_images(self, snap: Snapshot) -> bool:
        changed = False
        images = neuron_images.input_images(snap.input_outputs, MAX_DRAWN)
        if images is not None:
            self._images[0] = images
            changed = True
        if snap.neuron_outputs:
            activations = [ACTIVATIONS[getattr(spec, "activation", "linear")].name for spec in self._hidden]
            for k, images in enumerate(neuron_images.hidden_layer_images(snap.neuron_outputs, activations,
                                                                         MAX_DRAWN)):
                if images is not None:
                    self._images[k + 1] = images
                    changed = True
        images = neuron_images.output_images(snap.boundary, self._n_outputs, self._regression,
                                             snap.confidence, MAX_DRAWN)
        if images is not None:
            self._images[len(self._columns) - 1] = images
            changed = True
        return changed

    def _refresh_keys(self) -> bool:
        """Recompute the drawn links' keys; True if any link looks different."""
        links = self._links
        if self._weights is None or not len(links.layer):
            keys = None
        else:
            values = np.empty(len(links.layer), dtype=np.float64)
            for k, weights in enumerate(self._weights):
                sel = links.slices[k]
                values[sel] = np.asarray(weights)[links.out[sel], links.into[sel]]
            keys = link_keys(values)
        same = (keys is None and self._keys is None) or (
            keys is not None and self._keys is not None and np.array_equal(keys, self._keys))
        self._keys = keys
        return not same

    def _refresh_fills(self) -> None:
        self._fills = bias_fills(self._biases)

    def clear_snapshot(self) -> None:
        self._images.clear()
        self._pictures.clear()
        self._render.forget_columns()
        self.feature_view = None
        self._fills.clear()
        self._weights = None
        self._biases = None
        self._keys = None
        self._preview_inputs()
        self._invalidate()

    def _preview_inputs(self) -> None:
        """The input neurons show their feature at once (x1 left to right, ...), as in TF
        Playground, not blank squares until the first snapshot."""
        if not self._planar:
            return
        images = neuron_images.input_images(neuron_images.preview_input_grids(self._input_names[:MAX_DRAWN]),
                                            MAX_DRAWN)
        if images is not None:
            self._images[0] = images

    def _invalidate(self) -> None:
        """Re-render now (structure, size or a user's edit changed): no throttling."""
        self._render.invalidate()
        self.update()

    # --- geometry queries (also used by tests) --------------------------------------------------
    def column_index(self, kind: str, layer: int) -> int:
        if kind == "input":
            return 0
        if kind == "output":
            return len(self._columns) - 1
        if kind == "hidden" and 0 <= layer < len(self._hidden):
            return layer + 1
        raise ValueError(f"no {kind} column {layer}: the network has {len(self._hidden)} hidden layers")

    def node_rect(self, kind: str, layer: int, unit: int) -> QRectF:
        """Where neuron `unit` of that column is drawn; ValueError if it is not drawn (beyond 16)."""
        column = self._columns[self.column_index(kind, layer)]
        if not 0 <= unit < column.drawn:
            raise ValueError(f"{kind} unit {unit} is not drawn (the column draws {column.drawn} of {column.total})")
        return QRectF(column.rects[unit])

    def link_anchor(self, layer: int, out_index: int, in_index: int) -> QPointF:
        """A point on the link, away from its ends, where no other link is closer: hovering or
        clicking there picks this link (links often cross at their middles)."""
        return self._links.anchor(self._links.index(layer, out_index, in_index))

    def node_at(self, pos: QPointF) -> tuple[str, int, int] | None:
        hit = self._node_hit(pos)
        if hit is None:
            return None
        column = self._columns[hit[0]]
        return column.kind, column.layer, hit[1]

    def _node_hit(self, pos: QPointF) -> tuple[int, int] | None:
        return node_hit(self._columns, self._node, pos)

    def link_at(self, pos: QPointF) -> tuple[int, int, int] | None:
        """(layer, out_index, in_index) of the drawn link nearest to `pos`, within a few pixels."""
        index = self._link_hit(pos)
        if index is None:
            return None
        links = self._links
        return int(links.layer[index]), int(links.out[index]), int(links.into[index])

    def _link_hit(self, pos: QPointF) -> int | None:
        if self._input_shape is not None or self._node_hit(pos) is not None:  # image nets: no weight per link
            return None
        return self._links.nearest(pos)

    # --- words (app.network.tooltips) ------------------------------------------------------------
    def weight(self, layer: int, out_index: int, in_index: int) -> float | None:
        if self._weights is None:
            return None
        return float(self._weights[layer][out_index, in_index])

    def tooltip_at(self, pos: QPointF) -> str:
        """What a neuron, a link (with its weight) or a column's '+N more' is; '' elsewhere."""
        node = self.node_at(pos)
        if node is not None:
            kind, layer, unit = node
            return tooltips.node_tooltip(self._columns, self.column_index(kind, layer), self._hidden,
                                         self._input_names, self._input_shape is not None, self._biases,
                                         kind, layer, unit)
        link = self.link_at(pos)
        if link is not None:
            return tooltips.link_tooltip(self._columns, len(self._hidden), *link, self.weight(*link))
        column = more_column_at(self._columns, pos)
        return "" if column is None else tooltips.more_tooltip(column)

    # --- events -------------------------------------------------------------------------------------
    def event(self, event) -> bool:
        if event.type() == event.Type.ToolTip:
            text = self.tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        node = self._node_hit(pos)
        link = None if node is not None else self._link_hit(pos)
        if node != self._hover_node:
            if self._hover_node is not None:
                self.neuronUnhovered.emit()
            self._hover_node = node
            if node is not None:
                column = self._columns[node[0]]
                self.neuronHovered.emit(column.kind, column.layer, node[1])
            self._render.repaint()
        if link != self._hover_link:
            self._hover_link = link
            self._render.repaint()
        self.setCursor(Qt.CursorShape.PointingHandCursor if link is not None else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        if self._hover_node is not None:
            self._hover_node = None
            self.neuronUnhovered.emit()
        self._hover_link = None
        self._render.repaint()
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            link = self.link_at(event.position())
            if link is not None:
                self.begin_edit_link(*link, at=event.position())
                return
        super().mousePressEvent(event)

    # --- weight editing -------------------------------------------------------------------------
    def begin_edit_link(self, layer: int, out_index: int, in_index: int, at: QPointF | None = None) -> None:
        """Open the inline editor on a link (at `at`, else on the link), pre-filled with its weight."""
        self._links.index(layer, out_index, in_index)  # raises if the link is not drawn
        self._editing = (layer, out_index, in_index)
        value = self.weight(layer, out_index, in_index)
        self._editor.open(value, at if at is not None else self.link_anchor(layer, out_index, in_index))

    def _commit_edit(self, value: float) -> None:
        if self._editing is None:
            return
        layer, out_index, in_index = self._editing
        self.cancel_edit()
        self.edit_link(layer, out_index, in_index, value)

    def cancel_edit(self) -> None:
        if self._editing is None:
            return
        self._editing = None
        self._editor.hide()

    def edit_link(self, layer: int, out_index: int, in_index: int, value: float) -> None:
        """Set one weight as the user asked: redraw it now and emit weightEdited for the trainer."""
        dims = self._dims()
        if not (0 <= layer < len(dims) - 1 and 0 <= out_index < dims[layer + 1] and 0 <= in_index < dims[layer]):
            raise ValueError(f"no weight {layer}: {out_index} <- {in_index} in a network of sizes {dims}")
        if self._weights is not None:
            edited = np.array(self._weights[layer], copy=True)
            edited[out_index, in_index] = value
            self._weights[layer] = edited
            self._refresh_keys()
            self._invalidate()
        self.weightEdited.emit(layer, out_index, in_index, float(value))

    # --- painting (the render cache's scene) --------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        if not self._columns:
            painter.fillRect(event.rect(), BACKGROUND)
            return
        self._render.draw(painter, event.rect(), self.devicePixelRatioF(), pictures=self._input_shape is not None)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._painter.paint_hover(painter, self._links, self._keys, self._hover_link, self._columns,
                                  self._hover_node, self._planar, self._node)
        painter.end()
        if self._render.links_dirty:  # links put off: come back when they are due
            self._render.schedule()

    def hideEvent(self, event) -> None:  # noqa: ANN001, N802
        self._render.stop()
        super().hideEvent(event)

    def column_count(self) -> int:
        return len(self._columns)

    def column_bounds(self, column: int) -> QRectF:
        shown = self._pictures.get(column)
        return feature_maps.column_bounds(self._columns[column].rects if column < len(self._columns) else [],
                                          bool(shown and shown.filters))

    def picture_columns(self) -> set[int]:
        return set(self._pictures)

    def paint_links(self, painter: QPainter) -> None:
        self._painter.paint_links(painter, self._links, self._keys)

    def paint_nodes(self, painter: QPainter) -> None:
        painter.setFont(self.font())
        paint_nodes(painter, self._columns, self._node, self._planar, self._images, self._fills)
        image = self._input_shape
        paint_labels(painter, self.font(), self._small, self._columns, self._label_width, self._right_width,
                     output_subtitle(self._n_outputs, self._regression),
                     f"{image[1]}×{image[2]} image" if image else "")

    def paint_pictures(self, painter: QPainter, columns: set[int]) -> Iterable[int]:
        shown = {c: self._pictures[c] for c in columns if c in self._pictures and c < len(self._columns)}
        feature_maps.paint_columns(painter, {c: self._columns[c].rects for c in shown}, shown)
        return shown


def _channel_names(channels: int) -> list[str]:
    return ["image"] if channels == 1 else (["R", "G", "B"] if channels == 3 else
                                            [f"channel {c + 1}" for c in range(channels)])


def _width(spec) -> int:
    """Nodes in a layer's column: its units for dense layers, one plain box for other types."""
    return spec.units if is_dense(spec) else 1
