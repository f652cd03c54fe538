"""Telling organisations of their matches: an in-app notice for each new match to the
requesting organisation's people, once, by e-mail at once for those who asked and
otherwise in the daily digest."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from exchange.matching.models import Match, WantedRequest
from exchange.organisations.models import Membership

MATCH_TITLE = gettext_noop("A lot fits what you need: %(lot)s")


def _people(organisation_ids: set[int]) -> dict[int, list]:
    """The active people of each organisation, read at once."""
    people: dict[int, list] = {}
    for membership in Membership.objects.select_related("user").filter(
        organisation_id__in=organisation_ids, user__is_active=True
    ):
        people.setdefault(membership.organisation_id, []).append(membership.user)
    return people


def matches_notify(
    matches: list[Match],
    *,
    organisations: dict[int, int] | None = None,
    people: dict[int, list] | None = None,
) -> None:
    """In-app notice for each new match to the requesting organisation's people, once;
    e-mail at once for those who asked, else in the daily digest.

    ``organisations`` (wanted request id -> organisation id) and ``people``
    (organisation id -> users) may come from the caller; the matches are loaded with
    what the notice shows only where somebody reads it."""
    from exchange.notifications.services import notify_users

    if not matches:
        return
    if organisations is None or any(m.wanted_id not in organisations for m in matches):
        organisations = dict(
            WantedRequest.objects.filter(pk__in={m.wanted_id for m in matches}).values_list(
                "pk", "organisation_id"
            )
        )
    if people is None:
        people = _people(set(organisations.values()))
    told = [m.pk for m in matches if people.get(organisations[m.wanted_id])]
    for match in Match.objects.filter(pk__in=told).select_related(
        "lot__owner", "lot__site", "wanted__category", "wanted__organisation"
    ):
        users = people[organisations[match.wanted_id]]
        for immediate in (True, False):
            group = [u for u in users if (u.match_notifications == "immediate") == immediate]
            if group:
                notify_users(
                    users=group,
                    kind="match",
                    key=f"match:{match.pk}",
                    title=MATCH_TITLE,
                    title_params={"lot": match.lot.title},
                    template="matching/notifications/match.txt",
                    context={"match": match, "lot": match.lot, "wanted": match.wanted},
                    url=reverse("matching:matches", args=[match.wanted_id]),
                    email=immediate,
                )
    now = timezone.now()
    Match.objects.filter(pk__in=[m.pk for m in matches], notified_at__isnull=True).update(
        notified_at=now
    )
    for match in matches:
        match.notified_at = match.notified_at or now


# --- The daily digest ------------------------------------------------------------------


def matches_digest_send() -> int:
    """One e-mail per person with their match notices not e-mailed yet; returns how many
    e-mails went out. Running it twice sends nothing more."""
    from django.conf import settings
    from django.utils import translation

    from exchange.common.mail import mail_send, public_url, text_render
    from exchange.notifications.models import Notification

    sent = 0
    pending = Notification.objects.filter(kind="match", emailed_at__isnull=True)
    for user_id in pending.values_list("user_id", flat=True).distinct():
        with transaction.atomic():
            notices = list(
                pending.filter(user_id=user_id).select_for_update().select_related("user")
            )
            if not notices:
                continue
            user = notices[0].user
            Notification.objects.filter(pk__in=[n.pk for n in notices]).update(
                emailed_at=timezone.now()
            )
            if not user.email:
                continue
            with translation.override(user.language or settings.LANGUAGE_CODE):
                subject = translation.ngettext(
                    "%(count)s lot fits what you need",
                    "%(count)s lots fit what you need",
                    len(notices),
                ) % {"count": len(notices)}
                body = text_render(
                    "matching/email/digest.txt",
                    {"user": user, "notices": notices, "base_url": public_url()},
                )
            mail_send(subject=subject, body=body, to=user.email)
            sent += 1
    return sent
