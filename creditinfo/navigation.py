from django.utils.translation import gettext_lazy as _

from creditportal.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(_("Outside information"), [
        MenuItem(_("Suggested groups"), "creditinfo:group_suggestions", "customers.view_customergroup"),
    ], order=12, within="customers"),
]
