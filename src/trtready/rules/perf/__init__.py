"""Patterns that build but run slower than they need to (TRT6xx)."""
