from django.utils.translation import gettext_lazy as _

from creditportal.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(_("Credit"), [
        MenuItem(_("My work queue"), "credit:queue", "credit.view_creditapplication"),
        MenuItem(_("Applications"), "credit:application_list", "credit.view_creditapplication"),
        MenuItem(_("New application"), "credit:application_create", "credit.add_creditapplication"),
        MenuItem(_("Facilities"), "credit:facility_list", "credit.view_facility"),
        MenuItem(_("Order holds"), "credit:hold_list", "credit.view_customerhold"),
        MenuItem(_("Credit policies"), "credit:policy_list", "credit.view_creditpolicy"),
        MenuItem(_("Authority matrix"), "credit:matrix", "credit.view_authoritylevel"),
        MenuItem(_("Group limits"), "credit:group_limit_list", "credit.view_grouplimit"),
        MenuItem(_("New credit policy"), "credit:policy_create", "credit.add_creditpolicy"),
        MenuItem(_("Collateral haircuts"), "credit:haircut_table", "credit.view_collateralhaircut"),
        MenuItem(_("Guarantor recovery factors"), "credit:recovery_table", "credit.view_recoveryfactor"),
    ], order=30, key="credit"),
]
