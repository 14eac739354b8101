from django.utils.translation import gettext_lazy as _

from creditportal.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(_("Audit"), [MenuItem(_("Audit trail"), "audit:event_list", "audit.view_auditevent"),
                           MenuItem(_("Verify the audit trail"), "audit:chain", "audit.view_auditevent")], order=90, within="reports"),
]
