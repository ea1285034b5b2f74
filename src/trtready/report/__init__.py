"""Rendering a Result: terminal text, markdown, SARIF, and the trtexec command."""
