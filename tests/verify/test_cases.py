"""Verification inputs stay in the example's domain and vary what the model depends on."""

import torch

from trtready.verify import InputPool, build_cases
from trtready.verify.cases import scalar_variants


def _pool_inputs():
    gen = torch.Generator().manual_seed(0)
    mean, std = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    image = (torch.rand(2, 3, 8, 8, generator=gen) - mean) / std
    depth = torch.rand(2, 1, 8, 8, generator=gen) * 40.0
    ids = torch.randint(0, 50, (2, 7), generator=gen)
    mask = torch.rand(2, 7, generator=gen) > 0.3
    points = torch.rand(2, 64, 3, generator=gen) * torch.tensor([50.0, 50.0, 4.0]) - torch.tensor([25.0, 25.0, 2.0])
    return image, depth, ids, mask, points


def test_resampled_rows_keep_each_channels_domain():
    inputs = _pool_inputs()
    pool = InputPool(inputs, [True] * 5, 0)
    image, depth, ids, mask, points = pool.draw(8, seed=3)
    for c in range(3):
        assert inputs[0][:, c].min() <= image[:, c].min() and image[:, c].max() <= inputs[0][:, c].max()
    assert depth.min() >= 0 and depth.max() <= inputs[1].max()
    assert set(ids.unique().tolist()) <= set(inputs[2].unique().tolist())
    assert mask.dtype == torch.bool
    for axis in range(3):  # x, y and z keep their own ranges
        assert inputs[4][..., axis].min() <= points[..., axis].min() and points[..., axis].max() <= inputs[4][..., axis].max()


def test_resampled_rows_are_new_and_distinct():
    inputs = _pool_inputs()
    image = InputPool(inputs, [True] * 5, 0).draw(3, seed=1)[0]
    assert not any(torch.equal(image[i], inputs[0][j]) for i in range(3) for j in range(2))
    assert not torch.equal(image[0], image[1])


def test_cases_start_with_the_example_and_cover_every_batch():
    inputs = _pool_inputs()
    cases = build_cases(inputs, [True] * 5, 0, [2, 1, 3, 8], 2)
    assert cases[0].label == "example" and all(a is b for a, b in zip(cases[0].inputs, inputs))
    assert [c.batch for c in cases] == [2, 1, 3, 8]
    assert all(t.shape[0] == c.batch for c in cases for t in c.inputs)


def test_scalar_inputs_are_varied_inside_their_domain():
    x = torch.rand(2, 4)
    count, flag, scale, zero = torch.tensor(3), torch.tensor(True), torch.tensor(0.5), torch.tensor(0)
    variants = dict(scalar_variants((x, count, flag, scale, zero), [True, False, False, False, False],
                                    ["x", "n", "flag", "scale", "start"]))  # fmt: skip
    values = {label: v for label, v in variants.items()}
    assert {"n varied to 2", "n varied to 4", "flag varied to False", "scale varied to 0.25",
            "scale varied to 0.75", "start varied to 1"} == set(values)  # fmt: skip
    assert all(v[0] is x for v in values.values())  # batched inputs are left alone


def test_whole_rows_are_the_pool_images_some_mirrored():
    """A detector's verification images: the user's own images, whole, half of them mirrored."""
    images = torch.rand(3, 3, 8, 10)
    pool = InputPool((images,), [True], 0, whole_rows=True, label="example images, half mirrored")
    (drawn,) = pool.draw(16, seed=5)
    assert drawn.shape == (16, 3, 8, 10)
    originals = [any(torch.equal(row, img) for img in images) for row in drawn]
    mirrored = [any(torch.equal(row, img.flip(-1)) for img in images) for row in drawn]
    assert all(o or m for o, m in zip(originals, mirrored))
    assert any(originals) and any(m and not o for o, m in zip(originals, mirrored))
    cases = build_cases((images,), [True], 0, [1, 3, 5], 3, pool=pool)
    assert [c.label for c in cases] == ["example images, half mirrored", "example", "example images, half mirrored"]
