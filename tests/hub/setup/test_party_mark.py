"""The 党政机关网站标识: a site's issued image (or the theme's drawing) embedded in the footer,
linked to its verification page; a bad image file is a configuration error."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from hub.runtime.embedded import website_sites
from hub.setup.config import load_config
from hub.setup.party_mark import DEFAULT_SRC, MAX_IMAGE_BYTES, VERIFY_URL, image_type
from tests.hub.setup.test_config import edit, error_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def footer_of(config_dir: Path, key: str = "gov") -> dict:
    config = load_config(config_dir)
    sites = website_sites(config)
    return next(site for site in sites.values() if site["key"] == key)["footer"]


def set_mark(config_dir: Path, mark: object) -> None:
    edit(config_dir, "sites.yaml", lambda d: d["sites"][0]["footer"].update(party_mark=mark))


def test_true_shows_the_themes_drawing_without_a_link(config_dir: Path) -> None:
    mark = footer_of(config_dir)["party_mark"]
    assert mark == {"src": DEFAULT_SRC, "alt": "党政机关网站标识", "href": None}
    assert b"<svg" in base64.b64decode(DEFAULT_SRC.split(",", 1)[1])


def test_false_shows_no_mark(config_dir: Path) -> None:
    set_mark(config_dir, False)
    assert footer_of(config_dir)["party_mark"] is None


def test_an_issued_image_is_embedded_and_linked_to_its_verification(config_dir: Path) -> None:
    (config_dir / "marks").mkdir()
    (config_dir / "marks" / "gov.png").write_bytes(PNG)
    set_mark(config_dir, {"registration": "072BBE1E1F301B54E053012819ACA2C1",
                          "image": "marks/gov.png"})  # fmt: skip
    mark = footer_of(config_dir)["party_mark"]
    assert mark["src"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert mark["href"] == VERIFY_URL.format(registration="072BBE1E1F301B54E053012819ACA2C1")


@pytest.mark.parametrize(
    ("image", "content", "expected"),
    [
        ("marks/none.png", None, "不存在"),
        ("marks/big.png", PNG + b"\x00" * MAX_IMAGE_BYTES, "超过 24 KB"),
        ("marks/page.png", b"<html><script>alert(1)</script></html>", "不是 PNG、GIF、JPEG 或 SVG"),
        ("../../etc/passwd", None, "须在配置目录内"),
    ],
)
def test_a_bad_mark_image_is_a_configuration_error(
    config_dir: Path, image: str, content: bytes | None, expected: str
) -> None:
    (config_dir / "marks").mkdir()
    if content is not None:
        (config_dir / image).write_bytes(content)
    set_mark(config_dir, {"image": image})
    message = error_of(config_dir)
    assert "sites.yaml" in message and "站点 gov" in message and expected in message


def test_a_registration_that_is_not_an_id_is_refused(config_dir: Path) -> None:
    set_mark(config_dir, {"registration": 'x" onerror=alert(1)'})
    assert "registration" in error_of(config_dir)


def test_image_types_are_read_from_the_bytes() -> None:
    assert image_type(PNG) == "image/png"
    assert image_type(b"GIF89a....") == "image/gif"
    assert image_type(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert image_type(b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>') == (
        "image/svg+xml"
    )
    assert image_type(b"MZ\x90\x00") is None
