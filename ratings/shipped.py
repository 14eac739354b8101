"""The texts the ratings app ships in its data (migration 0002: the master scale and the default corporate
model), listed for extraction. The rows keep the English text, so ratings reproduce from their snapshots;
pages and reports show them in the reader's language with the ``shipped`` template filter."""
from django.utils.translation import gettext_noop

SHIPPED_TEXTS = [
    gettext_noop("Master scale"),
    gettext_noop("Corporate scorecard"),
    gettext_noop("Default scorecard for corporate customers: financial ratios, payment behaviour, negative "
                 "records and expert judgement (6C)."),
    # factors
    gettext_noop("Current ratio"),
    gettext_noop("Debt to assets"),
    gettext_noop("Interest coverage"),
    gettext_noop("Receivable days"),
    gettext_noop("Asset turnover"),
    gettext_noop("Net margin"),
    gettext_noop("Return on equity"),
    gettext_noop("Operating cash flow to current liabilities"),
    gettext_noop("Size"),
    gettext_noop("Payment behaviour (three indicators)"),
    gettext_noop("Negative records (3 years)"),
    gettext_noop("Management quality"),
    gettext_noop("Market position"),
    gettext_noop("Industry outlook"),
    gettext_noop("Legal and compliance"),
    # caps and vetoes
    gettext_noop("Behaviour result D (one-vote veto)"),
    gettext_noop("Negative equity"),
    gettext_noop("Three or more negative records in 3 years"),
    # the corporate scorecard's second version (migration 0010, issue 24)
    gettext_noop("Default scorecard for corporate customers: financial ratios, payment behaviour, negative records, "
                 "outside credit information (tax credit rating, court records), coverage and expert judgement (6C)."),
    gettext_noop("Tax credit rating"),
    gettext_noop("Court records (3 years)"),
    gettext_noop("Credit insurance cover"),
    gettext_noop("Collateral and guarantee coverage"),
    gettext_noop("Dishonest judgement debtor (one-vote veto)"),
    gettext_noop("Bankruptcy (one-vote veto)"),
    # grade meanings (migration 0007)
    gettext_noop("Strong profitability and a good payment record."),
    gettext_noop("Average profitability and payment record."),
    gettext_noop("Weak profitability or payment record."),
    gettext_noop("Heavy losses or insolvent; credit sales are not advised."),
]
