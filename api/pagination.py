from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework import pagination
from rest_framework.response import Response


class PageNumberPagination(pagination.PageNumberPagination):
    """``{count, next, previous, results}``; ``?page=`` and ``?page_size=`` (at most 100)."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_next_link(self):
        """DRF's link; for a request with no query (a list's first page as it comes) its
        address and ``?page=``, written directly: what DRF's parsing and encoding of the
        address again would give."""
        if self.request.META.get("QUERY_STRING") or not self.page.has_next():
            return super().get_next_link()
        page = self.page.next_page_number()
        return f"{self.request.build_absolute_uri()}?{self.page_query_param}={page}"


class CappedCountPaginator(Paginator):
    """Counts at most ``cap`` + 1 rows: on a catalogue of 100 000 lots, counting every
    match of a broad search would cost more than the page itself. The count ignores the
    ordering (sorted, PostgreSQL would find the first ``cap`` + 1 matches in page order,
    walking an index or sorting them all, instead of the cheapest ones to reach) and
    selects only ids (not the columns and arrays a page shows)."""

    cap = 1000

    @cached_property
    def count(self) -> int:
        capped_count = getattr(self.object_list, "capped_count", None)
        if capped_count is not None:  # a list that counts with its page (CataloguePage)
            return capped_count(self.cap)
        capped = self.object_list.order_by().values("pk")[: self.cap + 1]
        return min(capped.count(), self.cap + 1)


class CappedPageNumberPagination(PageNumberPagination):
    """Like PageNumberPagination; beyond 1000 matches ``count`` says 1000 and
    ``count_capped`` is true (narrow the search to see them all)."""

    django_paginator_class = CappedCountPaginator

    def get_paginated_response(self, data):
        count = self.page.paginator.count
        capped = count > CappedCountPaginator.cap
        return Response(
            {
                "count": min(count, CappedCountPaginator.cap),
                "count_capped": capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_capped"] = {"type": "boolean"}
        return response
