"""An export's findings (checker rules, verification, the doctor) come out as SARIF whose every
result names a declared rule, from the same builder as check and doctor."""

from __future__ import annotations

from sarif_declared import assert_every_result_declared

import trtready
from trtready.report.sarif import to_sarif

from . import models


def test_pinned_and_plugin_exports(tmp_path):
    model, args = models.build_pinned()
    pinned = trtready.export(model, args, tmp_path / "pinned.onnx", exporter="torchscript", fix=False)
    model, args = models.build_plugin_model()
    plugin = trtready.export(model, args, tmp_path / "plugin.onnx", plugins={"head": "HeadPlugin"})
    codes = set()
    for result in (pinned, plugin):
        log = to_sarif(result, root=tmp_path)
        assert assert_every_result_declared(log) == len(result.findings)
        codes |= {entry["ruleId"] for entry in log["runs"][0]["results"]}
    assert {"VER001", "VER002"} <= codes, codes
