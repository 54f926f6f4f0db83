"""Data sources: one record each (label, tooltip, family, task, description, loader).

Adding a toy set = a `DataSource` member + its record here + its generator in core/data/toy.py;
a bundled set = member + record naming its scikit-learn loader. Importing this never imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from core.choices import Task
from core.registry import Record, Registry


class DataSource(str, Enum):
    circle = "circle"
    xor = "xor"
    gauss = "gauss"
    spiral = "spiral"
    moons = "moons"
    checkerboard = "checkerboard"
    plane = "plane"
    multi_gauss = "multi_gauss"
    csv = "csv"
    iris = "iris"
    wine = "wine"
    breast_cancer = "breast_cancer"
    digits = "digits"
    diabetes = "diabetes"
    shapes = "shapes"
    image_folder = "image_folder"
    sine = "sine"
    memory = "memory"
    patterns = "patterns"
    csv_series = "csv_series"


@dataclass(frozen=True, kw_only=True)
class DataSourceRecord(Record):
    family: str  # "toy" (2-D generator), "bundled" (scikit-learn set), "file" (the user's CSV),
    # "image" (generated images), "image_file" (the user's folder of images),
    # "sequence" (generated sequences) or "sequence_file" (windows of a CSV column)
    task: Task | None  # None: the user decides (CSV)
    description: str = ""  # the Dataset's description line
    load: str | Callable[..., Any] = ""  # toy: "core.data.toy:circle" (n, noise, rng); bundled: sklearn loader name
    background: bool = False  # slow to load: the window loads it off the GUI thread
    sequence_length: int = 0  # sequences: time steps when data.sequence_length is not set


SOURCES: Registry[DataSourceRecord] = Registry("data source")


def _toy(name: str, label: str, task: Task, description: str, tip: str) -> None:
    SOURCES.add(DataSourceRecord(name=name, label=label, tip=tip, family="toy", task=task,
                                 description=description, load=f"core.data.toy:{name}"))


def _bundled(name: str, label: str, task: Task, loader: str, description: str, tip: str) -> None:
    SOURCES.add(DataSourceRecord(name=name, label=label, tip=tip, family="bundled", task=task,
                                 description=description, load=loader, background=True))


_C, _R = Task.classification, Task.regression
_toy("circle", "Circle", _C, "Circle: class 1 inside a disc, class 0 in a ring around it",
     "One class inside a ring of the other: needs a curved boundary (try x1² and x2²).")
_toy("xor", "Exclusive or", _C, "Exclusive or: class 1 where x1 and x2 have the same sign",
     "Opposite quadrants share a class: a single line cannot separate them (try x1·x2).")
_toy("gauss", "Gaussian", _C, "Two Gaussians: class 1 around (2, 2), class 0 around (-2, -2)",
     "Two blobs that a straight line separates: the easiest set.")
_toy("spiral", "Spiral", _C, "Spiral: two interleaved spiral arms",
     "Two interleaved spirals: the hardest set; needs depth or sin features.")
_toy("moons", "Moons", _C, "Moons: two interleaving half circles",
     "Two interlocking half-moons: a gently curved boundary.")
_toy("checkerboard", "Checkerboard", _C, "Checkerboard: 4 × 4 squares of alternating class",
     "A 4×4 checkerboard: many small regions to carve out.")
_toy("plane", "Plane (regression)", _R, "Plane: predict (x1 + x2) / 10",
     "The target is a tilted plane over (x1, x2): a linear regression.")
_toy("multi_gauss", "Multi-Gaussian (regression)", _R, "Multi-Gaussian: predict the height of six signed bumps",
     "The target is a sum of Gaussian bumps: a non-linear regression.")
SOURCES.add(DataSourceRecord(name="csv", label="CSV file…", family="file", task=None,
                             tip="Your own table: pick the column to predict and the columns to learn from.",
                             background=True))
_bundled("iris", "Iris flowers (3 classes)", _C, "load_iris", "Iris: 150 flowers, 4 measurements, 3 species",
         "150 iris flowers, 4 measurements, 3 species (scikit-learn's bundled set).")
_bundled("wine", "Wine (3 classes)", _C, "load_wine", "Wine: 178 wines, 13 chemical measurements, 3 cultivars",
         "178 wines, 13 chemical measurements, 3 cultivars (scikit-learn's bundled set).")
_bundled("breast_cancer", "Breast cancer (2 classes)", _C, "load_breast_cancer",
         "Breast cancer (Wisconsin): 569 tumours, 30 measurements, malignant or benign",
         "569 tumours, 30 measurements, benign or malignant (scikit-learn).")
_bundled("digits", "Digits 8×8 (10 classes)", _C, "load_digits",
         "Digits: 1797 8×8 images of handwritten digits, 10 classes",
         "1797 handwritten digits as 8×8 pixel intensities, 10 classes (scikit-learn).")
_bundled("diabetes", "Diabetes (regression)", _R, "load_diabetes",
         "Diabetes: 442 patients, 10 measurements, disease progression after one year",
         "442 patients, 10 measurements, disease progression to predict (scikit-learn).")
SOURCES.add(DataSourceRecord(name="shapes", label="Shapes (images, 5 classes)", family="image", task=_C,
                             description="Shapes: small grey images of a circle, square, triangle, cross or line",
                             tip="Generated grey images of five shapes at random sizes, places and angles; "
                                 "noise adds pixel noise.", load="core.data.images:shapes"))
SOURCES.add(DataSourceRecord(name="image_folder", label="Image folder…", family="image_file", task=_C,
                             description="Image folder: one sub-folder of PNG/JPEG files per class",
                             tip="Your own images: a folder with one sub-folder per class, resized to "
                                 "data.image_size.", load="core.data.images:image_folder", background=True))

SOURCES.add(DataSourceRecord(name="sine", label="Sine (sequences, regression)", family="sequence", task=_R,
                             description="Sine: windows of a noisy sine, predict the next value",
                             tip="Windows of a sine wave with random phase and frequency; predict the next "
                                 "value. noise adds Gaussian noise.", load="core.data.sequences:sine",
                             sequence_length=40))
SOURCES.add(DataSourceRecord(name="memory", label="Memory (sequences, 2 classes)", family="sequence", task=_C,
                             description="Memory: the class is the sign of the first value; the rest distract",
                             tip="The class is the sign of the first value; N(0, 0.5) distractors follow, so "
                                 "the network must carry that one value to the end. At 80 steps a plain RNN "
                                 "stays at chance for 30 epochs where an LSTM or a GRU learns it.",
                             load="core.data.sequences:memory", sequence_length=80))
SOURCES.add(DataSourceRecord(name="patterns", label="Patterns 1-D (sequences, 10 classes)", family="sequence",
                             task=_C, description="Patterns: ten 1-D shapes, stretched, scaled, sheared and shifted",
                             tip="1-D 'digits' in the spirit of MNIST-1D: ten template shapes at random widths, "
                                 "heights, slopes and places; noise adds Gaussian noise.",
                             load="core.data.sequences:patterns", sequence_length=40))
SOURCES.add(DataSourceRecord(name="csv_series", label="CSV time series…", family="sequence_file", task=_R,
                             description="CSV series: windows of a numeric column, predict the next value",
                             tip="Your own series: a numeric column of a CSV file (data.target), cut into "
                                 "windows of data.sequence_length values; predict the next value.",
                             load="core.data.sequences:csv_series", background=True, sequence_length=20))


def _sources(**where: Any) -> tuple[DataSource, ...]:
    return tuple(DataSource(n) for n in SOURCES.names(**where))


TOY_CLASSIFICATION = _sources(family="toy", task=_C)
TOY_REGRESSION = _sources(family="toy", task=_R)
TOY_SOURCES = TOY_CLASSIFICATION + TOY_REGRESSION
BUNDLED_CLASSIFICATION = _sources(family="bundled", task=_C)
BUNDLED_REGRESSION = _sources(family="bundled", task=_R)
BUNDLED_SOURCES = BUNDLED_CLASSIFICATION + BUNDLED_REGRESSION
IMAGE_SOURCES = _sources(family="image") + _sources(family="image_file")  # always image classification
SEQUENCE_CLASSIFICATION = _sources(family="sequence", task=_C)
SEQUENCE_REGRESSION = _sources(family="sequence", task=_R) + _sources(family="sequence_file")
SEQUENCE_SOURCES = SEQUENCE_REGRESSION + SEQUENCE_CLASSIFICATION
