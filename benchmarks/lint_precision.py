"""How precise the concurrency lint is on random graphs: each graph of a fixed corpus (seeds
0..N-1 of ``tests/lint_random.py``) is linted, then run under every routing choice, one plain
channel at a time, to see which channels really fail with ``InvalidUpdateError``.

    uv run python benchmarks/lint_precision.py [N]
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from lint_random import load, random_plan, real_conflicts  # noqa: E402

from engine.lint import lint  # noqa: E402


def main(count: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="lint-precision-"))
    tp = fp = fn = 0
    lint_ms = 0.0
    for seed in range(count):
        plan = random_plan(random.Random(seed))
        builder = load(plan, folder, f"g{seed}")
        t0 = time.perf_counter()
        predicted = {f.channel for f in lint(builder) if f.severity == "error" and f.rule in ("R1", "R2")}
        lint_ms += (time.perf_counter() - t0) * 1000
        real = real_conflicts(plan, folder, f"g{seed}")
        tp, fp, fn = tp + len(predicted & real), fp + len(predicted - real), fn + len(real - predicted)
    flagged = tp + fp
    print(f"{'graphs':>8} {'real conflicts':>15} {'flagged':>8} {'false pos.':>11} {'false neg.':>11} {'FP rate':>8} {'lint ms/graph':>14}")
    print(f"{count:>8} {tp + fn:>15} {flagged:>8} {fp:>11} {fn:>11} {fp / flagged if flagged else 0:>8.1%} {lint_ms / count:>14.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
