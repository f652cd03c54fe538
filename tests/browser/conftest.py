"""Browser tests: whole journeys in headless Chromium (Playwright), against Django's live
server. They run where a Chromium is installed (`/usr/bin/chromium`, Debian's package,
or `EXCHANGE_CHROMIUM`), and are skipped, saying so, elsewhere. In a parallel run
(`make test`) they spread over the workers like the other tests, each worker with a
Chromium of its own: together they are about a quarter of the suite's time, too much for one
worker while the other idles."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("EXCHANGE_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        if os.environ.get("EXCHANGE_REQUIRE_BROWSER"):
            pytest.fail("EXCHANGE_REQUIRE_BROWSER is set but no Chromium was found")
        pytest.skip("no Chromium on this machine (apt install chromium, or set EXCHANGE_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's synchronous API runs an event loop in this thread; the test's own
    # database calls stay synchronous all the same.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page_for(browser, live_server):
    """page_for(membership) -> a Page signed in as that person, in their language."""
    contexts = []

    def make(membership, password="correct horse battery"):
        context = browser.new_context(
            base_url=live_server.url, locale=membership.user.language or "en"
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(membership.user.username)
        page.get_by_label("Password").fill(password)
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    yield make
    for context in contexts:
        context.close()
