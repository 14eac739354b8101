"""Writes of a viewset that are one service call each (the service checks, writes, audits)."""
from rest_framework import status
from rest_framework.response import Response

from .inputs import validated


class ServiceWritesMixin:
    """``created(request, call)``: the body validated by the viewset's serializer, ``call(data)`` (a service),
    201 with what it made, serialized. ``acted(request, payload_class, call)``: the body validated by
    ``payload_class``, ``call(obj, data)`` on the object the URL names (``get_object``: visible and permitted),
    200 with ``reply(obj)`` — by default what ``call`` returns, serialized; a viewset whose rows carry computed
    columns re-reads the object through its ``get_queryset`` there."""

    def created(self, request, call):
        data = validated(self.get_serializer(data=request.data))
        return Response(self.get_serializer(call(data)).data, status=status.HTTP_201_CREATED)

    def acted(self, request, payload_class, call):
        obj = self.get_object()
        return self.reply(call(obj, validated(payload_class(data=request.data))), obj)

    def reply(self, result, obj):
        return Response(self.get_serializer(result).data)
