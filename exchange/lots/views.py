"""The lot pages: the catalogue, a lot, posting and editing, photos, sanitisation, one's
own lots and the bulk import. Each view parses, calls one service or selector, and
shows the answer; the rules live in the services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from exchange.common.errors import ApplicationError, ErrorKind
from exchange.common.forms import add_application_error
from exchange.common.live import (
    live_late_text,
    live_pace,
    live_pace_kept,
    live_part_asked,
    live_still_running,
)
from exchange.common.storage import private_file_response
from exchange.lots import selectors
from exchange.lots.eligibility import WHO_MAY_CLAIM, claim_opens_for, window_now_and_next
from exchange.lots.errors import LotError
from exchange.lots.forms import (
    AttestationForm,
    CatalogueFilterForm,
    ErasureReportForm,
    ImportForm,
    KeptImportForm,
    LotCloseForm,
    LotForm,
    LotStatusFilterForm,
    PhotoUploadForm,
)
from exchange.lots.models import Lot, LotStatus, PhotoStatus
from exchange.lots.sections import lot_page_sections
from exchange.lots.services.closing import lot_close
from exchange.lots.services.imports import (
    IMPORT_COLUMNS,
    category_codes_rows,
    category_codes_table,
    import_template,
    lots_import,
    lots_import_kept,
)
from exchange.lots.services.lots import (
    PUBLISH_MANY_MAX,
    lot_create,
    lot_delete,
    lot_publication_gaps,
    lot_publish,
    lot_update,
    lot_withdraw,
    lots_publish_many,
)
from exchange.lots.services.photos import MAX_PHOTOS_PER_LOT, lot_photo_add, lot_photo_delete
from exchange.lots.services.sanitisation import (
    erasure_report_template,
    lot_erasures_import,
    lot_sanitisation_attest,
    sanitisation_gaps,
)
from exchange.organisations.models import Membership
from exchange.organisations.web import member_required, verified_required, web_actor

CATALOGUE_PAGE_SIZE = 24
MY_LOTS_PAGE_SIZE = 50


WHY_MEMBER = gettext_lazy(
    "Register your organisation, or ask its administrator to add you, to post lots."
)


def _own_lot(actor: Membership, pk: int) -> Lot:
    """One of the acting organisation's lots; any other is 404, like a missing one."""
    return get_object_or_404(selectors.lot_own_list(actor=actor), pk=pk)


# --- Reading ---------------------------------------------------------------------


