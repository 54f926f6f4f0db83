"""The painted part of the network diagram: neurons as thumbnails, links as curves, hover and editing.

Painting is plain QPainter over geometry computed once per resize / structure change; a snapshot
only swaps the thumbnail images and the link pens, so a redraw costs no Python work per pixel.
Indices in signals are 0-based; text shown to the user counts from 1 ("unit 3").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import time

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (QBrush, QColor, QFont, QFontMetrics, QImage, QKeyEvent, QMouseEvent, QPainter,
                           QPainterPath, QPaintEvent, QPen, QTransform)
from PySide6.QtWidgets import QLineEdit, QToolTip, QWidget

from app import colormaps, neuron_images
from app.layer_header import LayerHeader
from core.training.snapshot import RunState, Snapshot
from core.spec import LayerSpec

MAX_DRAWN = 16          # neurons drawn per column; the rest are summed up as "+N more"
HEADER_TOP = 8
HEADER_HEIGHT = 78      # room for a LayerHeader
NODES_TOP = HEADER_TOP + HEADER_HEIGHT + 14
BOTTOM_PAD = 14
MIN_NODE = 18
MAX_NODE_PLANAR = 96
MAX_NODE_PLAIN = 28
MIN_SPACING = LayerHeader.MIN_WIDTH + 8   # below this the headers would overlap: the view scrolls
MAX_SPACING = 300                          # wider gaps only stretch the links: the diagram is centred
CURVE_SAMPLES = 13
LINK_HIT_DISTANCE = 4.0
LINK_COLOUR_LEVELS = 65
LINK_MAX_WEIGHT = 4.0
RENDER_INTERVAL = 0.1   # seconds: while training the diagram re-renders at most this often, and
RENDER_SHARE = 0.25     # big networks less often, so rendering takes at most this share of the time
LINK_INTERVAL = 0.5     # the links (hundreds of antialiased curves, the costly part) at most this often
LINK_SHARE = 0.04       # while training, and big networks less often: a share of the GUI thread the
                        # training thread would otherwise wait for (the interpreter lock)

BACKGROUND = QColor(255, 255, 255)
BORDER = QColor(196, 201, 207)
HOVER = QColor(40, 44, 52)
TEXT = QColor(60, 64, 72)
MUTED = QColor(128, 134, 142)
EMPTY_NODE = QColor(241, 243, 245)
EMPTY_LINK = QColor(214, 218, 223)
_LINK_LUT32 = colormaps.lut_to_argb32(colormaps.diverging_lut())


def pretty_feature(name: str) -> str:
    """x1^2 -> x1², x1*x2 -> x1·x2; other names (CSV columns) unchanged."""
    return name.replace("^2", "²").replace("*", "·")


def link_keys(weights: np.ndarray) -> np.ndarray:
    """Quantised look of each link: colour level (by sign and size, saturating at |w| = 1) and
    width level (|w| in quarter steps, clamped at 4). Equal keys draw identically, so a snapshot
    whose keys did not change needs no re-render."""
    w = np.nan_to_num(np.asarray(weights, dtype=np.float64))
    colour = np.rint((np.clip(w, -1.0, 1.0) + 1.0) * 0.5 * (LINK_COLOUR_LEVELS - 1)).astype(np.int64)
    width = np.rint(np.minimum(np.abs(w), LINK_MAX_WEIGHT) * 4.0).astype(np.int64)
    return colour * 64 + width


def link_pen(key: int) -> QPen:
    """The pen of a link key: diverging colour (orange < 0 < blue, faint near 0), width by |w|."""
    colour, width = divmod(int(key), 64)
    argb = int(_LINK_LUT32[round(colour * (len(_LINK_LUT32) - 1) / (LINK_COLOUR_LEVELS - 1))])
    pen = QPen(QColor.fromRgba(argb), 0.7 + 1.5 * width / 4.0)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


@dataclass
class Column:
    """One column of the diagram: its neurons' rectangles in canvas coordinates."""

    kind: str                 # "input", "hidden" or "output"
    layer: int                # input: 0; hidden: index into Snapshot.neuron_outputs; output: n_hidden
    total: int                # neurons in the model
    labels: list[str] = field(default_factory=list)
    x: float = 0.0
    rects: list[QRectF] = field(default_factory=list)

    @property
    def drawn(self) -> int:
        return min(self.total, MAX_DRAWN)

    @property
    def hidden_count(self) -> int:
        return self.total - self.drawn


