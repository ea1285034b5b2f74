"""Shape tensors, build-time constants and data-dependent shapes (TRT2xx)."""
