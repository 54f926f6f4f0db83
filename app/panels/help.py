"""Help ▸ About and Help ▸ What the colours mean."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QVBoxLayout, QWidget

from app.look import colormaps

_ORANGE = "#%02x%02x%02x" % colormaps.NEGATIVE_RGB
_BLUE = "#%02x%02x%02x" % colormaps.POSITIVE_RGB


def _swatch(colour: str) -> str:
    return f'<span style="background:{colour};">&nbsp;&nbsp;&nbsp;&nbsp;</span>'


LEGEND_HTML = f"""
<h3>What the colours mean</h3>
<p>{_swatch(_ORANGE)} <b>Orange</b> is negative: class 0, a negative weight, or a neuron output
below zero.<br>
{_swatch(_BLUE)} <b>Blue</b> is positive: class 1, a positive weight, or a neuron output above
zero.<br>
{_swatch('#e8eaeb')} <b>Light grey</b> is the middle: an undecided point (probability 0.5) or a value
near zero.</p>
<p><b>Decision boundary</b>: the background shows what the network predicts at every point of the
plane; deeper colour means more confident. Points with a white outline are training data; points
with a dark outline (View ▸ Show test data) are held-out test data.</p>
<p><b>More than two classes</b>: each class has its own colour; pale regions are where the network
is unsure.</p>
<p><b>Regression</b>: the colour is the predicted value, orange low and blue high; points are
coloured by their true value with the same scale (dark outline), so a point that blends into its
background is predicted well.</p>
<p><b>Tables</b> (iris, CSV files, ...): with more than two inputs there is no plane to shade, so
the view shows every row placed by its first two principal components (or by two columns you pick
under the plot), coloured by its true class or value; a black cross marks a test row the network
currently gets wrong. In the network, input neurons stay grey and every other neuron takes the
colour of its bias (orange negative, blue positive).</p>
<p><b>Links</b> between neurons: the colour is the sign of the weight and the thickness its
size. Hover a link to read the weight; click it to type a new one.</p>
<p><b>Loss curves</b>: dark is the training loss, orange the test loss. When the test loss rises
while the training loss keeps falling, the network is overfitting.</p>
"""

ABOUT_HTML = """
<h2>LayerLab</h2>
<p>A desktop neural-network playground on real PyTorch: design a network by clicking, watch it
learn live, and take the trained model away.</p>
<p>Inspired by TensorFlow Playground (Smilkov, Carter et al.).<br>
Built with PySide6, pyqtgraph, superqt, PyTorch and numpy.</p>
"""


def show_about(parent: QWidget | None) -> None:
    from core import __version__

    QMessageBox.about(parent, "About LayerLab", ABOUT_HTML.replace("</h2>", f" {__version__}</h2>", 1))


class ColourLegend(QDialog):
    """A small, non-modal window explaining the colours; it can stay open beside the main window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("colourLegend")
        self.setWindowTitle("What the colours mean")
        self.setModal(False)
        layout = QVBoxLayout(self)
        text = QLabel(LEGEND_HTML)
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setMinimumWidth(420)
        layout.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
