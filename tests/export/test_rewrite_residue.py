"""A finding left at a line a torch-level rewrite fired at knows what the rewrite did: it says so, and
its advice is what remains, never to do by hand what the tool just did."""

from __future__ import annotations

import inspect

import pytest
import torch

import trtready
from trtready.rewrites import BoolIndexLong, UniqueSort


class ConfidentRows(torch.nn.Module):
    """A detection head that keeps the rows scoring above the mean: ``y[keep]``."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 5, 1)

    def forward(self, x):
        y = self.conv(x).flatten(2).transpose(1, 2)
        scores = y[..., 4].sigmoid()
        keep = scores > scores.mean()
        return y[keep]


class PresentClasses(torch.nn.Module):
    """A segmentation head that lists the classes present: ``torch.unique`` of the argmax."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 6, 1)

    def forward(self, x):
        labels = self.conv(x).argmax(1)
        return torch.unique(labels)


def _line(module_cls, text: str):
    source, first = inspect.getsourcelines(module_cls.forward)
    return inspect.getsourcefile(module_cls), first + next(i for i, s in enumerate(source) if text in s)


def _export(module, tmp_path, **options):
    torch.manual_seed(0)
    return trtready.export(module.eval(), (torch.rand(2, 3, 8, 8),), tmp_path / "m.onnx", exporter="torchscript", **options)


def _at(result, file, line):
    return [f for f in result.findings if f.source and f.source.line == line and f.source.file == file]


@pytest.mark.parametrize(
    ("module_cls", "text", "rewrite", "rule_ids"),
    [
        (ConfidentRows, "return y[keep]", BoolIndexLong, {"TRT205"}),
        (PresentClasses, "torch.unique(labels)", UniqueSort, {"TRT204", "TRT205"}),
    ],
    ids=["R006-TRT205", "R001-unique"],
)
def test_a_finding_at_a_rewritten_line_says_what_remains(tmp_path, module_cls, text, rewrite, rule_ids):
    torch.manual_seed(0)
    result = _export(module_cls(), tmp_path)
    assert rewrite.id in result.attempts[0].rewrites_fired
    records = [p for p in result.passes if p.name == rewrite.name]
    file, line = _line(module_cls, text)
    assert records and [(s.file, s.line) for s in records[0].sources] == [(file, line)]
    left = _at(result, file, line)
    assert left and {f.rule_id for f in left} <= rule_ids
    for finding in left:
        assert f"{rewrite.id} ({rewrite.name}) already rewrote" in finding.message
        assert "not fixed automatically" not in finding.message
        assert finding.fix == rewrite.remains
        assert "long indices" not in finding.fix and "index_bool2long" not in finding.fix


def test_without_the_rewrite_the_advice_is_the_rules_own(tmp_path):
    """The same line exported without rewrites: nothing was done there, so the finding keeps the rule's fix."""
    result = _export(ConfidentRows(), tmp_path, rewrites=False)
    file, line = _line(ConfidentRows, "return y[keep]")
    left = [f for f in _at(result, file, line) if f.rule_id == "TRT205"]
    assert left and all("already rewrote" not in f.message for f in left)
    assert all("long indices" in f.fix for f in left)
