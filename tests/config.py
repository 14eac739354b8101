"""Configuration takes four-eyes (``proposals``): test set-up proposes as one risk administrator and has the
second one approve. ``configured(proposal)`` returns what is in force; anything else passes through (a small
delegation applies at once)."""


def configured(result, by=None):
    from django.contrib.auth import get_user_model

    from proposals.models import ConfigChange
    from proposals.services import change_approve

    if not isinstance(result, ConfigChange):
        return result
    checker = by or get_user_model().objects.get(username="riskadmin2")
    return change_approve(actor=checker, change=result, note="set-up")
