"""How the CLI speaks: JSON for scripts, short Chinese lines for people, one-line errors."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from events.error_codes import ErrorCode

if TYPE_CHECKING:
    from hub.setup.directory import Directory


def emit_json(data: Any) -> None:
    """Print one JSON document to stdout."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def emit_error(
    code: ErrorCode, message: str, as_json: bool, details: dict[str, Any] | None = None
) -> None:
    """Print an error as one line (`错误 CODE（kind）: message`) or, with `--json`, as the
    API's object: `{"error": {"code", "kind", "message"}}`."""
    if as_json:
        body: dict[str, Any] = {"code": str(code), "kind": str(code.kind), "message": message}
        if details:
            body["details"] = details
        click.echo(json.dumps({"error": body}, ensure_ascii=False, default=str))
    else:
        one_line = " ".join(message.split())
        click.echo(f"错误 {code}（{code.kind.label}）: {one_line}", err=True)


def wants_json(argv: list[str] | None = None) -> bool:
    """Whether the command line asked for JSON output (also for errors before parsing)."""
    return "--json" in (sys.argv[1:] if argv is None else argv)


def short_id(article_id: str) -> str:
    """The last 12 characters of an id: enough to name an article on the command line."""
    return article_id[-12:]


def person(directory: Directory, user_id: str) -> str:
    """A user as a detail line names them: 张伟（zhangwei）; the id alone when unknown."""
    name = directory.user_name(user_id)
    return f"{name}（{user_id}）" if name != user_id else user_id
