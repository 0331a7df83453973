"""The lint against real runs: on random small graphs (fan-outs, routers, ``Send``s, joins), every
``InvalidUpdateError`` any routing choice hits was predicted by an R1/R2 error (no false
negatives), and every such error names a channel some run really fails on (no false positives).
``benchmarks/lint_precision.py`` prints the same over a fixed corpus."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lint_random import load, random_plan, real_conflicts

from engine.lint import lint

_FOLDER = Path(tempfile.mkdtemp(prefix="lint-random-"))
_count = iter(range(10**9))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_every_conflict_a_run_hits_is_predicted_and_every_prediction_is_real(rng: random.Random) -> None:
    plan = random_plan(rng)
    name = f"random_graph_{next(_count)}"
    builder = load(plan, _FOLDER, name)
    predicted = {f.channel for f in lint(builder) if f.severity == "error" and f.rule in ("R1", "R2")}
    real = real_conflicts(plan, _FOLDER, name)
    assert real <= predicted, f"missed {real - predicted}"
    assert predicted <= real, f"flagged {predicted - real}, which no run fails on"
