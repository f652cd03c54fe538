"""The platform's URLs plus two bare endpoints, the floor the HTTP stack is measured
against (bench/README.md, "The HTTP stack"): the same middleware, the same token
authentication and permission as the API (DRF's defaults of the settings), then one SQL
statement and a small JSON answer, no serializer, no service.

- ``GET /bench/bare/lots/``: one query, the newest 20 published lots (id and title);
- ``POST /bench/bare/lots/<id>/claim/``: one conditional UPDATE that takes one unit if
  one is left (201), else 409.
"""

from django.db import connection
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from exchange.urls import urlpatterns as platform


class BareLots(APIView):
    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, title FROM lots_lot WHERE status = 'published' "
                "ORDER BY published_at DESC, id DESC LIMIT 20"
            )
            rows = cursor.fetchall()
        return Response({"results": [{"id": pk, "title": title} for pk, title in rows]})


class BareClaim(APIView):
    def post(self, request, lot_id: int):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE lots_lot SET quantity_reserved = quantity_reserved + 1 "
                "WHERE id = %s AND status = 'published' AND quantity_reserved < quantity",
                [lot_id],
            )
            taken = cursor.rowcount
        if taken:
            return Response({"lot": lot_id, "quantity": 1}, status=201)
        return Response({"code": "not_enough_left"}, status=409)


urlpatterns = [
    path("bench/bare/lots/", BareLots.as_view()),
    path("bench/bare/lots/<int:lot_id>/claim/", BareClaim.as_view()),
    *platform,
]
