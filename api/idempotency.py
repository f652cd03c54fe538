"""``Idempotency-Key``: a client that repeats a creating POST (its connection broke before
the answer came) creates nothing more.

A creating operation decorated with ``@idempotent`` and sent with the header is run in
one transaction with the record of its key (``IdempotentRequest``, unique per person,
organisation acted for and key). The same key with the same request (method, path and
query, content) within ``KEY_HOURS`` answers the first answer again, with the header
``Idempotent-Replayed: true``; the same key with another request is 422
``idempotency_key_reused``. Two requests with one key at the same moment: the second
waits on the first's key (the unique index) and answers its answer. Only successful
answers are kept: after a refusal the key can be used again. Keys expire after
``KEY_HOURS`` (``common.idempotent_requests_sweep`` deletes them every hour).
"""

import datetime
import hashlib
import json
from functools import wraps

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from exchange.common.errors import ApplicationError, CommonError, ErrorKind
from exchange.common.models import IdempotentRequest

HEADER = "Idempotency-Key"
KEY_HOURS = IdempotentRequest.KEY_HOURS
MAX_KEY_LENGTH = 255

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A key of yours (1–255 characters, a UUID say) that makes a retry safe: the same "
        "key with the same request within 24 hours answers the first answer again "
        "(header `Idempotent-Replayed: true`) and creates nothing; the same key with "
        "another request is 422 `idempotency_key_reused`. Keys are yours per organisation "
        "you act for; only successful answers are kept."
    ),
)


def _content(value):
    if hasattr(value, "chunks"):  # an uploaded file: its name and content
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "sha256": digest.hexdigest()}
    return value


def request_fingerprint(request) -> str:
    """SHA-256 of what makes two requests the same one: method, path with query, and
    content (parsed: a form's boundary or a JSON's spacing do not count)."""
    data = request.data
    if hasattr(data, "lists"):  # a form or multipart: every value of every field
        content = sorted((name, [_content(v) for v in values]) for name, values in data.lists())
    else:
        content = data
    text = json.dumps(
        [request.method, request.get_full_path(), content],
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise ApplicationError(
            code=CommonError.IDEMPOTENCY_KEY_INVALID,
            message=_("The Idempotency-Key header holds 1 to %(max)s printable characters.")
            % {"max": MAX_KEY_LENGTH},
        )
    return key


def idempotent(handler):
    """Make a creating POST handler of a view honour ``Idempotency-Key`` (see above)."""

    @wraps(handler)
    def run(view, request, *args, **kwargs):
        key = _key(request) if request.method == "POST" else None
        if key is None:
            return handler(view, request, *args, **kwargs)
        fingerprint = request_fingerprint(request)
        actor = getattr(view, "actor", None)
        scope = {
            "user": request.user,
            "organisation_id": actor.organisation_id if actor is not None else 0,
            "key": key,
        }
        with transaction.atomic():
            IdempotentRequest.objects.filter(
                **scope, created_at__lt=timezone.now() - datetime.timedelta(hours=KEY_HOURS)
            ).delete()
            try:
                with transaction.atomic():
                    record = IdempotentRequest.objects.create(**scope, fingerprint=fingerprint)
            except IntegrityError:
                # The key was used: by a finished request, or one that just committed
                # while this one waited on the key.
                return _replay(IdempotentRequest.objects.get(**scope), fingerprint)
            response = handler(view, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                record.status_code = response.status_code
                record.body = json.loads(JSONRenderer().render(response.data) or b"null")
                record.save(update_fields=["status_code", "body"])
            else:
                transaction.set_rollback(True)  # the key stays free for a retry
            return response

    # An action may also answer GET: the header is documented on its POST only.
    methods = ["POST"] if hasattr(handler, "mapping") else None
    return extend_schema(methods=methods, parameters=[IDEMPOTENCY_PARAMETER])(run)


def _replay(record: IdempotentRequest, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise ApplicationError(
            code=CommonError.IDEMPOTENCY_KEY_REUSED,
            kind=ErrorKind.UNPROCESSABLE,
            message=_(
                "This Idempotency-Key was used for another request: use a new key for a "
                "new request."
            ),
        )
    response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response