class _WeightEditor(QLineEdit):
    """Inline weight editor: Enter commits, Escape or clicking elsewhere cancels."""

    cancelled = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt name)
        if event.key() == Qt.Key.Key_Escape:
            self.cancelled.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.cancelled.emit()


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
        # links, flattened over layers: layer k joins column k to column k + 1
        self._link_layer = np.zeros(0, dtype=np.intp)
        self._link_slices: list[slice] = []
        self._link_out = np.zeros(0, dtype=np.intp)
        self._link_in = np.zeros(0, dtype=np.intp)
        self._link_paths: list[QPainterPath] = []
        self._link_samples = np.zeros((0, CURVE_SAMPLES, 2))
        self._keys: np.ndarray | None = None                  # link_keys of the drawn links
        self._pen_cache: dict[int, QPen] = {}
        self._weights: list[np.ndarray] | None = None
        self._biases: list[np.ndarray] | None = None
        self._images: dict[int, neuron_images.ImageSet] = {}   # column index -> thumbnails
        self._fills: dict[int, list[QColor]] = {}              # column index -> bias colours
        self._hover_node: tuple[int, int] | None = None         # (column, unit)
        self._hover_link: int | None = None
        self._editing: tuple[int, int, int] | None = None
        self._editor = _WeightEditor(self)
        self._editor.setObjectName("weightEditor")
        self._editor.setAccessibleName("New weight")
        self._editor.setToolTip("Type a new value for this weight and press Enter (Escape cancels).")
        self._editor.setFixedWidth(78)
        self._editor.hide()
        self._editor.returnPressed.connect(self._commit_edit)
        self._editor.cancelled.connect(self.cancel_edit)
        # the rendered diagram; repaints for hover only blit it, snapshots mark it dirty. The links
        # have an image of their own, re-rendered less often while training (see LINK_INTERVAL).
        self._cache: QImage | None = None
        self._links_image: QImage | None = None
        self._dirty = True
        self._links_dirty = True
        self._links_now = True       # render the links at the next render, whatever the interval
        self._last_render = -1.0
        self._render_cost = 0.0
        self._last_links_render = -1.0
        self._links_cost = 0.0
        self.min_render_interval = RENDER_INTERVAL
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.timeout.connect(self._render_due)
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.85))

    # --- structure ------------------------------------------------------------------------------
    def set_structure(self, hidden: list[LayerSpec], input_names: list[str], n_outputs: int,
                      planar: bool, regression: bool, output_names: list[str]) -> None:
        same_shape = ([s.units for s in hidden] == [s.units for s in self._hidden]
                      and len(input_names) == len(self._input_names) and n_outputs == self._n_outputs
                      and planar == self._planar and regression == self._regression)
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
        n_hidden = len(hidden)
        self._columns = [Column("input", 0, len(input_names), [pretty_feature(n) for n in input_names])]
        self._columns += [Column("hidden", k, spec.units) for k, spec in enumerate(hidden)]
        self._columns.append(Column("output", n_hidden, n_outputs, list(output_names)))
        if not same_shape:
            self.clear_snapshot()
        elif 0 not in self._images:
            self._preview_inputs()
        self._invalidate()
        self._sync_headers()
        self.updateGeometry()
        self._relayout()
        self.update()

    def _sync_headers(self) -> None:
        for k, spec in enumerate(self._hidden):
            if k == len(self.headers):
                self.headers.append(LayerHeader(k, self))
            header = self.headers[k]
            header.set_layer(k)
            header.sync(spec)
            header.show()
        # surplus headers are deleted later: one of them may be emitting the signal that got us here
        for header in self.headers[len(self._hidden):]:
            header.retire()
        del self.headers[len(self._hidden):]

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        metrics = QFontMetrics(self.font())
        rows = max((c.drawn + (1 if c.hidden_count else 0) for c in self._columns), default=1)
        label = self._measure_labels(metrics)
        width = label[0] + label[1] + MIN_NODE + 24 + MIN_SPACING * max(len(self._columns) - 1, 1)
        height = NODES_TOP + rows * MIN_NODE * 1.3 + BOTTOM_PAD
        return QSize(int(width), int(height))

    def sizeHint(self) -> QSize:  # noqa: N802
        return self.minimumSizeHint()

    def _measure_labels(self, metrics: QFontMetrics) -> tuple[float, float]:
        if not self._columns:
            return 0.0, 0.0
        left = max((metrics.horizontalAdvance(t) for t in self._columns[0].labels[:MAX_DRAWN]), default=0)
        right = max((metrics.horizontalAdvance(t) for t in self._columns[-1].labels[:MAX_DRAWN]), default=0)
        return float(min(max(left, 40), 110)) + 10, float(min(right, 110)) + (10 if right else 0)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._relayout()

    def _relayout(self) -> None:
        """Place columns over the width, size the nodes to the height, rebuild link curves."""
        if not self._columns:
            return
        self._label_width, self._right_width = self._measure_labels(QFontMetrics(self.font()))
        width, height = float(self.width()), float(self.height())
        rows = max(c.drawn + (1 if c.hidden_count else 0) for c in self._columns)
        left = 12 + self._label_width
        right = max(12 + self._right_width, 44)  # room for the "Output" title
        n_gaps = len(self._columns) - 1
        node_max = MAX_NODE_PLANAR if self._planar else MAX_NODE_PLAIN
        room = width - left - right
        node = (height - NODES_TOP - BOTTOM_PAD) / (rows * 1.3)
        spacing = (room - node_max) / n_gaps
        node = float(np.clip(min(node, spacing * 0.45), MIN_NODE, node_max))
        spacing = float(np.clip((room - node) / n_gaps, 40.0, MAX_SPACING))
        gap = node * 0.3
        self._node = node
        # A small network sits in the middle of the pane, not in its top-left corner.
        left += max(0.0, (room - node - n_gaps * spacing) / 2)
        block_max = rows * node + (rows - 1) * gap
        nodes_top = NODES_TOP + max(0.0, (height - NODES_TOP - BOTTOM_PAD - block_max) / 2)
        for i, column in enumerate(self._columns):
            column.x = left + node / 2 + i * spacing
            block = column.drawn * node + (column.drawn - 1) * gap
            top = nodes_top + (block_max - block) / 2 if not column.hidden_count else nodes_top
            column.rects = [QRectF(column.x - node / 2, top + j * (node + gap), node, node)
                            for j in range(column.drawn)]
        header_width = int(min(LayerHeader.WIDTH, spacing - 8))
        for k, header in enumerate(self.headers):
            header.set_width(header_width)
            header.setGeometry(int(self._columns[k + 1].x - header.width() / 2), HEADER_TOP,
                               header.width(), HEADER_HEIGHT)
        self._build_links()
        self._refresh_keys()
        self._invalidate()
        if self._editing is not None:
            self._place_editor(self.link_anchor(*self._editing))

    def _build_links(self) -> None:
        layers, outs, ins, p0s, p3s = [], [], [], [], []
        for k in range(len(self._columns) - 1):
            src, dst = self._columns[k], self._columns[k + 1]
            o, i = np.meshgrid(np.arange(dst.drawn), np.arange(src.drawn), indexing="ij")
            o, i = o.ravel(), i.ravel()
            starts = np.array([(r.right(), r.center().y()) for r in src.rects]).reshape(-1, 2)
            ends = np.array([(r.left(), r.center().y()) for r in dst.rects]).reshape(-1, 2)
            layers.append(np.full(o.size, k))
            outs.append(o)
            ins.append(i)
            p0s.append(starts[i])
            p3s.append(ends[o])
        self._link_layer = np.concatenate(layers).astype(np.intp)
        bounds = np.cumsum([0] + [len(x) for x in layers])
        self._link_slices = [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
        self._link_out = np.concatenate(outs).astype(np.intp)
        self._link_in = np.concatenate(ins).astype(np.intp)
        p0 = np.concatenate(p0s).reshape(-1, 2)
        p3 = np.concatenate(p3s).reshape(-1, 2)
        half = (p3[:, 0] - p0[:, 0]) * 0.5
        p1 = np.stack([p0[:, 0] + half, p0[:, 1]], axis=1)
        p2 = np.stack([p3[:, 0] - half, p3[:, 1]], axis=1)
        t = np.linspace(0.0, 1.0, CURVE_SAMPLES)[None, :, None]
        self._link_samples = ((1 - t) ** 3 * p0[:, None] + 3 * (1 - t) ** 2 * t * p1[:, None]
                              + 3 * (1 - t) * t ** 2 * p2[:, None] + t ** 3 * p3[:, None])
        self._link_paths = []
        for a, b, c, d in zip(p0.tolist(), p1.tolist(), p2.tolist(), p3.tolist()):
            path = QPainterPath(QPointF(*a))
            path.cubicTo(QPointF(*b), QPointF(*c), QPointF(*d))
            self._link_paths.append(path)

    # --- snapshots ------------------------------------------------------------------------------
    def _dims(self) -> list[int]:
        return [c.total for c in self._columns]

    def fits(self, snap: Snapshot) -> bool:
        """True if the snapshot's arrays match the drawn architecture (stale ones are ignored)."""
        dims = self._dims()
        if not dims:
            return False
        if snap.weights:
            if len(snap.weights) != len(dims) - 1:
                return False
            if any(np.shape(w) != (dims[k + 1], dims[k]) for k, w in enumerate(snap.weights)):
                return False
        if snap.biases:
            if len(snap.biases) != len(dims) - 1:
                return False
            if any(np.shape(b) != (dims[k + 1],) for k, b in enumerate(snap.biases)):
                return False
        if snap.neuron_outputs:
            if len(snap.neuron_outputs) != len(self._hidden):
                return False
            if any(np.ndim(g) != 3 or np.shape(g)[0] != dims[k + 1] for k, g in enumerate(snap.neuron_outputs)):
                return False
        if snap.input_outputs is not None and np.size(snap.input_outputs):
            if np.ndim(snap.input_outputs) != 3 or np.shape(snap.input_outputs)[0] != dims[0]:
                return False
        return True

    def update_snapshot(self, snap: Snapshot) -> bool:
        """Swap in new thumbnails and link colours; grids absent from `snap` keep their last image."""
        if not self.fits(snap):
            return False
        changed = False
        if snap.weights:
            self._weights = list(snap.weights)
            if self._refresh_keys():
                self._links_dirty = True
                # a paused, stepped or finished run shows its final weights at once
                self._links_now |= snap.state != RunState.running
        if snap.biases:
            self._biases = list(snap.biases)
            if not self._planar:
                self._refresh_fills()
                changed = True
        if self._planar:
            changed |= self._refresh_images(snap)
        if changed:
            self._dirty = True
        if self._dirty or self._links_dirty:
            self._schedule_render()
        return True

    def _links_interval(self) -> float:
        return max(LINK_INTERVAL, self._links_cost / LINK_SHARE)

    def _links_due(self) -> bool:
        """Links changed and may be re-rendered now (not too soon after the last time)."""
        return self._links_dirty and (self._links_now or self._links_image is None or
                                      time.perf_counter() - self._last_links_render >= self._links_interval())

    def _schedule_render(self) -> None:
        """Repaint now, or once the render interval has passed since the last render (snapshots can
        come faster than it is worth redrawing hundreds of links). Changed links alone wait for
        their own, longer interval."""
        if self._render_timer.isActive() or not (self._dirty or self._links_dirty):
            return
        due = self._last_render + max(self.min_render_interval, self._render_cost / RENDER_SHARE)
        if not self._dirty and not self._links_now:
            # only the links changed: the next snapshot's thumbnails usually bring them along;
            # come back by ourselves only if none does
            due = max(due, self._last_links_render + 1.5 * self._links_interval())
        wait = due - time.perf_counter()
        if wait <= 0:
            self._repaint_diagram()
        else:
            self._render_timer.start(max(1, int(wait * 1000) + 1))

    def _refresh_images(self, snap: Snapshot) -> bool:
        changed = False
        images = neuron_images.input_images(snap.input_outputs, MAX_DRAWN)
        if images is not None:
            self._images[0] = images
            changed = True
        if snap.neuron_outputs:
            activations = [spec.activation.value for spec in self._hidden]
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
        if self._weights is None or not len(self._link_layer):
            keys = None
        else:
            values = np.empty(len(self._link_layer), dtype=np.float64)
            for k, weights in enumerate(self._weights):
                sel = self._link_slices[k]
                values[sel] = np.asarray(weights)[self._link_out[sel], self._link_in[sel]]
            keys = link_keys(values)
        same = (keys is None and self._keys is None) or (
            keys is not None and self._keys is not None and np.array_equal(keys, self._keys))
        self._keys = keys
        return not same

    def _refresh_fills(self) -> None:
        """Bias colours: what a neuron shows when there is no grid (tabular data)."""
        self._fills = {}
        for k, bias in enumerate(self._biases or ()):
            shown = np.asarray(bias)[:MAX_DRAWN]
            argb = colormaps.values_to_argb32(shown, _LINK_LUT32, -1.0, 1.0).tolist()
            self._fills[k + 1] = [QColor.fromRgba(a) for a in argb]

    def clear_snapshot(self) -> None:
        self._images.clear()
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
        self._dirty = True
        self._links_dirty = True
        self._links_now = True
        self._last_render = -1.0
        self.update()

    def _render_due(self) -> None:
        if self._dirty or self._links_dirty:
            self._repaint_diagram()

    def _repaint_diagram(self) -> None:
        # the headers above NODES_TOP never change with a snapshot: leave them out of the repaint
        self.update(QRect(0, NODES_TOP - 8, self.width(), self.height()))

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
        index = self._link_index(layer, out_index, in_index)
        points = self._link_samples[index, 2:-2]                       # (m, 2) candidates
        others = np.delete(self._link_samples, index, axis=0).reshape(-1, 2)
        if not len(others):
            x, y = self._link_samples[index, CURVE_SAMPLES // 2]
            return QPointF(float(x), float(y))
        clearance = np.sqrt(((points[:, None, :] - others[None]) ** 2).sum(-1)).min(axis=1)
        x, y = points[int(clearance.argmax())]
        return QPointF(float(x), float(y))

    def _link_index(self, layer: int, out_index: int, in_index: int) -> int:
        hits = np.flatnonzero((self._link_layer == layer) & (self._link_out == out_index)
                              & (self._link_in == in_index))
        if not hits.size:
            raise ValueError(f"link {layer}: {out_index} <- {in_index} is not drawn")
        return int(hits[0])

    def node_at(self, pos: QPointF) -> tuple[str, int, int] | None:
        hit = self._node_hit(pos)
        if hit is None:
            return None
        column = self._columns[hit[0]]
        return column.kind, column.layer, hit[1]

    def _node_hit(self, pos: QPointF) -> tuple[int, int] | None:
        for c, column in enumerate(self._columns):
            if column.rects and abs(pos.x() - column.x) <= self._node / 2 + 2:
                for u, rect in enumerate(column.rects):
                    if rect.adjusted(-2, -2, 2, 2).contains(pos):
                        return c, u
        return None

    def link_at(self, pos: QPointF) -> tuple[int, int, int] | None:
        """(layer, out_index, in_index) of the drawn link nearest to `pos`, within a few pixels."""
        index = self._link_hit(pos)
        if index is None:
            return None
        return int(self._link_layer[index]), int(self._link_out[index]), int(self._link_in[index])

    def _link_hit(self, pos: QPointF) -> int | None:
        if not len(self._link_samples) or self._node_hit(pos) is not None:
            return None
        p = np.array([pos.x(), pos.y()])
        a = self._link_samples[:, :-1]
        d = self._link_samples[:, 1:] - a
        t = np.clip(((p - a) * d).sum(-1) / np.maximum((d * d).sum(-1), 1e-9), 0, 1)
        dist = np.linalg.norm(a + d * t[..., None] - p, axis=-1).min(axis=1)
        best = int(dist.argmin())
        return best if dist[best] <= LINK_HIT_DISTANCE else None

    # --- words --------------------------------------------------------------------------------------
    def _linear_name(self, layer: int) -> str:
        return "output" if layer == len(self._hidden) else f"dense{layer + 1}"

    def _unit_name(self, column: int, unit: int) -> str:
        col = self._columns[column]
        if col.kind == "input":
            return col.labels[unit]
        if col.kind == "output":
            if col.labels and unit < len(col.labels):
                return f"output {col.labels[unit]}"
            return "output" if col.total == 1 else f"output {unit + 1}"
        return f"unit {unit + 1}"

    def weight(self, layer: int, out_index: int, in_index: int) -> float | None:
        if self._weights is None:
            return None
        return float(self._weights[layer][out_index, in_index])

    def link_tooltip(self, layer: int, out_index: int, in_index: int) -> str:
        """E.g. 'dense2: unit 3 ← unit 1, weight -0.42'."""
        target = self._unit_name(layer + 1, out_index)
        source = self._unit_name(layer, in_index)
        value = self.weight(layer, out_index, in_index)
        shown = "not known yet" if value is None else f"{value:.3g}"
        return f"{self._linear_name(layer)}: {target} ← {source}, weight {shown}\nClick to type a new weight."

    def node_tooltip(self, kind: str, layer: int, unit: int) -> str:
        column = self.column_index(kind, layer)
        if kind == "input":
            return f"{self._input_names[unit]}: an input feature (its value over the plane)"
        bias = "" if self._biases is None else f", bias {float(self._biases[column - 1][unit]):.3g}"
        name = self._unit_name(column, unit)
        if kind == "hidden":
            return f"{self._linear_name(layer)}: {name} ({self._hidden[layer].activation.value}){bias}"
        return f"{name}{bias}"

    def tooltip_at(self, pos: QPointF) -> str:
        node = self.node_at(pos)
        if node is not None:
            return self.node_tooltip(*node)
        link = self.link_at(pos)
        if link is not None:
            return self.link_tooltip(*link)
        column = self._more_column_at(pos)
        if column is not None:
            return (f"{column.hidden_count} more neurons are not drawn, to keep the diagram readable; "
                    "they train like the others.")
        return ""

    def _more_column_at(self, pos: QPointF) -> Column | None:
        for column in self._columns:
            if column.hidden_count and column.rects:
                last = column.rects[-1]
                box = QRectF(column.x - 40, last.bottom(), 80, 24)
                if box.contains(pos):
                    return column
        return None

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
            self._repaint_diagram()
        if link != self._hover_link:
            self._hover_link = link
            self._repaint_diagram()
        self.setCursor(Qt.CursorShape.PointingHandCursor if link is not None else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        if self._hover_node is not None:
            self._hover_node = None
            self.neuronUnhovered.emit()
        self._hover_link = None
        self._repaint_diagram()
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
        self._link_index(layer, out_index, in_index)  # raises if the link is not drawn
        self._editing = (layer, out_index, in_index)
        value = self.weight(layer, out_index, in_index)
        self._editor.setText("" if value is None else f"{value:.4g}")
        self._editor.setPlaceholderText("weight")
        self._editor.setStyleSheet("")
        self._place_editor(at if at is not None else self.link_anchor(layer, out_index, in_index))
        self._editor.show()
        self._editor.raise_()
        self._editor.setFocus(Qt.FocusReason.MouseFocusReason)
        self._editor.selectAll()

    def _place_editor(self, at: QPointF) -> None:
        height = self._editor.sizeHint().height()
        x = min(max(at.x() - self._editor.width() / 2, 0), self.width() - self._editor.width())
        self._editor.move(int(x), int(at.y() - height / 2))

    def _commit_edit(self) -> None:
        if self._editing is None:
            return
        text = self._editor.text().strip().replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not np.isfinite(value):
            self._editor.setStyleSheet("border: 1px solid #d62728;")
            self._editor.setToolTip(f"'{text}' is not a number; type e.g. -0.5 and press Enter.")
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

    # --- painting -------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        if not self._columns:
            painter.fillRect(event.rect(), BACKGROUND)
            return
        ratio = self.devicePixelRatioF()
        size = self.size() * ratio
        if self._dirty or self._links_due() or self._cache is None or self._cache.size() != size:
            self._render_cache(size, ratio)
        dirty = event.rect()
        painter.drawImage(dirty, self._cache, QRect(dirty.topLeft() * ratio, dirty.size() * ratio))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._paint_hover(painter)
        painter.end()
        if self._links_dirty:  # links put off: come back when they are due
            self._schedule_render()

    def hideEvent(self, event) -> None:  # noqa: ANN001, N802
        self._render_timer.stop()  # nothing to render for while hidden (or closed); a show repaints
        super().hideEvent(event)

    def _render_cache(self, size: QSize, ratio: float) -> None:
        """Draw links, neurons and labels once into an opaque image (opaque images draw fastest).
        The links come from their own image, re-rendered only when they are due."""
        started = time.perf_counter()
        if self._links_image is None or self._links_image.size() != size or self._links_due():
            self._render_links(size, ratio)
        if self._cache is None or self._cache.size() != size:
            self._cache = QImage(size, QImage.Format.Format_RGB32)
            self._cache.setDevicePixelRatio(ratio)
        painter = QPainter(self._cache)
        painter.drawImage(0, 0, self._links_image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.setFont(self.font())
        self._paint_nodes(painter)
        self._paint_labels(painter)
        painter.end()
        self._dirty = False
        self._last_render = time.perf_counter()
        self._render_cost = self._last_render - started

    def _render_links(self, size: QSize, ratio: float) -> None:
        started = time.perf_counter()
        if self._links_image is None or self._links_image.size() != size:
            self._links_image = QImage(size, QImage.Format.Format_RGB32)
            self._links_image.setDevicePixelRatio(ratio)
        self._links_image.fill(BACKGROUND)
        painter = QPainter(self._links_image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._paint_links(painter)
        painter.end()
        self._links_dirty = self._links_now = False
        self._last_links_render = time.perf_counter()
        self._links_cost = self._last_links_render - started

    def _pen(self, key: int) -> QPen:
        pen = self._pen_cache.get(key)
        if pen is None:
            pen = self._pen_cache[key] = link_pen(key)
        return pen

    def _paint_links(self, painter: QPainter) -> None:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self._keys is None:
            painter.setPen(QPen(EMPTY_LINK, 1.0))
            for path in self._link_paths:
                painter.drawPath(path)
            return
        pen_of = self._pen
        set_pen, draw = painter.setPen, painter.drawPath
        for key, path in zip(self._keys.tolist(), self._link_paths):
            set_pen(pen_of(key))
            draw(path)

    def _paint_hover(self, painter: QPainter) -> None:
        link = self._hover_link
        if link is not None and link < len(self._link_paths):
            width = self._pen(int(self._keys[link])).widthF() if self._keys is not None else 1.0
            pen = QPen(HOVER, width + 1.5)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self._link_paths[link])
        if self._hover_node is not None:
            c, u = self._hover_node
            rect = self._columns[c].rects[u].adjusted(-2, -2, 2, 2)
            painter.setPen(QPen(HOVER, 2.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            if self._planar:
                radius = max(3.0, self._node * 0.14) + 1
                painter.drawRoundedRect(rect, radius, radius)
            else:
                painter.drawEllipse(rect)

    def _paint_nodes(self, painter: QPainter) -> None:
        node = self._node
        radius = max(3.0, node * 0.14)
        border = QPen(BORDER, 1.0)
        for c, column in enumerate(self._columns):
            images = self._images.get(c) if self._planar else None
            fills = self._fills.get(c)
            for u, rect in enumerate(column.rects):
                painter.setPen(border)
                if images is not None and u < len(images.images):
                    image = images.images[u]
                    brush = QBrush(image)
                    transform = QTransform()
                    transform.translate(rect.left(), rect.top())
                    transform.scale(rect.width() / image.width(), rect.height() / image.height())
                    brush.setTransform(transform)
                    painter.setBrush(brush)
                elif fills is not None and u < len(fills):
                    painter.setBrush(fills[u])
                else:
                    painter.setBrush(EMPTY_NODE)
                if self._planar:
                    painter.drawRoundedRect(rect, radius, radius)
                else:
                    painter.drawEllipse(rect)

    def _paint_labels(self, painter: QPainter) -> None:
        metrics = QFontMetrics(self.font())
        painter.setPen(TEXT)
        first, last = self._columns[0], self._columns[-1]
        for rect, label in zip(first.rects, first.labels):
            text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(self._label_width - 8))
            box = QRectF(rect.left() - self._label_width - 4, rect.top(), self._label_width, rect.height())
            painter.drawText(box, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), text)
        for rect, label in zip(last.rects, last.labels):
            text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(self._right_width))
            box = QRectF(rect.right() + 8, rect.top(), self._right_width + 4, rect.height())
            painter.drawText(box, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), text)
        title_font = QFont(self.font())
        title_font.setBold(True)
        for column, title, sub in ((first, "Inputs", self._count_text(first.total, "feature")),
                                   (last, "Output", self._output_subtitle())):
            box = QRectF(column.x - 60, HEADER_TOP + 4, 120, 20)
            painter.setFont(title_font)
            painter.setPen(TEXT)
            painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), title)
            painter.setFont(self._small)
            painter.setPen(MUTED)
            painter.drawText(box.translated(0, 20), int(Qt.AlignmentFlag.AlignCenter), sub)
        painter.setFont(self._small)
        painter.setPen(MUTED)
        for column in self._columns:
            if column.hidden_count and column.rects:
                box = QRectF(column.x - 40, column.rects[-1].bottom() + 4, 80, 18)
                painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), f"+{column.hidden_count} more")

    @staticmethod
    def _count_text(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    def _output_subtitle(self) -> str:
        if self._n_outputs > 1:
            return f"{self._n_outputs} classes"
        return "value" if self._regression else "P(class 1)"
