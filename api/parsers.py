"""Request body parsers of the API: JSON with a size bound and a nesting bound."""

import io

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, reading at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes, and
    answering 400 (not 500) to JSON nested deeper than Python's recursion limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        data = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(data) > limit:
            raise RequestTooLarge(
                _("The request body is larger than %(max)s bytes.") % {"max": limit}
            )
        try:
            return super().parse(io.BytesIO(data), media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(_("The JSON is nested too deeply.")) from exc
