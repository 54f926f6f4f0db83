"""Training: the Trainer (imports torch), its run loop, control, snapshots, history and health checks.

This package face imports nothing, so `core.training.control` and `core.training.snapshot` stay
torch-free for the window's first paint.
"""
