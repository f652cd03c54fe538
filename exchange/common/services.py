import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from exchange.common.models import AuditEvent, IdempotentRequest


def audit_event_record(**event) -> AuditEvent:
    """Append an audit event (the arguments of ``audit_event_build``); call it inside the
    service's transaction."""
    built = audit_event_build(**event)
    built.save(force_insert=True)
    return built


def audit_event_build(
    *,
    actor,
    obj: models.Model,
    action: str,
    organisation=None,
    from_state: str = "",
    to_state: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """The audit event ``audit_event_record`` appends, not written yet (for a service
    that writes it with others in one statement); ``obj`` must have its id."""
    return AuditEvent(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        organisation=organisation,
        object_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        action=action,
        from_state=from_state or "",
        to_state=to_state or "",
        data=data or {},
    )


def idempotent_requests_sweep(*, now=None) -> int:
    """Forget the Idempotency-Keys older than IDEMPOTENCY_KEY_HOURS; returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(hours=IdempotentRequest.KEY_HOURS)
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
