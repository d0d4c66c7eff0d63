"""The command line loads a command's module only when that command runs; the table `hub
--help` lists from stays equal to the commands themselves."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import click

import hub.cli
from hub.cli import COMMANDS, cli
from hub.cli.lazy_group import load


def test_the_table_names_every_command_with_its_own_short_help() -> None:
    for name, entry in COMMANDS.items():
        command = load(entry)
        assert command.name == name, (name, command.name)
        assert command.get_short_help_str(10**6) == entry.help, name


def test_every_command_of_the_cli_modules_is_in_the_table() -> None:
    """A command added to a module but not to the table would be unreachable."""
    listed = {(entry.module, entry.attribute) for entry in COMMANDS.values()}
    grouped = {id(c) for e in COMMANDS.values() for c in _subcommands(load(e))}
    for info in pkgutil.iter_modules(hub.cli.__path__, "hub.cli."):
        module = importlib.import_module(info.name)
        for attribute, value in vars(module).items():
            if not isinstance(value, click.Command) or value is cli:
                continue
            if (
                value.__module__ != info.name
                and getattr(value.callback, "__module__", "") != info.name
            ):
                continue  # imported from another module
            assert (info.name, attribute) in listed or id(value) in grouped, (info.name, attribute)


def _subcommands(command: click.Command) -> list[click.Command]:
    found = []
    for sub in getattr(command, "commands", {}).values():
        found += [sub, *_subcommands(sub)]
    return found


HEAVY = ("pydantic", "structlog", "yaml", "events.envelope", "hub.runtime.embedded")


def loaded_after(code: str, also: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """Run `code` in a fresh interpreter: what it printed, and which heavy modules (and
    `also`) it loaded."""
    names = HEAVY + also
    probe = (
        f"{code}\nimport sys, json\nprint(json.dumps([m for m in {names!r} if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    *text, loaded = done.stdout.strip().splitlines()
    return text, json.loads(loaded)


def test_help_lists_the_table_without_importing_any_command() -> None:
    text, loaded = loaded_after(
        "from hub.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass",
        also=("hub.cli.articles",),
    )
    assert loaded == []
    listing = "\n".join(text)
    for name in COMMANDS:
        assert f"  {name} " in listing
    assert "稿件：起草、修改、送审、撤回、归档、查看。" in listing


def test_a_command_loads_its_group_with_the_modules_that_extend_it() -> None:
    article = cli.get_command(click.Context(cli), "article")
    assert isinstance(article, click.Group)
    assert {"list", "findings", "fix"} <= set(article.commands)  # findings extends the group
    assert cli.get_command(click.Context(cli), "no-such-command") is None


def test_no_command_module_loads_the_hub_before_its_command_runs() -> None:
    """Every command starts (its `--help` prints, its function is entered) with click and
    the standard library only: pydantic, structlog, the event models and the hub load when
    the command opens the hub."""
    _, loaded = loaded_after(
        "import pkgutil, importlib, hub.cli\n"
        "for info in pkgutil.iter_modules(hub.cli.__path__, 'hub.cli.'):\n"
        "    importlib.import_module(info.name)"
    )
    assert loaded == []


def test_reading_commands_load_only_what_they_use(config_dir: Path) -> None:
    """`hub users` reads the configuration and opens no database; `hub article list` opens
    the hub but, with nothing to log, never loads structlog (or asyncio, or Argon2)."""
    env = f"import os\nos.environ['HUB_CONFIG'] = {str(config_dir)!r}\n"
    run = "from hub.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass"
    text, loaded = loaded_after(env + run.format(args=["users"]))
    assert any("zhangwei" in line for line in text)
    assert "hub.runtime.embedded" not in loaded and "structlog" not in loaded, loaded
    assert not (config_dir.parent / "hub.sqlite3").exists()  # no database opened
    text, loaded = loaded_after(
        env + run.format(args=["article", "list", "--json"]), also=("asyncio", "argon2")
    )
    assert json.loads("\n".join(text)) == []
    assert "structlog" not in loaded and "asyncio" not in loaded and "argon2" not in loaded
    assert "hub.runtime.embedded" in loaded
