from enum import StrEnum


class ReuseError(StrEnum):
    NOT_YOURS = "reuse_check_not_yours"
    CHECK_CLOSED = "reuse_check_closed"
    NEEDED_BY_IN_PAST = "needed_by_in_past"
    WAITING_PAST_NEEDED_BY = "waiting_past_needed_by"
    LOT_NOT_OFFERED = "lot_not_offered"
    QUANTITY_BEYOND_NEED = "quantity_beyond_need"
    NO_ATTESTATION = "no_attestation"
    FINGERPRINT_INVALID = "fingerprint_invalid"
    FILE_TOO_LARGE = "file_too_large"
