"""Fuzz ``trtready check`` and ``trtready fix`` with thousands of mutated ONNX files.

    nice -n 10 python benchmarks/fuzz.py --mutants 2000 --seed 0

Builds the seed models of tests/fuzz/fuzz_seeds.py (a conv net, an MLP, If,
Loop, external data, a torch.onnx.export), makes ``--mutants`` mutants with
tests/fuzz/mutator.py, and runs ``check``, ``check --format json`` and ``fix``
on each in a forked child under a time and memory bound
(tests/fuzz/fuzz_harness.py). Prints, overall and per mutation class, the
internal errors, tracebacks, hangs, crashes, partial outputs and the other
broken promises; exits 1 if there is any (0 when every call behaved).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
sys.path.insert(0, str(ROOT / "src"))  # fuzz this checkout's trtready, wherever pip's editable install points

from fuzz_harness import CATEGORIES, GiB, judge_mutant, warm_up  # noqa: E402
from fuzz_seeds import SEED_BUILDERS, build_seeds  # noqa: E402
from mutator import MUTATION_CLASSES, mutants  # noqa: E402

#: the columns of the summary: the four the issue asks for, then the other categories
HEADLINE = ("internal error", "traceback", "hang", "partial output")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", default=",".join(SEED_BUILDERS), help=f"seed models (default: all of {', '.join(SEED_BUILDERS)})")
    parser.add_argument("--only", default="", help="mutation classes (comma-separated prefixes), e.g. extdata.,dims.")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per call before it counts as a hang")
    parser.add_argument("--memory", type=float, default=4.0, help="GiB of address space per call above the parent's")
    parser.add_argument("--show", type=int, default=5, help="problems to print per category")
    parser.add_argument("--verbose", action="store_true", help="one line per mutant, with what each call wrote on stderr")
    parser.add_argument("--keep", metavar="DIR", help="copy the mutants with a problem to DIR/m<index>/in (to reproduce them)")
    args = parser.parse_args(argv)
    kinds = tuple(k for k in MUTATION_CLASSES if not args.only or any(k.startswith(p) for p in args.only.split(",")))
    if not kinds:
        parser.error(f"--only {args.only} names no mutation class: {', '.join(MUTATION_CLASSES)}")

    work = Path(tempfile.mkdtemp(prefix="trtready-fuzz-"))
    try:
        seeds = build_seeds(work / "seeds", args.seeds.split(","))
        warm_up(work / "seeds" / seeds[0].name / "model.onnx", work / "warm")
        return _run(args, seeds, kinds, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(args, seeds, kinds, work: Path) -> int:
    per_class = {k: collections.Counter() for k in kinds}
    totals, examples = collections.Counter(), collections.defaultdict(list)
    codes = collections.Counter()
    start = time.perf_counter()
    slowest = (0.0, "")
    for mutant in mutants(seeds, args.mutants, seed=args.seed, kinds=kinds):
        folder = work / f"m{mutant.index}"
        calls = judge_mutant(mutant, folder, timeout=args.timeout, memory=int(args.memory * GiB))
        if args.keep and any(call.problems for call in calls):
            mutant.write(Path(args.keep) / f"m{mutant.index}" / "in")
        shutil.rmtree(folder, ignore_errors=True)
        per_class[mutant.kind]["mutants"] += 1
        for call in calls:
            codes[(call.argv[0] + (" --format json" if "--format" in call.argv else ""), call.code)] += 1
            if call.seconds > slowest[0]:
                slowest = (call.seconds, f"{call.argv[0]} on {mutant}")
            for category, message in call.problems:
                per_class[mutant.kind][category] += 1
                totals[category] += 1
                if len(examples[category]) < args.show:
                    examples[category].append(f"{mutant}\n      {message}")
        if args.verbose:
            print(f"{mutant} -> {[c.code for c in calls]} {[p for c in calls for p in c.problems]}", flush=True)
            for call in calls:
                if call.stderr.strip():
                    print(f"    {call.argv[0]}: {call.stderr.strip()[:400]}")
        elif (mutant.index + 1) % 100 == 0:
            print(f"[{time.perf_counter() - start:6.0f}s] {mutant.index + 1} mutants, {sum(totals.values())} problems", flush=True)
    _report(args, seeds, per_class, totals, examples, codes, time.perf_counter() - start, slowest)
    return 1 if totals else 0


def _report(args, seeds, per_class, totals, examples, codes, seconds, slowest) -> None:
    import trtready

    columns = HEADLINE + tuple(c for c in CATEGORIES if c not in HEADLINE)
    print(f"\ntrtready {trtready.__version__} from {Path(trtready.__file__).parent}", end="")
    print(f"\n{args.mutants} mutants (seed {args.seed}) of {', '.join(s.name for s in seeds)}; "
          f"{3 * args.mutants} calls in {seconds:.0f} s; slowest call {slowest[0]:.1f} s ({slowest[1]})\n")  # fmt: skip
    width = max(len(k) for k in per_class) + 2
    header = f"{'mutation class':<{width}}{'mutants':>8}" + "".join(f"{c:>16}" for c in columns)
    print(header)
    print("-" * len(header))
    for kind, counts in per_class.items():
        print(f"{kind:<{width}}{counts['mutants']:>8}" + "".join(f"{counts[c]:>16}" for c in columns))
    print("-" * len(header))
    print(f"{'total':<{width}}{sum(c['mutants'] for c in per_class.values()):>8}" + "".join(f"{totals[c]:>16}" for c in columns))
    print("\nexit codes: " + ", ".join(f"{cmd} {code}: {n}" for (cmd, code), n in sorted(codes.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))))
    for category, lines in examples.items():
        print(f"\n{category} ({totals[category]}), first {len(lines)}:")
        for line in lines:
            print(f"  - {line}")
    print("\n" + ", ".join(f"{c}: {totals[c]}" for c in columns))


if __name__ == "__main__":
    sys.exit(main())
