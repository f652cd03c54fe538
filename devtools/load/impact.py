"""Load-test data for the statistics: five years of history behind the generated
organisations (``devtools.load.lots``): lots that were published, claimed,
collected and closed, with one impact record per handover and per closing.

Every record is what the services would have written, built by their own builders
(``impact_record_values_for_handover``, ``impact_record_values_for_lot_close``, with
the current factor version): a handover record has its collected claim, made in a
window the claimant was admitted to (``organisation_admitted``) and recorded with the
lot's window at the time; a closing record the lot's remainder as sold, recycled or
disposed. Lots keep the counters the claims services leave behind (collected units
stay in ``quantity_reserved``).

On PostgreSQL the rows go in with ``COPY`` (ids drawn from the tables' sequences
first), elsewhere with bulk_create. Not for production databases: everything is
removed again by ``impact_generated_load_delete``.
"""

import bisect
import datetime
import itertools
import random
import time
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, models, transaction
from django.utils import timezone

from devtools.load.bulk import Table, secondary_indexes_dropped, sequence_ids
from devtools.load.lots import (
    Owner,
    SearchDocuments,
    attestation_build,
    category_titles,
    generated_organisations,
    lot_build,
)
from exchange.categories.models import Category, CategoryFactor, FactorVersion
from exchange.categories.selectors import factor_version_current
from exchange.categories.services import categories_load
from exchange.claims.models import Claim, ClaimStatus
from exchange.common.collector import gc_paused
from exchange.impact.figures import (
    KG,
    impact_record_values_for_handover,
    impact_record_values_for_lot_close,
    impact_unit_weight,
)
from exchange.impact.models import ImpactRecord, Outcome
from exchange.impact.services.totals import impact_totals_rebuild
from exchange.lots.eligibility import organisation_admitted
from exchange.lots.models import Lot, LotStatus, SanitisationAttestation
from exchange.organisations.models import Organisation, Site

# Claims a lot gets (a single unit has one), how often part of a lot finds nobody, and
# what its owner does with that remainder once the lot expired.
CLAIMS_PER_LOT = [
    (1, 8),
    (2, 8),
    (4, 10),
    (6, 12),
    (10, 14),
    (15, 14),
    (20, 12),
    (30, 12),
    (40, 10),
]
UNITS_PER_CLAIM = (1, 6)  # lots that many organisations claimed from are big lots
REMAINDER_SHARE = 0.45
CLOSED_REMAINDER_SHARE = 0.75
CLOSE_OUTCOMES = [(Outcome.SOLD, 30), (Outcome.RECYCLED, 45), (Outcome.DISPOSED, 25)]
MEASURED_SHARE = 0.12  # handovers where the owner weighed what left
PARTLY_COLLECTED_SHARE = 0.08  # approved more than was collected: the rest went back
LOT_DAYS = (20, 60)  # from publication to the available-until date
FLUSH_ROWS = 100_000  # rows of all tables held before they are written


def generated_impact_records() -> models.QuerySet[ImpactRecord]:
    return ImpactRecord.objects.filter(lot__owner__in=generated_organisations())


def generated_impact_count() -> int:
    return generated_impact_records().count()


def _history_lots() -> models.QuerySet[Lot]:
    """The lots of this generator: the lots generator only writes published ones."""
    return Lot.objects.filter(
        owner__in=generated_organisations(), status__in=(LotStatus.CLOSED, LotStatus.EXPIRED)
    )


@transaction.atomic
def impact_generated_load_delete() -> dict[str, int]:
    """Remove the generated impact records with their claims and lots."""
    records = generated_impact_records()
    lots = _history_lots()
    claims = Claim._base_manager.filter(lot__in=lots)
    # Corrections first (they refer to the records they correct), then one DELETE each.
    corrections = records.exclude(corrects=None)
    deleted = corrections._raw_delete(corrections.db)
    deleted += records._raw_delete(records.db)
    deleted_claims = claims._raw_delete(claims.db)
    attestations = SanitisationAttestation._base_manager.filter(lot__in=lots)
    attestations._raw_delete(attestations.db)
    deleted_lots = lots._raw_delete(lots.db)
    if deleted:
        impact_totals_rebuild()
    return {"records": deleted, "claims": deleted_claims, "lots": deleted_lots}


# --- The history ------------------------------------------------------------------------


