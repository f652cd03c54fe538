from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.mixins import ScopedViewMixin
from api.validation import id_field
from exchange.notifications.models import Notification
from exchange.notifications.services import (
    notification_list,
    notification_mark_read,
    notification_unread_count,
)


class NotificationOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at"]


class NotificationReadInputSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=id_field(),
        max_length=1000,
        required=False,
        help_text="Notifications to mark read; all of yours when left out.",
    )


class NotificationReadOutputSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread = serializers.IntegerField()


class NotificationViewSet(
    ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Your notifications, newest first; the response header ``X-Unread-Count`` gives
    how many are unread. Opening one marks it read."""

    queryset_for_schema = Notification.objects.none()
    serializer_class = NotificationOutputSerializer

    def scoped_queryset(self):
        return notification_list(user=self.request.user)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response["X-Unread-Count"] = str(notification_unread_count(user=request.user))
        return response

    def retrieve(self, request, *args, **kwargs):
        notification = self.get_object()
        notification_mark_read(user=request.user, notification_ids=[notification.pk])
        notification.refresh_from_db()
        return Response(NotificationOutputSerializer(notification).data)

    @extend_schema(
        request=NotificationReadInputSerializer, responses=NotificationReadOutputSerializer
    )
    @action(detail=False, methods=["post"])
    def read(self, request):
        serializer = NotificationReadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marked = notification_mark_read(
            user=request.user, notification_ids=serializer.validated_data.get("ids")
        )
        return Response({"marked": marked, "unread": notification_unread_count(user=request.user)})
