"""TRT505 restrict.resize: Resize with a mode, coordinate mapping or option TensorRT does not take."""

from __future__ import annotations

from ...graph.attributes import int_attr, str_attr
from ..base import Rule, Severity, describe

_HEADER = '<ir_version: 8, opset_import: ["" : 18]>'
MODES = ("nearest", "linear")
COORDINATE_MODES = ("half_pixel", "pytorch_half_pixel", "tf_half_pixel_for_nn", "asymmetric", "align_corners")
NEAREST_MODES = ("floor", "ceil", "round_prefer_floor", "round_prefer_ceil")


def _resize(attrs: str) -> str:
    return f"""{_HEADER}
g (float[N,3,8,8] x) => (float[N,3,16,16] y) {{
  scales = Constant <value_floats = [1.0, 1.0, 2.0, 2.0]> ()
  y = Resize <{attrs}> (x, , scales)
}}"""


class ResizeLimits(Rule):
    """Resize with antialias, a non-'stretch' aspect policy, an unlisted mode or coordinate transformation."""

    id = "TRT505"
    name = "restrict.resize"
    severity = Severity.ERROR
    why = (
        "TensorRT's Resize takes modes nearest/linear, coordinate modes half_pixel, pytorch_half_pixel, "
        "tf_half_pixel_for_nn, asymmetric, align_corners, nearest rounding floor/ceil/round_prefer_*, "
        "keep_aspect_ratio_policy='stretch' and no antialias (onnx-tensorrt docs/operators.md, 11.1). "
        "mode='cubic' is implemented by the 10.1 importer but not documented, so it is a warning."
    )
    fix = (
        "Use F.interpolate(mode='nearest'|'bilinear', antialias=False); for antialiased downscaling blur "
        "with a fixed conv first; bicubic: check with trtexec or switch to bilinear."
    )
    VALID = [_resize('mode = "linear", coordinate_transformation_mode = "pytorch_half_pixel"')]
    INVALID = [
        _resize('mode = "linear", antialias = 1'),
        _resize('mode = "nearest", coordinate_transformation_mode = "tf_crop_and_resize"'),
        _resize('mode = "cubic"'),
    ]

    ops = ("Resize",)

    def check_node(self, ctx, path, node):
        for problem, severity in _problems(node):
            yield self.finding(f"{describe(node)} {problem}", node, path, severity=severity)


def _problems(node):
    mode = str_attr(node, "mode", "nearest")
    if mode == "cubic":
        yield "uses mode='cubic', implemented but not documented by TensorRT", Severity.WARNING
    elif mode not in MODES:
        yield f"uses mode='{mode}'", None
    coordinate = str_attr(node, "coordinate_transformation_mode", "half_pixel")
    if coordinate not in COORDINATE_MODES:
        yield f"uses coordinate_transformation_mode='{coordinate}'", None
    nearest = str_attr(node, "nearest_mode", "round_prefer_floor")
    if mode == "nearest" and nearest not in NEAREST_MODES:
        yield f"uses nearest_mode='{nearest}'", None
    if int_attr(node, "antialias", 0):
        yield "uses antialias=1", None
    policy = str_attr(node, "keep_aspect_ratio_policy", "stretch")
    if policy != "stretch":
        yield f"uses keep_aspect_ratio_policy='{policy}'", None
