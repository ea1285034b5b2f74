"""The model corpus for ``benchmarks/zoo.py``: real architectures with random weights.

Every entry builds ``(model, args, kwargs)`` with example inputs at batch 2.
Nothing is downloaded: torchvision ``weights=None``, timm ``pretrained=False``,
transformers models from small explicit config objects. Builders import their
library lazily, so a missing optional package only skips its entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

BATCH = 2
IMAGE = 128  # CNN classifiers and segmenters accept any size; ViTs get their native 224


@dataclass(frozen=True)
class Entry:
    name: str
    group: str  # torchvision | timm | transformers | seed
    build: Callable[[], tuple[nn.Module, tuple, dict]]
    quick: bool = False  # part of the --quick subset
    note: str = ""


def _seeded(fn):
    def build():
        torch.manual_seed(0)
        with torch.no_grad():
            model, args, kwargs = fn()
        return model.eval(), args, kwargs

    return build


def _images(size: int = IMAGE, batch: int = BATCH, channels: int = 3) -> torch.Tensor:
    return torch.rand(batch, channels, size, size, generator=torch.Generator().manual_seed(1))


def _randomize_bn(model: nn.Module) -> nn.Module:
    """Non-trivial batch-norm statistics and no all-zero layers, so random-weight outputs are not constant.

    (torchvision's ViT zero-initializes its classifier head, which makes every output 0.)
    """
    gen = torch.Generator().manual_seed(2)
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)) and m.weight.numel() and not m.weight.any():
            m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * 0.02)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
            m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=gen) * 0.4 - 0.2)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)
    return model


# -- torchvision ---------------------------------------------------------------


def _tv_classifier(name: str, size: int = IMAGE, **kw):
    @_seeded
    def build():
        import torchvision

        model = torchvision.models.get_model(name, weights=None, **kw)
        return _randomize_bn(model), (_images(size),), {}

    return build


def _tv_segmenter(name: str, size: int = IMAGE):
    @_seeded
    def build():
        import torchvision

        model = torchvision.models.get_model(name, weights=None, weights_backbone=None, num_classes=5, aux_loss=False)
        return _randomize_bn(model), (_images(size),), {}  # returns {"out": ...}

    return build


class FirstImageDetections(nn.Module):
    """A torchvision detector returning (boxes, scores, labels) of the first image as tensors."""

    def __init__(self, detector: nn.Module):
        super().__init__()
        self.detector = detector

    def forward(self, images: torch.Tensor):
        det = self.detector(list(images))[0]
        return det["boxes"], det["scores"], det["labels"]


@_seeded
def _tv_ssdlite():
    import torchvision

    model = torchvision.models.detection.ssdlite320_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=5, score_thresh=0.001, detections_per_img=50
    )
    return FirstImageDetections(_randomize_bn(model)), (_images(160),), {}


@_seeded
def _tv_r3d():
    import torchvision

    model = torchvision.models.video.r3d_18(weights=None)
    clip = torch.rand(BATCH, 3, 8, 64, 64, generator=torch.Generator().manual_seed(1))
    return _randomize_bn(model), (clip,), {}


class LastFlow(nn.Module):
    def __init__(self, raft: nn.Module, updates: int):
        super().__init__()
        self.raft, self.updates = raft, updates

    def forward(self, image1: torch.Tensor, image2: torch.Tensor) -> torch.Tensor:
        return self.raft(image1, image2, num_flow_updates=self.updates)[-1]


@_seeded
def _tv_raft():
    import torchvision

    model = LastFlow(torchvision.models.optical_flow.raft_small(weights=None), updates=4)
    gen = torch.Generator().manual_seed(1)
    a, b = torch.rand(BATCH, 3, 128, 128, generator=gen), torch.rand(BATCH, 3, 128, 128, generator=gen)
    return _randomize_bn(model), (a, b), {}


# -- timm ------------------------------------------------------------------------


def _timm(name: str, size: int = IMAGE, **kw):
    @_seeded
    def build():
        import timm

        model = timm.create_model(name, pretrained=False, **kw)
        return _randomize_bn(model), (_images(size),), {}

    return build


# -- transformers (small configs, random weights) ----------------------------------

SEQ = 16
VOCAB = 1000


def _text_inputs() -> dict:
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(3, VOCAB, (BATCH, SEQ), generator=gen)
    mask = torch.ones(BATCH, SEQ, dtype=torch.int64)
    mask[1, SEQ - 5 :] = 0  # one padded row, so masking matters
    return {"input_ids": ids, "attention_mask": mask}


class KeywordCall(nn.Module):
    """``model(input_ids=..., attention_mask=...)`` by keyword.

    Works around trtready's FlatModel passing a keyword example argument
    positionally when an earlier optional parameter was not given (GPT2Model's
    second parameter is ``cache``, not ``attention_mask``).
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        return self.model(input_ids=input_ids, attention_mask=attention_mask)


def _hf_text(model_cls: str, config_cls: str, keyword_wrapper: bool = False, **config):
    @_seeded
    def build():
        import transformers

        cfg = getattr(transformers, config_cls)(**config)
        model = getattr(transformers, model_cls)(cfg)
        return (KeywordCall(model) if keyword_wrapper else model), (), _text_inputs()

    return build


def _hf_vision(model_cls: str, config_cls: str, size: int, **config):
    @_seeded
    def build():
        import transformers

        cfg = getattr(transformers, config_cls)(image_size=size, **config)
        model = getattr(transformers, model_cls)(cfg)
        return model, (), {"pixel_values": _images(size)}

    return build


@_seeded
def _hf_wav2vec2():
    import transformers

    cfg = transformers.Wav2Vec2Config(
        hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
        conv_dim=(32, 32, 32), conv_stride=(5, 2, 2), conv_kernel=(10, 3, 3),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
    )  # fmt: skip
    model = transformers.Wav2Vec2Model(cfg)
    audio = torch.randn(BATCH, 1600, generator=torch.Generator().manual_seed(1))
    return model, (), {"input_values": audio}


_SMALL_BERT = dict(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                   intermediate_size=128, max_position_embeddings=64)  # fmt: skip
_SMALL_VIT = dict(patch_size=8, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128)


# -- hand-written models with the patterns where exporters differ --------------------


def _conv_bn_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class IntViewClassifier(nn.Module):
    """``x.view(int(x.size(0)), -1)``: the batch captured as a Python int (pinned by tracing)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(_conv_bn_relu(3, 16), _conv_bn_relu(16, 32), nn.AdaptiveAvgPool2d(4))
        self.fc = nn.Linear(32 * 16, 10)

    def forward(self, x):
        x = self.features(x)
        return self.fc(x.view(int(x.size(0)), -1))


class SqueezeHead(nn.Module):
    """Per-location scores sliced to width 1 and squeezed; a squeeze on a dynamic-size axis."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(_conv_bn_relu(3, 16), _conv_bn_relu(16, 32))
        self.head = nn.Conv2d(32, 5, 1)

    def forward(self, x):
        pred = self.head(self.features(x)).flatten(2).transpose(1, 2)  # (B, HW, 5)
        objectness = pred[..., 4:5].sigmoid().squeeze(-1)  # (B, HW)
        pooled = pred.mean(dim=1, keepdim=True).squeeze(1)  # (B, 5): squeeze of a size-1 axis after the batch
        return objectness, pooled


class ItemScale(nn.Module):
    """A data-dependent Python scalar: ``.item()`` becomes a constant when traced."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(_conv_bn_relu(3, 16), _conv_bn_relu(16, 32), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        h = self.features(x).flatten(1)
        scale = h.abs().max().item()  # a Python float: tracing records this input's value
        return self.fc(h / scale)


class DictIO(nn.Module):
    """Nested inputs and outputs (a dict in, a dict with a tuple out); plain dynamic-batch code."""

    def __init__(self):
        super().__init__()
        self.image = nn.Sequential(_conv_bn_relu(3, 16), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.meta = nn.Linear(8, 16)
        self.out = nn.Linear(16, 4)

    def forward(self, batch: dict):
        h = self.image(batch["image"]) + self.meta(batch["meta"])
        return {"logits": self.out(h), "aux": (h.relu(), h.sigmoid())}


def _seed(cls):
    @_seeded
    def build():
        return _randomize_bn(cls()), (_images(64),), {}

    return build


@_seeded
def _seed_dict():
    gen = torch.Generator().manual_seed(1)
    batch = {"image": torch.rand(BATCH, 3, 64, 64, generator=gen), "meta": torch.randn(BATCH, 8, generator=gen)}
    return _randomize_bn(DictIO()), (batch,), {}


@_seeded
def _seed_demo():
    from trtready.demo import build_demo

    model, args = build_demo()
    return model, args, {}


# -- the corpus ------------------------------------------------------------------------

ZOO: list[Entry] = [
    # torchvision classifiers
    Entry("tv_resnet18", "torchvision", _tv_classifier("resnet18"), quick=True),
    Entry("tv_mobilenet_v3_small", "torchvision", _tv_classifier("mobilenet_v3_small")),
    Entry("tv_efficientnet_b0", "torchvision", _tv_classifier("efficientnet_b0")),
    Entry("tv_vit_b_16", "torchvision", _tv_classifier("vit_b_16", 224), note="224x224"),
    Entry("tv_convnext_tiny", "torchvision", _tv_classifier("convnext_tiny")),
    Entry("tv_regnet_y_400mf", "torchvision", _tv_classifier("regnet_y_400mf")),
    Entry("tv_squeezenet1_0", "torchvision", _tv_classifier("squeezenet1_0")),
    Entry("tv_shufflenet_v2_x0_5", "torchvision", _tv_classifier("shufflenet_v2_x0_5")),
    # torchvision dense / detection / video / flow
    Entry("tv_lraspp_mobilenet_v3_large", "torchvision", _tv_segmenter("lraspp_mobilenet_v3_large")),
    Entry("tv_deeplabv3_mobilenet_v3_large", "torchvision", _tv_segmenter("deeplabv3_mobilenet_v3_large")),
    Entry("tv_ssdlite320_first_image", "torchvision", _tv_ssdlite, note="(boxes, scores, labels) of image 0"),
    Entry("tv_r3d_18", "torchvision", _tv_r3d, note="2x3x8x64x64 clip"),
    Entry("tv_raft_small", "torchvision", _tv_raft, note="two inputs, 4 flow updates"),
    # timm
    Entry("timm_resnet18d", "timm", _timm("resnet18d")),
    Entry("timm_efficientnet_b0", "timm", _timm("efficientnet_b0")),
    Entry("timm_vit_tiny_patch16_224", "timm", _timm("vit_tiny_patch16_224", 224), quick=True),
    Entry("timm_deit_tiny_distilled", "timm", _timm("deit_tiny_distilled_patch16_224", 224)),
    Entry("timm_convnext_atto", "timm", _timm("convnext_atto")),
    Entry("timm_mobilevitv2_050", "timm", _timm("mobilevitv2_050")),
    Entry("timm_levit_128s", "timm", _timm("levit_128s", 224)),
    Entry("timm_swin_tiny", "timm", _timm("swin_tiny_patch4_window7_224", 224)),
    # transformers
    Entry("hf_bert", "transformers", _hf_text("BertModel", "BertConfig", **_SMALL_BERT), quick=True),
    Entry("hf_distilbert", "transformers", _hf_text(
        "DistilBertModel", "DistilBertConfig", vocab_size=VOCAB, dim=64, n_layers=2, n_heads=4, hidden_dim=128,
        max_position_embeddings=64)),  # fmt: skip
    Entry("hf_gpt2", "transformers", _hf_text(
        "GPT2Model", "GPT2Config", keyword_wrapper=True, vocab_size=VOCAB, n_embd=64, n_layer=2, n_head=4,
        n_positions=64, use_cache=False, bos_token_id=0, eos_token_id=0), note="keyword-call wrapper"),  # fmt: skip
    Entry("hf_t5_encoder", "transformers", _hf_text(
        "T5EncoderModel", "T5Config", vocab_size=VOCAB, d_model=64, d_kv=16, d_ff=128, num_layers=2,
        num_heads=4)),  # fmt: skip
    Entry("hf_llama", "transformers", _hf_text(
        "LlamaModel", "LlamaConfig", vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, use_cache=False)),  # fmt: skip
    Entry("hf_vit", "transformers", _hf_vision("ViTModel", "ViTConfig", 64, **_SMALL_VIT)),
    Entry("hf_clip_vision", "transformers", _hf_vision("CLIPVisionModel", "CLIPVisionConfig", 64, **_SMALL_VIT)),
    Entry("hf_wav2vec2", "transformers", _hf_wav2vec2, note="2x1600 audio"),
    # hand-written seed patterns
    Entry("seed_int_view", "seed", _seed(IntViewClassifier), quick=True, note="view(int(x.size(0)), -1)"),
    Entry("seed_squeeze", "seed", _seed(SqueezeHead), quick=True, note="squeeze(-1) / squeeze(1)"),
    Entry("seed_item", "seed", _seed(ItemScale), quick=True, note=".item() scale"),
    Entry("seed_dict_io", "seed", _seed_dict, note="dict in, nested dict/tuple out"),
    Entry("seed_demo_detector", "seed", _seed_demo, note="trtready's demo: int(size), squeeze, bool mask"),
]