class _Members:
    """Generated organisations in the order they joined, for weighted choices among
    those that existed at a given moment."""

    def __init__(self, owners: list[Owner], rng: random.Random):
        self.owners = sorted(owners, key=lambda o: o.organisation.verified_at)
        self.joined = [o.organisation.verified_at.timestamp() for o in self.owners]
        self.cumulative = list(
            itertools.accumulate(rng.lognormvariate(0, 1) for _owner in self.owners)
        )

    def choose(self, moment: datetime.datetime, rng: random.Random) -> Owner | None:
        present = bisect.bisect_right(self.joined, moment.timestamp())
        if not present:
            return None
        pick = rng.random() * self.cumulative[present - 1]
        return self.owners[min(bisect.bisect_right(self.cumulative, pick), present - 1)]


def _backdate_organisations(
    owners: list[Owner], start: datetime.datetime, end: datetime.datetime, rng
) -> None:
    """Records go back five years, so must the organisations: about a third were
    verified before the first year, the others joined over the years (never later
    than the lots generator made them)."""
    changed_organisations, changed_sites = [], []
    span = (end - start).total_seconds()
    for owner in owners:
        organisation = owner.organisation
        if rng.random() < 0.35:
            joined = start - datetime.timedelta(days=rng.randint(10, 400))
        else:
            joined = start + datetime.timedelta(seconds=rng.random() * span * 0.8)
        if joined >= organisation.verified_at:
            continue
        organisation.created_at = joined - datetime.timedelta(days=2)
        organisation.verified_at = organisation.verification_notified_at = joined
        changed_organisations.append(organisation)
        for site in owner.sites:
            if site.created_at > organisation.created_at:
                site.created_at = organisation.created_at
                changed_sites.append(site)
    Organisation.objects.bulk_update(
        changed_organisations, ["created_at", "verified_at", "verification_notified_at"], 500
    )
    Site.objects.bulk_update(changed_sites, ["created_at"], 500)


