"""The output panel's pictures for task `autoencoder` (in place of the decision boundary): the latent
space beside the decoded point, and test inputs above their reconstructions."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.plots.latent_view import LatentView
from app.plots.reconstruction_view import ReconstructionView


class AutoencoderViews(QWidget):
    """latentView and reconstructionView, fed from a snapshot's `latent` and `reconstructions` probes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("autoencoderViews")
        self.latent_view = LatentView()
        self.reconstruction_view = ReconstructionView()
        self.reconstruction_view.setMinimumHeight(56)
        self.reconstruction_view.setMaximumHeight(130)
        caption = QLabel("LATENT SPACE (TEST ROWS)")
        caption.setObjectName("groupCaption")
        self.reconstruction_caption = QLabel("RECONSTRUCTIONS: TEST INPUTS ABOVE, REBUILT BELOW")
        self.reconstruction_caption.setObjectName("groupCaption")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(caption)
        layout.addWidget(self.latent_view, 5)
        layout.addWidget(self.reconstruction_caption)
        layout.addWidget(self.reconstruction_view, 2)

    def clear(self) -> None:
        self.latent_view.clear()
        self.reconstruction_view.reset()

    def update_snapshot(self, snap: Any) -> None:
        views = getattr(snap, "views", None) or {}
        self.latent_view.update_view(views.get("latent"))
        recon = views.get("reconstructions")
        if recon and "inputs" in recon:
            self.reconstruction_caption.setText(
                "RECONSTRUCTIONS: TEST INPUTS ABOVE, REBUILT BELOW" if recon.get("modality") == "image"
                else "RECONSTRUCTIONS: INPUT (SOLID) AND REBUILT (DASHED), PER TEST ROW")
        self.reconstruction_view.update_view(recon)
