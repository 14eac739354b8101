"""Settings for the benchmarks: the project's settings plus a baseline route (``bench/urls.py``).

Production URLs and settings stay as they are; only what a benchmark needs changes here:

* ``ROOT_URLCONF = "bench.urls"``: every production route, plus ``/bench/baseline/``, a minimal Django
  JSON view that runs through the same middleware on the same server (the baseline of the API benchmark);
* plain static-file storage, so pages render without ``collectstatic`` (the URL of a static file is the
  only difference, and costs the same);
* ``testserver`` is an allowed host, for the in-process query counts (Django's test client).

Run with ``DJANGO_SETTINGS_MODULE=bench.settings`` (``python -m bench`` sets it).
"""
from config.settings import *  # noqa: F401,F403
from config.settings import ALLOWED_HOSTS, STORAGES

ROOT_URLCONF = "bench.urls"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
