"""The element-wise criterion: one value badly wrong fails; rounding noise passes."""

import numpy as np

from trtready.verify import compare_output


def _compare(got, ref):
    return compare_output("y", 2, got.astype(np.float32), ref.astype(np.float32), atol=1e-4, rtol=1e-3, batch_dim=0)


def test_one_wrong_value_in_a_million_fails():
    ref = np.random.default_rng(0).normal(size=(2, 500_000))
    got = ref.copy()
    got[1, 1234] += 0.5  # the global relative error is far below 1e-3
    row = _compare(got, ref)
    assert row.rel_err < 1e-3
    assert row.status == "fail" and row.bad_fraction == 1 / ref.size


def test_rounding_noise_passes_also_near_zero():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(4, 1000)) * 50
    ref[0, :10] = 1e-9  # values that cancel to nearly zero
    got = ref + rng.normal(size=ref.shape) * 1e-5
    assert _compare(got, ref).status == "pass"


def test_tiny_outputs_are_compared_relatively():
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(2, 100)) * 1e-7
    assert _compare(ref * 1.0000001, ref).status == "pass"
    assert _compare(np.zeros_like(ref), ref).status == "fail"  # all below atol, yet entirely wrong
