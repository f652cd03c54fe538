"""The bounds of what people type: how long a free text may be, how far ahead a date may
lie. One module: the services check every input against it (the pages and the API both
go through the services), and the forms and serializers read the same numbers for their
``maxlength`` and the OpenAPI schema. An error names the bound."""

import calendar
import datetime
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.common.errors import ApplicationError, CommonError

# The largest id a row can have (a signed 64-bit integer): a larger one names no row, and
# is refused as such, not an overflow in SQLite's driver (a 500).
ID_MAX = 2**63 - 1
# A lot's title, a site's name: what fits on one line of a list.
TITLE_MAX = 200
# A lot's description: a page of text, enough for make, model, dimensions and defects.
DESCRIPTION_MAX = 5_000
# Pickup notes, a wanted request's note, a claim's note, a reason for declining.
NOTE_MAX = 2_000
# The reason for shorter claim windows, a photo's description.
REASON_MAX = 300
# How far ahead a lot's end (available_until) or a wanted request's end (valid_until)
# may lie: a date further away is a typo (9999-12-31) or a lot nobody will collect.
DATE_AHEAD_MONTHS = 18


def date_ahead_limit(today: datetime.date | None = None) -> datetime.date:
    """The last day a date that must lie ahead may take: today plus 18 months (the last
    day of that month when it is shorter)."""
    today = today or timezone.localdate()
    months = today.month - 1 + DATE_AHEAD_MONTHS
    year, month = today.year + months // 12, months % 12 + 1
    return datetime.date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def date_ahead_error(
    value: datetime.date, *, past_code: StrEnum, today: datetime.date | None = None
) -> ValidationError | None:
    """Why ``value`` is not a date from today up to 18 months ahead, or None."""
    today = today or timezone.localdate()
    if value < today:
        return ValidationError(_("This date lies in the past."), code=past_code)
    limit = date_ahead_limit(today)
    if value > limit:
        return ValidationError(
            _("Choose a date at most %(months)s months ahead: %(limit)s at the latest.")
            % {"months": DATE_AHEAD_MONTHS, "limit": limit.isoformat()},
            code=CommonError.DATE_TOO_FAR,
        )
    return None


def text_error(value: str | None, *, limit: int) -> ValidationError | None:
    """Why ``value`` is too long (it says the bound and the length), or None."""
    length = len(value or "")
    if length <= limit:
        return None
    return ValidationError(
        _("At most %(limit)s characters, this text has %(length)s.")
        % {"limit": limit, "length": length},
        code=CommonError.TOO_LONG,
    )


def texts_check(errors: dict, texts: dict[str, tuple[str | None, int]]) -> None:
    """Add to ``errors`` (field -> [ValidationError]) each text of ``texts`` (field ->
    (value, limit)) that is too long."""
    for name, (value, limit) in texts.items():
        error = text_error(value, limit=limit)
        if error is not None:
            errors.setdefault(name, []).append(error)


def texts_require(texts: dict[str, tuple[str | None, int]]) -> None:
    """Refuse (400, naming each field and its bound) when a text of ``texts`` is too long."""
    errors: dict[str, list[ValidationError]] = {}
    texts_check(errors, texts)
    if errors:
        raise ApplicationError.from_validation_error(ValidationError(errors))
