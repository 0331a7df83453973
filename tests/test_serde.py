"""The tagged-JSON checkpoint serializer: round trips, determinism and hostile payloads."""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import json
import math
import sys
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.checkpoint import serde
from engine.checkpoint.serde import TAG, JsonSerializer, type_name
from engine.errors import SerializationError
from engine.messages import (
    AIMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)


class Color(enum.Enum):
    RED = "red"
    BLUE = (0, 0, 255)


class Level(enum.IntEnum):
    LOW = 1


@dataclass
class Point:
    x: int
    y: int
    tags: tuple = ()
    cached: list = field(default_factory=list, init=False)


class Profile(pydantic.BaseModel):
    name: str
    born: dt.date
    scores: list[float] = []


class Aliased(pydantic.BaseModel):
    user_name: str = pydantic.Field(alias="userName")


def same(a, b) -> bool:
    """Equal, and of the same type all the way down (``1 == 1.0 == True`` would hide bugs)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def roundtrip(value, ser: JsonSerializer | None = None):
    ser = ser or JsonSerializer()
    data = ser.dumps(value)
    assert isinstance(data, bytes)
    return ser.loads(data)


@pytest.mark.parametrize(
    "value",
    [
        None, True, False, 0, -7, 2**80, 1.5, -0.0, "", "héllo ✓", "\ud800",
        math.inf, -math.inf,
        [1, [2, "x"]], (1, "a", None), [(1, 2), ((3,),)], (),
        {"a": 1, "b": [1, 2]}, {1: "one", 2: {3: "three"}}, {(1, 2): "pair", None: 0},
        {TAG: "not a tag", "other": 1}, {"x": {TAG: "tuple", "items": [1]}},
        {1, 2, 3}, frozenset({"a", (1, 2)}), set(), {frozenset({1}), frozenset()},
        b"\x00\xffbytes", b"", bytearray(b"mutable"),
        dt.datetime(2024, 5, 6, 7, 8, 9, 123456),
        dt.datetime(2024, 5, 6, 7, 8, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
        dt.date(1999, 12, 31), dt.time(23, 59, 1, 5),
        dt.timedelta(days=-2, seconds=5, microseconds=7),
        uuid.UUID("12345678-1234-5678-1234-567812345678"), Decimal("-1.2300E+5"),
    ],
)
def test_roundtrip_builtin_kinds(value):
    assert same(roundtrip(value), value)


def test_nan_roundtrip():
    result = roundtrip({"n": math.nan})
    assert math.isnan(result["n"])


def test_messages_roundtrip_without_registration():
    history = [
        HumanMessage("hi", id="1", name="ann"),
        AIMessage("", id="2", tool_calls=[{"name": "add", "args": {"a": 1}, "id": "c1"}]),
        ToolMessage("3", id="3", tool_call_id="c1"),
        SystemMessage([{"type": "text", "text": "be brief"}], id="4"),
        RemoveMessage("1"),
    ]
    assert same(roundtrip({"messages": history}), {"messages": history})


def test_allowed_dataclass_pydantic_and_enum_roundtrip():
    ser = JsonSerializer([Point, Profile, Color])
    ser.allow(Level)
    ser.allow(Aliased)
    value = {
        "point": Point(1, 2, tags=("a",)),
        "profile": Profile(name="ann", born=dt.date(2000, 1, 2), scores=[1.5]),
        "aliased": Aliased(userName="bo"),
        "colors": [Color.RED, Color.BLUE, Level.LOW],
    }
    assert same(roundtrip(value, ser), value)


def test_unregistered_types_decode_to_plain_dicts():
    value = [Point(1, 2), Profile(name="ann", born=dt.date(2000, 1, 2)), Color.RED, Level.LOW]
    assert roundtrip(value) == [
        {"__type__": type_name(Point), "x": 1, "y": 2, "tags": ()},
        {"__type__": type_name(Profile), "name": "ann", "born": dt.date(2000, 1, 2), "scores": []},
        {"__type__": type_name(Color), "value": "red"},
        {"__type__": type_name(Level), "value": 1},
    ]


def test_allowed_type_of_another_kind_is_not_rebuilt():
    ser = JsonSerializer([Color])
    payload = {TAG: "dataclass", "type": type_name(Color), "fields": {"value": "red"}}
    assert ser.loads(json.dumps(payload)) == {"__type__": type_name(Color), "value": "red"}


def test_allow_rejects_other_classes():
    with pytest.raises(TypeError):
        JsonSerializer().allow(int)


def test_type_name():
    assert type_name(Point) == type_name(Point(1, 2)) == f"{__name__}.Point"


def test_output_is_compact_and_deterministic_for_sets():
    ser = JsonSerializer()
    assert ser.dumps({"a": [1, 2]}) == b'{"a":[1,2]}'
    assert ser.dumps({"b", "a", "c", 1}) == ser.dumps({1, "c", "a", "b"})
    assert json.loads(ser.dumps({"c", "a"}))["items"] == ["a", "c"]


def test_unknown_tag_stays_data():
    payload = {TAG: "from-the-future", "x": [1, {TAG: "tuple", "items": [2]}]}
    assert JsonSerializer().loads(json.dumps(payload)) == {TAG: "from-the-future", "x": [1, (2,)]}
    unknown_message = {TAG: "message", "type": "chunk", "fields": {"content": "x"}}
    assert JsonSerializer().loads(json.dumps(unknown_message)) == unknown_message


def test_unsupported_object_raises():
    with pytest.raises(SerializationError, match="object") as info:
        JsonSerializer().dumps({"fn": object()})
    assert "dataclass" in str(info.value) and "pydantic" in str(info.value)
    with pytest.raises(SerializationError, match="function"):
        JsonSerializer().dumps([lambda: 1])


def test_reference_cycle_raises():
    loop: list = []
    loop.append(loop)
    with pytest.raises(SerializationError, match="cycle"):
        JsonSerializer().dumps(loop)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"\xff\xfe", "UTF-8"),
        (b"{not json", "JSON"),
        ("", "JSON"),
        (json.dumps({TAG: "bytes", "value": "!!"}), "malformed"),
        (json.dumps({TAG: "dict", "items": [[[1], 2]]}), "malformed"),
        (json.dumps({TAG: "decimal", "value": "abc"}), "malformed"),
        (json.dumps({TAG: "timedelta"}), "malformed"),
        (json.dumps({TAG: "dataclass", "fields": {}}), "malformed"),
        (json.dumps({TAG: "message", "type": "tool", "fields": {"content": "x"}}), "malformed"),
    ],
)
def test_bad_input_raises_serialization_error(data, needle):
    with pytest.raises(SerializationError, match=needle):
        JsonSerializer().loads(data)


def test_allowed_class_rejecting_fields_raises():
    ser = JsonSerializer([Point])
    payload = {TAG: "dataclass", "type": type_name(Point), "fields": {"z": 1}}
    with pytest.raises(SerializationError, match="cannot rebuild"):
        ser.loads(json.dumps(payload))


def test_hostile_type_names_are_never_imported(tmp_path, monkeypatch):
    marker = tmp_path / "imported.marker"
    (tmp_path / "evil_retrace_mod.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "class Thing:\n"
        "    def __init__(self, *a, **k):\n"
        f"        open({str(marker)!r}, 'w').close()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "evil_retrace_mod", raising=False)
    payloads = [
        {TAG: "dataclass", "type": "evil_retrace_mod.Thing", "fields": {"a": 1}},
        {TAG: "pydantic", "type": "evil_retrace_mod.Thing", "fields": {"a": 1}},
        {TAG: "enum", "type": "evil_retrace_mod.Thing", "value": 1},
        {TAG: "dataclass", "type": "os.system", "fields": {"command": f"touch {marker}"}},
        {TAG: "enum", "type": "os.system", "value": f"touch {marker}"},
        {TAG: "evil_retrace_mod.Thing", "value": 1},
    ]
    ser = JsonSerializer()
    for payload in payloads:
        result = ser.loads(json.dumps({"nested": [payload]}))["nested"][0]
        assert type(result) is dict
        assert "evil_retrace_mod" not in sys.modules
        assert not marker.exists()
    assert ser.loads(json.dumps(payloads[0])) == {"__type__": "evil_retrace_mod.Thing", "a": 1}


def test_serde_source_has_no_pickle_or_dynamic_imports():
    source = inspect.getsource(serde)
    for banned in ("pickle", "importlib", "__import__", "eval(", "exec("):
        assert banned not in source


hashables = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.binary(max_size=5)
    | st.floats(allow_nan=False),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=8,
)
values = st.recursive(
    hashables,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.sets(hashables, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        | st.dictionaries(hashables, inner, max_size=3)
    ),
    max_leaves=20,
)


@given(values)
def test_property_roundtrip(value):
    ser = JsonSerializer()
    data = ser.dumps(value)
    assert same(ser.loads(data), value)
    assert ser.dumps(ser.loads(data)) == data
