"""The per-invocation context of the CLI: which configuration, and the hub opened from it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hub.runtime.logs import configure_logging

if TYPE_CHECKING:
    from hub.runtime.embedded import EmbeddedHub
    from hub.setup.config import HubConfig


def default_config_dir() -> Path:
    """HUB_CONFIG, else ./config, else the config folder beside the installed sources."""
    if os.environ.get("HUB_CONFIG"):
        return Path(os.environ["HUB_CONFIG"])
    local = Path.cwd() / "config"
    if (local / "sites.yaml").exists():
        return local
    return Path(__file__).resolve().parents[2] / "config"


class HubContext:
    """Opens the embedded hub lazily, so `--help` needs no database."""

    def __init__(self, config_dir: Path) -> None:
        self.config_dir = config_dir
        self.overrides: dict[str, Any] = {}  # settings a command's options set before opening
        self._hub: EmbeddedHub | None = None
        self._config: HubConfig | None = None

    @property
    def config(self) -> HubConfig:
        """The configuration alone (the hub's, if it is open): a command that only reads
        the sites, users or accounts opens no database."""
        if self._hub is not None:
            return self._hub.config
        if self._config is None:
            from hub.setup.config import load_config

            self._config = load_config(self.config_dir, self.overrides)
        return self._config

    @property
    def hub(self) -> EmbeddedHub:
        if self._hub is None:
            from hub.runtime.embedded import EmbeddedHub  # what `--help` does not need

            configure_logging(os.environ.get("HUB_LOG_LEVEL", "warning").lower())
            self._hub = EmbeddedHub.open(self.config_dir, self.overrides)
            configure_logging(self._hub.config.settings.log_level)
        return self._hub

    def close(self) -> None:
        if self._hub is not None:
            self._hub.close()


def hub_of(ctx: click.Context) -> EmbeddedHub:
    """The embedded hub of this invocation."""
    obj: Any = ctx.find_object(HubContext)
    return obj.hub


def config_of(ctx: click.Context) -> HubConfig:
    """The configuration of this invocation, without opening the hub."""
    obj: Any = ctx.find_object(HubContext)
    return obj.config
