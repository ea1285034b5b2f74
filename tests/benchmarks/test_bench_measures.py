"""What the zoo benchmark measures beside its verdicts: peak memory, ONNX Runtime latency, the peer tables.

The harness (``benchmarks/_harness.py``), the verifier (``benchmarks/independent_verify.py``) and the
tables (``benchmarks/_tables.py``) are scripts, not part of the package: they are imported from
``benchmarks/`` (see conftest.py). Memory is measured on real allocations in real forked processes, latency on a real
exported file; the tables on rows shaped as a run writes them (including an older run's rows that
lack the new fields).
"""

from __future__ import annotations

import json
import multiprocessing as mp
from pathlib import Path

import _harness
import _tables
import pytest
import torch
from independent_verify import latency_ms

MB = 1024 * 1024


def _touch(size_mb: int) -> bytearray:
    """A buffer of ``size_mb`` MB with every page written (resident, not just reserved)."""
    buffer = bytearray(size_mb * MB)
    for i in range(0, len(buffer), 4096):
        buffer[i] = 1
    return buffer


def _added_by_allocation(size_mb: int) -> float | None:
    with _harness.PeakMemory() as peak:
        buffer = _touch(size_mb)
        del buffer
    return peak.added_mb


def _added_after_earlier_allocation(size_mb: int) -> float | None:
    kept = _touch(size_mb)  # resident before the measurement starts: not counted
    with _harness.PeakMemory() as peak:
        pass
    del kept
    return peak.added_mb


def _added_by_a_child(size_mb: int) -> float | None:
    with _harness.PeakMemory() as peak:
        child = mp.get_context("fork").Process(target=_touch, args=(size_mb,))
        child.start()
        child.join()
    return peak.added_mb


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_peak_memory_is_what_the_forked_process_added():
    assert 60 <= _harness.run_forked(_added_by_allocation, 64, timeout=60) <= 100
    assert _harness.run_forked(_added_after_earlier_allocation, 64, timeout=60) < 16
    assert 60 <= _harness.run_forked(_added_by_a_child, 64, timeout=60) <= 100  # trtready exports in a child


