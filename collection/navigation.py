from django.utils.translation import gettext_lazy as _

from creditportal.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(_("Collection"), [
        MenuItem(_("My work queue"), "collection:work_queue", "collection.change_collectioncase"),
        MenuItem(_("Collection cases"), "collection:case_list", "collection.view_collectioncase"),
        MenuItem(_("Aging"), "collection:aging", "collection.view_invoice"),
        MenuItem(_("Invoices"), "collection:invoice_list", "collection.view_invoice"),
        MenuItem(_("Payments"), "collection:payment_list", "collection.view_payment"),
        MenuItem(_("Claim payouts"), "collection:claim_list", "collection.view_claimpayout"),
        MenuItem(_("Dunning actions"), "collection:dunning_list", "collection.view_dunningaction"),
        MenuItem(_("Write-offs"), "collection:writeoff_list", "collection.view_writeoff"),
        MenuItem(_("Dunning policies"), "collection:policy_list", "collection.view_dunningpolicy"),
        MenuItem(_("Dunning policies by grade"), "collection:dunning_grades", "collection.view_dunningpolicy"),
    ], order=50, key="collection"),
]