@require_GET
def catalogue(request):
    actor = web_actor(request)
    form = CatalogueFilterForm(request.GET or None, actor=actor)
    lots = form.filter(selectors.lot_list(actor=None))  # the published lots
    if tuple(lots.query.order_by) in (selectors.CLOSING_SOON, selectors.NEAREST):
        lots = selectors.KeyOrdered(lots)  # the page's ids first, then its lots
    page = Paginator(lots, CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    if actor is not None:
        now = timezone.now()
        for lot in page.object_list:
            lot.claim_opens_for_viewer = claim_opens_for(actor.organisation, lot, now)
    context = {
        "form": form,
        "page": page,
        "actor": actor,
        "near_site": form.selected_site,
    }
    return render(request, "lots/catalogue.html", context)


def _photos_waiting(photos) -> list:
    """The photos whose sizes are being made, each with the ``pace`` its tile asks at
    (``exchange.common.live``): the longer one has waited, the less often."""
    waiting = [photo for photo in photos if photo.status == PhotoStatus.PROCESSING]
    for photo in waiting:
        photo.pace = live_pace(photo.created_at)
    return waiting


def _photos_status(waiting: list) -> str:
    """The status region's sentence while photos are being prepared."""
    if any(photo.pace.late for photo in waiting):
        return live_late_text()
    return _("Preparing the photos…")


@require_GET
def detail(request, pk: int):
    actor = web_actor(request)
    lot = selectors.lot_page(actor=actor, pk=pk)
    if lot is None:
        raise Http404
    is_owner = actor is not None and lot.owner_id == actor.organisation_id
    photos = lot.photos.all()
    # The owner waits for the sizes of photos just uploaded: the gallery follows them.
    waiting = _photos_waiting(photos) if is_owner else []
    preparing = bool(waiting)
    # the gallery asks at the pace of the photo that has waited longest
    pace = min(waiting, key=lambda photo: photo.created_at).pace if waiting else None
    if live_part_asked(request, "gallery"):
        if preparing and live_pace_kept(request, pace):
            return live_still_running()
        context = {
            "lot": lot,
            "photos": photos,
            "photos_preparing": preparing,
            "pace": pace,
            "oob": is_owner,
            "still_running": preparing,
            "status_text": _photos_status(waiting) if preparing else _("The photos are ready."),
        }
        return render(request, "lots/_gallery.html", context)
    context = {
        "lot": lot,
        "actor": actor,
        "is_owner": is_owner,
        "can_edit": is_owner and actor.can_write,
        "photos": photos,
        "photos_preparing": preparing,
        "pace": pace,
        "status_text": _photos_status(waiting) if preparing else "",
        "items": lot.items.all(),
        **dict(zip(("window_now", "window_next"), window_now_and_next(lot), strict=True)),
        "who_may_claim": WHO_MAY_CLAIM.values(),
        "gaps": lot_publication_gaps(lot) if is_owner and lot.status == LotStatus.DRAFT else [],
        "attestation": getattr(lot, "sanitisation", None) if is_owner else None,
        "close_form": (
            LotCloseForm(auto_id="close-%s")
            if is_owner and actor.can_write and lot.status == LotStatus.EXPIRED
            else None
        ),
    }
    # What the apps above lots add (claims: the claim box; matching: the match count).
    context.update(lot_page_sections(request=request, actor=actor, lot=lot))
    return render(request, "lots/detail.html", context)


@member_required(WHY_MEMBER)
@require_GET
def mine(request, actor: Membership):
    form = LotStatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    lots = selectors.lot_mine_list(actor=actor, status=status)
    page = Paginator(lots, MY_LOTS_PAGE_SIZE).get_page(request.GET.get("page"))
    has_drafts = any(lot.status == LotStatus.DRAFT for lot in page.object_list)
    context = {"form": form, "page": page, "actor": actor, "has_drafts": has_drafts}
    return render(request, "lots/mine.html", context)


# --- Writing a lot ---------------------------------------------------------------


@member_required(WHY_MEMBER)
@verified_required
def create(request, actor: Membership):
    form = LotForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            lot = lot_create(actor=actor, data=form.lot_input())
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request, _("The draft is saved. Add photos, then publish it when it is complete.")
            )
            return redirect("lots:detail", pk=lot.pk)
    return render(request, "lots/form.html", {"form": form, "lot": None, "actor": actor})


@member_required(WHY_MEMBER)
def edit(request, actor: Membership, pk: int):
    lot = _own_lot(actor, pk)
    form = LotForm(request.POST or None, actor=actor, lot=lot)
    if request.method == "POST" and form.is_valid():
        try:
            lot = lot_update(actor=actor, lot=lot, data=form.lot_input())
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The draft is saved."))
            return redirect("lots:detail", pk=lot.pk)
    return render(request, "lots/form.html", {"form": form, "lot": lot, "actor": actor})


@member_required(WHY_MEMBER)
def delete(request, actor: Membership, pk: int):
    lot = _own_lot(actor, pk)
    if request.method == "POST":
        try:
            lot_delete(actor=actor, lot=lot)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("lots:detail", pk=pk)
        messages.success(request, _("The draft “%(title)s” is deleted.") % {"title": lot.title})
        return redirect("lots:mine")
    return render(request, "lots/delete.html", {"lot": lot})


@member_required(WHY_MEMBER)
@require_POST
def publish(request, actor: Membership, pk: int):
    lot = _own_lot(actor, pk)
    try:
        lot_publish(actor=actor, lot=lot)
    except ApplicationError as exc:
        if exc.extra.get("missing"):
            messages.error(
                request, _("The lot cannot be published yet: what is missing is listed below.")
            )
        else:
            messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The lot is published: federal services may claim it from now on.")
        )
    return redirect("lots:detail", pk=pk)


@member_required(WHY_MEMBER)
@require_POST
def withdraw(request, actor: Membership, pk: int):
    lot = _own_lot(actor, pk)
    try:
        lot_withdraw(actor=actor, lot=lot)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The lot is withdrawn: nobody can claim it any more."))
    return redirect("lots:detail", pk=pk)


