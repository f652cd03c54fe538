from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAcceptable, NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from api.idempotency import idempotent
from api.lots.filters import LotFilter
from api.lots.serializers import (
    ErasuresInputSerializer,
    ImportInputSerializer,
    ImportOutputSerializer,
    LotCloseInputSerializer,
    LotInputSerializer,
    LotOutputSerializer,
    LotPhotoOutputSerializer,
    PhotoInputSerializer,
    PublishSelectedInputSerializer,
    PublishSelectedOutputSerializer,
    SanitisationInputSerializer,
    SanitisationOutputSerializer,
    catalogue_rows_output,
)
from api.mixins import ScopedViewMixin
from api.pagination import CappedPageNumberPagination
from api.renderers import AnyFileRenderer, FileAnswersMixin, JSONRenderer, PDFRenderer
from exchange.common.storage import private_file_response
from exchange.lots import selectors
from exchange.lots.models import Lot, SanitisationAttestation
from exchange.lots.services.closing import lot_close
from exchange.lots.services.imports import (
    category_codes_table,
    import_template,
    lots_import,
    lots_import_kept,
)
from exchange.lots.services.lots import (
    lot_create,
    lot_delete,
    lot_publish,
    lot_update,
    lot_withdraw,
    lots_publish_many,
)
from exchange.lots.services.photos import lot_photo_add, lot_photo_delete
from exchange.lots.services.sanitisation import (
    ErasureInput,
    lot_erasures_import,
    lot_erasures_record,
    lot_sanitisation_attest,
    sanitisation_gaps,
)

# A spreadsheet to download, CSV or XLSX as ``?type=`` asks (the import's template and
# its list of category codes).
SPREADSHEET_DOWNLOAD = extend_schema(
    parameters=[OpenApiParameter("type", str, enum=["csv", "xlsx"])],
    responses={
        (200, "text/csv"): OpenApiTypes.BINARY,
        (
            200,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ): OpenApiTypes.BINARY,
    },
)


