"""Training engines: the compiled fused path for small dense nets and the device choice."""