@member_required(WHY_MEMBER)
@require_POST
def close(request, actor: Membership, pk: int):
    """Close an expired lot, recording what became of its unclaimed units."""
    lot = _own_lot(actor, pk)
    form = LotCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what became of the units nobody claimed."))
        return redirect("lots:detail", pk=lot.pk)
    try:
        lot_close(actor=actor, lot=lot, outcome=form.cleaned_data["outcome"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The lot is closed."))
    return redirect("lots:detail", pk=lot.pk)


# --- Photos ----------------------------------------------------------------------


@member_required(WHY_MEMBER)
def photos(request, actor: Membership, pk: int):
    """The photos of a lot; the form posts here without JavaScript (several files at
    once), and photo-upload.js posts each file to ``photo_upload`` with a progress bar."""
    lot = _own_lot(actor, pk)
    form = PhotoUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        added = 0
        for upload in form.cleaned_data["images"]:
            try:
                lot_photo_add(
                    actor=actor, lot=lot, upload=upload, alt_text=form.cleaned_data["alt_text"]
                )
            except ApplicationError as exc:
                messages.error(
                    request,
                    _("%(file)s: %(reason)s") % {"file": upload.name, "reason": exc.message},
                )
            else:
                added += 1
        if added:
            messages.success(
                request,
                ngettext("%(count)s photo added.", "%(count)s photos added.", added)
                % {"count": added},
            )
        return redirect("lots:photos", pk=pk)
    photos = lot.photos.all()
    waiting = _photos_waiting(photos)
    preparing = bool(waiting)
    context = {
        "lot": lot,
        "photos": photos,
        "form": form,
        "max_photos": MAX_PHOTOS_PER_LOT,
        "can_edit": actor.can_write,
        "photos_preparing": preparing,
        "photos_status": _photos_status(waiting) if preparing else "",
    }
    return render(request, "lots/photos.html", context)


@member_required(WHY_MEMBER)
@require_GET
def photo_tile(request, actor: Membership, pk: int, photo_id: int):
    """One photo's tile, asked for again and again by the photo page while its sizes are
    being made: 204 until the job has run, then the tile and a sentence for the page's
    status region."""
    lot = _own_lot(actor, pk)
    photo = get_object_or_404(lot.photos.all(), pk=photo_id)
    waiting = _photos_waiting([photo])
    if waiting and live_pace_kept(request, photo.pace):
        return live_still_running()
    number = photo.position + 1
    if waiting:  # still being made: the tile again, at its new pace
        status_text = _photos_status(waiting)
    elif photo.status == PhotoStatus.READY:
        status_text = _("Photo %(number)s is ready.") % {"number": number}
    else:
        status_text = _("Photo %(number)s could not be prepared.") % {"number": number}
    context = {
        "photo": photo,
        "lot": lot,
        "can_edit": actor.can_write,
        "index": number,
        "oob": True,
        "still_running": bool(waiting),
        "status_text": status_text,
    }
    return render(request, "lots/_photo_item.html", context)


@member_required(WHY_MEMBER)
@require_POST
def photo_upload(request, actor: Membership, pk: int):
    """One photo, for the upload script: JSON with the new photo's list item."""
    lot = _own_lot(actor, pk)
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"error": _("Choose a photo.")}, status=400)
    try:
        photo = lot_photo_add(
            actor=actor, lot=lot, upload=upload, alt_text=request.POST.get("alt_text", "")
        )
    except ApplicationError as exc:
        status = {ErrorKind.CONFLICT: 409, ErrorKind.FORBIDDEN: 403}.get(exc.kind, 400)
        return JsonResponse({"error": str(exc.message)}, status=status)
    _photos_waiting([photo])
    html = render_to_string(
        "lots/_photo_item.html",
        {"photo": photo, "lot": lot, "can_edit": True, "index": photo.position + 1},
        request=request,
    )
    return JsonResponse({"id": photo.pk, "html": html}, status=201)


@member_required(WHY_MEMBER)
@require_POST
def photo_delete(request, actor: Membership, pk: int, photo_id: int):
    lot = _own_lot(actor, pk)
    photo = get_object_or_404(lot.photos.all(), pk=photo_id)
    try:
        lot_photo_delete(actor=actor, lot=lot, photo=photo)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The photo is deleted."))
    return redirect("lots:photos", pk=pk)


# --- Sanitisation ----------------------------------------------------------------


