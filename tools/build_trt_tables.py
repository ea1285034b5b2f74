"""Regenerate ``src/trtready/data/trt_ops.json`` from the shared TensorRT reference files.

Usage::

    python tools/build_trt_tables.py [--reference ../shared/reference] [--check]

The package reads only the generated JSON at run time; the reference files are
an input of this script, never of trtready itself.

Clean-ups applied while copying (the reference copies the docs as written):
- ``INF64`` (a typo in the 10.1 ConstantOfShape row) is read as ``INT64``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference"
OUTPUT = ROOT / "src" / "trtready" / "data" / "trt_ops.json"
TYPE_FIXES = {"INF64": "INT64"}


def build(reference: Path) -> dict:
    by_release = json.loads((reference / "trt_op_support_by_release.json").read_text())
    newest = json.loads((reference / "trt_onnx_ops.json").read_text())
    releases = {
        version: {
            "opset_range": list(table["opset_range"]),
            "ops": {op: [bool(ok), _clean_types(types)] for op, (ok, types) in sorted(table["ops"].items())},
        }
        for version, table in by_release["releases"].items()
    }
    restrictions = {op: row["restrictions"] for op, row in sorted(newest["ops"].items()) if row.get("restrictions")}
    return {
        "about": by_release["about"],
        "source": newest["source"],
        "type_notes": newest["source_details"].get("doc_type_notes", []),
        "releases": releases,
        "restrictions": {"11.1": restrictions},
    }


def _clean_types(types: list[str]) -> list[str]:
    return [TYPE_FIXES.get(t, t) for t in types]


def render(reference: Path) -> str:
    return json.dumps(build(reference), indent=1, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--check", action="store_true", help="exit 1 if the package data is stale")
    args = parser.parse_args(argv)
    text = render(args.reference)
    if args.check:
        stale = not OUTPUT.exists() or OUTPUT.read_text() != text
        print(f"{OUTPUT} is {'stale' if stale else 'up to date'}")
        return int(stale)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
