from django.utils.translation import gettext_lazy as _

from creditportal.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(_("Credit insurance"), [
        MenuItem(_("Insurance policies"), "insurance:policy_list", "insurance.view_insurancepolicy"),
        MenuItem(_("Buyer limits"), "insurance:buyer_limit_list", "insurance.view_buyerlimit"),
        MenuItem(_("Insurance claims"), "insurance:claim_list", "insurance.view_insuranceclaim"),
    ], order=55, within="credit"),
]
