"""Control flow: If, Loop, Scan (TRT3xx)."""
