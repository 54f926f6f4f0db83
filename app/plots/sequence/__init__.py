"""The sequence views: the focused sequence, hidden states, gradient norms and the test gallery, and the
panel that lays them out in the output panel for data of modality "sequence"."""

from app.plots.sequence.panel import SequencePanel

__all__ = ["SequencePanel"]