@member_required(WHY_MEMBER)
@require_POST
def publish_selected(request, actor: Membership):
    """My lots' "publish selected": every chosen draft by the publish rule, each refused
    one with its reason."""
    chosen = request.POST.getlist("lots")[: PUBLISH_MANY_MAX + 1]
    ids = [int(value) for value in chosen if value.isdigit() and len(value) < 12]
    try:
        result = lots_publish_many(actor=actor, lot_ids=ids)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("lots:mine")
    if result.published:
        messages.success(
            request,
            ngettext(
                "%(count)s lot is published: %(titles)s.",
                "%(count)s lots are published: %(titles)s.",
                len(result.published),
            )
            % {
                "count": len(result.published),
                "titles": ", ".join(
                    pgettext("a lot's title in a list", "“%(title)s”") % {"title": lot.title}
                    for lot in result.published
                ),
            },
        )
    for _pk, lot, exc in result.refused:
        messages.error(
            request,
            _("“%(title)s” is not published: %(reason)s")
            % {"title": lot.title if lot else _pk, "reason": exc.message},
        )
    return redirect("lots:mine")  # every status: the published and those still drafts


def _erasure_problems(exc: ApplicationError) -> list[dict]:
    """A refusal of lot_erasures_record as rows of the problem table: errors on a record
    name its device (the service does not know the file's row numbers)."""
    problems = []
    records = exc.extra.get("records", [])
    for key, reasons in exc.errors.items():
        parts = key.split(".")
        device, column = "", ""
        if parts[0] == "records" and len(parts) == 3 and parts[1].isdigit():
            index = int(parts[1])
            device = records[index] if index < len(records) else ""
            column = parts[2]
        for reason in reasons:
            problems.append({"row": "", "device": device, "column": column, "reason": reason})
    return problems or [{"row": "", "device": "", "column": "", "reason": exc.message}]


@member_required(WHY_MEMBER)
def sanitisation(request, actor: Membership, pk: int):
    lot = _own_lot(actor, pk)
    attestation = getattr(lot, "sanitisation", None)
    initial = (
        {
            "method": attestation.method,
            "performed_on": attestation.performed_on,
            "responsible_person": attestation.responsible_person,
        }
        if attestation
        else {}
    )
    attest_form = AttestationForm(initial=initial, prefix="attest")
    report_form = ErasureReportForm(prefix="erasures")
    problems: list[dict] = []
    status = 200
    if request.method == "POST" and "attest" in request.POST:
        attest_form = AttestationForm(request.POST, request.FILES, prefix="attest")
        if attest_form.is_valid():
            try:
                lot_sanitisation_attest(actor=actor, lot=lot, **attest_form.cleaned_data)
            except ApplicationError as exc:
                add_application_error(attest_form, exc)
            else:
                messages.success(request, _("The sanitisation attestation is saved."))
                return redirect("lots:sanitisation", pk=pk)
    elif request.method == "POST" and "erasures" in request.POST:
        report_form = ErasureReportForm(request.POST, request.FILES, prefix="erasures")
        if report_form.is_valid():
            try:
                devices = lot_erasures_import(
                    actor=actor, lot=lot, report=report_form.cleaned_data["report"]
                )
            except ApplicationError as exc:
                status = 400
                if "problems" in exc.extra:
                    problems = exc.extra["problems"]
                elif exc.code == LotError.ERASURE_REPORT_INVALID:
                    report_form.add_error("report", exc.message)
                else:
                    problems = _erasure_problems(exc)
            else:
                messages.success(
                    request,
                    ngettext(
                        "The erasure record of %(count)s device is saved.",
                        "The erasure records of %(count)s devices are saved.",
                        len(devices),
                    )
                    % {"count": len(devices)},
                )
                return redirect("lots:sanitisation", pk=pk)
        else:
            status = 400
    context = {
        "lot": lot,
        "attestation": attestation,
        "attest_form": attest_form,
        "report_form": report_form,
        "problems": problems,
        "devices": lot.items.all(),
        "gaps": sanitisation_gaps(lot),
        "can_edit": actor.can_write and lot.status == LotStatus.DRAFT,
        "erasure_columns": ERASURE_COLUMN_HELP.items(),
    }
    return render(request, "lots/sanitisation.html", context, status=status)


ERASURE_COLUMN_HELP = {
    "serial_number": gettext_lazy("Serial number of the device (or of its disk)"),
    "asset_tag": gettext_lazy("Inventory or asset tag; a serial number or an asset tag per row"),
    "make_model": gettext_lazy("Make and model (optional)"),
    "media_type": gettext_lazy("Storage media: SSD, HDD … (optional)"),
    "method": gettext_lazy("clear, purge or destroy (NIST SP 800-88 names are understood)"),
    "tool": gettext_lazy("Erasure tool and its version"),
    "verified": gettext_lazy("Result of the verification: yes/passed or no/failed"),
    "performer": gettext_lazy("Who erased it"),
    "date": gettext_lazy("Date of the erasure, YYYY-MM-DD, not in the future"),
}


