"""Bad ONNX files never give an internal error, a traceback, a hang, a crash or a partial output.

Each mutant (mutator.py) of each seed model (fuzz_seeds.py) goes through
``trtready check``, ``check --format json`` and ``fix`` in-process in a forked
child, stderr captured with capsys, under a time and memory bound
(fuzz_harness.py says what is judged). The default run takes ``SWEEP``
mutants of every mutation class; the ``slow`` one ``SLOW_SWEEP`` more of each,
from another seed. ``benchmarks/fuzz.py`` does the same over thousands.
"""

from __future__ import annotations

import time
import zlib

import pytest
from fuzz_harness import judge_mutant, run_call
from mutator import MODEL, MUTATION_CLASSES, mutants

import trtready.checking
import trtready.fixing
from trtready.errors import UserError

SWEEP = 10  # mutants per class: 200 in all, about 30 s on two busy cores
SLOW_SWEEP = 25
TIMEOUT = 30.0  # seconds per call before it counts as a hang


def _problems(seeds, kind: str, count: int, seed: int, tmp_path, capsys) -> list[str]:
    found = []
    for mutant in mutants(seeds, count, seed=seed + zlib.crc32(kind.encode()), kinds=(kind,)):
        for call in judge_mutant(mutant, tmp_path / f"m{mutant.index}", timeout=TIMEOUT, capsys=capsys):
            found += [f"{mutant}\n    {category}: {message}" for category, message in call.problems]
    return found


@pytest.mark.parametrize("kind", MUTATION_CLASSES)
def test_mutants_fail_cleanly(seeds, kind, tmp_path, capsys):
    problems = _problems(seeds, kind, SWEEP, 0, tmp_path, capsys)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("kind", MUTATION_CLASSES)
def test_more_mutants_fail_cleanly(seeds, kind, tmp_path, capsys):
    problems = _problems(seeds, kind, SLOW_SWEEP, 1000, tmp_path, capsys)
    assert not problems, "\n".join(problems)


def test_the_seeds_pass_untouched(seeds, tmp_path, capsys):
    """The judge has nothing to say about the seed models themselves (and fix writes them)."""
    from mutator import Mutant

    for seed in seeds:
        calls = judge_mutant(Mutant(0, seed.name, "none", "", {MODEL: seed.model, **seed.extras}), tmp_path / seed.name, capsys=capsys)
        assert [c.problems for c in calls] == [[], [], []], seed.name
        assert [c.code for c in calls][2] in (0, 1), (seed.name, calls[2].stderr)


def test_the_mutator_is_seeded_and_changes_every_file(seeds):
    first = [(m.kind, m.detail, m.files) for m in mutants(seeds, 60, seed=7)]
    again = [(m.kind, m.detail, m.files) for m in mutants(seeds, 60, seed=7)]
    assert first == again
    originals = {s.name: {MODEL: s.model, **s.extras} for s in seeds}
    changed = [m for m in mutants(seeds, 60, seed=7) if m.files != originals[m.seed] or m.links]
    assert len(changed) >= 57  # a rare mutation may find nothing to change (e.g. a flip back to the same byte)


# -- the judge sees what it is meant to see --------------------------------------------------------


def _good(seeds, tmp_path):
    seed = next(s for s in seeds if s.name == "mlp")
    path = tmp_path / "in" / MODEL
    path.parent.mkdir()
    path.write_bytes(seed.model)
    return path


def test_the_judge_sees_an_internal_error(seeds, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(trtready.checking, "read_onnx", lambda path: {}[path])  # a KeyError: a bug
    call = run_call(["check", str(_good(seeds, tmp_path))], capsys=capsys)
    assert call.code == 8 and "internal error: KeyError" in call.stderr


def test_the_judge_sees_a_hang(seeds, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(trtready.checking, "read_onnx", lambda path: time.sleep(60))
    start = time.perf_counter()
    call = run_call(["check", str(_good(seeds, tmp_path))], timeout=1.0, capsys=capsys)
    assert call.hung and call.code is None and time.perf_counter() - start < 10


def test_the_judge_sees_a_partial_output(seeds, tmp_path, capsys, monkeypatch):
    def write_then_fail(path, output, **kwargs):
        open(output, "w").close()
        raise UserError("failed after writing")

    monkeypatch.setattr(trtready.fixing, "fix", write_then_fail)
    from mutator import Mutant

    seed = next(s for s in seeds if s.name == "mlp")
    calls = judge_mutant(Mutant(0, "mlp", "none", "", {MODEL: seed.model}), tmp_path / "m", capsys=capsys)
    assert calls[2].code == 2 and "partial output" in [p[0] for p in calls[2].problems]


def test_the_judge_sees_a_memory_hog(seeds, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(trtready.checking, "read_onnx", lambda path: bytearray(8 * 2**30))
    call = run_call(["check", str(_good(seeds, tmp_path))], memory=2**30, capsys=capsys)
    assert call.code == 2 and "out of memory" in call.stderr
