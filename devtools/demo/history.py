"""Two years of demo history, so that the dashboard and the annual report have
something to show on a newcomer's machine.

For each of the last 24 months, a few lots of the demo federal services that were
claimed and collected by the other demo organisations, and a few that expired and were
closed as sold, recycled or disposed of. The rows are written directly (in bulk: the
services would send mails and enqueue tasks for every step) but as the services would
leave them: closed lots with the claim windows of ``window_dates``, collected claims
made in the claimant's own window and whose quantities add up, one handover record per
claim and one closing record per expired lot, each built by the impact services'
builders, and the audit trail of every step.
"""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from exchange.categories.models import Category, CategoryFactor, FactorVersion
from exchange.categories.selectors import factor_version_current
from exchange.claims.models import Claim, ClaimStatus
from exchange.common.models import AuditEvent
from exchange.impact.figures import (
    impact_record_values_for_claim,
    impact_record_values_for_lot_close,
)
from exchange.impact.models import ImpactRecord, Outcome
from exchange.impact.services.totals import impact_totals_add
from exchange.lots.eligibility import eligibility_kind, first_tier, window_dates, window_days
from exchange.lots.models import (
    Condition,
    Lot,
    LotStatus,
    SanitisationAttestation,
    SanitisationMethod,
    Tier,
)
from exchange.lots.search import lot_search_document
from exchange.lots.services.lots import lot_denormalised_values, lots_reindex
from exchange.organisations.models import Membership, Organisation, Site

MONTHS = 24
# Marks the history's lots: the seed runs once.
HISTORY_DESCRIPTION = (
    "Demo history: a lot handed over before today, so that the statistics have something to show."
)

# category code, how often it comes up, quantity range, title in Dutch, in English
HISTORY_LOTS = [
    ("office-chair", 6, (10, 60), "Bureaustoelen, zwart", "Office chairs, black"),
    ("desk", 3, (4, 20), "Bureaus 160x80", "Desks 160x80"),
    ("cabinet", 3, (5, 25), "Archiefkasten", "Filing cabinets"),
    ("meeting-table", 1, (2, 6), "Vergadertafels", "Meeting tables"),
    ("wooden-chair", 2, (12, 48), "Houten stoelen uit de kantine", "Wooden cafeteria chairs"),
    ("sofa", 1, (2, 6), "Zetels uit de wachtzaal", "Waiting-room sofas"),
    ("laptop", 4, (10, 50), "Laptops (gewist)", "Laptops (wiped)"),
    ("monitor", 4, (10, 40), "Beeldschermen 24 inch", "24-inch monitors"),
    ("desktop", 2, (6, 25), "Desktop-pc's", "Desktop PCs"),
    ("printer", 1, (2, 6), "Printers A3", "A3 printers"),
    ("smartphone", 2, (10, 40), "Smartphones (gewist)", "Smartphones (wiped)"),
    ("server", 1, (2, 8), "Rackservers 1U", "1U rack servers"),
]
# Who claims, and how often: federal services first, the social economy most.
CLAIMANT_KINDS = [("federal", 3), ("social_economy", 4), ("public", 2), ("nonprofit", 2)]
CLOSE_OUTCOMES = [(Outcome.SOLD, 4), (Outcome.RECYCLED, 4), (Outcome.DISPOSED, 2)]
# A second office of a demo federal service, by the region of its headquarters.
REGIONAL_OFFICES = {
    "BRU": (
        "Bureau de Charleroi",
        "Boulevard Tirou 185",
        "6000",
        "Charleroi",
        "WAL",
        "50.410800",
        "4.444600",
    ),
    "VLG": (
        "Liège office",
        "Boulevard de la Sauvenière 50",
        "4000",
        "Liège",
        "WAL",
        "50.641300",
        "5.569800",
    ),
}
CLAIM_NOTES = ["", "", "", "We pick up with our own van.", "For our new office.", ""]


@dataclass
class _Event:
    obj: object
    action: str
    at: datetime.datetime
    actor: object = None
    organisation: Organisation | None = None
    from_state: str = ""
    to_state: str = ""
    data: dict = field(default_factory=dict)


