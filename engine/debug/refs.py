"""Naming a checkpoint on the command line: a whole id, a unique prefix of one, or a step number
on the thread's current branch (the parent chain of its newest checkpoint)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.debug.lineage import parent_chain
from engine.debug.model import CheckpointSummary
from engine.errors import EngineError

__all__ = ["CheckpointRefError", "resolve", "short_ids"]


class CheckpointRefError(EngineError):
    """A checkpoint reference names no checkpoint of the thread, or more than one."""


def resolve(history: Sequence[CheckpointSummary], ref: str) -> CheckpointSummary:
    """The checkpoint of ``history`` (a thread's, newest first) that ``ref`` names.

    ``ref`` is a whole checkpoint id, a prefix of exactly one id, or a step number (``-1`` for
    the input; written without leading zeros, since ids start with ``0``) that is on the branch of the thread's newest checkpoint; a step number that is not
    on it but on exactly one other checkpoint works too.

    Raises:
        CheckpointRefError: no checkpoint matches, or several do (the message lists them).
    """
    ref = ref.strip()
    exact = [c for c in history if c.checkpoint_id == ref]
    if exact:
        return exact[0]
    if re.fullmatch(r"-?(0|[1-9][0-9]{0,11})", ref):  # "01a2…" and "0123" are id prefixes
        step = int(ref)
        on_branch = [c for c in parent_chain(history, history[0]) if c.step == step] if history else []
        anywhere = [c for c in history if c.step == step]
        matches = on_branch if len(on_branch) == 1 else anywhere
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise CheckpointRefError(_ambiguous(f"step {step}", matches))
    by_prefix = [c for c in history if c.checkpoint_id.startswith(ref)] if ref else []
    if len(by_prefix) == 1:
        return by_prefix[0]
    if by_prefix:
        raise CheckpointRefError(_ambiguous(f"{ref!r}", by_prefix))
    raise CheckpointRefError(
        f"no checkpoint {ref[:80]!r} in this thread; give a checkpoint id (or a unique start of one) "
        "or a step number (`retrace history` lists them)"
    )


def _ambiguous(what: str, matches: Sequence[CheckpointSummary]) -> str:
    shown = ", ".join(f"{c.checkpoint_id} (step {c.step}, {c.source})" for c in matches[:5])
    more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
    return f"{what} names {len(matches)} checkpoints: {shown}{more}; give more of the id"


def short_ids(ids: Sequence[str], *, minimum: int = 13) -> dict[str, str]:
    """Each id cut to the shortest length (at least ``minimum``) at which all of ``ids`` stay
    distinct, so each short id is still a unique prefix :func:`resolve` accepts (among them)."""
    distinct = set(ids)
    longest = max((len(i) for i in distinct), default=0)
    n = min(minimum, longest)
    while n < longest and len({i[:n] for i in distinct}) < len(distinct):
        n += 1
    return {i: i[:n] for i in ids}
