from enum import StrEnum


class MatchingError(StrEnum):
    WANTED_NOT_OPEN = "wanted_not_open"
    MATCH_CLOSED = "match_closed"
    NOT_YOURS = "match_not_yours"
    SITE_NOT_OWNED = "site_not_owned"
    SITE_REQUIRED = "site_required"
    DATE_IN_PAST = "date_in_past"
