"""Pages rendered in Chromium (headless), as a visitor's browser, as a search spider and as a
visitor arriving from a search engine: what only a rendered page shows — links a script
writes (after checking `document.referrer` or the user agent: cloaking no fetch sees) and
links hidden by a style sheet (a class that moves them off-screen: 暗链 a reader never sees
but a search engine follows).

Optional: it needs the `render` extra (playwright) and a Chromium — Debian's `chromium`
(found on the PATH, or `render_chromium` in hub.yaml) or playwright's own. Without them the
rendered checks are skipped (said once in the log) and the HTTP checks still run.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from channels.website.manifest import hash_text
from events.log import get_logger
from hub.supervision.probes import BROWSER_UA, CLOAKED_VIEWS, TIMEOUT_S

log = get_logger(__name__)

# Every element that references something, whether it is rendered visible, and every inline
# script's text (fingerprinted like the manifests do).
_READ_DOM = """() => {
  const found = [];
  const html = document.documentElement;
  for (const e of document.querySelectorAll(
      'a[href],script[src],iframe[src],frame[src],link[href],img[src],embed[src],object[data],form[action]')) {
    const name = ['href', 'src', 'data', 'action'].find((n) => e.hasAttribute(n));
    const r = e.getBoundingClientRect();
    let hidden = r.width * r.height === 0 || r.right <= 0 || r.bottom <= 0
      || r.left >= Math.max(html.scrollWidth, innerWidth);
    for (let n = e; n && n.nodeType === 1 && !hidden; n = n.parentElement) {
      const s = getComputedStyle(n);
      hidden = s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0;
    }
    found.push([e.getAttribute(name), hidden, e.tagName.toLowerCase()]);
  }
  const scripts = Array.from(document.querySelectorAll('script:not([src])'), (s) => s.textContent);
  return [found, scripts];
}"""
VIEWS: dict[str, dict[str, str]] = {"浏览器": {}, **CLOAKED_VIEWS}


@dataclass(frozen=True)
class Rendered:
    """One page as one view rendered it."""

    refs: frozenset[str]  # every reference (and inline-script fingerprint)
    hidden: frozenset[str]  # the links among them rendered invisible
    ok: bool = True
    detail: str = ""
    screenshot: bytes = b""  # taken when `shoot` asked for it (the browser view only)


def chromium_path(configured: str = "") -> str | None:
    """The Chromium to use: configured, Debian's, else None (playwright's own, if any)."""
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def available(configured: str = "") -> bool:
    """Whether pages can be rendered here (playwright and a Chromium)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return False
    if chromium_path(configured):
        return True
    if configured:
        return False
    try:
        with sync_playwright() as p:
            return Path(p.chromium.executable_path).exists()
    except Exception:  # no browser of playwright's own either
        return False


class Renderer:
    """Renders pages in each view; one Chromium per call of `render`."""

    def __init__(self, chromium: str = "", timeout: float = TIMEOUT_S) -> None:
        self.chromium, self.timeout = chromium, timeout

    def render(
        self, urls: list[str], shoot: Callable[[str, Rendered], bool] | None = None
    ) -> dict[str, dict[str, Rendered]]:
        """Each page in each view; a screenshot of the browser view of the pages `shoot`
        picks (the suspicious ones: evidence)."""
        from playwright.sync_api import Error, sync_playwright

        found: dict[str, dict[str, Rendered]] = {}
        executable = chromium_path(self.chromium)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable,
                                        args=["--no-sandbox", "--disable-gpu"])  # fmt: skip
            try:
                for view, headers in VIEWS.items():
                    context = browser.new_context(
                        user_agent=headers.get("User-Agent", BROWSER_UA),
                        java_script_enabled=True, service_workers="block")  # fmt: skip
                    context.set_default_timeout(self.timeout * 1000)
                    page = context.new_page()
                    for url in urls:
                        try:
                            page.goto(url, referer=headers.get("Referer"),
                                      wait_until="load")  # fmt: skip
                            refs, scripts = page.evaluate(_READ_DOM)
                        except Error as exc:
                            found.setdefault(url, {})[view] = Rendered(
                                frozenset(), frozenset(), False, str(exc).splitlines()[0][:200]
                            )
                            continue
                        all_refs = {str(r) for r, _, _ in refs if r}
                        all_refs |= {"inline-script:" + hash_text(s) for s in scripts}
                        hidden = {str(r) for r, h, tag in refs if r and h and tag == "a"}
                        seen = Rendered(frozenset(all_refs), frozenset(hidden))
                        if shoot is not None and not headers and shoot(url, seen):
                            seen = Rendered(seen.refs, seen.hidden,
                                            screenshot=page.screenshot(type="png"))  # fmt: skip
                        found.setdefault(url, {})[view] = seen
                    context.close()
            finally:
                browser.close()
        return found
