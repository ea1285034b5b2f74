"""The one-line verdict of every command, and its tone (renderers choose the colour).

>>> verdict(check("model.onnx", trt="10.1"))
'TensorRT 10.1 will refuse this model: 2 errors, 1 warning'

One function for every command, worded by ``result.command``: ``check`` says
whether TensorRT will accept the file, ``doctor`` what stands in the way of an
export, ``export`` / ``fix`` whether a verified file was written.
"""

from __future__ import annotations

from .result import Result, Severity

__all__ = ["Tone", "counts", "tone", "total_verdict", "verdict"]

_NOUNS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


class Tone:
    """How a verdict reads: renderers map it to a style (green, yellow, red)."""

    GOOD = "good"
    MIXED = "mixed"
    BAD = "bad"


def verdict(result: Result) -> str:
    """One line: what ``result`` means for the user, in the words of its command."""
    if result.command == "check":
        return _check(result)
    if result.command == "doctor":
        return _doctor(result)
    return _export(result)


def tone(result: Result) -> str:
    """:class:`Tone` of the verdict."""
    errors = result.count(Severity.ERROR)
    if result.command in ("check", "doctor"):
        if errors or result.errors:
            return Tone.BAD
        return Tone.MIXED if result.command == "doctor" and result.findings else Tone.GOOD
    if (result.command == "fix" and result.written) or bool(result):
        return Tone.MIXED if errors else Tone.GOOD
    return Tone.BAD


def counts(result: Result) -> str:
    """``2 errors, 1 warning`` (severities that occur, most severe first); '' when none."""
    return ", ".join(_plural(result.count(s), _NOUNS[s]) for s in Severity.ORDER if result.count(s))


def _check(result: Result) -> str:
    if result.errors:
        return f"error: {result.errors[0]}"
    from .trt_ops import DEFAULT_RELEASE

    release = result.options.get("trt") or DEFAULT_RELEASE
    if result.count(Severity.ERROR):
        return f"TensorRT {release} will refuse this model: {counts(result)}"
    found = counts(result)
    return f"TensorRT {release} should accept this model" + (f" ({found})" if found else "")


def _doctor(result: Result) -> str:
    if not result.findings:
        return "No problems found for either exporter"
    return f"{_plural(len(result.findings), 'finding')} for {result.model}: {counts(result)}"


def _export(result: Result) -> str:
    errors, warnings = result.count(Severity.ERROR), result.count(Severity.WARNING)
    if result.command == "fix" and result.written:
        label = "fixed file written"
    elif bool(result):
        label = "verified" + (f", {errors} TensorRT error(s) remain" if errors else "")
    elif result.written:
        label = "written but NOT verified"
    else:
        label = "no file written"
    return f"result: {label}; {errors} error(s), {warnings} warning(s) found"


def total_verdict(results: list[Result]) -> str:
    """The verdict of ``check`` over several files: ``3 files checked: 1 refused by TensorRT, 1 unreadable;
    2 errors, 1 warning, 0 notes`` (every severity counted, zeros too)."""
    refused = sum(1 for r in results if r.count(Severity.ERROR))
    unreadable = sum(1 for r in results if r.errors)
    files = f"{_plural(len(results), 'file')} checked: {refused} refused by TensorRT"
    files += f", {unreadable} unreadable" if unreadable else ""
    return files + "; " + ", ".join(_plural(sum(r.count(s) for r in results), _NOUNS[s]) for s in Severity.ORDER)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
