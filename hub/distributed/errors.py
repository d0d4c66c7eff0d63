"""The distributed runtime's errors (a module of its own: the CLI names them without loading
the Kafka client)."""

from __future__ import annotations

from events.error_codes import ErrorCode


class BusError(Exception):
    """The bus cannot be used as configured or reached (its message is for the operator)."""

    code = ErrorCode.BUS_UNAVAILABLE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
