from django.utils.translation import gettext_lazy as _

from creditportal.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(_("Customers"), [
        MenuItem(_("Customer list"), "customers:customer_list", "customers.view_customer"),
        MenuItem(_("New customer"), "customers:customer_create", "customers.add_customer"),
        MenuItem(_("Groups of related companies"), "customers:group_list", "customers.view_customergroup"),
    ], order=10, key="customers"),
]
