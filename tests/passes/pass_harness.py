"""Shared checks for the fix passes: examples, ORT comparison, provenance, real torch exports."""

from __future__ import annotations

import io
import warnings

import numpy as np
import onnx
import onnx_ir as ir
import onnxruntime as ort
import pytest

from trtready.passes.base import PROVENANCE_KEY
from trtready.rules import all_rules, check_model
from trtready.rules.base import example_parts
from trtready.simplify import copy_model

BATCHES = (2, 3)


def pass_examples(pass_cls, module):
    """pytest params: the pass's EXAMPLES and the fixable INVALID examples of the rules it fixes."""
    unfixable = {(rule_id, index) for rule_id, index, _ in getattr(module, "UNFIXABLE_EXAMPLES", [])}
    params = [pytest.param(text, {}, id=f"EXAMPLES{i}") for i, text in enumerate(pass_cls.EXAMPLES)]
    rules = all_rules()
    for rule_id in pass_cls.fixes:
        for index, example in enumerate(rules[rule_id].INVALID):
            if (rule_id, index) not in unfixable:
                text, options = example_parts(example)
                params.append(pytest.param(text, options, id=f"{rule_id}-INVALID{index}"))
    return params


def unfixable_examples(pass_cls, module):
    rules = all_rules()
    params = []
    for rule_id, index, reason in getattr(module, "UNFIXABLE_EXAMPLES", []):
        assert rule_id in pass_cls.fixes and reason
        text, options = example_parts(rules[rule_id].INVALID[index])
        params.append(pytest.param(text, options, rule_id, id=f"{rule_id}-INVALID{index}"))
    return params


def feeds(model: ir.Model, batch: int, seed: int = 0, other: int = 3) -> dict[str, np.ndarray]:
    """Random inputs: dim 0 symbolic -> ``batch``, other symbolic dims -> ``other``."""
    rng = np.random.default_rng(seed + batch)
    result = {}
    for value in model.graph.inputs:
        if value.name in model.graph.initializers:
            continue
        shape = [batch if i == 0 and not isinstance(d, int) else (d if isinstance(d, int) else other)
                 for i, d in enumerate(value.shape or [])]  # fmt: skip
        dtype = value.dtype.numpy()
        if dtype == np.bool_:
            result[value.name] = rng.random(shape) > 0.5
        elif np.issubdtype(dtype, np.integer):
            result[value.name] = rng.integers(0, 5, shape).astype(dtype)
        else:
            result[value.name] = rng.standard_normal(shape).astype(dtype)
    return result


def run(model: ir.Model, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(ir.to_proto(model).SerializeToString(), options, providers=["CPUExecutionProvider"])
    declared = {i.name: i.type for i in session.get_inputs()}
    cast = {k: v.astype(_ORT_TYPES[declared[k]]) for k, v in inputs.items() if k in declared}
    return session.run(None, cast)


_ORT_TYPES = {
    "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64,
    "tensor(int32)": np.int32, "tensor(int16)": np.int16, "tensor(bool)": np.bool_, "tensor(float16)": np.float16,
    "tensor(uint8)": np.uint8,
}  # fmt: skip


def findings(model: ir.Model, pass_cls, options: dict) -> list:
    return [f for f in check_model(model, select=list(pass_cls.fixes), **options) if f.rule_id in pass_cls.fixes]


def node_ids(model: ir.Model) -> set[int]:
    from trtready.ir import iter_nodes

    return {id(node) for _, node in iter_nodes(model.graph)}


def check_pass(pass_instance, text: str, options: dict, *, ort_check: bool = True):
    """(a) modified, (b) no findings, (c) same ORT outputs, (d) stamps, (e) onnx.checker."""
    original = ir.from_onnx_text(text)
    model = copy_model(original)
    from trtready.ir import iter_nodes

    before = {(node.name, node.op_type, tuple(v.name for v in node.outputs)) for _, node in iter_nodes(model.graph)}
    result = pass_instance(model)
    fixed = result.model
    assert result.modified  # (a)
    assert findings(fixed, type(pass_instance), options) == []  # (b)
    for _, node in iter_nodes(fixed.graph):  # (d)
        key = (node.name, node.op_type, tuple(v.name for v in node.outputs))
        if key not in before:
            assert node.metadata_props.get(PROVENANCE_KEY) == pass_instance.name, node
    onnx.checker.check_model(ir.to_proto(fixed), full_check=True)  # (e)
    if ort_check:
        compare_ort(original, fixed, type(pass_instance).changes_other_batches)
    return fixed


def compare_ort(original: ir.Model, fixed: ir.Model, changes_other_batches: bool, rtol=1e-4, atol=1e-5):
    """Same outputs at every batch where the original runs; the fixed model runs at every batch."""
    compared = 0
    for batch in BATCHES:
        for other in (3, 1):  # other symbolic dims: 1 when the model only runs with 1 (squeeze)
            inputs = feeds(original, batch, other=other)
            try:
                expected = run(original, inputs)
                break
            except Exception:
                expected = None
        if expected is None:
            assert changes_other_batches, f"original model does not run at batch {batch}"
            run(fixed, feeds(original, batch))  # must run at the other batch
            continue
        got = run(fixed, inputs)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert g.shape == e.shape
            np.testing.assert_allclose(g.astype(np.float64) if g.dtype != np.bool_ else g,
                                       e.astype(np.float64) if e.dtype != np.bool_ else e, rtol=rtol, atol=atol)  # fmt: skip
        compared += 1
    assert compared


def export(module, example, **kwargs) -> ir.Model:
    """``torch.onnx.export`` (TorchScript exporter, opset 18, dynamic batch) into onnx_ir."""
    import torch

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(), (example,), buffer, dynamo=False, opset_version=kwargs.pop("opset", 18),
            input_names=["x"], output_names=["y"],
            dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, **kwargs,
        )  # fmt: skip
    return ir.from_proto(onnx.load_from_string(buffer.getvalue()))


def compare_torch(module, model: ir.Model, make_input, batches=BATCHES, rtol=1e-4, atol=1e-5):
    import torch

    for batch in batches:
        x = make_input(batch)
        with torch.no_grad():
            expected = module(x)
        got = run(model, {"x": x.numpy()})[0]
        np.testing.assert_allclose(got.astype(np.float64), expected.double().numpy(), rtol=rtol, atol=atol)
