"""Pages of the monitoring app: thin views over the selectors and services.

One module per section; this package re-exports the views (``monitoring/urls.py`` names ``views.X``):

* ``_common`` — what the sections share (the month-end run started from a button);
* ``alerts`` — the alert list and an alert's page with its workflow, actions and watch button;
* ``rules`` — warning rules: the list, the form that proposes a rule and the decision pages;
* ``watchlist`` — the watchlist, putting a customer on it and taking one off;
* ``classification`` — the monthly classification: list, run, an exposure's page and reclassification;
* ``provisions`` — provision runs and their lines, the rates and their decision pages;
* ``dashboard`` — the portfolio dashboard and the exposure list behind its figures;
* ``trends`` — the portfolio over time (monthly ratios, letters, breakdowns).
"""
from .alerts import AlertDetailView, AlertListView, AlertStartActionView, AlertTransitionView, AlertWatchView
from .rules import RuleFormView, RuleListView
from .watchlist import WatchlistAddView, WatchlistEndView, WatchlistView
from .classification import ClassificationDetailView, ClassificationListView, ClassificationRunView
from .provisions import (
    ProvisionRatesView, ProvisionRunDetailView,
    ProvisionRunListView, ProvisionRunView,
)
from .dashboard import DashboardAccessMixin, DashboardRefreshView, DashboardView, ExposureListView
from .trends import TrendView
