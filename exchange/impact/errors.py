from enum import StrEnum


class ImpactError(StrEnum):
    NOT_YOUR_ORGANISATION = "not_your_organisation"
    YEAR_OUT_OF_RANGE = "year_out_of_range"
    INVALID_RANGE = "invalid_range"
    INVALID_INTERVAL = "invalid_interval"
    UNKNOWN_FILTER = "unknown_filter"
    INVALID_FORMAT = "invalid_format"
    INVALID_LANGUAGE = "invalid_language"
    UNKNOWN_FACTOR_VERSION = "unknown_factor_version"
    INVALID_SEPARATOR = "invalid_separator"
    UNKNOWN_ORGANISATION = "unknown_organisation"
