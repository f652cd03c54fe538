import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy

from exchange.claims.models import Claim, ClaimMessage, ClaimStatus, PickupSlot, PickupSlotStatus
from exchange.common.models import AuditEvent
from exchange.lots.models import Lot
from exchange.lots.selectors import lot_own_list
from exchange.organisations.models import Membership, MembershipRole, Organisation

HISTORY_LABELS = {
    "create": gettext_lazy("Claimed"),
    "approve": gettext_lazy("Approved"),
    "decline": gettext_lazy("Declined"),
    "cancel": gettext_lazy("Cancelled"),
    "schedule": gettext_lazy("Pickup slot set"),
    "no_show": gettext_lazy("No-show recorded"),
    "collect": gettext_lazy("Handover confirmed"),
    "propose_slot": gettext_lazy("Pickup slot proposed"),
}

# Claims whose contact persons each side sees.
CONTACT_STATUSES = (ClaimStatus.APPROVED, ClaimStatus.COLLECTED)


def claim_list(*, actor: Membership | None) -> QuerySet[Claim]:
    """Claims the actor's organisation made, and claims on its lots."""
    if actor is None:
        return Claim.objects.none()
    organisation_id = actor.organisation_id
    return Claim.objects.filter(
        Q(claimant_id=organisation_id) | Q(lot__owner_id=organisation_id)
    ).select_related(
        "lot__owner", "lot__category", "lot__site", "claimant", "claimed_by", "owner_contact"
    )


def claim_filter_role(
    queryset: QuerySet[Claim], *, actor: Membership, role: str
) -> QuerySet[Claim]:
    if role == "claimant":
        return queryset.filter(claimant_id=actor.organisation_id)
    if role == "owner":
        return queryset.filter(lot__owner_id=actor.organisation_id)
    return queryset


def claim_mine_list(*, actor: Membership, status: str = "") -> QuerySet[Claim]:
    """The claims the actor's organisation made, in one status if given."""
    claims = claim_filter_role(claim_list(actor=actor), actor=actor, role="claimant")
    return claims.filter(status=status) if status else claims


