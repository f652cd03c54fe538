from django.db.models import Q, QuerySet

from exchange.impact.models import ImpactRecord
from exchange.organisations.models import Membership


def impact_reads_all(user) -> bool:
    """Analysts and moderators read the figures of every organisation."""
    return bool(getattr(user, "is_analyst", False) or getattr(user, "is_moderator", False))


def impact_record_list(*, user, actor: Membership | None) -> QuerySet[ImpactRecord]:
    """Analysts and moderators read every record; members read their organisation's,
    as donor and as recipient."""
    records = ImpactRecord.objects.select_related(
        "factor_version", "donor", "recipient", "category", "lot", "claim"
    )
    if impact_reads_all(user):
        return records
    if actor is None:
        return records.none()
    return records.filter(Q(donor_id=actor.organisation_id) | Q(recipient_id=actor.organisation_id))
