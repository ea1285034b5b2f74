"""The peer tables of a zoo run: trtready beside the smaller simplified peer, model by model.

Per model: nodes (trtready, TorchScript + onnxsim, dynamo + onnxslim, the smaller READY peer and
whether trtready has no more), export seconds against dynamo + onnxslim, ONNX Runtime latency
against the smaller peer, and peak memory against the plain exporter trtready's file came from;
then a summary line and trtready's own per-stage seconds. Only READY files (exported, right at
every batch, no TensorRT errors) are compared on size and latency. Rows of older runs that lack
a column show "-" there. Used by ``_harness.report``; nothing here runs a model.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

TRTREADY = "trtready"
PEERS = ("torchscript+onnxsim", "dynamo+onnxslim")  # the simplified peers compared on size
SPEED_PEER = "dynamo+onnxslim"  # export seconds are compared with torch.onnx.export(dynamo=True) + onnxslim
PLAIN_EXPORTERS = ("torchscript", "dynamo")
HEADERS = ("model", "trtready nodes", "torchscript+onnxsim nodes", "dynamo+onnxslim nodes", "best peer",
           "<= best peer", "trtready s", "dynamo+onnxslim s", "ratio", "ORT ms (trtready / best peer)",
           "peak MB (trtready / plain)")  # fmt: skip
KEY = ("nodes in parentheses: a file that is not READY (not compared); x: no file; best peer: the READY "
       "peer with fewer nodes; <= best peer: '-' when trtready or both peers have no READY file; ratio: "
       "trtready seconds / dynamo+onnxslim seconds; peak MB: resident memory added by the export (and "
       "simplify) processes, trtready against the plain exporter its file came from")  # fmt: skip


def markdown(headers, cells) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])


def is_ready(row: dict | None) -> bool:
    return bool(row and row.get("ready"))


def _ratio(top, bottom) -> float | None:
    return top / bottom if top is not None and bottom else None


@dataclass(frozen=True)
class ModelComparison:
    """One model's rows: trtready's, the simplified peers', and the plain exporter trtready's file came from."""

    model: str
    trtready: dict | None
    peers: dict  # tool -> row, for the tools of PEERS that ran
    plain: dict | None  # the torchscript or dynamo row matching trtready's chosen exporter

    @property
    def best_peer(self) -> tuple[str, dict] | None:
        """The READY peer with the fewest nodes (the first of PEERS on a tie)."""
        ready = [(tool, row) for tool, row in self.peers.items() if is_ready(row) and row.get("nodes") is not None]
        return min(ready, key=lambda item: item[1]["nodes"]) if ready else None

    @property
    def nodes_ok(self) -> bool | None:
        """trtready's READY file has no more nodes than the smaller READY peer's; None when not comparable."""
        best = self.best_peer
        if best is None or not is_ready(self.trtready) or self.trtready.get("nodes") is None:
            return None
        return self.trtready["nodes"] <= best[1]["nodes"]

    @property
    def seconds_ratio(self) -> float | None:
        """trtready seconds / dynamo+onnxslim seconds, when both wrote a file."""
        peer = self.peers.get(SPEED_PEER)
        if not (self.trtready and self.trtready.get("exported") and peer and peer.get("exported")):
            return None
        return _ratio(self.trtready.get("seconds"), peer.get("seconds"))

    @property
    def ort_ratio(self) -> float | None:
        """trtready's ONNX Runtime ms / the best peer's, both READY."""
        best = self.best_peer
        if best is None or not is_ready(self.trtready):
            return None
        return _ratio(self.trtready.get("ort_ms"), best[1].get("ort_ms"))

    @property
    def peak_ratio(self) -> float | None:
        """trtready's peak MB / that of the plain exporter its file came from."""
        if not (self.trtready and self.plain):
            return None
        return _ratio(self.trtready.get("peak_mb"), self.plain.get("peak_mb"))


def plain_exporter(trtready_row: dict | None) -> str | None:
    """``"torchscript"`` / ``"dynamo"`` from trtready's chosen attempt label (``"dynamo (no rewrites)"``...)."""
    chosen = (trtready_row or {}).get("chosen") or ""
    name = chosen.split(" ")[0]
    return name if name in PLAIN_EXPORTERS else None


def comparisons(rows: list[dict]) -> list[ModelComparison]:
    """One comparison per model of the run, in run order."""
    by = {(r["model"], r["tool"]): r for r in rows}
    out = []
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = by.get((model, TRTREADY))
        peers = {tool: by[(model, tool)] for tool in PEERS if (model, tool) in by}
        plain = by.get((model, plain_exporter(mine)))
        out.append(ModelComparison(model, mine, peers, plain))
    return out


# -- cells -----------------------------------------------------------------------------


