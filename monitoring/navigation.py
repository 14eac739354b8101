from django.utils.translation import gettext_lazy as _

from creditportal.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(_("Monitoring"), [
        MenuItem(_("Portfolio dashboard"), "monitoring:dashboard", "customers.view_all_customers"),
        MenuItem(_("Portfolio over time"), "monitoring:trends", "monitoring.view_assetclassification"),
        MenuItem(_("Alerts"), "monitoring:alert_list", "monitoring.view_alert"),
        MenuItem(_("Watchlist"), "monitoring:watchlist", "monitoring.view_watchlistentry"),
        MenuItem(_("Asset classification"), "monitoring:classification_list", "monitoring.view_assetclassification"),
        MenuItem(_("Provisions"), "monitoring:provision_run_list", "monitoring.view_provisionrun"),
        MenuItem(_("Warning rules"), "monitoring:rule_list", "monitoring.view_warningrule"),
    ], order=60, key="monitoring"),
]
