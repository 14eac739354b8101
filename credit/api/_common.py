"""What the credit API's viewsets share."""
from django.contrib.auth import get_user_model


User = get_user_model()


class CreditViewSetMixin:
    """Deny by default (``ActionPermission`` from the settings): every action is mapped below."""
