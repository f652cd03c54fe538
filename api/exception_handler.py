"""One error shape for the whole API.

    {"code": "<machine code>", "detail": "<message for people>",
     "errors": {"<field>": ["<reason>", ...]}, ...extra}

400 bad input, 401 not signed in, 403 not allowed, 404 missing or not visible,
409 the object's state forbids it, 422 an Idempotency-Key used for another request.
"""

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api.parsers import RequestTooLarge
from exchange.common.errors import ApplicationError, ErrorKind


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field" or "items.0.serial": [messages]}``."""
    if isinstance(detail, dict):
        errors: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            errors.update(_flatten(value, name))
        return errors
    if isinstance(detail, list) and detail and all(isinstance(d, str) for d in detail):
        return {prefix or "non_field_errors": [str(d) for d in detail]}
    if isinstance(detail, list):
        errors = {}
        for index, value in enumerate(detail):
            if value:
                errors.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return errors
    return {prefix or "non_field_errors": [str(detail)]}


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "detail": str(exc.message), "errors": exc.errors, **exc.extra}
        return Response(body, status=ErrorKind(exc.kind).http_status)
    if isinstance(exc, ValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, RequestDataTooBig):  # form fields over DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = RequestTooLarge(str(exc))
    elif isinstance(exc, SuspiciousOperation):  # e.g. too many form fields
        exc = exceptions.ParseError(str(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = next(iter(errors.values()), ["Invalid input."])[0]
        codes = _flatten(exc.get_codes())
        first_code = next(iter(codes.values()), ["invalid"])[0]
        response.data = {"code": first_code, "detail": first, "errors": errors}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        code = getattr(detail, "code", None) or exc.default_code
        response.data = {"code": code, "detail": str(detail), "errors": {}}
    return response
