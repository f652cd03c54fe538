from enum import StrEnum


class AccountError(StrEnum):
    EMAIL_TAKEN = "email_taken"
    UNKNOWN_LANGUAGE = "unknown_language"
    PASSWORD_INVALID = "password_invalid"  # noqa: S105 (an error code, not a password)
    UNKNOWN_MATCH_NOTIFICATIONS = "unknown_match_notifications"
    INVALID_CREDENTIALS = "invalid_credentials"
