"""Structured logging: JSON lines on stderr, carrying article, event and delivery ids."""

from __future__ import annotations

import logging
import sys

from events.log import configure_when_used

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def configure_logging(level: str = "warning") -> None:
    """Send structlog events at `level` and above to stderr as JSON lines: at once if
    structlog is loaded, else when the first logger is used (`events.log`)."""
    configure_when_used(lambda: _configure(level), _LEVELS.get(level, logging.WARNING))


def _configure(level: str) -> None:
    import structlog

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.WARNING)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
