"""E-mails and notices read as plain text, never lost to a bad header, with links to
the platform's public address (exchange/common/mail.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from exchange.claims.services import claim_create
from exchange.notifications.models import Notification
from exchange.notifications.services import notification_email_send
from exchange.organisations.models import Organisation
from exchange.organisations.services import organisation_verified_notify
from tests.factories import LotFactory, SiteFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
TITLE = "Chairs\r\nBcc: someone@example.org <b>&</b> 'blue'"
NOTE = "<script>alert('x')</script> & Co's van"


@pytest.fixture
def claimed(fed_admin, make_member, categories):
    lot = LotFactory(
        site=SiteFactory(organisation=fed_admin.organisation), title=TITLE, published=True
    )
    claimant = make_member(kind="federal", name="FPS Beta")
    claim = claim_create(actor=claimant, lot=lot, quantity=1, note=NOTE)
    notice = Notification.objects.get(user=fed_admin.user, key=f"claim:{claim.pk}:created")
    return fed_admin, claim, notice


def test_a_newline_in_a_lots_title_makes_one_subject_line_and_the_mail_goes_out(claimed):
    owner, _claim, notice = claimed
    assert notification_email_send(notification_id=notice.pk)
    sent = mail.outbox[-1]
    assert sent.subject == "New claim on your lot: Chairs Bcc: someone@example.org <b>&</b> 'blue'"
    assert "\n" not in sent.message()["Subject"]
    assert sent.message()["Bcc"] is None
    assert sent.to == [owner.user.email]
    notice.refresh_from_db()
    assert notice.emailed_at is not None


def test_mails_and_notices_are_plain_text_escaped_once_on_the_page(client, claimed):
    owner, _claim, notice = claimed
    assert NOTE in notice.body  # stored as typed
    assert "&#x27;" not in notice.body and "&lt;" not in notice.body and "&amp;" not in notice.body
    notification_email_send(notification_id=notice.pk)
    body = mail.outbox[-1].body
    assert NOTE in body
    assert "&#x27;" not in body and "&lt;" not in body
    client.force_login(owner.user)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co&#x27;s van" in page
    assert "&amp;lt;" not in page and "&amp;#x27;" not in page and "<script>alert" not in page


def test_the_link_in_an_e_mail_uses_the_public_url(settings, claimed):
    settings.EXCHANGE_PUBLIC_URL = "https://reuse.example.be"
    _owner, claim, notice = claimed
    notification_email_send(notification_id=notice.pk)
    assert f"https://reuse.example.be/claims/{claim.pk}/" in mail.outbox[-1].body
    assert "127.0.0.1" not in mail.outbox[-1].body


def test_a_verified_organisations_mail_has_a_clean_subject_and_plain_text(fed_admin):
    Organisation.objects.filter(pk=fed_admin.organisation_id).update(name="Fedasil\nO'Brien & <Co>")
    organisation_verified_notify(organisation_id=fed_admin.organisation_id)
    sent = mail.outbox[-1]
    assert sent.subject == "Fedasil O'Brien & <Co> is verified"
    assert "O'Brien & <Co>" in sent.body


def _public_url(**env) -> str:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PORT", "HOST", "EXCHANGE_PUBLIC_URL", "EXCHANGE_BASE_URL")
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="exchange.settings")
    code = "from django.conf import settings; print(settings.EXCHANGE_PUBLIC_URL)"
    result = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", code], env=environment, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_public_url_defaults_to_the_address_make_run_serves():
    assert _public_url() == "http://127.0.0.1:8000"
    assert _public_url(PORT="9123") == "http://127.0.0.1:9123"
    assert _public_url(EXCHANGE_PUBLIC_URL="https://reuse.example.be/") == (
        "https://reuse.example.be"
    )
    assert _public_url(EXCHANGE_BASE_URL="https://old.example.be") == "https://old.example.be"
