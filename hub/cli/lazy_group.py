"""A command group that imports a command's module only when that command runs.

`hub --help` lists every command from a table (name, module, short help) without importing
any of them; `hub article list` imports the article commands and what they need, nothing else.
tests/hub/cli/test_cli_startup.py keeps the table equal to the commands themselves.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click
from click.utils import make_default_short_help


@dataclass(frozen=True)
class Entry:
    """Where a top-level command lives: its module, the attribute holding it, the modules
    that add subcommands to it when they load, and its short help (for the listing)."""

    module: str
    attribute: str
    help: str
    extends: tuple[str, ...] = ()


class LazyGroup(click.Group):
    """A click group whose commands are `Entry`s until one is asked for."""

    def __init__(self, *args: object, entries: dict[str, Entry], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.entries = entries

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.entries) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.entries:
            self.add_command(load(self.entries[cmd_name]), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The listing from the table: the same lines click writes, with no import."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            entry = self.entries.get(name)
            if entry is not None and name not in self.commands:
                rows.append((name, make_default_short_help(entry.help, limit)))
            else:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def load(entry: Entry) -> click.Command:
    """Import the command of `entry` (and the modules extending it)."""
    command = getattr(importlib.import_module(entry.module), entry.attribute)
    for module in entry.extends:
        importlib.import_module(module)
    if not isinstance(command, click.Command):
        raise TypeError(f"{entry.module}.{entry.attribute} is not a click command")
    return command
