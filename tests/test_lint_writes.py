"""What a node writes, read from its source: the node styles found in the wild."""

from __future__ import annotations

import functools

from engine.lint.writes import ALL_KEYS, static_writes
from engine.types import Command


def literal(state):
    return {"a": 1, "b": 2}


def early_returns(state):
    if state.get("stop"):
        return {"done": True}
    if state.get("skip"):
        return None
    return {"a": 1}


def whole_state(state):
    return state | {"a": 1}


def spread(state):
    extra = {"c": 3}
    return {**extra, "a": 1, **({"maybe": 1} if state else {})}


def built_up(state):
    out = {}
    out["a"] = 1
    out.update({"b": 2}, c=3)
    return out


def _helper(state, name):
    return {"log": [name], "count": 1}


def via_helper(state):
    return _helper(state, "x")


def command(state):
    return Command(update={"a": 1}, goto="next")


def dict_call(state):
    return dict(a=1, b=2)


def from_elsewhere(state):
    return make_update()


def make_update():  # not a dict literal the reader can see through a call with no state
    return compute()


def compute():
    return {"z": 1}


class CallableNode:
    def __call__(self, state):
        return {"called": 1}


def nothing(state):
    print(state)


def test_dict_literals_early_returns_and_none() -> None:
    assert static_writes(literal).keys == {"a", "b"}
    found = static_writes(early_returns)
    assert found.known and found.keys == {"done", "a"} and found.always == set()


def test_returning_the_whole_state_writes_every_key() -> None:
    assert static_writes(whole_state).keys == {ALL_KEYS, "a"}


def test_spreads_local_dicts_and_updates() -> None:
    found = static_writes(spread)
    assert found.keys == {"a", "c", "maybe"} and found.always == {"a", "c"}
    assert static_writes(built_up).keys == {"a", "b", "c"}


def test_helpers_commands_dict_calls_partials_callables_and_lambdas() -> None:
    assert static_writes(via_helper).keys == {"log", "count"}
    assert static_writes(command).keys == {"a"}
    assert static_writes(dict_call).keys == {"a", "b"}
    assert static_writes(functools.partial(literal)).keys == {"a", "b"}
    assert static_writes(CallableNode()).keys == {"called"}
    assert static_writes(lambda s: {"lam": 1}).keys == {"lam"}
    assert static_writes(nothing).keys == set() and static_writes(nothing).known


def test_helpers_are_followed_a_few_levels_and_what_cannot_be_read_is_unknown() -> None:
    assert static_writes(from_elsewhere).keys == {"z"}
    opaque = static_writes(lambda s: s.get("update"))
    assert not opaque.known and opaque.why == "it returns what get() makes"
    assert not static_writes(print).known  # a builtin has no source
