"""The one error type that services raise, and how it maps to HTTP."""

from enum import StrEnum


class ErrorKind(StrEnum):
    """How a refusal is answered: the API maps kinds to status codes."""

    INVALID = "invalid"  # 400: bad input
    FORBIDDEN = "forbidden"  # 403: known actor, not allowed
    NOT_FOUND = "not_found"  # 404: missing or not visible to the actor
    CONFLICT = "conflict"  # 409: the object's state forbids it
    UNPROCESSABLE = "unprocessable"  # 422: well-formed, but contradicts an earlier request

    @property
    def http_status(self) -> int:
        """The status the API and the pages answer a refusal of this kind with."""
        return {
            "invalid": 400,
            "forbidden": 403,
            "not_found": 404,
            "conflict": 409,
            "unprocessable": 422,
        }[self.value]


class ApplicationError(Exception):
    """A refusal by a service, before anything was written.

    ``code`` is a member of the app's error-code enum, ``message`` a translated text
    for people, ``field`` the input it concerns (if any), ``extra`` machine-readable
    details (for example what quantity remains).
    """

    def __init__(
        self,
        *,
        code: StrEnum | str,
        message: str,
        kind: ErrorKind = ErrorKind.INVALID,
        field: str | None = None,
        errors: dict[str, list[str]] | None = None,
        codes: dict[str, list[str]] | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = str(code)
        self.message = message
        self.kind = kind
        self.field = field
        self.errors = errors or ({field: [str(message)]} if field else {})
        # The code of each message of ``errors`` (same keys, same order), where known.
        self.codes = codes or {}
        self.extra = extra or {}

    def code_of(self, field: str, index: int) -> str:
        """The code of the ``index``-th message on ``field`` (the error's own code when
        the message came without one)."""
        codes = self.codes.get(field) or []
        return codes[index] if index < len(codes) and codes[index] else self.code

    @classmethod
    def from_validation_error(cls, exc, *, code: StrEnum | None = None) -> "ApplicationError":
        """Wrap Django's ValidationError (field dict or plain) as a 400 refusal."""
        if hasattr(exc, "error_dict"):
            errors = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        else:
            errors = {"non_field_errors": [str(m) for m in exc.messages]}
        if hasattr(exc, "error_dict"):
            codes = {
                field: [str(e.code or "") for e in exc.error_dict[field]]
                for field in exc.error_dict
            }
        else:
            codes = {"non_field_errors": [str(e.code or "") for e in exc.error_list]}
        first_field, first_messages = next(iter(errors.items()))
        first_code = next((c for c in codes.get(first_field, []) if c), None)
        return cls(
            code=first_code or code or CommonError.INVALID,
            message=first_messages[0],
            field=None if first_field == "non_field_errors" else first_field,
            errors=errors,
            codes=codes,
        )


class CommonError(StrEnum):
    # Input, in every app
    INVALID = "invalid"
    REQUIRED = "required"
    INVALID_CHOICE = "invalid_choice"
    INVALID_DATE = "invalid_date"
    OUT_OF_RANGE = "out_of_range"
    TOO_LONG = "too_long"
    DATE_TOO_FAR = "date_too_far"
    REQUEST_TOO_LARGE = "request_too_large"
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    # Who acts
    NOT_A_MEMBER = "not_a_member"
    ROLE_REQUIRED = "role_required"
    NOT_VERIFIED = "organisation_not_verified"
    NO_ORGANISATION = "no_organisation"
    PLATFORM_ROLE_REQUIRED = "platform_role_required"
