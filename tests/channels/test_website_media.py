"""Website pages carry their own copies of the article's images and attachments."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from channels.website.adapter import WebsiteAdapter
from hub.content.media import MediaStore
from tests.channels.test_website_lists import item
from tests.hub.content.test_media import PNG


def test_images_and_attachments_are_copied_into_the_site_and_linked_there(tmp_path: Path) -> None:
    media = MediaStore(tmp_path / "media")
    image, pdf = media.put(PNG), media.put(b"%PDF-1.7\n%%EOF", "要点.pdf")
    missing = "f" * 64 + ".png"
    body = (f'<p><img src="{image.url}" alt="现场"></p>'
            f'<p><a href="{pdf.url}/要点.pdf">附件：要点.pdf</a></p>'
            f'<p><img src="/media/{missing}"></p>')  # fmt: skip
    site = {"key": "demo", "code": "9900000099", "name": "示范站", "domain": "www.demo.gov.cn",
            "docroot": str(tmp_path / "demo"), "theme": None,
            "columns": {"news": {"id": "news", "name": "要闻", "type": "信息类"}}}  # fmt: skip
    website = WebsiteAdapter({"9900000099": site}, media=media)
    one = item(1)
    sent = replace(one, content=one.content.model_copy(update={"body_html": body}))
    website.send(sent)
    page = (tmp_path / "demo" / "news" / "a0001.html").read_text("utf-8")
    assert f'src="../media/{image.key}"' in page
    assert f'href="../media/{pdf.key}"' in page and "附件：要点.pdf" in page
    assert f'src="/media/{missing}"' in page  # not stored here: left for the hub to answer
    assert (tmp_path / "demo" / "media" / image.key).read_bytes() == PNG
    assert (tmp_path / "demo" / "media" / pdf.key).read_bytes().startswith(b"%PDF")
    website.send(replace(sent, delivery_id="again"))  # the copies are reused
    assert len(list((tmp_path / "demo" / "media").iterdir())) == 2
