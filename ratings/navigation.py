from django.utils.translation import gettext_lazy as _

from creditportal.core.navigation import MenuGroup, MenuItem

MENU = [
    MenuGroup(_("Ratings"), [
        MenuItem(_("Rating work queue"), "ratings:work_queue", "ratings.view_rating"),
        MenuItem(_("All ratings"), "ratings:rating_list", "ratings.view_rating"),
        MenuItem(_("Rating models"), "ratings:model_list", "ratings.view_ratingmodel"),
        MenuItem(_("Rating scales"), "ratings:scale_list", "ratings.view_ratingscale"),
        MenuItem(_("Ratings policy"), "ratings:policy", "ratings.change_ratingspolicy"),
        MenuItem(_("Re-rating batches"), "ratings:batch_list", "ratings.view_ratingbatch"),
    ], order=20, key="ratings"),
]
