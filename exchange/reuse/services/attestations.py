"""The attestation of a closed reuse check: issued once, numbered, never changed. It
freezes what the check found (``summary``) and the PDF handed to the buyer; the public
verification page confirms the code and compares a PDF (or its SHA-256) with the one
issued, so that an altered copy does not verify."""

import hashlib
import re
import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange.categories.selectors import subtree_condition
from exchange.common.errors import ApplicationError, ErrorKind
from exchange.common.mail import public_url
from exchange.lots.models import Lot, LotStatus
from exchange.matching.models import Match
from exchange.reuse.errors import ReuseError
from exchange.reuse.models import Attestation, ReuseCheck
from exchange.reuse.selectors import (
    LAPSED_CLAIM_STATUSES,
    reuse_check_claims,
    reuse_check_results,
)

# The verification code: unguessable, easy to type from paper (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
LANGUAGES = ("nl", "fr", "de", "en")
# A PDF uploaded to the verification page is read up to this size, no more.
MAX_VERIFY_BYTES = 5 * 1024 * 1024
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


def attestation_language(language: str | None) -> str:
    language = (language or "en")[:2]
    return language if language in LANGUAGES else "en"


def verification_url(code: str) -> str:
    return public_url(reverse("verify:attestation", args=[code]))


def _lots_examined(check: ReuseCheck, closed_at) -> int:
    """The published lots of the check's category (its subtree, anywhere) that the
    check looked at: published by the time it closed and still on offer when it
    opened, or published during its period."""
    return (
        Lot.objects.filter(subtree_condition(check.category.path, field="category__path"))
        .filter(published_at__lte=closed_at)
        .filter(
            Q(status__in=(LotStatus.PUBLISHED, LotStatus.RESERVED))
            | Q(published_at__gte=check.created_at)
            | Q(status_changed_at__gte=check.created_at)
        )
        .count()
    )


def attestation_summary(check: ReuseCheck, *, buyer, closed_at) -> dict:
    """What the attestation says, in no language: the PDF and the verification page
    word it in theirs."""
    claims = list(reuse_check_claims(check))
    live = [rc.claim for rc in claims if rc.claim.status not in LAPSED_CLAIM_STATUSES]
    met = min(sum(c.quantity for c in live), check.quantity)
    offered: dict[int, dict] = {}
    for result in reuse_check_results(check):
        offered[result.lot.pk] = {
            "lot": result.lot.pk,
            "title": result.lot.title,
            "owner": result.lot.owner.name,
            "municipality": result.lot.site.municipality,
            "available": result.lot.quantity_available,
            "score": result.score,
            "opens_at": result.opens_at.isoformat() if result.opens_at else None,
        }
    for match in Match.objects.filter(wanted_id=check.wanted_id).select_related(
        "lot__owner", "lot__site"
    ):
        offered.setdefault(
            match.lot_id,
            {
                "lot": match.lot_id,
                "title": match.lot.title,
                "owner": match.lot.owner.name,
                "municipality": match.lot.site.municipality,
                "available": match.lot.quantity_available,
                "score": match.score,
                "opens_at": None,
            },
        )
    for rc in claims:
        lot = rc.claim.lot
        offered.setdefault(
            lot.pk,
            {
                "lot": lot.pk,
                "title": lot.title,
                "owner": lot.owner.name,
                "municipality": lot.site.municipality,
                "available": lot.quantity_available,
                "score": None,
                "opens_at": None,
            },
        )
    category = check.category
    value_met = (check.estimated_value_eur * met / check.quantity).quantize(Decimal("0.01"))
    return {
        "organisation": check.organisation.name,
        "buyer": (buyer.get_full_name() or buyer.username) if buyer else "",
        "file_reference": check.file_reference,
        "category": {
            "code": category.code,
            "names": {lang: getattr(category, f"name_{lang}") for lang in LANGUAGES},
        },
        "quantity": check.quantity,
        "min_condition": check.min_condition,
        "place": {
            "site": check.site.municipality if check.site_id else "",
            "max_distance_km": check.max_distance_km,
            "region": check.region,
        },
        "needed_by": check.needed_by.isoformat(),
        "period": {
            "from": timezone.localdate(check.created_at).isoformat(),
            "to": timezone.localdate(closed_at).isoformat(),
        },
        "close_reason": check.close_reason,
        "lots_examined": _lots_examined(check, closed_at),
        "offered": sorted(offered.values(), key=lambda o: (o["score"] is None, -(o["score"] or 0))),
        "claimed": [
            {
                "lot": rc.claim.lot_id,
                "title": rc.claim.lot.title,
                "owner": rc.claim.lot.owner.name,
                "quantity": rc.claim.quantity,
                "status": rc.claim.status,
            }
            for rc in claims
            if rc.claim.status not in LAPSED_CLAIM_STATUSES
        ],
        "quantity_met": met,
        "quantity_to_buy": check.quantity - met,
        "estimated_value_eur": str(check.estimated_value_eur),
        "value_met_eur": str(value_met),
    }