def _num(value, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _mb(value) -> str:
    return "-" if value is None else f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _nodes_cell(row: dict | None) -> str:
    if not row or not row.get("exported"):
        return "x"
    nodes = row.get("nodes")
    if nodes is None:
        return "-"
    return str(nodes) if is_ready(row) else f"({nodes})"


def _verdict_cell(ok: bool | None) -> str:
    return "-" if ok is None else "yes" if ok else "NO"


def _seconds(row: dict | None) -> float | None:
    return row.get("seconds") if row and row.get("exported") else None


def comparison_cells(c: ModelComparison) -> list[str]:
    best = c.best_peer
    best_cell = f"{best[1]['nodes']} ({best[0]})" if best else "-"
    ort_peer = best[1].get("ort_ms") if best else None
    ort_mine = (c.trtready or {}).get("ort_ms") if is_ready(c.trtready) else None
    plain_name = plain_exporter(c.trtready)
    peak = f"{_mb((c.trtready or {}).get('peak_mb'))} / {_mb((c.plain or {}).get('peak_mb'))}"
    return [
        c.model, _nodes_cell(c.trtready), *(_nodes_cell(c.peers.get(t)) for t in PEERS), best_cell,
        _verdict_cell(c.nodes_ok), _num(_seconds(c.trtready), 1), _num(_seconds(c.peers.get(SPEED_PEER)), 1),
        _num(c.seconds_ratio, 2), f"{_num(ort_mine, 2)} / {_num(ort_peer, 2)}",
        peak + (f" ({plain_name})" if plain_name else ""),
    ]  # fmt: skip


# -- summary ---------------------------------------------------------------------------


def _median_of(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summary_lines(comps: list[ModelComparison]) -> list[str]:
    """Nodes against the smaller peer, and the medians of the seconds, latency and memory ratios."""
    judged = [c for c in comps if c.nodes_ok is not None]
    larger = [c.model for c in judged if not c.nodes_ok]
    lines = [f"* nodes: trtready has no more nodes than the smaller READY peer on {len(judged) - len(larger)} of "
             f"{len(judged)} models (those where trtready and a peer wrote a READY file)"
             + (f"; more on: {', '.join(larger)}" if larger else "")]  # fmt: skip
    for label, values in (
        (f"export seconds, trtready / {SPEED_PEER} (models both exported)", [c.seconds_ratio for c in comps]),
        ("ONNX Runtime ms, trtready / best peer (both READY)", [c.ort_ratio for c in comps]),
        ("peak memory, trtready / the plain exporter it used", [c.peak_ratio for c in comps]),
    ):
        median, count = _median_of(values), sum(v is not None for v in values)
        lines.append(f"* median {label}: {_num(median, 2)} over {count} models")
    return lines


# -- trtready's own stages -------------------------------------------------------------


def stage_totals(steps: dict) -> dict:
    """trtready's ``steps`` ("<attempt>: <stage>" -> seconds) summed by stage over its attempts."""
    totals: dict = {}
    for key, seconds in steps.items():
        stage = key.split(": ", 1)[-1]
        totals[stage] = totals.get(stage, 0.0) + seconds
    return totals


def stage_cells(rows: list[dict]) -> tuple[list[str], list[list[str]]] | None:
    """Per model: trtready's seconds by stage, the attempts it ran; a median row. None without any ``steps``."""
    mine = [r for r in rows if r["tool"] == TRTREADY and r.get("steps")]
    if not mine:
        return None
    totals = [stage_totals(r["steps"]) for r in mine]
    stages = list(dict.fromkeys(s for t in totals for s in t))
    headers = ["model", "call s", "stages s", *stages, "attempts"]
    cells = []
    for row, t in zip(mine, totals):
        attempts = dict.fromkeys(k.split(": ", 1)[0] for k in row["steps"] if ": " in k)
        cells.append([row["model"], _num(row.get("seconds"), 1), _num(sum(t.values()), 1),
                      *(_num(t.get(s), 1) for s in stages), ", ".join(attempts) or "-"])  # fmt: skip
    medians = [_median_of([t.get(s) for t in totals]) for s in stages]
    cells.append(["median", _num(_median_of([r.get("seconds") for r in mine]), 1),
                  _num(_median_of([sum(t.values()) for t in totals]), 1), *(_num(m, 1) for m in medians), ""])
    return headers, cells


# -- printing --------------------------------------------------------------------------


def print_peer_tables(rows: list[dict]) -> None:
    """The per-model comparison with the peers, its summary and trtready's stages (when the run has trtready)."""
    if not any(r["tool"] == TRTREADY for r in rows):
        print("\n(no trtready rows: no comparison with the peers)")
        return
    comps = comparisons(rows)
    print("\n## trtready beside the peers (nodes, export seconds, ONNX Runtime latency, peak memory)\n")
    print(markdown(HEADERS, [comparison_cells(c) for c in comps]))
    print(f"\n({KEY})\n")
    print("\n".join(summary_lines(comps)))
    stages = stage_cells(rows)
    if stages:
        print("\n## trtready's own stages (seconds, summed over its exporter attempts)\n")
        print(markdown(*stages))
        print("\n(call s: the whole trtready.export call, as in the tables above; stages s: the sum of its timed "
              "stages; the attempts' stages include their exporter children)")  # fmt: skip
