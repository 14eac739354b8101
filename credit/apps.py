from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def on_statement_saved(statement_id=None, customer_id=None, **kwargs):
    """``customers.statement_saved`` → test the covenants in the worker (sent through the outbox on commit)."""
    from creditportal.core.tasks import enqueue

    from .tasks import test_covenants

    enqueue(test_covenants, statement_id)


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = _("Credit")

    def ready(self):
        from creditportal.core.events import subscribe
        from customers.events import STATEMENT_SAVED
        from customers.tabs import CUSTOMER_TABS, Tab
        from ratings.providers import DECISION_AUTHORITY

        from .selectors import OverrideAuthority
        from .views import customer_credit_tab

        subscribe(STATEMENT_SAVED, on_statement_saved)
        CUSTOMER_TABS.add(Tab("credit", _("Credit"), "credit/customer_tab.html", customer_credit_tab,
                              permission="credit.view_facility", order=300))
        DECISION_AUTHORITY.provide(OverrideAuthority())
        from customers.group_panels import GROUP_PANELS, GroupPanel

        from .views.security import group_guarantees_panel

        GROUP_PANELS.add(GroupPanel("guarantees", "credit/group_guarantees.html", group_guarantees_panel,
                                    permission="credit.view_facility", order=100))
