"""Pages that follow background work and update in place (htmx, vendored).

A page part that waits for a job (matching, a photo's sizes, a report) is rendered
with htmx attributes that ask for it again every moment (``?part=<name>``). While the
job has not run, that request answers 204 (htmx swaps nothing and asks again); once
done, it answers the part as the page would show it, which carries no such attributes
(the asking stops), and a sentence for the page's status region (``role="status"``,
announced by screen readers). Without JavaScript the page says the job is running and
offers a plain link to reload."""

from django.http import HttpRequest, HttpResponse

PART_PARAMETER = "part"


def live_part_asked(request: HttpRequest, name: str) -> bool:
    """Is this request a page part's poll for ``name`` (``?part=name``)?"""
    return request.GET.get(PART_PARAMETER) == name


def live_still_running() -> HttpResponse:
    """The answer to a poll while the job has not run: nothing to swap yet."""
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response
