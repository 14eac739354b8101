"""Every production route plus the benchmarks' baseline view (see ``bench/settings.py``)."""
from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/baseline/", views.baseline, name="bench-baseline"),
    path("", include("config.urls")),
]
