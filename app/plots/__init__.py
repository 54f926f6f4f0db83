"""Plots of the run: decision boundary (and its data points), loss curves, confusion matrix, thumbnails."""
