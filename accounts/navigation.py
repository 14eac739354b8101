from django.utils.translation import gettext_lazy as _

from creditportal.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(_("Administration"), [MenuItem(_("Users"), "accounts:user_list", "auth.view_user")], order=95),
]
