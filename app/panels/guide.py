"""Help ▸ Guide: the concepts behind the tooltips, the keyboard shortcuts, the two training engines
and what the colours mean. Built from the same texts the tooltips and menus use, so it cannot drift."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from app.look import texts
from app.panels.help import LEGEND_HTML
from core.nn.optimizers import OPTIMIZERS

# (concept, explanation): the words a learner meets in the window, in the order they meet them.
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Epoch", texts.EPOCH_TIP),
    ("Step", "One weight update, computed from one batch of training points; an epoch has as many "
             "steps as there are batches."),
    ("Batch size", texts.BATCH_TIP),
    ("Training and test data", texts.TRAIN_RATIO_TIP),
    ("Noise", texts.NOISE_TIP),
    ("Features", "What the network is given about each point: x1 and x2 themselves, or shapes made "
                 "from them (x1², x1·x2, sin x1) that make some boundaries easy to draw."),
    ("Neuron", "Adds up its inputs, each times a weight, plus a bias, and bends the sum with its "
               "activation. Its thumbnail shows its output over the whole plane."),
    ("Weight", "How strongly one neuron's output counts in the next neuron's sum; training adjusts "
               "every weight a little at each step."),
    ("Activation", texts.ACTIVATION_TIP),
    ("Loss", texts.LOSS_TIP),
    ("Learning rate", texts.LR_TIP),
    ("Optimizer", texts.OPTIMIZER_TIP),
    ("Learning-rate schedule", texts.SCHEDULE_TIP),
    ("Regularisation", texts.REGULARIZATION_TIP),
    ("Dropout", "Switches off a share of a layer's neurons at random while training, so the network "
                "cannot rely on any one of them; it fights overfitting."),
    ("Normalisation", "Rescales a layer's sums to zero mean and unit spread (over the batch or over the "
                      "neurons), which steadies training of deeper networks."),
    ("Overfitting", "The network learns the training points by heart: training loss keeps falling while "
                    "test loss rises. More data, noise, regularisation or a smaller network help."),
    ("Decision boundary", "Where the network's answer changes from one class to another; the output view "
                          "shades every point of the plane by the predicted class and how sure it is."),
    ("Principal components", "For tables with more than two inputs: the two directions in which the rows "
                             "differ most, used to place each row on the scatter (or pick two columns)."),
    ("Problem type", texts.TASK_TIP),
    ("Speed limit", texts.SPEED_TIP),
)


def engines_html() -> str:
    """The two engines, with the optimizers the fast one runs read from their registry (it once said
    'SGD only' long after Adam and the others joined)."""
    labels = [r.label for r in OPTIMIZERS.records() if r.fused]
    fused = f"the optimizers {', '.join(labels[:-1])} and {labels[-1]}" if len(labels) > 1 else "".join(labels)
    return f"""
<h3>The two training engines</h3>
<p><b>fused</b> (the status bar says <i>cpu · fused</i>): for dense networks on the CPU, LayerLab runs whole
epochs in one compiled function (numba) instead of several PyTorch calls per layer and batch, with exactly
the same batches, dropout masks and updates. Small networks train many times faster this way. It runs every
activation and loss, dropout, layer norm, L1 and L2, every learning-rate schedule, and {escape(fused)}.
The first run on a machine compiles it, which takes about a minute: the run trains with PyTorch meanwhile
and moves to the fused engine by itself when it is ready. Later runs load it from disk in about a
second.</p>
<p><b>torch</b>: everything else (batch norm, convolutional and recurrent layers, a GPU, very wide layers
with big batches) trains with ordinary PyTorch, and a banner says why and roughly how much slower that is.
An experiment file can ask for either with <code>"engine": "torch"</code> or <code>"fused"</code>;
<code>"auto"</code> picks fused wherever it can run the network and is the faster one.</p>
"""


TABLE_NEURONS_HTML = """
<h3>Neurons on table data</h3>
<p>A table (iris, wine, a CSV file) has more than two inputs, so there is no plane to draw a neuron's
output over. Input neurons stay grey; each hidden and output neuron is filled with the colour of its
<b>bias</b>: orange for a negative bias, blue for a positive one, pale for one near zero. Links still
show each weight's sign (colour) and size (thickness). The scatter on the right shows the rows
themselves, coloured by their true class or value, with a black cross on each test row the network
currently gets wrong.</p>
"""


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    """(what it does, keys) for every action with a shortcut, as the window really has them."""
    rows = []
    for action in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        keys = list(dict.fromkeys(k for k in keys if k))  # Redo is Ctrl+Shift+Z twice on Linux
        if keys:
            rows.append((action.text().replace("&", "").replace("...", "…"), " or ".join(keys)))
    return sorted(set(rows), key=lambda row: row[0].lower())


def guide_html(actions: list[QAction]) -> str:
    glossary = "".join(f"<dt><b>{escape(word)}</b></dt><dd>{escape(text)}</dd>" for word, text in GLOSSARY)
    keys = "".join(f"<tr><td>{escape(what)}</td><td>&nbsp;&nbsp;<b>{escape(k)}</b></td></tr>"
                   for what, k in shortcut_rows(actions))
    return (f"<h2>LayerLab guide</h2><h3>Concepts</h3><dl>{glossary}</dl>"
            f"<h3>Keyboard shortcuts</h3><table>{keys}</table>{engines_html()}{TABLE_NEURONS_HTML}"
            f"{LEGEND_HTML}")


class GuideDialog(QDialog):
    """A non-modal, scrollable guide that can stay open beside the main window."""

    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guideDialog")
        self.setWindowTitle("LayerLab guide")
        self.setModal(False)
        self.resize(560, 640)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setObjectName("guideText")
        self.browser.setOpenLinks(False)
        self.browser.setHtml(guide_html(actions))
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
