"""The eager reference for a fixed-size detector: torchvision's own code, image by image,
its variable-length detections padded to the same fixed-size outputs (rows past
``num_detections`` zero, labels -1), so that verification compares like with like."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["ExtrasAtBoxes", "PaddedReference", "pad_detections"]


class PaddedReference(nn.Module):
    """``forward(images [B, 3, H, W])`` -> the model's ``list[dict]`` on ``list(images)``, padded."""

    def __init__(self, model: nn.Module, max_detections: int, output_names: tuple[str, ...]) -> None:
        super().__init__()
        self.model = model
        self.max_detections = max_detections
        self.output_names = output_names

    def forward(self, images: Tensor) -> tuple[Tensor, ...]:
        return pad_detections(self.detections(images), self.max_detections, self.output_names)

    def detections(self, images: Tensor) -> list[dict[str, Tensor]]:
        """The model's detections; for Mask / Keypoint R-CNN, the per-detection outputs as its
        heads made them, before torchvision pastes masks into the image or decodes keypoints."""
        heads = getattr(self.model, "roi_heads", None)
        captured: dict[str, Tensor] = {}
        hooks = [
            getattr(heads, name).register_forward_hook(lambda _m, _i, out, key=key: captured.__setitem__(key, out))
            for name, key in (("mask_predictor", "masks"), ("keypoint_predictor", "keypoint_heatmaps"))
            if heads is not None and getattr(heads, name, None) is not None and key in self.output_names
        ]  # fmt: skip
        try:
            detections = self.model(list(images))
        finally:
            for hook in hooks:
                hook.remove()
        counts = [len(d["labels"]) for d in detections]
        if "masks" in captured:
            labels = torch.cat([d["labels"] for d in detections])
            probs = captured["masks"].sigmoid()[torch.arange(len(labels)), labels]
            for d, masks in zip(detections, probs.split(counts)):
                d["masks"] = masks
        if "keypoint_heatmaps" in captured:
            for d, heat in zip(detections, captured["keypoint_heatmaps"].split(counts)):
                d["keypoint_heatmaps"] = heat
        return detections


def pad_detections(detections: list[dict[str, Tensor]], k: int, names: tuple[str, ...]) -> tuple[Tensor, ...]:
    """``[{boxes, scores, labels, ...}]`` per image -> ``num_detections [B] int32`` and each field
    ``[B, K, ...]`` (labels -1 past the detections, every other field 0)."""
    num = torch.tensor([min(len(d["scores"]), k) for d in detections], dtype=torch.int32)
    fields = [torch.stack([_pad(d[name][:k], k, -1 if name == "labels" else 0) for d in detections]) for name in names[1:]]
    return (num, *fields)


def _pad(rows: Tensor, k: int, value: float) -> Tensor:
    padded = rows.new_full((k, *rows.shape[1:]), value)
    padded[: len(rows)] = rows
    return padded


class ExtrasAtBoxes:
    """The model's own mask / keypoint heads evaluated at given boxes (the file's).

    Masks and keypoint heatmaps are sampled inside each detection's box; ONNX Runtime computes the
    boxes with float rounding (hundredths of a pixel), and the sampled values move with them, most
    in small boxes. Comparing them with PyTorch's at PyTorch's own boxes would measure the boxes
    twice; comparing them with the model's heads run at the file's boxes measures the heads."""

    def __init__(self, model: nn.Module, names: tuple[str, ...]) -> None:
        self.model = model
        self.names = names

    def __call__(self, images: Tensor, boxes, labels) -> dict[str, Tensor]:
        model, heads = self.model, self.model.roi_heads
        with torch.no_grad():
            image_list, _ = model.transform(list(images))
            features = model.backbone(image_list.tensors)
            (h, w), (rh, rw) = images.shape[-2:], image_list.image_sizes[0]
            scale = torch.tensor([rw / w, rh / h, rw / w, rh / h])
            rois = [torch.as_tensor(b) * scale for b in boxes]  # back to the resized image, as the heads see them
            sizes = image_list.image_sizes
            out = {}
            if "masks" in self.names:
                logits = heads.mask_predictor(heads.mask_head(heads.mask_roi_pool(features, rois, sizes)))
                flat = torch.as_tensor(labels).reshape(-1).clamp(min=0)
                out["masks"] = logits.sigmoid()[torch.arange(len(flat)), flat].reshape(len(boxes), -1, *logits.shape[-2:])
            if "keypoint_heatmaps" in self.names:
                logits = heads.keypoint_predictor(heads.keypoint_head(heads.keypoint_roi_pool(features, rois, sizes)))
                out["keypoint_heatmaps"] = logits.reshape(len(boxes), -1, *logits.shape[1:])
        return {k: v.numpy() for k, v in out.items()}