class LotViewSet(
    FileAnswersMixin,
    ScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Lots: the published catalogue for everyone, and your organisation's own lots in
    every status. Only members of the owner change a lot."""

    queryset_for_schema = Lot.objects.none()
    lookup_value_regex = r"[0-9]+"  # a lot's id: anything else is 404, never a 500
    serializer_class = LotOutputSerializer
    filterset_class = LotFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    pagination_class = CappedPageNumberPagination

    def scoped_queryset(self):
        if self.action == "list":
            return selectors.lot_catalogue(actor=self.actor)
        if self.action == "retrieve":
            return selectors.lot_readable(actor=self.actor)  # as the lot's page
        return selectors.lot_list(actor=self.actor)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request.acting_membership = self.actor  # for the request-scoped filters

    def filter_queryset(self, queryset):
        if self.filterset_class is LotFilter and not LotFilter.named(self.request.query_params):
            return LotFilter.plain(queryset)  # the plain catalogue: no filter set to build
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        # On PostgreSQL a page of the catalogue is one statement (CataloguePage), shaped
        # straight from its rows (no docstring: the schema shows the class's). Filtered
        # by nothing, its statement is compiled once per process (CataloguePage.newest).
        if not selectors.lot_catalogue_in_one_statement():
            page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        page_size = self.paginator.get_page_size(request)
        number = request.query_params.get(self.paginator.page_query_param, "1")
        start = (int(number) - 1) * page_size if number.isdigit() and int(number) > 0 else 0
        expected = slice(start, start + page_size)
        if LotFilter.named(request.query_params):
            lots = selectors.CataloguePage(
                self.filter_queryset(self.get_queryset()),
                expected=expected,
                own_organisation_id=self.actor and self.actor.organisation_id,
            )
        else:
            lots = selectors.CataloguePage.newest(actor=self.actor, expected=expected)
        rows = self.paginator.paginate_queryset(lots, request, view=self)
        return self.get_paginated_response(catalogue_rows_output(rows, request=request))

    def paginate_queryset(self, queryset):
        # Sorted by closing date or distance: the page's ids first, then its lots.
        if tuple(queryset.query.order_by) in (selectors.CLOSING_SOON, selectors.NEAREST):
            queryset = selectors.KeyOrdered(
                queryset, own_organisation_id=self.actor and self.actor.organisation_id
            )
        return super().paginate_queryset(queryset)

    def _output(self, lot: Lot, status_code=status.HTTP_200_OK) -> Response:
        lot = selectors.lot_list(actor=self.actor).get(pk=lot.pk)
        return Response(self.get_serializer(lot).data, status=status_code)

    @idempotent
    @extend_schema(request=LotInputSerializer, responses={201: LotOutputSerializer})
    def create(self, request):
        """Create a draft lot."""
        actor = self.require_actor()
        serializer = LotInputSerializer(data=request.data, context={"actor": actor})
        serializer.is_valid(raise_exception=True)
        lot = lot_create(actor=actor, data=serializer.lot_input(serializer.validated_data))
        return self._output(lot, status.HTTP_201_CREATED)

    @extend_schema(request=LotInputSerializer(partial=True), responses=LotOutputSerializer)
    def partial_update(self, request, pk=None):
        """Change a draft (409 once published); ``items`` replaces the item list."""
        lot = self.get_object()
        actor = self.require_actor()
        serializer = LotInputSerializer(
            data=request.data, partial=True, context={"actor": actor, "lot": lot}
        )
        serializer.is_valid(raise_exception=True)
        lot = lot_update(actor=actor, lot=lot, data=serializer.lot_input(serializer.validated_data))
        return self._output(lot)

    def destroy(self, request, pk=None):
        """Delete a draft (409 once published: withdraw it instead)."""
        lot_delete(actor=self.require_actor(), lot=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=LotOutputSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a draft: the federal claim window opens now. 409 says what is missing
        (for IT that holds data: the sanitisation attestation and erasure records)."""
        lot = lot_publish(actor=self.require_actor(), lot=self.get_object())
        return self._output(lot)

    @extend_schema(request=None, responses=LotOutputSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        lot = lot_withdraw(actor=self.require_actor(), lot=self.get_object())
        return self._output(lot)

    @extend_schema(request=LotCloseInputSerializer, responses=LotOutputSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close an expired lot: its unclaimed remainder was sold (through the federal
        sales service), recycled or disposed of. Writes the impact record."""
        serializer = LotCloseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lot = lot_close(
            actor=self.require_actor(), lot=self.get_object(), **serializer.validated_data
        )
        return self._output(lot)

    @idempotent
    @extend_schema(
        request={"multipart/form-data": PhotoInputSerializer},
        responses={201: LotPhotoOutputSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser],
        filterset_class=None,
    )
    def photos(self, request, pk=None):
        """Add a photo (multipart field ``image``); thumbnail and web size follow shortly."""
        lot = self.get_object()
        serializer = PhotoInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = lot_photo_add(
            actor=self.require_actor(),
            lot=lot,
            upload=serializer.validated_data["image"],
            alt_text=serializer.validated_data["alt_text"],
        )
        return Response(
            LotPhotoOutputSerializer(photo, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True, methods=["delete"], url_path=r"photos/(?P<photo_id>\d+)", filterset_class=None
    )
    def photo(self, request, pk=None, photo_id=None):
        lot = self.get_object()
        photo = get_object_or_404(lot.photos.all(), pk=photo_id)
        lot_photo_delete(actor=self.require_actor(), lot=lot, photo=photo)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (404, "application/json"): OpenApiResponse(
                description="No such photo or size, or the lot is not one you may read."
            ),
        },
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"photos/(?P<photo_id>[0-9]+)/(?P<size>web|thumbnail|original)",
        url_name="photo-file",
        filterset_class=None,
        renderer_classes=[AnyFileRenderer, JSONRenderer],
        permission_classes=[AllowAny],
    )
    def photo_file(self, request, pk=None, photo_id=None, size=None):
        """One size of a lot's photo (`web`, `thumbnail`; `original` for the owner): photos
        of a published lot to anyone, others to whoever may read the lot. With S3 the
        answer is a redirect to a short-lived signed URL."""
        found = selectors.lot_photo_file(
            actor=self.actor, lot_id=int(pk), photo_id=int(photo_id), size=size
        )
        if found is None:
            raise NotFound
        file, public = found
        return private_file_response(file, public=public)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (404, "application/json"): OpenApiResponse(
                description="No certificate, or the lot is not your organisation's."
            ),
            (406, "application/json"): OpenApiResponse(
                description="The certificate is a PDF only: ask for `application/pdf`."
            ),
        },
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="sanitisation/certificate",
        url_name="certificate",
        filterset_class=None,
        renderer_classes=[PDFRenderer, JSONRenderer],
    )
    def certificate(self, request, pk=None):
        """The sanitisation certificate (PDF), to the lot's owner only. A client that
        accepts only JSON gets 406."""
        if not isinstance(request.accepted_renderer, PDFRenderer):
            raise NotAcceptable(_("The certificate is a PDF: ask for application/pdf."))
        file = selectors.lot_certificate_file(actor=self.actor, lot_id=int(pk))
        if file is None:
            raise NotFound
        return private_file_response(file, attachment=True, filename=f"certificate-lot-{pk}.pdf")

    def _sanitisation_body(self, lot: Lot):
        lot = selectors.lot_list(actor=self.actor).get(pk=lot.pk)
        return SanitisationOutputSerializer(
            {
                "required": lot.category.requires_data_sanitisation,
                "attestation": SanitisationAttestation.objects.filter(lot=lot).first(),
                "devices": lot.items.all(),
                "missing": sanitisation_gaps(lot),
            }
        ).data

    @extend_schema(methods=["get"], responses=SanitisationOutputSerializer, filters=False)
    @extend_schema(
        methods=["post"],
        request={
            "multipart/form-data": SanitisationInputSerializer,
            "application/json": SanitisationInputSerializer,
        },
        responses=SanitisationOutputSerializer,
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def sanitisation(self, request, pk=None):
        """The data-sanitisation attestation (NIST SP 800-88: clear, purge, destroy, or no
        storage media), with an optional certificate PDF, and what publication still needs."""
        lot = self.get_object()
        if request.method == "POST":
            serializer = SanitisationInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            lot_sanitisation_attest(
                actor=self.require_actor(), lot=lot, **serializer.validated_data
            )
        return Response(self._sanitisation_body(lot))

    @extend_schema(
        request={
            "multipart/form-data": ErasuresInputSerializer,
            "application/json": ErasuresInputSerializer,
        },
        responses=SanitisationOutputSerializer,
    )
    @action(detail=True, methods=["post"], url_path="sanitisation/erasures", filterset_class=None)
    def erasures(self, request, pk=None):
        """Each device's erasure record: JSON ``records`` or a CSV ``file`` as erasure tools
        export it. Devices are matched by serial number or asset tag; unlisted ones are added."""
        lot = self.get_object()
        serializer = ErasuresInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data.get("file")
        if upload is not None:
            lot_erasures_import(actor=self.require_actor(), lot=lot, report=upload)
        else:
            records = [ErasureInput(**r) for r in serializer.validated_data["records"]]
            lot_erasures_record(actor=self.require_actor(), lot=lot, records=records)
        return Response(self._sanitisation_body(lot))

    @idempotent
    @extend_schema(
        request={
            "multipart/form-data": ImportInputSerializer,
            "application/json": ImportInputSerializer,
        },
        parameters=[OpenApiParameter("dry_run", OpenApiTypes.BOOL, description="Check only")],
        responses={200: ImportOutputSerializer, 201: ImportOutputSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        filterset_class=None,
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def import_lots(self, request):
        """Bulk import from CSV or XLSX (columns: see the template). ``?dry_run=1`` lists
        every bad row (an unknown category, condition or site with ``suggestions``) and,
        when there is none, answers a ``file_token``; without it, every row becomes a
        draft lot, or none does (400). ``{"file_token": ...}`` instead of the file imports
        the file its dry run checked (400 ``import_file_gone`` once it expired, after an
        hour, or was imported)."""
        serializer = ImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = self.require_actor()
        token = serializer.validated_data.get("file_token")
        if token:
            report = lots_import_kept(actor=actor, token=token)
            return Response(ImportOutputSerializer(report).data, status=status.HTTP_201_CREATED)
        upload = serializer.validated_data["file"]
        dry_run = request.query_params.get("dry_run", "").lower() in {"1", "true", "yes"}
        report = lots_import(
            actor=actor, name=upload.name, data=upload.read(), dry_run=dry_run, keep=dry_run
        )
        return Response(
            ImportOutputSerializer(report).data,
            status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED,
        )

    @SPREADSHEET_DOWNLOAD
    @action(
        detail=False,
        methods=["get"],
        url_path="import/template",
        filterset_class=None,
        pagination_class=None,
    )
    def import_template(self, request):
        """The import template with an example row; the XLSX has typed columns and
        drop-down lists of the category codes, the conditions and your sites."""
        file_format = "xlsx" if request.query_params.get("type") == "xlsx" else "csv"
        actor = self.actor
        site_names = (
            list(actor.organisation.sites.order_by("name").values_list("name", flat=True))
            if actor
            else []
        )
        content, content_type = import_template(file_format=file_format, site_names=site_names)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="lots-template.{file_format}"'
        return response

    @SPREADSHEET_DOWNLOAD
    @action(
        detail=False,
        methods=["get"],
        url_path="import/categories",
        filterset_class=None,
        pagination_class=None,
    )
    def import_categories(self, request):
        """Every category code with its parent's and its names in NL, FR, DE and EN: what
        the import's ``category`` column takes."""
        file_format = "xlsx" if request.query_params.get("type") == "xlsx" else "csv"
        content, content_type = category_codes_table(file_format=file_format)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="category-codes.{file_format}"'
        return response

    @extend_schema(
        request=PublishSelectedInputSerializer, responses=PublishSelectedOutputSerializer
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="publish-selected",
        filterset_class=None,
        pagination_class=None,
    )
    def publish_selected(self, request):
        """Publish several drafts in one step, each by the rule of ``publish``: the
        answer lists the published ids and, for each refused lot, its code and reason
        (and what is missing); a lot that is not yours is refused as not found."""
        serializer = PublishSelectedInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = lots_publish_many(
            actor=self.require_actor(), lot_ids=serializer.validated_data["lots"]
        )
        body = {
            "published": [lot.pk for lot in result.published],
            "refused": [
                {
                    "id": pk,
                    "code": str(exc.code),
                    "message": exc.message,
                    **({"missing": exc.extra["missing"]} if "missing" in exc.extra else {}),
                }
                for pk, _lot, exc in result.refused
            ],
        }
        return Response(PublishSelectedOutputSerializer(body).data)
