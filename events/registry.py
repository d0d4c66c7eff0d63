"""Event type registry: type name <-> payload class, schema versions and upcasters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic_core import from_json

from events.envelope import STORED, Event
from events.error_codes import ErrorCode

E = TypeVar("E", bound=type[Event])
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class RegistryError(Exception):
    """An event type or schema version the registry cannot handle."""

    def __init__(self, code: ErrorCode | str, message: str) -> None:
        super().__init__(message)
        self.code = ErrorCode.of(code)
        self.message = message


class EventRegistry:
    """Maps type names to payload classes and steps old payloads up to the current schema."""

    def __init__(self) -> None:
        self._classes: dict[str, type[Event]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, cls: type[Event], name: str, version: int = 1) -> None:
        """Register `cls` as event type `name` at schema `version`."""
        existing = self._classes.get(name)
        if existing is not None and existing is not cls:
            raise RegistryError("EVENT_TYPE_DUPLICATE", f"event type {name!r} is registered twice")
        cls.type_name = name
        cls.schema_version = version
        self._classes[name] = cls

    def add_upcaster(self, name: str, from_version: int, fn: Upcaster) -> None:
        """Register `fn` turning a `name` payload of `from_version` into `from_version + 1`."""
        self._upcasters[(name, from_version)] = fn

    def class_for(self, name: str) -> type[Event]:
        """The payload class of a type name."""
        try:
            return self._classes[name]
        except KeyError:
            raise RegistryError("EVENT_TYPE_UNKNOWN", f"unknown event type {name!r}") from None

    def encode(self, payload: Event) -> str:
        """Serialise a payload to its stored JSON text."""
        return payload.model_dump_json(context=STORED)

    def encode_utf8(self, payload: Event) -> bytes:
        """`encode` as the UTF-8 bytes pydantic writes (before they are made text)."""
        return payload.__pydantic_serializer__.to_json(payload, context=STORED)

    def decode(self, name: str, version: int, data: str | bytes) -> Event:
        """Decode a stored payload, upcasting it first when it was stored by older code."""
        cls = self.class_for(name)
        current = cls.schema_version
        if version == current:
            # The core validator directly: `model_validate_json` adds a Python-level wrapper
            # that costs about a third of decoding a small event.
            return cls.__pydantic_validator__.validate_json(data, context=STORED)
        return self.decode_data(name, version, from_json(data))

    def decode_data(self, name: str, version: int, raw: dict[str, Any]) -> Event:
        """`decode` of a payload already parsed from its JSON (a message that carried it)."""
        cls = self.class_for(name)
        current = cls.schema_version
        if version == current:
            return cls.__pydantic_validator__.validate_python(raw, context=STORED)
        if version > current:
            raise RegistryError(
                "EVENT_SCHEMA_TOO_NEW",
                f"{name} v{version} was written by newer code (this code knows v{current})",
            )
        for step in range(version, current):
            fn = self._upcasters.get((name, step))
            if fn is None:
                raise RegistryError(
                    "EVENT_UPCASTER_MISSING", f"no upcaster for {name} v{step} -> v{step + 1}"
                )
            raw = fn(raw)
        return cls.model_validate(raw, context=STORED)

    def names(self) -> list[str]:
        """All registered type names."""
        return sorted(self._classes)


default_registry = EventRegistry()


def event_type(name: str, version: int = 1) -> Callable[[E], E]:
    """Class decorator registering an event payload class in the default registry."""

    def wrap(cls: E) -> E:
        default_registry.register(cls, name, version)
        return cls

    return wrap


def upcaster(name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Function decorator registering an upcaster in the default registry."""

    def wrap(fn: Upcaster) -> Upcaster:
        default_registry.add_upcaster(name, from_version, fn)
        return fn

    return wrap