def _admitted(organisation: Organisation, owner_id: int, tier: str, on: datetime.date) -> bool:
    """May this organisation claim in ``tier`` on ``on``: never its own lot, and as
    ``exchange.lots.eligibility`` says (verified, its eligibility kind that day)."""
    return organisation.id != owner_id and organisation_admitted(organisation, tier, on)


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` units in ``parts`` positive shares."""
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def _choose(rng: random.Random, weighted: list[tuple]):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


class _Handover(NamedTuple):
    claimant_id: int
    claimant_kind: str
    tier: str
    claimed_at: datetime.datetime
    collected_at: datetime.datetime
    units: int


class _History:
    """One lot's life: published, claimed and collected in parts, its remainder (if
    any) expired and perhaps closed. Times are in UTC; dates in the local zone, as the
    services write them."""

    def __init__(self, lot: Lot, handovers: list[_Handover], closed_at: datetime.datetime | None):
        self.lot, self.handovers, self.closed_at = lot, handovers, closed_at

    @property
    def records(self) -> int:
        return len(self.handovers) + (self.closed_at is not None)


def _lot_history(
    owner: Owner,
    category: Category,
    moment: datetime.datetime,
    *,
    room: int,
    members: _Members,
    documents: SearchDocuments,
    rng: random.Random,
) -> _History | None:
    # _lot publishes within the 30 days before the "now" it is given
    lot = lot_build(owner, category, moment + datetime.timedelta(days=30), rng, documents)
    lot.category = category  # impact_compute reads it
    published_at = lot.published_at
    lot.available_until = (published_at + datetime.timedelta(days=rng.randint(*LOT_DAYS))).date()
    ends = datetime.datetime.combine(lot.available_until, datetime.time(16), tzinfo=datetime.UTC)
    claims = min(_choose(rng, CLAIMS_PER_LOT), room)
    lot.quantity = max(lot.quantity, claims * rng.randint(*UNITS_PER_CLAIM))
    remainder = 0
    if lot.quantity > claims and rng.random() < REMAINDER_SHARE:
        remainder = rng.randint(1, lot.quantity - claims)
    handovers = []
    for share in _split(lot.quantity - remainder, claims, rng):
        claimed_at = published_at + (ends - published_at) * rng.random()
        tier = lot.tier_at(claimed_at)
        claimant = None
        for _attempt in range(12):
            candidate = members.choose(claimed_at, rng)
            if candidate and _admitted(
                candidate.organisation, lot.owner_id, tier, claimed_at.date()
            ):
                claimant = candidate.organisation
                break
        if claimant is None:  # nobody could claim then: these units stay
            remainder += share
            continue
        collected_at = min(
            claimed_at + datetime.timedelta(hours=rng.uniform(20, 240)),
            ends + datetime.timedelta(days=3),
        )
        handovers.append(
            _Handover(claimant.id, claimant.kind, tier.value, claimed_at, collected_at, share)
        )
    if not handovers:
        return None
    # Collected units stay counted as reserved (claim_collect releases only the rest).
    lot.quantity_reserved = lot.quantity - remainder
    closed_at = None
    if remainder:
        expired_at = ends + datetime.timedelta(hours=8)  # lots_advance, the night after
        lot.status, lot.status_changed_at = LotStatus.EXPIRED, expired_at
        if rng.random() < CLOSED_REMAINDER_SHARE and len(handovers) < room:
            closed_at = expired_at + datetime.timedelta(hours=rng.uniform(2, 14 * 24))
            lot.status, lot.status_changed_at = LotStatus.CLOSED, closed_at
            lot.close_outcome = _choose(rng, CLOSE_OUTCOMES)
            lot.close_quantity = remainder
    else:
        lot.status = LotStatus.CLOSED
        lot.status_changed_at = max(h.collected_at for h in handovers)
    lot.announced_tier = lot.tier_at(lot.status_changed_at)
    lot.updated_at = lot.status_changed_at
    return _History(lot, handovers, closed_at)


def impact_generate_load(*, records: int, years: int = 5, seed: int = 1) -> dict:
    """Generate ``records`` impact records over the last ``years`` calendar years (this
    one included), with the lots and collected claims behind them.

    The platform grows: later years see more organisations and more lots. Requires the
    generated organisations of ``generate_load --lots``. Returns counts and seconds.
    """
    if records < 0 or years < 1:
        raise ValueError("records must be >= 0 and years >= 1")
    started = time.monotonic()
    rng = random.Random(seed)
    now = timezone.now().astimezone(datetime.UTC)
    start = datetime.datetime(
        timezone.localdate(now).year - years + 1, 1, 1, tzinfo=timezone.get_current_timezone()
    ).astimezone(datetime.UTC)
    # A lot is published up to 30 days after the moment drawn for it and needs up to
    # LOT_DAYS[1] + 17 days from publication to its last record.
    last_moment = now - datetime.timedelta(days=LOT_DAYS[1] + 50)
    categories_load()
    version = factor_version_current()
    factors = {f.category_id: f for f in CategoryFactor.objects.filter(version=version)}
    leaves = list(
        Category.objects.filter(children__isnull=True).select_related("parent").order_by("path")
    )
    leaf_weights = list(itertools.accumulate(category_titles(c)[0] for c in leaves))
    holds_data = {c.pk for c in leaves if c.requires_data_sanitisation}
    sites: dict[int, list[Site]] = {}
    for site in Site.objects.filter(organisation__in=generated_organisations()).order_by("pk"):
        sites.setdefault(site.organisation_id, []).append(site)
    owners = [
        Owner(o, sites[o.pk], o.language)
        for o in generated_organisations().order_by("pk")
        if o.pk in sites
    ]
    if records and not owners:
        raise ValueError("No generated organisations: run generate_load --lots first.")
    documents = SearchDocuments()
    writer = _Writer(holds_data, version, factors, rng)
    counts = {"records": 0, "lots": 0, "claims": 0}
    span = (last_moment - start).total_seconds()
    with (
        gc_paused(),
        transaction.atomic(),
        # Lots go in with their indexes: there are far fewer, and the catalogue's table
        # stays readable meanwhile.
        secondary_indexes_dropped(Claim, ImpactRecord),
    ):
        _backdate_organisations(owners, start, last_moment, rng)
        members = _Members(owners, rng)
        while counts["records"] < records:
            # Growth: the publication density rises linearly, tripling over the years.
            u = rng.random()
            moment = start + datetime.timedelta(seconds=span * (((1 + 8 * u) ** 0.5 - 1) / 2))
            # verified before the draft was made (up to 3 days before publication)
            owner = members.choose(moment - datetime.timedelta(days=3), rng)
            if owner is None:
                continue
            history = _lot_history(
                owner,
                rng.choices(leaves, cum_weights=leaf_weights)[0],
                moment,
                room=records - counts["records"],
                members=members,
                documents=documents,
                rng=rng,
            )
            if history is None:
                continue
            writer.add(history)
            counts["records"] += history.records
            counts["lots"] += 1
            counts["claims"] += len(history.handovers)
            if writer.rows >= FLUSH_ROWS:
                writer.write()
        writer.write()
        # The records went in without the services: the monthly totals again from all
        # records, in the transaction that wrote them.
        impact_totals_rebuild()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Organisation, Lot, Claim, ImpactRecord, SanitisationAttestation):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    return {**counts, "seconds": round(time.monotonic() - started, 1)}


COLLECTED = ClaimStatus.COLLECTED.value
CLAIM_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "lot_id",
    "claimant_id",
    "quantity",
    "note",
    "status",
    "tier",
    "decline_reason",
    "pickup_at",
    "collected_quantity",
    "measured_weight_kg",
    "decided_at",
    "collected_at",
    "status_changed_at",
)
# A record's columns: its id and creation time, then those of the impact services'
# builders (``impact_record_values_for_handover``, ``_for_lot_close``).
RECORD_COLUMNS = (
    "id",
    "created_at",
    "occurred_on",
    "source",
    "outcome",
    "lot_id",
    "claim_id",
    "quantity",
    "weight_kg",
    "co2e_avoided_kg",
    "replacement_value_eur",
    "factor_version_id",
    "donor_id",
    "recipient_id",
    "category_id",
    "region",
)


class _Writer:
    """Collects lot histories and writes them as rows of lots, attestations, claims
    and impact records, ids drawn in advance so that the rows can refer to each other.
    Claims and records are built as tuples of CLAIM_COLUMNS and RECORD_COLUMNS (the
    columns left out stay NULL: claimed_by, corrects), a record's values by the impact
    services' own builders."""

    def __init__(self, holds_data: set[int], version: FactorVersion, factors: dict, rng):
        self.holds_data, self.version, self.factors, self.rng = holds_data, version, factors, rng
        self.histories: list[_History] = []
        self.rows = 0

    def add(self, history: _History) -> None:
        self.histories.append(history)
        self.rows += 2 * len(history.handovers) + 3

    def write(self) -> None:
        histories, self.histories, self.rows = self.histories, [], 0
        if not histories:
            return
        lots, attestations = Table(Lot), Table(SanitisationAttestation, with_ids=False)
        claims = Table(Claim, columns=CLAIM_COLUMNS)
        records = Table(ImpactRecord, columns=RECORD_COLUMNS)
        lot_ids = iter(sequence_ids(Lot, len(histories)))
        claim_ids = iter(sequence_ids(Claim, sum(len(h.handovers) for h in histories), block=True))
        record_ids = iter(sequence_ids(ImpactRecord, sum(h.records for h in histories), block=True))
        for history in histories:
            lot = history.lot
            lot.pk = next(lot_ids)
            lots.add_instance(lot)
            if lot.category_id in self.holds_data:
                attestations.add_instance(attestation_build(lot, self.rng))
            for handover in history.handovers:
                claim, record = self._handover(lot, handover, next(claim_ids), next(record_ids))
                claims.rows.append(claim)
                records.rows.append(record)
            if history.closed_at is not None:
                records.rows.append(self._closing(lot, history.closed_at, next(record_ids)))
        for table in (lots, attestations, claims, records):
            table.write()

    def _handover(self, lot: Lot, handover: _Handover, claim_id: int, record_id: int):
        rng = self.rng
        units = handover.units
        approved = units
        if rng.random() < PARTLY_COLLECTED_SHARE:
            approved += rng.randint(1, 3)  # approved, then not all of it came along
        measured = None
        if rng.random() < MEASURED_SHARE:
            unit = impact_unit_weight(lot, self.factors.get(lot.category_id))
            measured = (units * unit * Decimal(f"{rng.uniform(0.85, 1.15):.3f}")).quantize(KG)
        claimed_at, collected_at = handover.claimed_at, handover.collected_at
        claim = (
            claim_id,
            claimed_at,
            collected_at,
            lot.id,
            handover.claimant_id,
            approved,
            "",
            COLLECTED,
            handover.tier,
            "",
            collected_at,
            units,
            measured,
            claimed_at + (collected_at - claimed_at) * rng.uniform(0.05, 0.5),
            collected_at,
            collected_at,
        )
        values = impact_record_values_for_handover(
            lot=lot,
            claim_id=claim_id,
            claimant_id=handover.claimant_id,
            claimant_kind=handover.claimant_kind,
            collected_quantity=units,
            collected_at=collected_at,
            measured_weight_kg=measured,
            version=self.version,
            factors=self.factors,
        )
        created_at = collected_at + datetime.timedelta(seconds=rng.randint(2, 90))
        return claim, self._record(record_id, created_at, values)

    def _closing(self, lot: Lot, closed_at: datetime.datetime, record_id: int) -> tuple:
        """The closing record of ``lot``, closed (its last status change) at ``closed_at``."""
        values = impact_record_values_for_lot_close(
            lot=lot, version=self.version, factors=self.factors
        )
        created_at = closed_at + datetime.timedelta(seconds=self.rng.randint(2, 90))
        return self._record(record_id, created_at, values)

    @staticmethod
    def _record(record_id: int, created_at: datetime.datetime, values: dict) -> tuple:
        return (record_id, created_at, *(values[column] for column in RECORD_COLUMNS[2:]))
