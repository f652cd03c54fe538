from enum import StrEnum


class MatchingError(StrEnum):
    WANTED_NOT_OPEN = "wanted_not_open"
    MATCH_CLOSED = "match_closed"
    NOT_YOURS = "match_not_yours"
