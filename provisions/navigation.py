from django.utils.translation import gettext_lazy as _

from creditportal.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(_("Expected credit loss"), [
        MenuItem(_("ECL runs"), "provisions:run_list", "provisions.view_eclrun"),
        MenuItem(_("Aging snapshots"), "provisions:snapshot_list", "provisions.view_agingsnapshot"),
        MenuItem(_("Forward-looking scenarios"), "provisions:scenario_list", "provisions.view_scenarioset"),
        MenuItem(_("Impaired customers"), "provisions:assessment_list", "provisions.view_impairedassessment"),
    ], order=65, within="monitoring"),
]
