from enum import StrEnum


class AccountError(StrEnum):
    UNKNOWN_LANGUAGE = "unknown_language"
    UNKNOWN_MATCH_NOTIFICATIONS = "unknown_match_notifications"
    INVALID_CREDENTIALS = "invalid_credentials"
    TOKEN_NAME_INVALID = "token_name_invalid"  # noqa: S105 (an error code)
    TOKEN_NAME_TAKEN = "token_name_taken"  # noqa: S105 (an error code)
    TOKEN_NOT_FOUND = "token_not_found"  # noqa: S105 (an error code)
    EMAIL_NOT_VERIFIED = "email_not_verified"
    SECOND_FACTOR_CODE_REQUIRED = "second_factor_code_required"
    SECOND_FACTOR_CODE_INVALID = "second_factor_code_invalid"
    SECOND_FACTOR_SETUP_REQUIRED = "second_factor_setup_required"
    SECOND_FACTOR_REQUIRED = "second_factor_required"
