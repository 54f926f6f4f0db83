"""Where the network diagram puts things: columns of neurons, link curves, and what lies under a point.

Pure geometry over QRectF/QPointF and numpy, computed once per resize or structure change; the
canvas paints from it and asks it what the mouse is over. No painting, no widget state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFontMetrics, QPainterPath

from app.network.layer_header import LayerHeader

if TYPE_CHECKING:
    from core.training.snapshot import Snapshot

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


def is_dense(spec) -> bool:  # noqa: ANN001 - any layer spec
    """Whether a layer draws as a column of neurons (other layer types draw as one box)."""
    return getattr(spec, "type", "dense") == "dense"


def pretty_feature(name: str) -> str:
    """x1^2 -> x1², x1*x2 -> x1·x2; other names (CSV columns) unchanged."""
    return name.replace("^2", "²").replace("*", "·")


@dataclass
class Column:
    """One column of the diagram: its neurons' rectangles in canvas coordinates."""

    kind: str                 # "input", "hidden" or "output"
    layer: int                # input: 0; hidden: index into Snapshot.neuron_outputs; output: n_hidden
    total: int                # neurons in the model
    labels: list[str] = field(default_factory=list)
    x: float = 0.0
    rects: list[QRectF] = field(default_factory=list)
    pictures: bool = False    # an image or its feature maps (square nodes), not neurons

    @property
    def drawn(self) -> int:
        return min(self.total, MAX_DRAWN)

    @property
    def hidden_count(self) -> int:
        return self.total - self.drawn


@dataclass
class Links:
    """The drawn links, flattened over layers: link i of layer k joins column k to column k + 1."""

    layer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    slices: list[slice] = field(default_factory=list)   # layer k's links
    out: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    into: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    samples: np.ndarray = field(default_factory=lambda: np.zeros((0, CURVE_SAMPLES, 2)))
    paths: list[QPainterPath] = field(default_factory=list)

    def index(self, layer: int, out_index: int, in_index: int) -> int:
        """Position of that link in the flat arrays; ValueError if it is not drawn."""
        hits = np.flatnonzero((self.layer == layer) & (self.out == out_index) & (self.into == in_index))
        if not hits.size:
            raise ValueError(f"link {layer}: {out_index} <- {in_index} is not drawn")
        return int(hits[0])

    def anchor(self, index: int) -> QPointF:
        """A point on link `index`, away from its ends, where no other link is closer: hovering or
        clicking there picks this link (links often cross at their middles)."""
        points = self.samples[index, 2:-2]                       # (m, 2) candidates
        others = np.delete(self.samples, index, axis=0).reshape(-1, 2)
        if not len(others):
            x, y = self.samples[index, CURVE_SAMPLES // 2]
            return QPointF(float(x), float(y))
        clearance = np.sqrt(((points[:, None, :] - others[None]) ** 2).sum(-1)).min(axis=1)
        x, y = points[int(clearance.argmax())]
        return QPointF(float(x), float(y))

    def nearest(self, pos: QPointF) -> int | None:
        """The link within LINK_HIT_DISTANCE pixels of `pos`, nearest first; None if none is."""
        if not len(self.samples):
            return None
        p = np.array([pos.x(), pos.y()])
        a = self.samples[:, :-1]
        d = self.samples[:, 1:] - a
        t = np.clip(((p - a) * d).sum(-1) / np.maximum((d * d).sum(-1), 1e-9), 0, 1)
        dist = np.linalg.norm(a + d * t[..., None] - p, axis=-1).min(axis=1)
        best = int(dist.argmin())
        return best if dist[best] <= LINK_HIT_DISTANCE else None


def measure_labels(columns: list[Column], metrics: QFontMetrics) -> tuple[float, float]:
    """Room for the input names left of the diagram and the output names right of it."""
    if not columns:
        return 0.0, 0.0
    left = max((metrics.horizontalAdvance(t) for t in columns[0].labels[:MAX_DRAWN]), default=0)
    right = max((metrics.horizontalAdvance(t) for t in columns[-1].labels[:MAX_DRAWN]), default=0)
    return float(min(max(left, 40), 110)) + 10, float(min(right, 110)) + (10 if right else 0)


def minimum_size(columns: list[Column], metrics: QFontMetrics) -> tuple[float, float]:
    """Width and height below which headers overlap and nodes shrink under MIN_NODE."""
    rows = max((c.drawn + (1 if c.hidden_count else 0) for c in columns), default=1)
    label = measure_labels(columns, metrics)
    width = label[0] + label[1] + MIN_NODE + 24 + MIN_SPACING * max(len(columns) - 1, 1)
    height = NODES_TOP + rows * MIN_NODE * 1.3 + BOTTOM_PAD
    return width, height


def place_columns(columns: list[Column], width: float, height: float, planar: bool,
                  label_width: float, right_width: float) -> tuple[float, float]:
    """Place columns over the width and size the nodes to the height (sets each column's x and
    rects); returns (node size, column spacing)."""
    rows = max(c.drawn + (1 if c.hidden_count else 0) for c in columns)
    left = 12 + label_width
    right = max(12 + right_width, 44)  # room for the "Output" title
    n_gaps = len(columns) - 1
    node_max = MAX_NODE_PLANAR if planar else MAX_NODE_PLAIN
    room = width - left - right
    node = (height - NODES_TOP - BOTTOM_PAD) / (rows * 1.3)
    spacing = (room - node_max) / n_gaps
    node = float(np.clip(min(node, spacing * 0.45), MIN_NODE, node_max))
    spacing = float(np.clip((room - node) / n_gaps, 40.0, MAX_SPACING))
    gap = node * 0.3
    # A small network sits in the middle of the pane, not in its top-left corner.
    left += max(0.0, (room - node - n_gaps * spacing) / 2)
    block_max = rows * node + (rows - 1) * gap
    nodes_top = NODES_TOP + max(0.0, (height - NODES_TOP - BOTTOM_PAD - block_max) / 2)
    for i, column in enumerate(columns):
        column.x = left + node / 2 + i * spacing
        block = column.drawn * node + (column.drawn - 1) * gap
        top = nodes_top + (block_max - block) / 2 if not column.hidden_count else nodes_top
        column.rects = [QRectF(column.x - node / 2, top + j * (node + gap), node, node)
                        for j in range(column.drawn)]
    return node, spacing


def build_links(columns: list[Column]) -> Links:
    """Bezier curves from each drawn neuron to every drawn neuron of the next column."""
    layers, outs, ins, p0s, p3s = [], [], [], [], []
    for k in range(len(columns) - 1):
        src, dst = columns[k], columns[k + 1]
        o, i = np.meshgrid(np.arange(dst.drawn), np.arange(src.drawn), indexing="ij")
        o, i = o.ravel(), i.ravel()
        starts = np.array([(r.right(), r.center().y()) for r in src.rects]).reshape(-1, 2)
        ends = np.array([(r.left(), r.center().y()) for r in dst.rects]).reshape(-1, 2)
        layers.append(np.full(o.size, k))
        outs.append(o)
        ins.append(i)
        p0s.append(starts[i])
        p3s.append(ends[o])
    bounds = np.cumsum([0] + [len(x) for x in layers])
    p0 = np.concatenate(p0s).reshape(-1, 2)
    p3 = np.concatenate(p3s).reshape(-1, 2)
    half = (p3[:, 0] - p0[:, 0]) * 0.5
    p1 = np.stack([p0[:, 0] + half, p0[:, 1]], axis=1)
    p2 = np.stack([p3[:, 0] - half, p3[:, 1]], axis=1)
    t = np.linspace(0.0, 1.0, CURVE_SAMPLES)[None, :, None]
    samples = ((1 - t) ** 3 * p0[:, None] + 3 * (1 - t) ** 2 * t * p1[:, None]
               + 3 * (1 - t) * t ** 2 * p2[:, None] + t ** 3 * p3[:, None])
    paths = []
    for a, b, c, d in zip(p0.tolist(), p1.tolist(), p2.tolist(), p3.tolist()):
        path = QPainterPath(QPointF(*a))
        path.cubicTo(QPointF(*b), QPointF(*c), QPointF(*d))
        paths.append(path)
    return Links(layer=np.concatenate(layers).astype(np.intp),
                 slices=[slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])],
                 out=np.concatenate(outs).astype(np.intp), into=np.concatenate(ins).astype(np.intp),
                 samples=samples, paths=paths)


