"""Tagged-JSON serializer for checkpoint values.

Values that JSON cannot hold become objects tagged ``{"__retrace__": "<kind>", ...}``. Decoding
never imports, looks up or calls anything named in the data: dataclasses, pydantic models and
enums come back as instances only if their class was registered with ``allow()``; otherwise they
come back as plain dicts, so opening an untrusted checkpoint file is safe.

Decoding is strict by default (a malformed value raises :class:`SerializationError`, which is
what resuming a run needs). ``loads(..., lenient=True)``, what the debugger reads with, puts an
:class:`Undecodable` placeholder where a value, or one tagged object inside it, cannot be read.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import math
import uuid
from collections.abc import Iterable
from decimal import Decimal
from enum import Enum
from typing import Any

from engine import messages
from engine.errors import SerializationError

__all__ = ["TAG", "JsonSerializer", "Undecodable", "jsonable", "type_name"]

TAG = "__retrace__"
"""Key that marks a JSON object as an encoded non-JSON value."""

_MESSAGE_TYPES: dict[str, type[messages.BaseMessage]] = {
    cls.type: cls
    for cls in (
        messages.HumanMessage,
        messages.AIMessage,
        messages.SystemMessage,
        messages.ToolMessage,
        messages.RemoveMessage,
    )
}
_MESSAGE_CLASSES = frozenset(_MESSAGE_TYPES.values())
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_PREVIEW_CHARS = 200
MAX_LENIENT_DEPTH = 100
"""A lenient read puts an :class:`Undecodable` in place of a value nested deeper than this: the
debugger and ``--json`` walk values recursively, and no real state is nested that deep."""


@dataclasses.dataclass(frozen=True)
class Undecodable:
    """Stands where a lenient read found a stored value it could not decode.

    Attributes:
        reason: what was wrong, in words (``"malformed 'uuid' value: ..."``, ``"not valid JSON"``).
        size: the stored value's length in bytes, when the reader knows it.
        preview: the start of the stored text (at most a few hundred characters), or ``""``.

    It is never saved back: :meth:`JsonSerializer.dumps` refuses it, so a placeholder cannot
    silently replace the value it stands for.
    """

    reason: str
    size: int | None = None
    preview: str = ""


def _deeper_than(value: Any, limit: int) -> bool:
    """True when containers nest more than ``limit`` levels in ``value`` (no recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, (list, tuple, set, frozenset)):
            children = item
        elif isinstance(item, messages.BaseMessage):
            children = (item.content, getattr(item, "tool_calls", None))
        else:
            continue
        if depth == limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _preview(data: Any) -> str:
    text = data if isinstance(data, str) else repr(data)
    return text[:_PREVIEW_CHARS]


def type_name(obj_or_cls: Any) -> str:
    """``"module.Qualname"`` of a class, or of an object's class; the key ``allow()`` uses."""
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_pydantic_model(cls: type) -> bool:
    # Duck-typed so this module never imports pydantic.
    return hasattr(cls, "model_fields") and hasattr(cls, "model_validate")


def _kind_of_class(cls: type) -> str | None:
    if issubclass(cls, Enum):
        return "enum"
    if _is_pydantic_model(cls):
        return "pydantic"
    if dataclasses.is_dataclass(cls):
        return "dataclass"
    return None


def _compact(value: Any) -> str:
    # ASCII escapes keep lone surrogates (legal in a Python str) encodable as UTF-8.
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


