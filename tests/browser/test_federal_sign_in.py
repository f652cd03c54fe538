"""Federal sign-in in a browser: the sign-in page's federal button, the local OpenID
Connect provider's own page (a separate process), and back signed in, in Dutch."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_civil_servant_signs_in_through_the_federal_service(browser, live_server, oidc_provider):
    # given the platform configured with the (local) federal authentication service
    oidc_provider()
    context = browser.new_context(base_url=live_server.url, locale="nl-BE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    # when a civil servant presses the federal button on the sign-in page
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Aanmelden via de Federale Authenticatiedienst").click()
    # then the provider's page asks who they are (as eID or itsme would tell it)
    page.wait_for_url(lambda url: "/authorize" in url)
    page.get_by_label("email", exact=True).fill("an.peeters@fod.example.be")
    page.get_by_label("email_verified").fill("true")
    page.get_by_label("given_name").fill("An")
    page.get_by_label("family_name").fill("Peeters")
    page.get_by_label("locale").fill("nl-BE")
    page.get_by_role("button", name="Sign in").click()
    # and they come back signed in, as a new person made from those claims
    page.wait_for_url(lambda url: url.startswith(live_server.url) and "/accounts/" not in url)
    assert "An Peeters" in page.locator("header").inner_text()
    user = get_user_model().objects.get(email="an.peeters@fod.example.be")
    assert user.language == "nl"
    context.close()
