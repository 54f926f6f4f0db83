"""Training engines: the compiled fused path for small dense nets and the device choice."""

# Device "auto" puts a net on an accelerator only from this many parameters: below it, per-op launch cost
# makes a GPU slower than the CPU (and the fused CPU engine is faster still). Here, torch-free, because the
# window's first epochs (core/training/prelude.py) decide before torch has loaded.
AUTO_ACCELERATOR_MIN_PARAMETERS = 100_000
