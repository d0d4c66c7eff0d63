"""The hub's own HTML templates (hub/web/templates)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from workflows.beijing_time import beijing_text

TEMPLATES = Environment(
    loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=select_autoescape(["html"]),
)
TEMPLATES.filters["beijing"] = beijing_text  # every time a person reads is Beijing time