def claim_inbox_list(
    *, actor: Membership, status: str = "", lot: Lot | None = None
) -> QuerySet[Claim]:
    """Claims on the actor's lots (in one status, on one lot, if given): those waiting
    for a decision first, then the approved ones, the newest first."""
    claims = claim_filter_role(claim_list(actor=actor), actor=actor, role="owner")
    if status:
        claims = claims.filter(status=status)
    if lot is not None:
        claims = claims.filter(lot=lot)
    return claims.order_by(
        Case(
            When(status=ClaimStatus.PENDING, then=Value(0)),
            When(status=ClaimStatus.APPROVED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        "-created_at",
        "-id",
    )


def claim_inbox_lots(*, actor: Membership) -> QuerySet[Lot]:
    """The actor's lots that have claims, each once, by title and the newest first
    (the inbox's lot filter, which names each with its publication date)."""
    return (
        lot_own_list(actor=actor)
        .prefetch_related(None)
        .filter(Exists(Claim.objects.filter(lot_id=OuterRef("pk"))))
        .order_by("title", "-published_at", "-id")
    )


def claim_lot_list(*, actor: Membership, lot: Lot) -> QuerySet[Claim]:
    """The actor's claims on one lot, and the lot's claims when the actor owns it."""
    return claim_list(actor=actor).filter(lot_id=lot.pk)


def claim_status_counts(claims: QuerySet[Claim]) -> dict[str, int]:
    """How many of ``claims`` are in each status (statuses without claims left out)."""
    return dict(
        claims.order_by()
        .values_list("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )


def claim_history(claim: Claim) -> list[dict]:
    """The claim's audit events, newest first, as lines for people."""
    events = AuditEvent.objects.filter(
        object_type=ContentType.objects.get_for_model(Claim), object_id=str(claim.pk)
    ).select_related("actor", "organisation")
    history = []
    for event in events.order_by("-created_at", "-id"):
        pickup_at = None
        if event.action in ("schedule", "propose_slot") and event.data.get("pickup_at"):
            pickup_at = datetime.datetime.fromisoformat(event.data["pickup_at"])
        history.append(
            {
                "at": event.created_at,
                "label": HISTORY_LABELS.get(event.action, event.action),
                "to_state": ClaimStatus(event.to_state).label
                if event.to_state in ClaimStatus.values
                else "",
                "actor": event.actor.get_full_name() or event.actor.username if event.actor else "",
                "organisation": event.organisation.name if event.organisation else "",
                "pickup_at": pickup_at,
            }
        )
    return history


def claim_message_list(*, claim: Claim) -> QuerySet[ClaimMessage]:
    """The claim's conversation, oldest first (the claim is one the reader may see)."""
    return ClaimMessage.objects.filter(claim=claim).select_related("author", "organisation")


def claim_slot_list(*, claim: Claim) -> QuerySet[PickupSlot]:
    """The claim's pickup slots (replaced ones left out), earliest first."""
    return (
        PickupSlot.objects.filter(claim=claim)
        .exclude(status=PickupSlotStatus.SUPERSEDED)
        .select_related("proposed_by", "proposed_by_organisation", "accepted_by")
    )


def _contact(organisation: Organisation, user, memberships: dict) -> dict:
    membership = memberships.get((organisation.pk, user.pk)) if user is not None else None
    if membership is None:  # nobody named, or no longer a member: the first admin
        membership = next(
            (
                m
                for (organisation_id, _user_id), m in memberships.items()
                if organisation_id == organisation.pk and m.role == MembershipRole.ADMIN
            ),
            None,
        )
    person = membership.user if membership is not None else None
    return {
        "organisation": organisation,
        "name": (person.get_full_name() or person.username) if person else "",
        "email": person.email if person else organisation.email,
        "phone": membership.phone if membership is not None else "",
        "user_id": person.pk if person else None,
    }


def claim_contacts(*, claim: Claim) -> dict | None:
    """Each side's contact person (name, phone, e-mail) once the claim is approved, else
    None. The donor's is whoever approved the claim, the claimant's whoever claimed;
    when that person is not (or no longer) a member, the organisation's first admin.
    The phone is the person's at that organisation (``Membership.phone``)."""
    if claim.status not in CONTACT_STATUSES:
        return None
    owner, claimant = claim.lot.owner, claim.claimant
    memberships = {
        (m.organisation_id, m.user_id): m
        for m in Membership.objects.filter(
            Q(user_id__in=[claim.owner_contact_id, claim.claimed_by_id])
            | Q(role=MembershipRole.ADMIN),
            organisation_id__in=(owner.pk, claimant.pk),
            user__is_active=True,
        )
        .select_related("user")
        .order_by("created_at", "id")
    }
    return {
        "owner": _contact(owner, claim.owner_contact, memberships),
        "claimant": _contact(claimant, claim.claimed_by, memberships),
    }


def _slot_to_answer(actor: Membership) -> QuerySet[PickupSlot]:
    """A future slot of the outer claim that the other side proposed (for Exists)."""
    return PickupSlot.objects.filter(
        claim=OuterRef("pk"), status=PickupSlotStatus.PROPOSED, starts_at__gt=timezone.now()
    ).exclude(proposed_by_organisation_id=actor.organisation_id)


def claim_waiting_counts(*, actor: Membership | None) -> dict[str, int]:
    """The claims waiting for the actor's organisation, in one query: ``to_decide``
    (pending claims on its lots), ``to_collect`` (its approved claims, not collected
    yet) and ``slots_to_answer`` (approved claims of either side with a future slot the
    other side proposed)."""
    if actor is None:
        return {"to_decide": 0, "to_collect": 0, "slots_to_answer": 0}
    organisation_id = actor.organisation_id
    ours = Q(lot__owner_id=organisation_id)
    mine = Q(claimant_id=organisation_id)
    return (
        Claim.objects.filter(ours | mine, status__in=(ClaimStatus.PENDING, ClaimStatus.APPROVED))
        .annotate(slot_waiting=Exists(_slot_to_answer(actor)))
        .aggregate(
            to_decide=Count("id", filter=ours & Q(status=ClaimStatus.PENDING)),
            to_collect=Count("id", filter=mine & Q(status=ClaimStatus.APPROVED)),
            slots_to_answer=Count("id", filter=Q(status=ClaimStatus.APPROVED, slot_waiting=True)),
        )
    )


def claim_to_decide_list(*, actor: Membership) -> QuerySet[Claim]:
    """Pending claims on the actor's lots, the oldest first (they waited longest)."""
    return claim_inbox_list(actor=actor, status=ClaimStatus.PENDING).order_by("created_at", "id")


def claim_pickups_between(
    *, actor: Membership, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[Claim]:
    """Approved claims of either side whose agreed pickup lies in [start, end), soonest
    first."""
    return (
        claim_list(actor=actor)
        .filter(status=ClaimStatus.APPROVED, pickup_at__gte=start, pickup_at__lt=end)
        .order_by("pickup_at", "id")
    )


def claim_slot_to_answer_list(*, actor: Membership) -> QuerySet[Claim]:
    """Approved claims of either side with a future slot the other side proposed."""
    return (
        claim_list(actor=actor)
        .filter(status=ClaimStatus.APPROVED)
        .filter(Exists(_slot_to_answer(actor)))
        .order_by("created_at", "id")
    )
