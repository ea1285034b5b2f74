"""Corpus benchmark: plain torch.onnx.export (TorchScript and dynamo) against trtready.export.

    nice -n 10 python benchmarks/corpus_bench.py --out corpus.json      # the whole corpus
    python benchmarks/corpus_bench.py --quick                           # a dozen models
    python benchmarks/corpus_bench.py --only detect_,squeeze --pattern nonzero
    python benchmarks/corpus_bench.py --check-corpus                    # sanity-check the corpus itself
    python benchmarks/corpus_bench.py --report corpus.json              # the tables of a saved run

Every model runs in its own Python subprocess (killed with its process group
after ``--model-timeout``); inside it each tool runs in forked children with
``--timeout`` seconds, one after the other, with ``torch.set_num_threads(1)``.
Each file a tool writes is judged by ``independent_verify`` (ONNX Runtime
against the eager model on realistic data at batches 1, 2, 3 and 8, several
seeds) and by ``trtready.check(path, trt="10.1")`` for TensorRT errors.
READY = exported + right at every batch + no TensorRT error. The harness is
``_harness.py`` (shared with ``zoo.py``). See benchmarks/README.md
("Generalization corpus").
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Bench, main


def _corpus() -> list:
    from corpus import CORPUS

    return CORPUS


BENCH = Bench(
    name="corpus",
    script=__file__,
    description=__doc__,
    tools=("torchscript", "dynamo", "trtready"),
    registry=_corpus,
    timeout=300.0,
    size_columns=False,
    slow_forward=1.0,  # corpus models are small by design
)

if __name__ == "__main__":
    sys.exit(main(BENCH))
