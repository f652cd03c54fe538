from enum import StrEnum


class AccountError(StrEnum):
    EMAIL_TAKEN = "email_taken"
    UNKNOWN_LANGUAGE = "unknown_language"
