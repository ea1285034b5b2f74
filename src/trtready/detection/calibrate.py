"""Make a random-weight torchvision detector produce meaningful detections (demos, tests,
benchmarks: nothing can be downloaded here).

With random weights, batch norms hold default statistics and the class scores sit near
the prior (RetinaNet: sigmoid 0.01; Faster R-CNN: softmax 1/91), below every threshold, so a
detector outputs nothing, or only ties, and "parity" proves nothing. Calibration re-estimates
the batch-norm statistics on the given images, then rescales the class-score layer so that
scores spread up to ~0.9 instead of saturating at 1.0 (a sea of tied scores at the K-th place
proves nothing): for softmax scores, the best foreground score of the top ``fraction / 50`` of
rows is 0.9; for sigmoid scores, in addition, a ``fraction`` of the (anchor, class) scores clear
the model's score threshold. A region proposal network's objectness is scaled so that its
sigmoid does not saturate either (ties at 1.0 make which proposals survive arbitrary).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torchvision.models.detection import FCOS, FasterRCNN, RetinaNet
from torchvision.models.detection.ssd import SSD

__all__ = ["calibrate_detector"]

QUANTILE_SAMPLE = 1 << 20
# objectness logits' standard deviation on the calibration images; random heads have tails of 5
# deviations and other images 3 times the spread: sigmoid stays below 1.0 in float32 up to ~16
OBJECTNESS_STD = 1.0


def calibrate_detector(model: nn.Module, images: Tensor, *, fraction: float = 0.002) -> nn.Module:
    """Calibrate ``model`` in place on ``images`` ``[B, 3, H, W]`` (values in 0..1); returns it in eval mode."""
    model.eval()
    _recalibrate_batchnorm(model, images)
    layers, sigmoid, threshold, classes = _score_layers(model)
    with torch.no_grad():
        logits = _captured(model, layers, images, classes)
        if sigmoid:  # the top ``fraction`` of scores clear the threshold, spread up to ~0.9
            gain, shift = _sigmoid_mapping(logits.reshape(-1), threshold, fraction)
        else:  # the best foreground score of the top rows ~0.9, not 1.0: no sea of ties at the cut-off
            gain, shift = _softmax_gain(logits, fraction), 0.0
        for layer in layers:
            layer.weight.mul_(gain)
            layer.bias.mul_(gain).add_(shift)
        if isinstance(model, FasterRCNN):  # objectness: neither a tight cluster nor saturated (ties at 1.0)
            objectness = model.rpn.head.cls_logits
            gain = OBJECTNESS_STD / float(_captured(model, [objectness], images, 1).std().clamp(min=1e-6))
            objectness.weight.mul_(gain)
            objectness.bias.mul_(gain)
    return model


def _softmax_gain(rows: Tensor, fraction: float) -> float:
    """The logit gain at which the ``1 - fraction / 50`` quantile of each row's best foreground
    probability (class 0 is background) is 0.9, by bisection on the log of the gain."""
    pick = torch.randperm(len(rows), generator=torch.Generator().manual_seed(0))[: QUANTILE_SAMPLE // rows.shape[1] + 1]
    sample = rows[pick]
    low, high = math.log(1e-3), math.log(1e3)
    for _ in range(40):
        mid = (low + high) / 2
        best = torch.softmax(sample * math.exp(mid), -1)[:, 1:].amax(-1)
        if float(torch.quantile(best, 1 - fraction / 50)) < 0.9:
            low = mid
        else:
            high = mid
    return math.exp((low + high) / 2)


def _sigmoid_mapping(logits: Tensor, threshold: float, fraction: float) -> tuple[float, float]:
    """``(gain, shift)`` mapping the logits' ``1 - fraction`` quantile to the threshold and the
    ``1 - fraction / 50`` quantile to a score of 0.9: scores above the threshold spread instead of
    saturating at 1.0 (random heads have heavy tails), and a fraction of them clear it."""
    pick = torch.randperm(logits.numel(), generator=torch.Generator().manual_seed(0))[:QUANTILE_SAMPLE]
    sample = logits[pick]
    low, high = (float(torch.quantile(sample, 1 - f)) for f in (fraction, fraction / 50))
    gain = (_logit(0.9) - _logit(threshold)) / max(high - low, 1e-6)
    return gain, _logit(threshold) - gain * low


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _recalibrate_batchnorm(model: nn.Module, images: Tensor) -> None:
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a cumulative average over the calibration images
        norm.train()
    if len(images) < 2:  # a batch norm in training mode needs two values per channel (1x1 maps late in SSDlite)
        images = torch.cat([images, images.flip(-1)])
    with torch.no_grad():
        model(list(images))
    for norm in norms:
        norm.momentum = 0.1
        norm.eval()


def _score_layers(model: nn.Module) -> tuple[list[nn.Module], bool, float, int]:
    """The layers whose outputs are class logits, whether scores are their sigmoid, the threshold,
    the number of classes."""
    if isinstance(model, (RetinaNet, FCOS)):
        head = model.head.classification_head
        return [head.cls_logits], True, model.score_thresh, head.num_classes
    if isinstance(model, SSD):
        head = model.head.classification_head
        return [h if isinstance(h, nn.Conv2d) else h[-1] for h in head.module_list], False, model.score_thresh, head.num_columns
    if isinstance(model, FasterRCNN):
        layer = model.roi_heads.box_predictor.cls_score
        return [layer], False, model.roi_heads.score_thresh, layer.out_features
    raise TypeError(f"not a torchvision detector: {type(model).__name__}")


def _captured(model: nn.Module, layers: list[nn.Module], images: Tensor, classes: int) -> Tensor:
    """Every logit the layers output on ``images``, as rows of ``classes`` (a convolution's channels
    are anchors x classes)."""
    outputs: list[Tensor] = []

    def rows(out: Tensor) -> Tensor:
        if out.dim() == 4:  # [B, A * C, H, W] -> [B * A * H * W, C]
            out = out.reshape(out.shape[0], -1, classes, *out.shape[-2:]).permute(0, 1, 3, 4, 2)
        return out.detach().reshape(-1, classes)

    hooks = [layer.register_forward_hook(lambda _m, _i, out: outputs.append(rows(out))) for layer in layers]
    try:
        with torch.no_grad():
            model(list(images))
    finally:
        for hook in hooks:
            hook.remove()
    return torch.cat(outputs)
