"""What every page of a browser journey must hold, checked in one call per page:
axe-core (pinned: axe-playwright-python bundles its axe.min.js) finds no serious or
critical accessibility violation, a phone-wide page (390 px) does not scroll sideways, every
image loads (lazy ones too), and a screenshot of the page is saved under var/screenshots/
for a person to look at: a JPEG, for a full-page PNG cost Chromium ~20 % of a day
journey's CPU and a JPEG costs it about a third of that.

Problems are gathered over the whole journey and reported together at its end, each
with the page it was found on, so one run lists everything to fix."""

from __future__ import annotations

import os
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE_WIDTH = 390
DESKTOP_WIDTH = 1280
BLOCKING_IMPACTS = ("serious", "critical")

_axe = Axe()


def kept_screenshots() -> Path | None:
    """The folder EXCHANGE_SCREENSHOTS names (made if missing), where a test keeps the
    screenshots of its pages for a person to look at; None when it is not set: then no
    screenshot is taken (a full-page PNG costs Chromium more CPU than the page's checks,
    for a file nobody keeps)."""
    folder = os.environ.get("EXCHANGE_SCREENSHOTS")
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder)


def at_both_widths(page, name: str, *, sideways_checked: bool = True) -> None:
    """The page at 1280 and at 390 px: a full-page screenshot of each kept in
    ``kept_screenshots()``, and the page does not scroll sideways (unless
    ``sideways_checked`` is False); the page is left at 1280 px."""
    folder = kept_screenshots()
    for width in (DESKTOP_WIDTH, PHONE_WIDTH):
        page.set_viewport_size({"width": width, "height": 900})
        if folder:
            page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        if sideways_checked:
            overflow = sideways_overflow(page)
            assert not overflow, f"{name} at {width} px: " + "\n".join(overflow)
    page.set_viewport_size({"width": DESKTOP_WIDTH, "height": 900})


# The elements that stick out to the right of the viewport, innermost first: what a
# person fixing a sideways scroll wants to know.
_OVERFLOWING = """() => {
  const limit = window.innerWidth;
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.right > limit + 0.5 && box.width > 0) {
      const inner = [...el.children].some((c) => c.getBoundingClientRect().right > limit + 0.5);
      if (!inner) {
        const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
          + (el.className && typeof el.className === "string"
             ? "." + el.className.trim().split(/\\s+/).join(".") : "");
        out.push(`${name} (right edge at ${Math.round(box.right)} px)`);
      }
    }
    if (out.length >= 5) break;
  }
  return out;
}"""


# Lazy images load now (the screenshot shows them), then the ones that failed are named.
_IMAGES_LOADED = """async () => {
  const images = [...document.images];
  images.forEach((img) => { img.loading = "eager"; });
  await Promise.race([
    Promise.all(images.map((img) => img.complete ? null
      : new Promise((done) => { img.onload = img.onerror = done; }))),
    new Promise((done) => setTimeout(done, 5000)),
  ]);
  return images.filter((img) => img.complete && img.naturalWidth === 0)
    .map((img) => img.currentSrc || img.src);
}"""


def broken_images(page) -> list[str]:
    """Loads every image of the page; the ones that do not load, as problems."""
    return [f"image does not load: {src}" for src in page.evaluate(_IMAGES_LOADED)]


def axe_blocking_violations(page) -> list[str]:
    """The serious and critical violations axe-core finds on the page, readable."""
    results = _axe.run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            html = re.sub(r"\s+", " ", node["html"])[:160]
            lines.append(f"    {', '.join(map(str, node['target']))}: {html}")
    return lines


def sideways_overflow(page) -> list[str]:
    """Empty when the page does not scroll sideways, else what sticks out."""
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if fits:
        return []
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return [
        f"scrolls sideways: {width[0]} px wide in a {width[1]} px window",
        *[f"    {element}" for element in page.evaluate(_OVERFLOWING)],
    ]


class PageChecks:
    """checks(page, "what the person sees") after each step of a journey;
    checks.assert_clean() at its end."""

    def __init__(self, journey: str, width: int):
        self.width = width
        self.folder = SCREENSHOTS / f"{journey}-{width}"
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in [*self.folder.glob("*.png"), *self.folder.glob("*.jpeg")]:
            old.unlink()
        self.count = 0
        self.problems: list[str] = []
        self.visited: list[str] = []

    def __call__(self, page, name: str) -> None:
        """Check the page as it is now and save its screenshot."""
        page.wait_for_load_state("load")
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        found = broken_images(page)
        shot = self.folder / f"{self.count:02d}-{slug}.jpeg"
        page.screenshot(path=str(shot), full_page=True, type="jpeg", quality=80)
        found += axe_blocking_violations(page)
        if page.viewport_size["width"] <= PHONE_WIDTH:
            found += sideways_overflow(page)
        where = f"{name} ({page.url.split('/', 3)[-1] or '/'}, {self.width} px)"
        self.visited.append(where)
        if found:
            self.problems.append("\n".join([where, *[f"  {line}" for line in found]]))

    def expect(self, holds: bool, what: str) -> None:
        """A thing the person should see; noted, not stopped at, where it is not so."""
        if not holds:
            self.problems.append(what)

    def shows_in_place(self, same_page: NoReload, locator, what: str, timeout: float = 20_000):
        """Background work finished while the page was open: ``locator`` must appear on
        the same page, not reloaded. Where it does not, the problem is noted and the page
        reloaded by hand, so that the rest of the journey still runs and is checked."""
        try:
            locator.wait_for(timeout=timeout)
        except PlaywrightTimeoutError:
            self.problems.append(f"{what}: did not show without a reload ({same_page.page.url})")
            same_page.page.reload()
            locator.wait_for()
            return
        if not same_page.holds():
            self.problems.append(f"{what}: the page was reloaded to show it")

    def assert_clean(self) -> None:
        assert self.visited, "no page was checked"
        assert not self.problems, "\n".join(self.problems)


class NoReload:
    """Proves that content changed in place: a marker set on ``window`` survives only
    as long as the page is not reloaded or left."""

    def __init__(self, page):
        self.page = page
        page.evaluate("window.__stillThisPage = true")

    def holds(self) -> bool:
        return self.page.evaluate("window.__stillThisPage === true")
