"""Model-zoo benchmark: trtready.export against the plain exporters, alone and followed by onnxsim / onnxslim.

    nice -n 10 python benchmarks/zoo.py --out zoo.json    # the whole zoo (34 models)
    python benchmarks/zoo.py --quick                      # seven fast models
    python benchmarks/zoo.py --only bert,seed_ --tools torchscript,dynamo,trtready
    python benchmarks/zoo.py --check-zoo                  # sanity-check the models and their data
    python benchmarks/zoo.py --report zoo.json            # the tables of a saved run
    nice -n 10 python benchmarks/zoo.py --warm --out zoo.json   # seconds and peak MB without first imports

The models (``zoo_models.py``) are real architectures (torchvision, timm,
transformers from small configs) with random weights, batch norms re-estimated
on realistic data, and realistic inputs ``data(batch, seed)``. The harness is the
corpus benchmark's (``_harness.py``): every model in its own subprocess, every
export, simplification and judging step in a forked child with a timeout, and
every file, trtready's included, judged the same way by ``independent_verify``
(ONNX Runtime against the eager model at batches 1, 2, 3, 8 and three seeds)
and ``trtready.check(path, trt="10.1")``. trtready is called as a user calls it,
``trtready.export(model, example, path, trt="10.1")``; its own verdict is only
compared with the independent one. Per tool and model it also records export
seconds, the peak memory its processes added, the ONNX Runtime latency of its
file and, for trtready, its own per-stage seconds; the run ends with the peer
tables (``_tables.py``): trtready beside the smaller of TorchScript + onnxsim and
dynamo + onnxslim, model by model. See benchmarks/README.md ("Model zoo").
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Bench, main


def _zoo() -> list:
    from zoo_models import ZOO

    return ZOO


BENCH = Bench(
    name="zoo",
    script=__file__,
    description=__doc__,
    tools=("torchscript", "torchscript+onnxsim", "torchscript+onnxslim",
           "dynamo", "dynamo+onnxsim", "dynamo+onnxslim", "trtready"),
    registry=_zoo,
    timeout=600.0,  # ViT-B/16 and Swin at 224x224, verified at batch 8 on one thread
    size_columns=True,
    slow_forward=None,  # real models: a slow forward is expected, not an issue
)

if __name__ == "__main__":
    sys.exit(main(BENCH))
