"""The data-dependence watch: conversions of values computed from the inputs, at the user's line."""

import torch

from trtready.verify.paths import DataWatch, PathLog, unexercised


class Mixed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.tensor(2.0))

    def forward(self, x, n, flag):
        k = self.scale.item()  # a constant: not data-dependent
        b = int(x.size(0))  # a size: a Python int in eager mode, not a tensor conversion
        assert torch.isfinite(x).all()  # a check that passes or raises: not another path
        for _ in range(n):  # LOOP
            x = x * 1.5
        if flag:  # FLAG
            x = x + b
        return x * k


def _lines(log):
    return {site.line: values for site, values in log.values.items()}


def test_only_values_computed_from_inputs_are_logged():
    log = PathLog()
    for n, flag in ((2, True), (3, True)):
        inputs = (torch.rand(2, 3), torch.tensor(n), torch.tensor(flag))
        with torch.no_grad(), DataWatch(inputs, log):
            Mixed()(*inputs)
    source = open(__file__).read().splitlines()
    loop = next(i for i, line in enumerate(source, 1) if "# LOOP" in line)
    flag = next(i for i, line in enumerate(source, 1) if "# FLAG" in line)
    assert _lines(log) == {loop: [2, 3], flag: [True, True]}
    assert [(site.line, kind) for site, kind, _ in unexercised(log)] == [(flag, "bool")]