def node_hit(columns: list[Column], node: float, pos: QPointF) -> tuple[int, int] | None:
    """(column index, unit) of the drawn neuron under `pos`, with a 2-pixel margin."""
    for c, column in enumerate(columns):
        if column.rects and abs(pos.x() - column.x) <= node / 2 + 2:
            for u, rect in enumerate(column.rects):
                if rect.adjusted(-2, -2, 2, 2).contains(pos):
                    return c, u
    return None


def more_column_at(columns: list[Column], pos: QPointF) -> Column | None:
    """The column whose '+N more' caption lies under `pos`."""
    for column in columns:
        if column.hidden_count and column.rects:
            last = column.rects[-1]
            box = QRectF(column.x - 40, last.bottom(), 80, 24)
            if box.contains(pos):
                return column
    return None


def snapshot_fits(snap: Snapshot, dims: list[int], n_hidden: int) -> bool:
    """True if a Snapshot's arrays match columns of `dims` neurons with `n_hidden` hidden layers
    (a stale snapshot from before a structure change is ignored)."""
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
        if len(snap.neuron_outputs) != n_hidden:
            return False
        if any(np.ndim(g) != 3 or np.shape(g)[0] != dims[k + 1] for k, g in enumerate(snap.neuron_outputs)):
            return False
    if snap.input_outputs is not None and np.size(snap.input_outputs):
        if np.ndim(snap.input_outputs) != 3 or np.shape(snap.input_outputs)[0] != dims[0]:
            return False
    return True


def unit_name(column: Column, unit: int) -> str:
    """How tooltips name a neuron: its feature, "output <class>", or "unit 3" (counting from 1)."""
    if column.kind == "input":
        return column.labels[unit]
    if column.kind == "output":
        if column.labels and unit < len(column.labels):
            return f"output {column.labels[unit]}"
        return "output" if column.total == 1 else f"output {unit + 1}"
    return f"unit {unit + 1}"
