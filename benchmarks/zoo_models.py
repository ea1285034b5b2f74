"""The model zoo for ``benchmarks/zoo.py``: real architectures with random weights and realistic inputs.

Every entry is a corpus :class:`~corpus.Entry`: a factory (random weights, built
under ``torch.manual_seed(0)``, batch norms re-estimated on realistic batches by
``Entry.build``) and ``data(batch, seed)`` drawn from the model's real input
domain with the corpus generators (``corpus/_data.py``): ImageNet-normalized
images for classifiers and segmenters, pixels in [0, 1] for torchvision
detectors (they normalize internally), token ids inside the config's vocabulary
with real padding and attention masks for text models, normalized video clips,
a pair of shifted frames in [-1, 1] for optical flow, voiced audio for wav2vec2.
Nothing is downloaded: torchvision ``weights=None``, timm ``pretrained=False``,
transformers models from small explicit config objects. Factories import their
library lazily.
"""

from __future__ import annotations

import torch
from torch import nn

from corpus import Entry
from corpus._data import (
    features,
    generator,
    image,
    inputs,
    normalize,
    pixels,
    tokens,
    waveform,
)

IMAGE = 128  # CNN classifiers and segmenters accept any size; ViTs get their native 224
SEQ = 16
VOCAB = 1000
KINETICS_MEAN = torch.tensor([0.43216, 0.394666, 0.37645])  # torchvision's video-classification preset
KINETICS_STD = torch.tensor([0.22803, 0.22145, 0.216989])


def _no_zero_layers(model: nn.Module) -> nn.Module:
    """Re-initialize all-zero Linear/Conv weights (torchvision's ViT head): random-weight outputs not constant."""
    gen = torch.Generator().manual_seed(2)
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)) and m.weight.numel() and not m.weight.any():
            m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * 0.02)
    return model


# -- realistic inputs the corpus generators do not cover ---------------------------------


def video_clip(frames: int = 8, size: int = 64, pan: int = 2):
    """A clip (B, 3, T, H, W): one scene panning ``pan`` pixels a frame, normalized with Kinetics statistics."""

    def make(batch: int, seed: int, salt: int) -> torch.Tensor:
        gen = generator(seed, salt)
        scene = pixels(batch, gen, size)
        clip = [torch.roll(scene, shifts=t * pan, dims=3) + 0.02 * torch.randn(scene.shape, generator=gen)
                for t in range(frames)]  # fmt: skip
        clip = [normalize(f.clamp(0, 1), KINETICS_MEAN, KINETICS_STD) for f in clip]
        return torch.stack(clip, dim=2)

    return make


def frame_pair(size: int = 128, max_shift: int = 4):
    """``(image1, image2)`` makers for optical flow: image2 is image1 moved by a few pixels per sample, in [-1, 1].

    Returns two makers sharing the scene: use ``*frame_pair(...)`` inside ``inputs``.
    """

    def scene(batch: int, seed: int) -> torch.Tensor:
        return pixels(batch, generator(seed, 50), size)

    def first(batch: int, seed: int, salt: int) -> torch.Tensor:
        return 2 * scene(batch, seed) - 1

    def second(batch: int, seed: int, salt: int) -> torch.Tensor:
        gen = generator(seed, salt)
        shifts = torch.randint(-max_shift, max_shift + 1, (batch, 2), generator=gen).tolist()
        moved = torch.stack([torch.roll(s, shifts=tuple(d), dims=(1, 2)) for s, d in zip(scene(batch, seed), shifts)])
        return (2 * moved - 1 + 0.02 * torch.randn(moved.shape, generator=gen)).clamp(-1, 1)

    return first, second


def _image_and_meta(batch: int, seed: int) -> tuple:
    """One dict input: a normalized image and 8 standardized metadata features."""
    return ({"image": image(64)(batch, seed, 0), "meta": features(8)(batch, seed, 1)},)


# -- torchvision ---------------------------------------------------------------------


def _tv_classifier(name: str, **kw):
    def factory():
        import torchvision

        return _no_zero_layers(torchvision.models.get_model(name, weights=None, **kw))

    return factory


def _tv_segmenter(name: str):
    def factory():  # returns {"out": ...}
        import torchvision

        return torchvision.models.get_model(name, weights=None, weights_backbone=None, num_classes=5, aux_loss=False)

    return factory


class FirstImageDetections(nn.Module):
    """A torchvision detector returning (boxes, scores, labels) of the first image as tensors."""

    def __init__(self, detector: nn.Module):
        super().__init__()
        self.detector = detector

    def forward(self, images: torch.Tensor):
        det = self.detector(list(images))[0]
        return det["boxes"], det["scores"], det["labels"]


