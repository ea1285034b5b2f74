"""Model-level rules: opset, file size, external data (TRT0xx)."""
