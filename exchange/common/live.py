"""Pages that follow background work and update in place (htmx, vendored).

A page part that waits for a job (matching, a photo's sizes, a report) is rendered
with htmx attributes that ask for it again (``?part=<name>``, and ``every=<seconds>``,
the pace it asks at). While the job has not run, that request answers 204 (htmx swaps
nothing and asks again); once done, it answers the part as the page would show it, which
carries no such attributes (the asking stops), and a sentence for the page's status
region (``role="status"``, announced by screen readers). Without JavaScript the page
says the job is running and offers a plain link to reload.

The pace slows down as the wait grows (``live_pace``): every second at first, every
5 seconds once the job is later than its first moments, and every 30 seconds once it is
later than usual (a broker down, a queue backed up), when the status region says so. A
poll whose element asks at a pace that is no longer the right one is answered with the
part at the new pace instead of 204, so open pages do not ask every second for work
that cannot come."""

import datetime
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PART_PARAMETER = "part"
PACE_PARAMETER = "every"

# Every second for the first 30 seconds of the wait; every 5 seconds until the job is
# later than it usually is; then every 30 seconds.
LIVE_FIRST_MOMENTS = datetime.timedelta(seconds=30)
LIVE_USUAL_WAIT = datetime.timedelta(minutes=2)
LIVE_PACE_FIRST, LIVE_PACE_WAITING, LIVE_PACE_LATE = 1, 5, 30


def live_late_text() -> str:
    """The status region's sentence once the wait is longer than usual, with the pace
    the page then keeps."""
    return _(
        "This is taking longer than usual. The page keeps looking, every %(seconds)s "
        "seconds; you may also leave it and come back later."
    ) % {"seconds": LIVE_PACE_LATE}


@dataclass(frozen=True)
class LivePace:
    """How often a waiting part asks again, and whether the wait is longer than usual."""

    seconds: int
    late: bool


def live_pace(since: datetime.datetime, *, usual: datetime.timedelta = LIVE_USUAL_WAIT) -> LivePace:
    """The pace of a part that has waited for its job since ``since``."""
    waited = timezone.now() - since
    if waited < LIVE_FIRST_MOMENTS:
        return LivePace(LIVE_PACE_FIRST, late=False)
    if waited < usual:
        return LivePace(LIVE_PACE_WAITING, late=False)
    return LivePace(LIVE_PACE_LATE, late=True)


def live_part_asked(request: HttpRequest, name: str) -> bool:
    """Is this request a page part's poll for ``name`` (``?part=name``)?"""
    return request.GET.get(PART_PARAMETER) == name


def live_pace_kept(request: HttpRequest, pace: LivePace) -> bool:
    """Does the polling element already ask at this pace? Then a poll while the job
    runs answers ``live_still_running()``; otherwise the part again, at the new pace."""
    return request.GET.get(PACE_PARAMETER) == str(pace.seconds)


def live_still_running() -> HttpResponse:
    """The answer to a poll while the job has not run: nothing to swap yet."""
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response
