from django.utils.translation import gettext_lazy as _

from creditportal.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(_("Reports"), [
        MenuItem(_("Report search"), "reports:workspace", "reports.download_report"),
        MenuItem(_("Stored reports"), "reports:stored_list", "reports.view_storedreport"),
        MenuItem(_("Portfolio reports"), "reports:portfolio_list",
                 ("reports.download_report", "customers.view_all_customers")),
        MenuItem(_("Report batches"), "reports:batch_list", "reports.request_report_batch"),
    ], order=85, key="reports"),
]
