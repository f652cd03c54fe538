"""Renderers for answers that are files, so that content negotiation can choose them."""

from rest_framework.renderers import BaseRenderer


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
            from rest_framework.renderers import JSONRenderer

            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
