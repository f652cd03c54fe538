"""The checks the day journeys run on every page find what they are meant to find: an
image without a text alternative and an unlabelled field (axe-core, serious and
critical), a table wider than a phone, an image that does not load, content that needed
a reload."""

import pytest

from tests.browser.checks import PHONE_WIDTH, NoReload, PageChecks

pytestmark = pytest.mark.browser

BROKEN = """<!DOCTYPE html><html lang="en"><head><title>Broken</title></head><body>
<main><h1>Broken</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<input type="text" name="quantity">
<img src="/no-such-photo.jpg" alt="A photo that is not there">
<table><tr><td style="min-width: 900px">a wide cell</td></tr></table>
</main></body></html>"""

FINE = """<!DOCTYPE html><html lang="en"><head><title>Fine</title></head><body>
<main><h1>Fine</h1><p id="later"></p></main></body></html>"""


def test_checks_list_what_is_wrong_with_a_page(browser):
    # given a phone-wide page with an image without alt text, an unlabelled field and a
    # table wider than the screen
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 800})
    try:
        page = context.new_page()
        page.set_content(BROKEN)
        checks = PageChecks("page-checks-broken", PHONE_WIDTH)

        # when it is checked
        checks(page, "broken page")

        # then every problem is listed, with the page it was found on
        with pytest.raises(AssertionError) as failure:
            checks.assert_clean()
        report = str(failure.value)
        assert "broken page" in report
        assert "image-alt (critical)" in report
        assert "label (critical)" in report
        assert "scrolls sideways" in report and "td" in report
        assert "image does not load: " in report and "no-such-photo.jpg" in report
        assert (checks.folder / "01-broken-page.jpeg").read_bytes()[:3] == b"\xff\xd8\xff"
    finally:
        context.close()


def test_checks_pass_a_fine_page_and_see_a_reload(browser):
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": 800})
    try:
        page = context.new_page()
        page.set_content(FINE)
        checks = PageChecks("page-checks-fine", PHONE_WIDTH)
        checks(page, "fine page")
        checks.assert_clean()

        # content that comes in place passes; content that needed a reload does not
        same_page = NoReload(page)
        page.evaluate("setTimeout(() => { later.textContent = 'ready'; }, 200)")
        checks.shows_in_place(same_page, page.get_by_text("ready"), "in place")
        checks.assert_clean()
        same_page = NoReload(page)
        page.goto("data:text/html," + FINE.replace('<p id="later"></p>', "<p>reloaded</p>"))
        checks.shows_in_place(same_page, page.get_by_text("reloaded"), "after a reload")
        with pytest.raises(AssertionError, match="after a reload: the page was reloaded"):
            checks.assert_clean()
    finally:
        context.close()
