"""Reminders of approaching deadlines: a lot that can be claimed for a few more days with
units left, a pickup slot tomorrow, a wanted request about to end.

Each part of the platform reminds of its own deadlines: it registers a sender at start-up
(its AppConfig.ready), so this module knows none of them. A daily beat job runs every
sender; each reminder is sent once (its key names the deadline, so a new date or slot
gives a new reminder)."""

import datetime
from collections.abc import Callable

from django.utils import timezone

# A sender writes the reminders due at ``now`` and returns how many notifications it wrote.
ReminderSender = Callable[..., int]

_SENDERS: dict[str, ReminderSender] = {}


def reminder_sender_register(kind: str, send: ReminderSender) -> None:
    """Register the sender of one kind of reminder (from an AppConfig.ready)."""
    _SENDERS[kind] = send


def deadline_reminders_send(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send the reminders due now; returns how many notifications each kind wrote."""
    now = now or timezone.now()
    return {kind: send(now=now) for kind, send in _SENDERS.items()}