class JsonSerializer:
    """Encodes values to UTF-8 JSON bytes and back.

    JSON-native values (``None``, bool, int, str, finite float, list, dict with str keys) are
    stored as themselves; tuples, sets, frozensets, other dicts, non-finite floats, bytes,
    bytearrays, datetimes, dates, times, timedeltas, UUIDs, Decimals, enums, ``engine.messages``
    messages, dataclasses and pydantic v2 models are stored as tagged objects.

    Args:
        allowed_types: classes to register with ``allow()`` right away.
    """

    def __init__(self, allowed_types: Iterable[type] = ()) -> None:
        self._allowed: dict[str, tuple[str, type]] = {}
        for cls in allowed_types:
            self.allow(cls)

    def allow(self, cls: type) -> None:
        """Let ``loads`` rebuild instances of ``cls`` (a dataclass, pydantic model or Enum).

        Raises:
            TypeError: ``cls`` is none of those.
        """
        kind = _kind_of_class(cls) if isinstance(cls, type) else None
        if kind is None:
            raise TypeError(f"allow() takes a dataclass, pydantic model or Enum class, not {cls!r}")
        self._allowed[type_name(cls)] = (kind, cls)

    def dumps(self, value: Any) -> bytes:
        """Encode ``value`` as compact JSON bytes (UTF-8; non-ASCII is ``\\u``-escaped).

        Raises:
            SerializationError: ``value`` holds an object of an unsupported type, or is nested
                too deeply (or contains a reference cycle).
        """
        try:
            return _compact(_encode(value)).encode("utf-8")
        except RecursionError:
            raise SerializationError(
                "value is nested too deeply to serialize (or contains a reference cycle)"
            ) from None
        except ValueError as exc:  # e.g. an int past Python's 4,300-digit conversion limit
            raise SerializationError(f"value cannot be serialized: {exc}") from None

    def loads(self, data: bytes | str, *, lenient: bool = False) -> Any:
        """Decode what ``dumps`` wrote.

        Unregistered dataclasses and pydantic models come back as ``{"__type__": name,
        **fields}``, unregistered enum members as ``{"__type__": name, "value": value}``, and
        objects with an unknown tag as the plain dict they are.

        With ``lenient``, nothing is raised: a value that is not UTF-8 JSON comes back as an
        :class:`Undecodable`, and so does each malformed tagged object inside a value (the rest
        of the value is kept).

        Raises:
            SerializationError: (not ``lenient``) the data is not text, not UTF-8 or not JSON, a
                known tag is malformed, or a registered class rejects the stored fields.
        """
        try:
            value = self._loads(data, lenient)
        except SerializationError as exc:
            if not lenient:
                raise
            return Undecodable(str(exc), len(data) if isinstance(data, bytes) else None, _preview(data))
        if lenient and _deeper_than(value, MAX_LENIENT_DEPTH):
            return Undecodable(f"nested more than {MAX_LENIENT_DEPTH} levels deep", preview=_preview(data))
        return value

    def _loads(self, data: Any, lenient: bool) -> Any:
        if not isinstance(data, (bytes, str)):
            raise SerializationError(f"a stored value must be text, not {type(data).__name__}")
        try:
            text = data if isinstance(data, str) else str(data, "utf-8")
        except UnicodeDecodeError as exc:
            raise SerializationError(f"checkpoint value is not valid UTF-8: {exc}") from None
        hook = self._decode_lenient if lenient else self._decode_object
        try:
            return json.loads(text, object_hook=hook)
        except json.JSONDecodeError as exc:
            raise SerializationError(f"checkpoint value is not valid JSON: {exc}") from None
        except RecursionError:
            raise SerializationError("checkpoint value is nested too deeply to decode") from None
        except ValueError as exc:  # e.g. an int literal past the 4,300-digit conversion limit
            raise SerializationError(f"checkpoint value cannot be decoded: {exc}") from None

    def _decode_lenient(self, obj: dict) -> Any:
        try:
            return self._decode_object(obj)
        except SerializationError as exc:
            return Undecodable(str(exc), preview=_preview(repr(obj)))

    def _decode_object(self, obj: dict) -> Any:
        # json calls this innermost-first, so every nested value is already decoded.
        kind = obj.get(TAG)
        if not isinstance(kind, str):
            return obj
        decoder = _DECODERS.get(kind)
        if decoder is not None:
            try:
                return decoder(obj)
            except Exception as exc:  # the decoders are pure; any failure means bad stored data
                shown = _preview(repr(obj))
                raise SerializationError(f"malformed {kind!r} value {shown}: {_preview(str(exc))}") from None
        if kind in ("dataclass", "pydantic", "enum"):
            return self._decode_typed(kind, obj)
        return obj

    def _decode_typed(self, kind: str, obj: dict) -> Any:
        name = obj.get("type")
        key = "value" if kind == "enum" else "fields"
        if not isinstance(name, str) or key not in obj:
            raise SerializationError(f"malformed {kind!r} value {_preview(repr(obj))}")
        payload = obj[key]
        allowed = self._allowed.get(name)
        if allowed is None or allowed[0] != kind:
            if key == "fields" and isinstance(payload, dict):
                plain = {"__type__": name, **payload}
                plain["__type__"] = name  # the type name wins over a field of that name
                return plain
            return {"__type__": name, "value": payload}  # enums, pydantic root models
        cls = allowed[1]
        try:
            if kind == "enum":
                return cls(payload)
            if kind == "pydantic":
                return cls.model_validate(payload)
            return cls(**payload)
        except Exception as exc:  # a registered class's own validation, whatever it raises
            raise SerializationError(
                f"cannot rebuild {name} from {_preview(repr(payload))}: {_preview(str(exc))}"
            ) from None


