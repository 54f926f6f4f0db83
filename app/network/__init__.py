"""The network diagram: the view, its painted canvas (geometry, painter, weight editor) and layer headers."""
