"""The API's JSON renderer, and renderers for answers that are files, so that content
negotiation can choose them."""

import orjson
from rest_framework import renderers
from rest_framework.renderers import BaseRenderer
from rest_framework.utils.encoders import JSONEncoder as _DRFEncoder

# orjson writes str, int, float, bool, None, dict, list and tuple itself (and their
# subclasses: an error's ErrorDetail, a choice's value, DRF's ReturnDict); everything
# else (moments, days, Decimal, lazy translations, UUID, sets, querysets, dataclasses) goes
# to DRF's encoder, so that it is written as DRF writes it.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_DEFAULT = _DRFEncoder().default
# JSON that is also JavaScript: DRF escapes these two line separators, so do we.
_LINE_SEPARATORS = ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029")
_LINE_SEPARATOR_LEAD = b"\xe2"  # the first byte of both in UTF-8 (and of other characters)


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, the same bytes written by orjson (a catalogue page's 20 kB in
    ~15 µs instead of ~200 µs): compact, UTF-8 (not \\u escapes), U+2028 and U+2029
    escaped, moments, days and decimals as DRF writes them. What orjson does not take
    (an integer beyond 64 bits, a dict whose keys are not strings, nesting deeper than
    254) and an indented answer (``Accept: application/json; indent=4``, the browsable
    API) are written by DRF's renderer itself, as before. Floats are written in their
    shortest form either way (orjson writes 1e-05 as 0.00001, the same number); a float
    that is not a number (NaN, infinity), which DRF refused with an error, is null."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (
            data is None
            or self.ensure_ascii
            or not self.compact
            or self.get_indent(accepted_media_type, renderer_context or {})
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            content = orjson.dumps(data, default=_DEFAULT, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if _LINE_SEPARATOR_LEAD in content:  # one fast scan for most answers (ASCII)
            for raw, escaped in _LINE_SEPARATORS:
                content = content.replace(raw, escaped)
        return content


class PDFRenderer(BaseRenderer):
    """``application/pdf``: the view's answer is the PDF itself (an HttpResponse); an
    error of such a view is answered as JSON (see ``FileAnswersMixin``)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class AnyFileRenderer(BaseRenderer):
    """Any media type (``*/*``): a view that answers a file of its own type (a photo)."""

    media_type = "*/*"
    format = "file"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class FileAnswersMixin:
    """A view with actions that answer a file: their errors (404, 409, …) keep the API's
    JSON shape although the client asked for the file's type."""

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(response, "exception", False) and isinstance(
            getattr(request, "accepted_renderer", None), PDFRenderer | AnyFileRenderer
        ):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