def _encode(value: Any, shown: bool = False) -> Any:
    # Enum before the natives: IntEnum/StrEnum members are ints/strs too.
    if isinstance(value, Enum):
        return {TAG: "enum", "type": type_name(value), "value": _encode(value.value, shown)}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        text = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return {TAG: "float", "value": text}
    if isinstance(value, list):
        return [_encode(v, shown) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and TAG not in value:
            return {k: _encode(v, shown) for k, v in value.items()}
        return {TAG: "dict", "items": [[_encode(k, shown), _encode(v, shown)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {TAG: "tuple", "items": [_encode(v, shown) for v in value]}
    if isinstance(value, (set, frozenset)):
        # Sets have no order; sort by JSON text so equal sets give equal bytes.
        items = sorted((_encode(v, shown) for v in value), key=_compact)
        return {TAG: "frozenset" if isinstance(value, frozenset) else "set", "items": items}
    if isinstance(value, (bytes, bytearray)):
        kind = "bytearray" if isinstance(value, bytearray) else "bytes"
        return {TAG: kind, "value": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        return {TAG: "datetime", "value": value.isoformat()}
    if isinstance(value, dt.date):
        return {TAG: "date", "value": value.isoformat()}
    if isinstance(value, dt.time):
        return {TAG: "time", "value": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {TAG: "timedelta", "days": value.days, "seconds": value.seconds,
                "microseconds": value.microseconds}
    if isinstance(value, uuid.UUID):
        return {TAG: "uuid", "value": str(value)}
    if isinstance(value, Decimal):
        return {TAG: "decimal", "value": str(value)}
    # Exact classes only: a user subclass may add fields, so it is stored as a dataclass.
    if type(value) in _MESSAGE_CLASSES:
        return {TAG: "message", "type": value.type, "fields": _encode(_field_values(value), shown)}
    cls = type(value)
    if _is_pydantic_model(cls) and callable(getattr(value, "model_dump", None)):
        # by_alias: model_validate expects aliases by default, so aliased models round-trip.
        fields = value.model_dump(mode="python", by_alias=True)
        return {TAG: "pydantic", "type": type_name(cls), "fields": _encode(fields, shown)}
    if cls is Undecodable and shown:
        return {"__undecodable__": value.reason, "size": value.size, "preview": value.preview}
    if cls is Undecodable:
        raise SerializationError(
            f"cannot save a placeholder for a value that could not be read ({value.reason}); "
            "give the value itself"
        )
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {TAG: "dataclass", "type": type_name(cls), "fields": _encode(_field_values(value), shown)}
    raise SerializationError(
        f"cannot serialize a value of type {type_name(cls)}: checkpoint values must be "
        "JSON-like (None, bool, int, float, str, list, tuple, set, dict), bytes, date/time, "
        "UUID, Decimal, an Enum, a message, a dataclass or a pydantic model (register those "
        "with JsonSerializer.allow() to get instances back from loads)"
    )


def jsonable(value: Any) -> Any:
    """``value`` as JSON-native data for scripts (``retrace ... --json``): the tagged form
    ``dumps`` stores, except that an :class:`Undecodable` shows as ``{"__undecodable__": reason,
    "size": bytes or None, "preview": text}`` instead of being refused.

    Raises:
        SerializationError: ``value`` holds an object of a type ``dumps`` cannot store.
    """
    return _encode(value, shown=True)


def _field_values(obj: Any) -> dict[str, Any]:
    # Only __init__ fields, so an allowed class can be rebuilt with cls(**fields).
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}


def _decode_message(obj: dict) -> Any:
    cls = _MESSAGE_TYPES.get(obj["type"])
    if cls is None:
        return obj  # a message kind this version does not know stays data
    return cls(**obj["fields"])


def _items(obj: dict) -> list:
    items = obj["items"]
    if not isinstance(items, list):
        raise TypeError("'items' must be a list")
    return items


def _pairs(obj: dict) -> dict:
    items = _items(obj)
    if not all(isinstance(item, list) and len(item) == 2 for item in items):
        raise TypeError("'items' must be [key, value] pairs")
    return {k: v for k, v in items}


def _text(obj: dict, key: str = "value") -> str:
    value = obj[key]
    if not isinstance(value, str):
        raise TypeError(f"{key!r} must be a string, not {type(value).__name__}")
    return value


_DECODERS = {
    "float": lambda o: _NON_FINITE[o["value"]],
    "tuple": lambda o: tuple(_items(o)),
    "set": lambda o: set(_items(o)),
    "frozenset": lambda o: frozenset(_items(o)),
    "dict": _pairs,
    "bytes": lambda o: base64.b64decode(_text(o), validate=True),
    "bytearray": lambda o: bytearray(base64.b64decode(_text(o), validate=True)),
    "datetime": lambda o: dt.datetime.fromisoformat(_text(o)),
    "date": lambda o: dt.date.fromisoformat(_text(o)),
    "time": lambda o: dt.time.fromisoformat(_text(o)),
    "timedelta": lambda o: dt.timedelta(
        days=o["days"], seconds=o["seconds"], microseconds=o["microseconds"]
    ),
    "uuid": lambda o: uuid.UUID(_text(o)),
    "decimal": lambda o: Decimal(_text(o)),
    "message": _decode_message,
}
