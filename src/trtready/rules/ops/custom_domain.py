"""TRT102 ops.custom-domain: an op from a non-standard domain that is not a declared plugin."""

from __future__ import annotations

from ...catalog import references as refs
from ...graph.attributes import str_attr
from ..base import Rule, Severity, describe

_ATEN_DOMAINS = ("org.pytorch.aten", "pkg.torch.aten")

#: Plugins that ship with TensorRT's plugin library (libnvinfer_plugin), with their README: known, not
#: missing, in any domain (the parser finds a plugin by op_type); TRT101 leaves them to this rule.
SHIPPED_PLUGINS = {"EfficientNMS_TRT": refs.EFFICIENT_NMS_PLUGIN.url}


def _model(body: str, domain_import: str) -> str:
    return f"""
<ir_version: 8, opset_import: ["" : 17, {domain_import}]>
g (float[N,8] x) => (float[N,8] y) {{
{body}
}}
"""


class CustomDomainOp(Rule):
    """An op outside the ONNX domain (ATen fallback, ONNX Runtime contrib op, custom op) with no plugin declared."""

    id = "TRT102"
    name = "ops.custom-domain"
    severity = Severity.ERROR
    references = (refs.ONNX_TRT_MODEL_IMPORTER, refs.TRT_PLUGINS, refs.ONNX_TRT_OPERATORS)
    why = (
        "TensorRT imports a node that has no built-in importer only through a registered plugin whose name "
        "is the node's op_type (FallbackPluginImporter; otherwise 'Plugin not found'). ATen fallback ops "
        "(operator_export_type=ONNX_ATEN_FALLBACK), com.microsoft contrib ops and ai.onnx.ml ops have no "
        "TensorRT importer. Calls of model-local functions are imported by the parser and not reported."
    )
    fix = (
        "Make the op exportable with standard ONNX ops (a supported PyTorch rewrite or a newer opset), or "
        "provide a TensorRT plugin with that name and declare it: `trtready check --plugin NAME` (API: "
        "check(..., plugins=[NAME])); from PyTorch, `trtready export --plugin-module PATH=Plugin`."
    )
    VALID = [
        (_model('  y = custom.MyGelu(x)', '"custom" : 1'), {"plugins": ["MyGelu"]}),
        _model('  y = Relu(x)', '"custom" : 1'),
    ]
    INVALID = [
        _model('  y = custom.MyGelu(x)', '"custom" : 1'),
        _model('  y = org.pytorch.aten.ATen <operator = "gelu"> (x)', '"org.pytorch.aten" : 1'),
        _model('  y = com.microsoft.FastGelu(x)', '"com.microsoft" : 1'),
    ]

    def check(self, ctx):
        functions = {(key[0], key[1]) for key in ctx.model.functions}
        for path, node in ctx.custom_nodes:
            if node.op_type in ctx.plugins:
                continue
            if (node.domain, node.op_type) in functions:
                continue
            if node.op_type in SHIPPED_PLUGINS:
                yield _shipped(self, node, path)
                continue
            yield self.finding(f"{describe(node)} from domain '{node.domain}' {_origin(node)}", node, path)
        for path, node in ctx.nodes_of(*SHIPPED_PLUGINS):  # the same plugin in the default domain
            if node.op_type not in ctx.plugins:
                yield _shipped(self, node, path)


def _shipped(rule, node, path):
    """A note, not an error: TensorRT's own plugin library provides the op."""
    finding = rule.finding(f"{describe(node)} is a plugin shipped with TensorRT's plugin library libnvinfer_plugin "
                           f"({SHIPPED_PLUGINS[node.op_type]})", node, path, severity=Severity.INFO)  # fmt: skip
    finding.fix = ("Nothing to change in the file: build and run the engine with TensorRT's plugin library loaded "
                   "(trtexec loads it; in your own code call initLibNvInferPlugins, in Python "
                   "trt.init_libnvinfer_plugins, before parsing).")  # fmt: skip
    return finding


def _origin(node) -> str:
    if node.domain in _ATEN_DOMAINS or node.op_type == "ATen":
        operator = str_attr(node, "operator", None)
        name = f" aten::{operator}" if operator is not None else ""
        return f"is an ATen fallback{name}; TensorRT has no importer for it"
    if node.domain == "com.microsoft":
        return "is an ONNX Runtime contrib op; TensorRT has no importer for it"
    if node.domain == "ai.onnx.ml":
        return "is an ONNX-ML op; TensorRT imports none of them"
    return "needs a TensorRT plugin named '%s', and none is declared" % node.op_type
