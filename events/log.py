"""Loggers that load structlog when they first log, not when their module is imported: a
command that logs nothing (most of the command line) does not pay for structlog's import
(and, where `rich` is installed, for its pretty tracebacks).

    log = get_logger(__name__)
    log.info("delivery.sent", delivery_id=...)

The configuration (`hub.runtime.logs.configure_logging`) waits for the first logger that is
used, so it is applied before that logger's first event, exactly as if it had run at once."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

_pending: list[Callable[[], None]] = []
_minimum = [0]  # the level the pending configuration lets through
# The numeric level of each logging method (those of the standard library's `logging`).
_METHOD_LEVELS = {"debug": 10, "info": 20, "warning": 30, "warn": 30, "error": 40,
                  "exception": 40, "critical": 50, "fatal": 50}  # fmt: skip


def configure_when_used(configure: Callable[[], None], minimum: int = 0) -> None:
    """Run `configure` now if structlog is loaded, else just before the first logger is used
    (the last one given wins). `minimum`: the level it lets through; until then a call below
    it is dropped without loading structlog (as the configured logger would drop it)."""
    if "structlog" in sys.modules:
        _pending.clear()
        configure()
    else:
        _pending[:] = [configure]
        _minimum[0] = minimum


def _drop(*args: Any, **kwargs: Any) -> None:
    return None


class Logger:
    """A stand-in for `structlog.get_logger(name)` that resolves on first use."""

    __slots__ = ("__dict__", "_bound", "_name")

    def __init__(self, name: str | None) -> None:
        self._name = name
        self._bound: Any = None

    def __getattr__(self, attr: str) -> Any:
        bound = self._bound
        if bound is None:
            if _pending and _METHOD_LEVELS.get(attr, 100) < _minimum[0]:
                return _drop  # filtered out by the configuration that waits
            import structlog

            while _pending:
                _pending.pop()()
            bound = self._bound = structlog.get_logger(self._name)
        method = getattr(bound, attr)
        if attr in _METHOD_LEVELS or attr == "is_enabled_for":
            import structlog

            # A logger structlog caches on first use keeps that configuration; so can its
            # methods here (one lookup less per call: the runner logs every command).
            if structlog.get_config()["cache_logger_on_first_use"]:
                self.__dict__[attr] = method
        return method

    def is_enabled_for(self, level: int) -> bool:
        """Whether a call at `level` (`logging`'s numbers) would be logged: a caller whose
        fields cost something to build builds them only then (the runner logs every
        command at info; a hub at warning drops them). Does not load structlog while the
        configuration waits."""
        if self._bound is None and _pending:
            return level >= _minimum[0]
        return bool(self.__getattr__("is_enabled_for")(level))


INFO = 20  # `logging.INFO`, for `is_enabled_for` (without importing `logging`)


def get_logger(name: str | None = None) -> Any:
    """A logger for `name` (the module's `__name__`); typed `Any` as structlog's own is."""
    return Logger(name)