def _tv_ssdlite():
    import torchvision

    return FirstImageDetections(torchvision.models.detection.ssdlite320_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=5, score_thresh=0.001, detections_per_img=50))  # fmt: skip


def _tv_r3d():
    import torchvision

    return torchvision.models.video.r3d_18(weights=None)


class LastFlow(nn.Module):
    """RAFT's last flow estimate after ``updates`` refinement steps."""

    def __init__(self, raft: nn.Module, updates: int):
        super().__init__()
        self.raft, self.updates = raft, updates

    def forward(self, image1: torch.Tensor, image2: torch.Tensor) -> torch.Tensor:
        return self.raft(image1, image2, num_flow_updates=self.updates)[-1]


def _tv_raft():
    import torchvision

    return LastFlow(torchvision.models.optical_flow.raft_small(weights=None), updates=4)


# -- timm -----------------------------------------------------------------------------


def _timm(name: str, **kw):
    def factory():
        import timm

        return _no_zero_layers(timm.create_model(name, pretrained=False, **kw))

    return factory


# -- transformers (small configs, random weights) ---------------------------------------


class KeywordCall(nn.Module):
    """``model(input_ids=..., attention_mask=...)`` by keyword, as deployment code calls a text model.

    Positional calls into transformers 5 models trip the TorchScript tracer
    (``forward() got multiple values for argument 'use_cache'``), and GPT2Model's
    second parameter is ``past_key_values``, not ``attention_mask``. Every tool
    gets this same module.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        return self.model(input_ids=input_ids, attention_mask=attention_mask)


def _hf_text(model_cls: str, config_cls: str, **config):
    def factory():
        import transformers

        return KeywordCall(getattr(transformers, model_cls)(getattr(transformers, config_cls)(**config)))

    return factory


def _hf_vision(model_cls: str, config_cls: str, size: int, **config):
    def factory():
        import transformers

        return getattr(transformers, model_cls)(getattr(transformers, config_cls)(image_size=size, **config))

    return factory


def _hf_wav2vec2():
    import transformers

    return transformers.Wav2Vec2Model(transformers.Wav2Vec2Config(
        hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
        conv_dim=(32, 32, 32), conv_stride=(5, 2, 2), conv_kernel=(10, 3, 3),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
    ))  # fmt: skip


_SMALL_BERT = dict(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                   intermediate_size=128, max_position_embeddings=64)  # fmt: skip
_SMALL_VIT = dict(patch_size=8, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128)


# -- hand-written models with the patterns where exporters differ ------------------------


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
        self.meta_fc = nn.Linear(8, 16)  # not "meta": torch.export's decomposition trips on a submodule called meta
        self.out = nn.Linear(16, 4)

    def forward(self, batch: dict):
        h = self.image(batch["image"]) + self.meta_fc(batch["meta"])
        return {"logits": self.out(h), "aux": (h.relu(), h.sigmoid())}


def _demo_detector():
    """trtready's demo detector; its 0.18 threshold keeps almost every location once the batch norms see real
    images, so the threshold is moved to about the 70th percentile of the scores (a third of the locations kept)."""
    from trtready.demo import build_demo

    model = build_demo()[0]
    model.score_threshold = 0.3
    return model


# -- the zoo ----------------------------------------------------------------------------

_IMAGES = inputs(image(IMAGE))
_IMAGES_224 = inputs(image(224))
_IMAGES_64 = inputs(image(64))
_TEXT = inputs(*tokens(SEQ, vocab=VOCAB, pad_id=0))


def _tv(name, pattern, factory, data=_IMAGES, form="", **kw):
    return Entry(name, pattern, factory, data, form, group="torchvision", **kw)


def _tm(name, model, data=_IMAGES, **kw):
    return Entry(name, "classifier", _timm(model), data, group="timm", **kw)


def _hf(name, pattern, factory, data, form="", **kw):
    return Entry(name, pattern, factory, data, form, group="transformers", **kw)


def _seed(name, pattern, factory, form, data=None, **kw):
    data = data or _IMAGES_64
    return Entry(name, pattern, factory, data, form, group="seed", **kw)


ZOO: list[Entry] = [
    # torchvision classifiers
    _tv("tv_resnet18", "classifier", _tv_classifier("resnet18"), quick=True),
    _tv("tv_mobilenet_v3_small", "classifier", _tv_classifier("mobilenet_v3_small")),
    _tv("tv_efficientnet_b0", "classifier", _tv_classifier("efficientnet_b0")),
    _tv("tv_vit_b_16", "classifier", _tv_classifier("vit_b_16"), _IMAGES_224, "224x224"),
    _tv("tv_convnext_tiny", "classifier", _tv_classifier("convnext_tiny")),
    _tv("tv_regnet_y_400mf", "classifier", _tv_classifier("regnet_y_400mf")),
    _tv("tv_squeezenet1_0", "classifier", _tv_classifier("squeezenet1_0")),
    _tv("tv_shufflenet_v2_x0_5", "classifier", _tv_classifier("shufflenet_v2_x0_5")),
    # torchvision dense / detection / video / flow
    _tv("tv_lraspp_mobilenet_v3_large", "segmenter", _tv_segmenter("lraspp_mobilenet_v3_large"), form="dict output"),
    _tv("tv_deeplabv3_mobilenet_v3_large", "segmenter", _tv_segmenter("deeplabv3_mobilenet_v3_large"),
        form="dict output"),
    _tv("tv_ssdlite320_first_image", "detector", _tv_ssdlite, inputs(image(160, normalized=False)),
        "(boxes, scores, labels) of image 0; [0, 1] pixels, normalized inside"),
    _tv("tv_r3d_18", "video", _tv_r3d, inputs(video_clip(8, 64)), "Bx3x8x64x64 clip"),
    _tv("tv_raft_small", "optical_flow", _tv_raft, inputs(*frame_pair(128)), "two frames in [-1, 1], 4 flow updates"),
    # timm
    _tm("timm_resnet18d", "resnet18d"),
    _tm("timm_efficientnet_b0", "efficientnet_b0"),
    _tm("timm_vit_tiny_patch16_224", "vit_tiny_patch16_224", _IMAGES_224, quick=True),
    _tm("timm_deit_tiny_distilled", "deit_tiny_distilled_patch16_224", _IMAGES_224),
    _tm("timm_convnext_atto", "convnext_atto"),
    _tm("timm_mobilevitv2_050", "mobilevitv2_050"),
    _tm("timm_levit_128s", "levit_128s", _IMAGES_224),
    _tm("timm_swin_tiny", "swin_tiny_patch4_window7_224", _IMAGES_224),
    # transformers
    _hf("hf_bert", "text", _hf_text("BertModel", "BertConfig", **_SMALL_BERT), _TEXT, quick=True),
    _hf("hf_distilbert", "text", _hf_text(
        "DistilBertModel", "DistilBertConfig", vocab_size=VOCAB, dim=64, n_layers=2, n_heads=4, hidden_dim=128,
        max_position_embeddings=64), _TEXT),
    _hf("hf_gpt2", "text", _hf_text(
        "GPT2Model", "GPT2Config", vocab_size=VOCAB, n_embd=64, n_layer=2, n_head=4, n_positions=64,
        use_cache=False, bos_token_id=0, eos_token_id=0), _TEXT),
    _hf("hf_t5_encoder", "text", _hf_text(
        "T5EncoderModel", "T5Config", vocab_size=VOCAB, d_model=64, d_kv=16, d_ff=128, num_layers=2,
        num_heads=4), _TEXT),
    _hf("hf_llama", "text", _hf_text(
        "LlamaModel", "LlamaConfig", vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, use_cache=False), _TEXT),
    _hf("hf_vit", "vision", _hf_vision("ViTModel", "ViTConfig", 64, **_SMALL_VIT), _IMAGES_64),
    _hf("hf_clip_vision", "vision", _hf_vision("CLIPVisionModel", "CLIPVisionConfig", 64, **_SMALL_VIT),
        _IMAGES_64),
    _hf("hf_wav2vec2", "audio", _hf_wav2vec2, inputs(waveform(1600)), "Bx1600 audio"),
    # hand-written seed patterns
    _seed("seed_int_view", "pinned_batch", IntViewClassifier, "view(int(x.size(0)), -1)", quick=True),
    _seed("seed_squeeze", "squeeze", SqueezeHead, "squeeze(-1) / squeeze(1)", quick=True),
    _seed("seed_item", "item", ItemScale, ".item() scale", quick=True),
    _seed("seed_dict_io", "outputs", DictIO, "dict in, nested dict/tuple out", _image_and_meta, quick=True),
    _seed("seed_demo_detector", "thresholding", _demo_detector, "trtready's demo: int(size), squeeze, bool mask",
          inputs(image(128, normalized=False))),
]
