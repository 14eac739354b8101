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
from config.settings import ALLOWED_HOSTS, DATABASES, STORAGES

ROOT_URLCONF = "bench.urls"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]

# The page sweep (bench/benchmarks/pages.py) bounds every statement of its server: a page that would run for
# minutes at a size answers 500 (reported as such) instead of holding the sweep.
import os as _os  # noqa: E402

if _os.environ.get("BENCH_STATEMENT_TIMEOUT_MS") and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={int(_os.environ['BENCH_STATEMENT_TIMEOUT_MS'])}")
