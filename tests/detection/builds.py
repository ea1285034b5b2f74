"""Small detectors built from torchvision's detection classes, as users build their own: other
backbones (ResNet-18 / MobileNetV3 with an FPN), other class counts, smaller image sizes. Each is
calibrated on synthetic scenes (random weights detect nothing otherwise)."""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models.detection import FCOS, FasterRCNN, KeypointRCNN, MaskRCNN, RetinaNet
from torchvision.models.detection import fasterrcnn_mobilenet_v3_large_320_fpn, ssdlite320_mobilenet_v3_large
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import mobilenet_backbone, resnet_fpn_backbone
from torchvision.ops.feature_pyramid_network import LastLevelP6P7

from trtready.detection.calibrate import calibrate_detector
from trtready.detection.scenes import scenes

SIZE = (256, 256)
SMALL = dict(min_size=SIZE[0], max_size=SIZE[1])


def _resnet18_fpn(extra=None):
    return resnet_fpn_backbone(backbone_name="resnet18", weights=None, norm_layer=nn.BatchNorm2d,
                               trainable_layers=5, returned_layers=[2, 3, 4], extra_blocks=extra)  # fmt: skip


def _mobilenet_fpn():
    return mobilenet_backbone(backbone_name="mobilenet_v3_large", weights=None, fpn=True, norm_layer=nn.BatchNorm2d, trainable_layers=6)


def retinanet():
    return RetinaNet(_resnet18_fpn(LastLevelP6P7(256, 256)), num_classes=11, detections_per_img=50, **SMALL)


def fcos():
    return FCOS(_resnet18_fpn(LastLevelP6P7(256, 256)), num_classes=7, detections_per_img=40, **SMALL)


def ssdlite():
    return ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=21, detections_per_img=60)


def faster_rcnn():
    return fasterrcnn_mobilenet_v3_large_320_fpn(weights=None, weights_backbone=None, num_classes=9,
                                                 box_detections_per_img=30)  # fmt: skip


def _mobilenet_anchors():
    """One anchor set per map of the MobileNetV3 FPN (two maps and a pooled one), as torchvision's
    ``fasterrcnn_mobilenet_v3_large_fpn`` builds them."""
    return AnchorGenerator(((32, 64, 128, 256, 512),) * 3, ((0.5, 1.0, 2.0),) * 3)


def mask_rcnn():
    return MaskRCNN(_mobilenet_fpn(), num_classes=5, box_detections_per_img=20, rpn_anchor_generator=_mobilenet_anchors(),
                    rpn_pre_nms_top_n_test=300, rpn_post_nms_top_n_test=200, **SMALL)  # fmt: skip


def keypoint_rcnn():
    return KeypointRCNN(_mobilenet_fpn(), num_classes=2, num_keypoints=5, box_detections_per_img=15,
                        rpn_anchor_generator=_mobilenet_anchors(), rpn_pre_nms_top_n_test=300,
                        rpn_post_nms_top_n_test=200, **SMALL)  # fmt: skip


BUILDS = {"retinanet": retinanet, "fcos": fcos, "ssdlite": ssdlite, "faster_rcnn": faster_rcnn,
          "mask_rcnn": mask_rcnn, "keypoint_rcnn": keypoint_rcnn}  # fmt: skip


def calibrated(name: str, size: tuple[int, int] = SIZE) -> nn.Module:
    torch.manual_seed(0)
    return calibrate_detector(BUILDS[name](), scenes(4, size, seed=11))
