from django.utils.translation import gettext_lazy as _

from creditportal.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(_("Model validation"), [
        MenuItem(_("Validation and simulations"), "validation:index", "validation.view_validationrun"),
        MenuItem(_("New validation run"), "validation:run_create", "validation.run_validation"),
        MenuItem(_("New simulation"), "validation:simulation_create", "validation.run_simulation"),
        MenuItem(_("Import outcomes"), "validation:outcome_import", "validation.add_outcomeimport"),
        MenuItem(_("ECL backtest"), "validation:ecl_backtest", "provisions.view_eclrun"),
        MenuItem(_("Default definition"), "validation:default_definition", "validation.change_defaultdefinition"),
    ], order=80, within="ratings"),
]
