"""Operator support: unsupported ops, custom domains, plugins (TRT1xx)."""
