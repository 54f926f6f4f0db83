"""The panels around the diagram: controls bar, data panel, output panel, message bar, help."""