def _next_number(year: int) -> str:
    prefix = f"RC-{year}-"
    last = (
        Attestation.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{sequence:05d}"


def attestation_issue(*, check: ReuseCheck, language: str | None, buyer) -> Attestation:
    """Issue the attestation of a check being closed (inside the closing transaction):
    the next number of the year, a fresh code, the summary and the PDF in the buyer's
    language. Two closings at once cannot share a number: the unique number decides
    and the later one takes the next."""
    from exchange.reuse.renderers import attestation_pdf

    issued_at = check.closed_at or timezone.now()
    language = attestation_language(language)
    summary = attestation_summary(check, buyer=buyer, closed_at=issued_at)
    for _attempt in range(5):
        number = _next_number(timezone.localdate(issued_at).year)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        pdf = attestation_pdf(
            summary=summary,
            number=number,
            issued_at=issued_at,
            language=language,
            url=verification_url(code),
        )
        try:
            with transaction.atomic():
                return Attestation.objects.create(
                    check_ref=check,
                    number=number,
                    code=code,
                    issued_at=issued_at,
                    language=language,
                    summary=summary,
                    pdf=pdf,
                    sha256=hashlib.sha256(pdf).hexdigest(),
                )
        except IntegrityError:
            continue
    raise RuntimeError("no free attestation number after 5 attempts")


def attestation_for_code(code: str) -> Attestation | None:
    """The attestation with this verification code (case and spaces forgiven), or None."""
    code = re.sub(r"[\s-]", "", code or "").upper()
    if not code or len(code) > CODE_LENGTH * 2:
        return None
    return Attestation.objects.defer("pdf").filter(code=code).first()


def attestation_fingerprint_check(
    *, attestation: Attestation, sha256: str = "", upload=None
) -> tuple[bool, str]:
    """Whether a PDF (``upload``, a file) or a SHA-256 given as text is the one issued
    with ``attestation``; returns (same, the fingerprint compared). Refuses (400) a
    file over MAX_VERIFY_BYTES, before reading it, and a fingerprint that is not 64
    hexadecimal characters."""
    if upload is not None:
        if upload.size > MAX_VERIFY_BYTES:
            raise ApplicationError(
                code=ReuseError.FILE_TOO_LARGE,
                field="pdf",
                message=_("The file is larger than %(mb)s MB: no attestation is.")
                % {"mb": MAX_VERIFY_BYTES // (1024 * 1024)},
            )
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        fingerprint = digest.hexdigest()
    else:
        fingerprint = re.sub(r"\s", "", sha256 or "").lower()
        if not SHA256_PATTERN.match(fingerprint):
            raise ApplicationError(
                code=ReuseError.FINGERPRINT_INVALID,
                field="sha256",
                message=_("A SHA-256 fingerprint is 64 characters, 0-9 and a-f."),
            )
    return secrets.compare_digest(fingerprint, attestation.sha256), fingerprint


def attestation_of(check: ReuseCheck) -> Attestation:
    """The check's attestation; 409 while the check is open, or if it was cancelled."""
    attestation = Attestation.objects.filter(check_ref=check).first()
    if attestation is None:
        raise ApplicationError(
            code=ReuseError.NO_ATTESTATION,
            kind=ErrorKind.CONFLICT,
            message=_("This reuse check has no attestation: it is %(status)s.")
            % {"status": check.get_status_display()},
        )
    return attestation
