"""Each rewrite in eager mode: same outputs as the original on its example inputs (edge cases included)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from trtready.rewrites import ALL_REWRITES, RewriteMode, find_rewrite, rewrite_context
from trtready.rewrites.atan2 import atan2_exact

from .helpers import assert_close, flat_outputs

IDS = [r.id for r in ALL_REWRITES]


@pytest.mark.parametrize("rewrite", ALL_REWRITES, ids=IDS)
def test_same_outputs_with_and_without_the_rewrite(rewrite):
    ex = rewrite.example()
    for args in ex.inputs:
        expected = flat_outputs(ex.module(*args))
        with rewrite_context(enabled={rewrite.id}) as mode:
            got = flat_outputs(ex.module(*args))
        assert mode.fired.get(rewrite.id, 0) > 0 and not mode.errors
        for e, g in zip(expected, got, strict=True):
            assert g.dtype == e.dtype
            exact_ints = not e.dtype.is_floating_point
            if rewrite.exact and exact_ints:
                assert torch.equal(g, e)
            assert_close(g.numpy(), e.numpy(), ex.atol, ex.rtol, what=rewrite.id)


@pytest.mark.parametrize("rewrite", ALL_REWRITES, ids=IDS)
def test_metadata(rewrite):
    assert rewrite.id.startswith("R") and rewrite.name.startswith("rewrite.")
    assert rewrite.why and rewrite.targets and rewrite.spec is not None and rewrite.spec.references
    assert (rewrite.id, rewrite.name, rewrite.opt_in, rewrite.removes) == (
        rewrite.spec.id, rewrite.spec.name, rewrite.spec.opt_in, rewrite.spec.removes)  # fmt: skip
    assert rewrite.__module__ and (__import__(rewrite.__module__, fromlist=["_"]).__doc__ or "").strip()
    assert rewrite.exact or rewrite.caveat
    assert find_rewrite(rewrite.id) is rewrite and find_rewrite(rewrite.name) is rewrite


def test_ids_and_names_are_unique():
    assert len({r.id for r in ALL_REWRITES}) == len({r.name for r in ALL_REWRITES}) == len(ALL_REWRITES)


def test_atan2_exact_on_a_dense_grid_of_edge_values():
    special = [0.0, -0.0, 1e-38, -1e-38, 1e-45, 1.0, -1.0, 3.4e38, -3.4e38, math.inf, -math.inf, math.nan]
    values = torch.tensor(special + torch.randn(40, generator=torch.Generator().manual_seed(1)).tolist())
    y, x = torch.meshgrid(values, values, indexing="ij")
    expected, got = torch.atan2(y, x), atan2_exact(y, x)
    assert_close(got.numpy(), expected.numpy(), 1e-6, 1e-6)
    finite = ~expected.isnan()
    assert torch.equal(torch.signbit(got[finite]), torch.signbit(expected[finite]))
    assert_close(atan2_exact(y.double(), x.double()).numpy(), torch.atan2(y.double(), x.double()).numpy(), 1e-12, 1e-12)


def _fired(fn, *args, enabled):
    with rewrite_context(enabled=enabled) as mode:
        fn(*args)
    return mode.fired


def test_rewrites_decline_what_they_cannot_do_exactly():
    x = torch.randn(2, 1, 3)
    assert _fired(lambda: torch.unique(x, sorted=False), enabled={"R001"}) == {}
    assert _fired(lambda: torch.unique(x, dim=0), enabled={"R001"}) == {}
    assert _fired(lambda: torch.unique(torch.tensor([True, False])), enabled={"R001"}) == {}
    assert _fired(lambda: torch.atan2(x.long(), x.long()), enabled={"R002"}) == {}
    assert _fired(lambda: x.squeeze(0), enabled={"R003"}) == {"R003": 1}  # static size 2 in eager: a no-op view
    with rewrite_context(enabled={"R003"}):
        assert x.squeeze((0, 1)).shape == (2, 3)  # mixes a size-1 and a size-2 axis: left to torch
    assert _fired(lambda: (x > 0) & (x > 1), enabled={"R006"}) == {}
    assert _fired(lambda: x.long() & 3, enabled={"R005"}) == {}  # integer bitwise: not ours
    assert _fired(lambda: x[:, torch.tensor([True])], enabled={"R006"}) == {}
    assert _fired(lambda: x[torch.tensor([0, 1])], enabled={"R006"}) == {}
    assert _fired(lambda: torch.where(x > 0), enabled={"R010"}) == {}
    assert _fired(lambda: torch.where(x > 0, True, False), enabled={"R010"}) == {}
    assert _fired(lambda: torch.fft.rfft(x, n=8), enabled={"R009"}) == {}
    assert _fired(lambda: torch.fft.fft(torch.complex(x, x)), enabled={"R009"}) == {}
    with rewrite_context(enabled={"R007"}) as mode, pytest.raises(RuntimeError, match="sliding blocks"):
        F.fold(torch.randn(1, 4, 5), (3, 3), 2)  # wrong block count: declined, torch's own error
    assert mode.fired == {}


def test_squeeze_variants():
    x = torch.randn(1, 3, 1, 2)
    with rewrite_context(enabled={"R003"}) as mode:
        assert torch.equal(x.squeeze(), torch.squeeze(x.clone()))
        assert x.squeeze((0, 2)).shape == (3, 2)
        assert torch.squeeze(x, dim=-2).shape == (1, 3, 2)
        assert x.squeeze(1).shape == x.shape
    assert mode.fired == {"R003": 5}


def test_fft_other_norms_and_axes():
    x = torch.randn(3, 10, 6, dtype=torch.float64)
    with rewrite_context(enabled={"R009"}):
        got = [torch.fft.rfft(x, dim=1, norm="forward").abs(), torch.fft.fft(x, norm="backward").imag,
               torch.fft.rfft(x, n=6).real, torch.fft.fft(x, dim=0).angle()]  # fmt: skip
    expected = [torch.fft.rfft(x, dim=1, norm="forward").abs(), torch.fft.fft(x, norm="backward").imag,
                torch.fft.rfft(x, n=6).real, torch.fft.fft(x, dim=0).angle()]  # fmt: skip
    for g, e in zip(got, expected):
        assert_close(g.numpy(), e.numpy(), 1e-9, 1e-9)


def test_where_is_not_exact_for_non_finite_values():
    x = torch.tensor([1.0, -1.0])
    with rewrite_context(enabled={"R010"}):
        out = torch.where(x > 0, torch.log(x), torch.zeros_like(x))
    assert out[0] == 0 and out[1].isnan()  # torch.where gives [0, 0]: the reason R010 is opt-in


def test_mode_is_reentrant_free():
    """Replacements call torch functions without re-entering the mode (no recursion, no double count)."""
    with RewriteMode(enabled={"R001", "R006"}) as mode:
        torch.unique(torch.tensor([2.0, 1.0, 2.0]), return_counts=True)
    assert mode.fired == {"R001": 1}