@member_required(WHY_MEMBER)
@require_GET
def erasure_template(request, actor: Membership, pk: int):
    """A CSV erasure report to fill in, with the lot's devices listed."""
    lot = _own_lot(actor, pk)
    response = HttpResponse(erasure_report_template(lot), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="erasure-report-lot-{pk}.csv"'
    return response


# --- Import ----------------------------------------------------------------------


def _category_name(row: list[str]) -> str:
    """A row of category_codes_rows: the name in the reader's language."""
    languages = ("nl", "fr", "de", "en")
    language = (get_language() or "en")[:2]
    return row[2 + languages.index(language if language in languages else "en")]


@member_required(WHY_MEMBER)
@verified_required
def import_lots(request, actor: Membership):
    form = ImportForm(request.POST or None, request.FILES or None)
    report, problems, status = None, [], 200
    kept_import = "file_token" in request.POST
    dry_run = "import" not in request.POST and not kept_import
    if request.method == "POST" and kept_import:
        form = ImportForm()
        kept_form = KeptImportForm(request.POST)
        try:
            if not kept_form.is_valid():
                raise ApplicationError(
                    code=LotError.IMPORT_FILE_GONE, message=_("Choose the file again.")
                )
            report = lots_import_kept(actor=actor, token=kept_form.cleaned_data["file_token"])
        except ApplicationError as exc:
            status = 400
            problems = exc.extra.get("problems", [])
            messages.error(request, exc.message)
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = lots_import(
                actor=actor,
                name=upload.name,
                data=upload.read(),
                dry_run=dry_run,
                keep=dry_run,
            )
        except ApplicationError as exc:
            status = 400
            problems = exc.extra.get("problems", [])
            if not problems:
                add_application_error(form, exc)
            else:
                messages.error(request, exc.message)
        else:
            problems = report.problems
    elif request.method == "POST":
        status = 400
    if report is not None and not report.dry_run:
        count = len(report.created)
        messages.success(
            request,
            ngettext(
                "%(count)s lot is imported as a draft.",
                "%(count)s lots are imported as drafts.",
                count,
            )
            % {"count": count},
        )
        return redirect(f"{reverse('lots:mine')}?status=draft")
    context = {
        "form": form,
        "report": report,
        "problems": problems,
        "kept_name": request.FILES["file"].name if report and report.file_token else "",
        "columns": [
            {"name": name, "required": required, "description": description}
            for name, (required, description) in IMPORT_COLUMNS.items()
        ],
        "categories": [
            {"code": row[0], "parent": row[1], "name": _category_name(row)}
            for row in category_codes_rows()
        ],
    }
    return render(request, "lots/import.html", context, status=status)


@login_required
@require_GET
def import_template_download(request, file_format: str):
    if file_format not in ("csv", "xlsx"):
        raise Http404
    actor = web_actor(request)
    site_names = (
        list(actor.organisation.sites.order_by("name").values_list("name", flat=True))
        if actor
        else []
    )
    content, content_type = import_template(file_format=file_format, site_names=site_names)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="lots-template.{file_format}"'
    return response


@require_GET
def category_codes_download(request, file_format: str):
    """The category codes with their names in the four languages (CSV or XLSX)."""
    content, content_type = category_codes_table(file_format=file_format)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="category-codes.{file_format}"'
    return response


@require_GET
def photo_file(request, pk: int, photo_id: int, size: str):
    """One size of a lot's photo, to whoever may read the lot (``lot_photo_file``)."""
    found = selectors.lot_photo_file(
        actor=web_actor(request), lot_id=pk, photo_id=photo_id, size=size
    )
    if found is None:
        raise Http404
    file, public = found
    return private_file_response(file, public=public)


@require_GET
def certificate_file(request, pk: int):
    """The sanitisation certificate, to the lot's owner only."""
    file = selectors.lot_certificate_file(actor=web_actor(request), lot_id=pk)
    if file is None:
        raise Http404
    return private_file_response(file, attachment=True, filename=f"certificate-lot-{pk}.pdf")
