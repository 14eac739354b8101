from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditportal.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(pgettext_lazy("menu", "Admin"), [MenuItem(_("Users"), "accounts:user_list", "auth.view_user"),
                                                      MenuItem(_("Configuration changes"), "proposals:list", "proposals.view_proposal")], order=95, key="administration"),
]
