from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

def on_statement_saved(statement_id=None, customer_id=None, **kwargs):
    """``customers.statement_saved`` → test the covenants in the worker (sent through the outbox on commit)."""
    from creditportal.core.tasks import enqueue

    from .tasks import test_covenants

    enqueue(test_covenants, statement_id)


def _register_customer_tab():
    try:
        from customers import tabs
    except ImportError:
        return
    from .views import customer_credit_tab

    tabs.register_tab("credit", _("Credit"), "credit/customer_tab.html", customer_credit_tab,
                       permission="credit.view_facility", order=300)


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = _("Credit")

    def ready(self):
        from creditportal.core.events import subscribe

        subscribe("customers.statement_saved", on_statement_saved)
        _register_customer_tab()
        from ratings.providers import register_decision_authority

        from .selectors import OverrideAuthority

        register_decision_authority(OverrideAuthority())