class _Small(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(16, 8)

    def forward(self, x):
        return torch.relu(self.fc(x))


def _data(batch: int, seed: int) -> tuple:
    return (torch.randn(batch, 16, generator=torch.Generator().manual_seed(seed)),)


def test_latency_is_a_median_of_real_runs(tmp_path):
    path = str(tmp_path / "small.onnx")
    torch.onnx.export(_Small().eval(), _data(2, 0), path, dynamo=False, input_names=["x"],
                      dynamic_axes={"x": {0: "batch"}})  # fmt: skip
    ms = latency_ms(path, _data, ["x"])
    assert 0 < ms < 1000
    with pytest.raises(KeyError, match="expects an input 'x'"):
        latency_ms(path, _data, ["not_x"])


def _row(model: str, tool: str, *, ready=True, exported=True, **fields) -> dict:
    """A row as a run saves it (READY files right everywhere; the others wrong at another batch)."""
    verdicts = {"exported": exported, "right_export": exported, "right_others": ready, "trt_clean": exported}
    return {"model": model, "group": "g", "pattern": "p", "tool": tool, "ready": ready} | verdicts | fields


RUN = [
    # trtready smaller than both READY peers: "yes"
    _row("a", "trtready", nodes=10, seconds=3.0, ort_ms=1.0, peak_mb=120.0, chosen="dynamo (no rewrites)",
         steps={"plan (PyTorch references)": 0.5, "dynamo (no rewrites): export": 2.0, "dynamo (no rewrites): verify": 0.25,
                "torchscript: export": 0.125, "write": 0.125}),
    _row("a", "torchscript+onnxsim", nodes=12, seconds=1.0, ort_ms=2.0),
    _row("a", "dynamo+onnxslim", nodes=11, seconds=2.0, ort_ms=4.0),
    _row("a", "dynamo", nodes=30, seconds=1.5, peak_mb=60.0),
    # the smaller peer is not READY, so the READY one counts: trtready has more nodes: "NO"
    _row("b", "trtready", nodes=20, seconds=4.0, ort_ms=1.0, peak_mb=90.0, chosen="torchscript"),
    _row("b", "torchscript+onnxsim", nodes=5, seconds=1.0, ready=False),
    _row("b", "dynamo+onnxslim", nodes=15, seconds=8.0, ort_ms=0.5),
    _row("b", "torchscript", nodes=25, seconds=0.5, peak_mb=30.0),
    # no READY peer: "-"; dynamo+onnxslim wrote no file: no seconds ratio
    _row("c", "trtready", nodes=7, seconds=2.0, chosen="torchscript"),
    _row("c", "torchscript+onnxsim", nodes=6, seconds=1.0, ready=False),
    _row("c", "dynamo+onnxslim", exported=False, ready=False, error="boom"),
]


def test_peer_comparison_counts_only_ready_files():
    comps = {c.model: c for c in _tables.comparisons(RUN)}
    assert comps["a"].best_peer[0] == "dynamo+onnxslim" and comps["a"].nodes_ok is True
    assert comps["b"].best_peer[0] == "dynamo+onnxslim" and comps["b"].nodes_ok is False
    assert comps["c"].best_peer is None and comps["c"].nodes_ok is None
    assert comps["a"].seconds_ratio == pytest.approx(1.5) and comps["c"].seconds_ratio is None
    assert comps["a"].ort_ratio == pytest.approx(0.25) and comps["b"].ort_ratio == pytest.approx(2.0)
    assert comps["a"].peak_ratio == pytest.approx(2.0) and comps["b"].peak_ratio == pytest.approx(3.0)
    cells = {c.model: _tables.comparison_cells(c) for c in comps.values()}
    assert cells["a"][5] == "yes" and cells["b"][5] == "NO" and cells["c"][5] == "-"
    assert cells["b"][2] == "(5)" and cells["c"][3] == "x"
    assert cells["a"][-1] == "120 / 60 (dynamo)"


def test_summary_lines_give_the_counts_and_medians():
    lines = _tables.summary_lines(_tables.comparisons(RUN))
    assert "on 1 of 2 models" in lines[0] and "more on: b" in lines[0]
    assert "1.00 over 2 models" in lines[1]  # median of 1.5 and 0.5
    assert "1.12 over 2 models" in lines[2]  # median of 0.25 and 2.0
    assert "2.50 over 2 models" in lines[3]  # median of 2.0 and 3.0


def test_trtready_stages_are_summed_over_attempts():
    totals = _tables.stage_totals(RUN[0]["steps"])
    assert totals == {"plan (PyTorch references)": 0.5, "export": 2.125, "verify": 0.25, "write": 0.125}
    headers, cells = _tables.stage_cells(RUN)
    assert headers[:3] == ["model", "call s", "stages s"] and headers[-1] == "attempts"
    assert cells[0][-1] == "dynamo (no rewrites), torchscript"


def test_report_of_an_older_run_without_the_new_fields(tmp_path, capsys):
    """A run saved before peak memory, latency and stages were measured still prints every table."""
    old = [{k: v for k, v in r.items() if k not in ("ort_ms", "peak_mb", "steps")} for r in RUN]
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"seconds": 60.0, "rows": old}))
    bench = _harness.Bench(name="zoo", script=__file__, description="", registry=list, size_columns=True,
                           tools=("torchscript", "torchscript+onnxsim", "dynamo", "dynamo+onnxslim", "trtready"))
    assert _harness.report_saved(bench, str(path)) == 0
    out = capsys.readouterr().out
    assert "trtready beside the peers" in out and "| a | 10 | 12 | 11 | 11 (dynamo+onnxslim) | yes |" in out
    assert "- / - (dynamo)" in out and "trtready's own stages" not in out
