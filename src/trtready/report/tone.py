"""The verdict line as the terminal shows it: :func:`trtready.verdict.verdict`, coloured by its tone."""

from __future__ import annotations

from rich.text import Text

from ..result import Result
from ..verdict import Tone, tone, verdict

__all__ = ["TONE_STYLES", "verdict_text"]

TONE_STYLES = {Tone.GOOD: "bold green", Tone.MIXED: "bold yellow", Tone.BAD: "bold red"}


def verdict_text(result: Result) -> Text:
    """The command's verdict, styled by its tone."""
    return Text(verdict(result), style=TONE_STYLES[tone(result)])