def _pick(rng: random.Random, weighted: list) -> object:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` positive whole numbers."""
    parts = max(1, min(parts, total))
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, total]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


def _month_starts(today: datetime.date) -> list[datetime.date]:
    year, month = today.year, today.month
    starts = []
    for _ in range(MONTHS):
        starts.append(datetime.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(starts))


@transaction.atomic
def demo_history_seed(organisations: dict[str, Organisation]) -> int:
    """Write the history once; returns how many lots it created (0 when it exists)."""
    donors = [o for o in organisations.values() if o.kind == "federal"]
    if not donors or Lot.objects.filter(owner__in=donors, description=HISTORY_DESCRIPTION).exists():
        return 0
    rng = random.Random(2024)
    now = timezone.now()
    today = timezone.localdate(now)
    version = factor_version_current()
    categories = {c.code: c for c in Category.objects.filter(code__in=[h[0] for h in HISTORY_LOTS])}
    people = {}
    for membership in (
        Membership.objects.select_related("user")
        .filter(organisation__in=organisations.values())
        .order_by("role", "id")
    ):  # admins first
        people.setdefault(membership.organisation_id, membership.user)
    sites = {o.pk: list(o.sites.order_by("id")) for o in donors}
    for donor in donors:  # federal services have offices in other regions too
        office = REGIONAL_OFFICES.get(donor.region)
        if office:
            name, street, postcode, municipality, region, lat, lon = office
            site, _created = Site.objects.get_or_create(
                organisation=donor,
                name=name,
                defaults={
                    "street": street,
                    "postcode": postcode,
                    "municipality": municipality,
                    "region": region,
                    "latitude": Decimal(lat),
                    "longitude": Decimal(lon),
                },
            )
            if site not in sites[donor.pk]:
                sites[donor.pk].append(site)
    window_start = timezone.make_aware(
        datetime.datetime.combine(_month_starts(today)[0], datetime.time())
    )
    # Days from publication to the opening of each window.
    lengths = window_days(Lot())  # the platform's: no history lot shortens them
    tier_opens = {
        tier: (opens - window_start) / datetime.timedelta(days=1)
        for tier, opens in window_dates(window_start, *lengths).items()
    }

    lots: list[Lot] = []
    claims_of: dict[int, list[Claim]] = {}  # by the lot's index in ``lots``
    events: list[_Event] = []
    for month_index, month_start in enumerate(_month_starts(today)):
        # More lots as more services join: one or two a month at first, four or five now.
        count = 1 + (month_index * 3) // (MONTHS - 1) + rng.randint(0, 1)
        days_in_month = (
            (month_start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - month_start
        ).days
        for _ in range(count):
            donor = rng.choice(donors)
            code = _pick(rng, [(h, h[1]) for h in HISTORY_LOTS])
            code, _weight, (low, high), title_nl, title_en = code
            category = categories[code]
            expired = rng.random() < 0.18
            day = month_start + datetime.timedelta(days=rng.randrange(days_in_month))
            # The last event of the lot (the last pickup or the closing), in the past.
            end = timezone.make_aware(
                datetime.datetime.combine(
                    day, datetime.time(rng.randint(8, 16), rng.choice((0, 15, 30, 45)))
                )
            )
            end = min(end, now - datetime.timedelta(days=2, hours=rng.randint(0, 6)))
            lot, lot_claims, lot_events = _history_lot(
                rng,
                donor=donor,
                site=rng.choices(sites[donor.pk], weights=[3] + [1] * (len(sites[donor.pk]) - 1))[
                    0
                ],
                category=category,
                title=title_nl if donor.language == "nl" else title_en,
                quantity=rng.randint(low, high),
                expired=expired,
                end=end,
                window_start=window_start,
                organisations=organisations,
                people=people,
                lengths=lengths,
                tier_opens=tier_opens,
            )
            claims_of[len(lots)] = lot_claims
            lots.append(lot)
            events.extend(lot_events)

    # Lots (their timestamps are history: bulk_create stamps now, so set them after).
    stamps = {id(lot): (lot.created_at, lot.updated_at) for lot in lots}
    Lot.objects.bulk_create(lots)
    for lot in lots:
        lot.created_at, lot.updated_at = stamps[id(lot)]
    Lot.objects.bulk_update(lots, ["created_at", "updated_at"], batch_size=200)
    lots_reindex([lot.pk for lot in lots])
    attestations = [
        SanitisationAttestation(
            lot=lot,
            method=SanitisationMethod.PURGE
            if lot.category.code != "printer"
            else SanitisationMethod.CLEAR,
            performed_on=timezone.localdate(lot.published_at) - datetime.timedelta(days=3),
            responsible_person="IT service desk",
            attested_by=people.get(lot.owner_id),
        )
        for lot in lots
        if lot.category.requires_data_sanitisation
    ]
    SanitisationAttestation.objects.bulk_create(attestations)

    claims = []
    for index, lot in enumerate(lots):
        for claim in claims_of[index]:
            claim.lot = lot
            claims.append(claim)
    stamps = {id(claim): claim.created_at for claim in claims}
    Claim.objects.bulk_create(claims)
    for claim in claims:
        claim.created_at, claim.updated_at = stamps[id(claim)], claim.collected_at
    Claim.objects.bulk_update(claims, ["created_at", "updated_at"], batch_size=200)

    factors = {f.category_id: f for f in CategoryFactor.objects.filter(version=version)}
    records = [_handover_record(claim, version, factors) for claim in claims]
    records += [_close_record(lot, version, factors) for lot in lots if lot.close_quantity]
    stamps = {id(record): record.created_at for record in records}
    ImpactRecord.objects.bulk_create(records)
    for record in records:
        record.created_at = stamps[id(record)]
    ImpactRecord.objects.bulk_update(records, ["created_at"], batch_size=200)
    ids = [record.pk for record in records]
    for start in range(0, len(ids), 500):
        impact_totals_add(records=ImpactRecord.objects.filter(pk__in=ids[start : start + 500]))

    _audit_trail(events)
    return len(lots)


def _history_lot(
    rng: random.Random,
    *,
    donor: Organisation,
    site,
    category: Category,
    title: str,
    quantity: int,
    expired: bool,
    end: datetime.datetime,
    window_start: datetime.datetime,
    organisations: dict,
    people: dict,
    lengths: tuple[int, int],
    tier_opens: dict,
) -> tuple[Lot, list[Claim], list[_Event]]:
    """One closed lot, its collected claims and its audit events, timed so that its
    last event happens at ``end``. Times are offsets (days) from publication first."""
    condition = _pick(
        rng,
        [(Condition.NEW, 1), (Condition.GOOD, 5), (Condition.FAIR, 3), (Condition.PARTS, 1)]
        if not expired
        else [(Condition.GOOD, 1), (Condition.FAIR, 3), (Condition.PARTS, 2)],
    )
    owner_person = people.get(donor.pk)
    candidates = {
        kind: [o for o in organisations.values() if o.kind == kind and o.pk != donor.pk]
        for kind, _weight in CLAIMANT_KINDS
    }
    available_days = 30 if expired else 45

    # Claims: who (different organisations), how many, when (days after publication).
    pool = [
        (organisation, weight / len(candidates[kind]))
        for kind, weight in CLAIMANT_KINDS
        for organisation in candidates[kind]
    ]
    if expired:
        # at most one claim, collected before the lot expired; the rest is closed
        count = 1 if rng.random() < 0.5 and quantity > 3 else 0
        shares = [rng.randint(1, quantity // 2)] if count else []
    else:
        count = min(rng.choice((1, 1, 2, 2, 3)), quantity, len(pool))
        shares = _split(rng, quantity, count)  # together, the whole lot
    timeline = []
    for share in shares:
        claimant = _pick(rng, pool)
        pool = [entry for entry in pool if entry[0] is not claimant]
        # in its own window (an accreditation valid at the end was valid before)
        tier = first_tier(eligibility_kind(claimant, timezone.localdate(end)))
        created = tier_opens[tier] + rng.uniform(0.1, 3)
        approved = created + rng.uniform(0.1, 2)
        pickup = approved + (rng.randint(1, 4) if expired else rng.randint(2, 8))
        collected = pickup + rng.randint(5, 90) / 1440  # minutes after the slot
        collected_quantity = share
        if expired and share > 2 and rng.random() < 0.5:
            collected_quantity = share - rng.randint(1, 2)  # fewer came than claimed
        timeline.append(
            (claimant, tier, share, collected_quantity, created, approved, pickup, collected)
        )
    if expired:
        expired_at = available_days + 1.1  # the periodic job, the night after
        last = expired_at + rng.uniform(3, 20)  # the owner closes it
    else:
        last = max(t[7] for t in timeline)
    published_at = end - datetime.timedelta(days=last)
    first = min((t[7] for t in timeline), default=last)
    if published_at + datetime.timedelta(days=first) < window_start:
        # keep every record inside the 24 months: the lot happened a little later
        published_at = window_start - datetime.timedelta(days=first - 0.5)
        end = published_at + datetime.timedelta(days=last)

    def at(days: float) -> datetime.datetime:
        return published_at + datetime.timedelta(days=days)

    unit_weight = None
    if rng.random() < 0.2:
        unit_weight = (category.unit_weight_kg * Decimal(str(rng.uniform(0.9, 1.15)))).quantize(
            Decimal("0.001")
        )
    collected_total = sum(t[3] for t in timeline)
    created_at = at(-rng.uniform(1, 5))
    opens = window_dates(published_at, *lengths)
    lot = Lot(
        owner=donor,
        site=site,
        category=category,
        title=title,
        description=HISTORY_DESCRIPTION,
        quantity=quantity,
        quantity_reserved=collected_total,
        unit_weight_kg=unit_weight,
        unit_weight_measured=unit_weight is not None,
        condition=condition,
        **lot_denormalised_values(site=site, condition=condition),
        available_until=timezone.localdate(at(available_days)),
        pickup_notes="",
        status=LotStatus.CLOSED,
        federal_window_days=lengths[0],
        social_economy_window_days=lengths[1],
        published_at=published_at,
        social_economy_opens_at=opens[Tier.SOCIAL_ECONOMY],
        open_opens_at=opens[Tier.OPEN],
        status_changed_at=end,
        close_outcome=_pick(rng, CLOSE_OUTCOMES) if expired else "",
        close_quantity=quantity - collected_total if expired else None,
        search_document=lot_search_document(
            title=title, description=HISTORY_DESCRIPTION, category=category
        ),
        created_at=created_at,
        updated_at=end,
    )
    lot.announced_tier = lot.tier_at(end)
    events = [
        _Event(lot, "create", created_at, owner_person, donor, to_state=LotStatus.DRAFT),
        _Event(
            lot,
            "publish",
            published_at,
            owner_person,
            donor,
            from_state=LotStatus.DRAFT,
            to_state=LotStatus.PUBLISHED,
        ),
    ]
    claims = []
    for claimant, tier, share, collected_quantity, created, approved, pickup, collected in timeline:
        measured = None
        if rng.random() < 0.25:
            unit = unit_weight or category.unit_weight_kg
            measured = (collected_quantity * unit * Decimal(str(rng.uniform(0.85, 1.1)))).quantize(
                Decimal("0.1")
            )
        person = people.get(claimant.pk)
        claim = Claim(
            claimant=claimant,
            claimed_by=person,
            quantity=share,
            note=rng.choice(CLAIM_NOTES),
            status=ClaimStatus.COLLECTED,
            tier=tier,
            pickup_at=at(pickup),
            collected_quantity=collected_quantity,
            measured_weight_kg=measured,
            decided_at=at(approved),
            collected_at=at(collected),
            status_changed_at=None,
            created_at=at(created),
        )
        claim.status_changed_at = claim.collected_at
        claims.append(claim)
        events += [
            _Event(
                claim,
                "create",
                at(created),
                person,
                claimant,
                to_state=ClaimStatus.PENDING,
                data={"quantity": share},
            ),
            _Event(
                claim,
                "approve",
                at(approved),
                owner_person,
                donor,
                from_state=ClaimStatus.PENDING,
                to_state=ClaimStatus.APPROVED,
            ),
            _Event(
                claim,
                "schedule",
                at(approved) + datetime.timedelta(minutes=30),
                owner_person,
                donor,
                data={"pickup_at": at(pickup).isoformat(), "previous": None},
            ),
            _Event(
                claim,
                "collect",
                claim.collected_at,
                owner_person,
                donor,
                from_state=ClaimStatus.APPROVED,
                to_state=ClaimStatus.COLLECTED,
            ),
        ]
    if expired:
        events += [
            _Event(
                lot,
                "expire",
                at(available_days + 1.1),
                from_state=LotStatus.PUBLISHED,
                to_state=LotStatus.EXPIRED,
            ),
            _Event(
                lot,
                "close",
                end,
                owner_person,
                donor,
                from_state=LotStatus.EXPIRED,
                to_state=LotStatus.CLOSED,
                data={"outcome": lot.close_outcome, "quantity": lot.close_quantity},
            ),
        ]
    else:
        events.append(
            _Event(
                lot,
                "close",
                end,
                owner_person,
                donor,
                from_state=LotStatus.RESERVED,
                to_state=LotStatus.CLOSED,
            )
        )
    return lot, claims, events


def _handover_record(claim: Claim, version: FactorVersion, factors: dict) -> ImpactRecord:
    """What ``impact_record_for_claim`` writes for this claim."""
    values = impact_record_values_for_claim(claim, version=version, factors=factors)
    return ImpactRecord(created_at=claim.collected_at, **values)


def _close_record(lot: Lot, version: FactorVersion, factors: dict) -> ImpactRecord:
    """What ``impact_record_for_lot_close`` writes for this lot."""
    values = impact_record_values_for_lot_close(lot=lot, version=version, factors=factors)
    return ImpactRecord(created_at=lot.status_changed_at, **values)


def _audit_trail(events: list[_Event]) -> None:
    types = {
        model: ContentType.objects.get_for_model(model, for_concrete_model=True)
        for model in (Lot, Claim)
    }
    rows = [
        AuditEvent(
            actor=event.actor,
            organisation=event.organisation,
            object_type=types[type(event.obj)],
            object_id=str(event.obj.pk),
            action=event.action,
            from_state=event.from_state,
            to_state=event.to_state,
            data={"lot": event.obj.lot_id, **event.data}
            if isinstance(event.obj, Claim) and event.action == "create"
            else event.data,
        )
        for event in events
    ]
    AuditEvent.objects.bulk_create(rows)
    for row, event in zip(rows, events, strict=True):
        row.created_at = event.at
    AuditEvent.objects.bulk_update(rows, ["created_at"], batch_size=200)
