"""An anonymous login flood (issue 18, findings 8 and 14): failed logins are refused per address before
any password is hashed, the token throttle reads the address as NUM_PROXIES says and counts atomically,
and signed-in users keep being served."""
import re
import threading
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.db import connection
from django.test import Client
from django.urls import reverse

from creditportal.core import request_context

PASSWORD = "Secret-pass-123"
TOKEN_URL = "/api/v1/auth/token/"


class CountingHasher:
    """Counts every call of the configured password hasher (hashing a guess or checking one)."""

    def __enter__(self):
        hasher = type(get_hasher())
        self.calls = 0

        def counted(original):
            def wrapper(*args, **kwargs):
                self.calls += 1
                return original(*args, **kwargs)
            return wrapper

        self._patches = [mock.patch.object(hasher, name, counted(getattr(hasher, name)))
                         for name in ("encode", "verify")]
        for patch in self._patches:
            patch.start()
        return self

    def __exit__(self, *exc):
        for patch in self._patches:
            patch.stop()


@pytest.mark.django_db
def test_a_flood_of_random_usernames_is_refused_by_address_before_hashing(users):
    url = reverse("accounts:login")
    flood = Client(REMOTE_ADDR="10.9.9.9")
    limit = settings.AXES_FAILURE_LIMIT
    with CountingHasher() as hasher:
        failed = [flood.post(url, {"username": f"nobody{n}", "password": "wrong-guess"}).status_code
                  for n in range(limit)]
        assert failed == [200] * (limit - 1) + [429]  # the limit-th failure locks the address
        assert hasher.calls == limit  # each guess cost one hash until the address is locked
        hasher.calls = 0
        refused = [flood.post(url, {"username": f"other{n}", "password": "wrong-guess"}).status_code
                   for n in range(20)]
        # an existing user with the right password from the flooding address: also refused, unhashed
        refused.append(flood.post(url, {"username": "rm", "password": PASSWORD}).status_code)
        assert refused == [429] * 21
        assert hasher.calls == 0
    # another address logs in, and a signed-in user (even behind the same address) is served
    assert Client(REMOTE_ADDR="10.9.9.10").post(url, {"username": "rm", "password": PASSWORD}).status_code == 302
    signed_in = Client(REMOTE_ADDR="10.9.9.9")
    signed_in.force_login(users["analyst"])
    assert signed_in.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_a_token_flood_is_refused_before_authenticate(api_client, users):
    rate, _period = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth_token_address"].split("/")
    with CountingHasher() as hasher, mock.patch("rest_framework.authtoken.serializers.authenticate",
                                                 wraps=__import__("django.contrib.auth").contrib.auth.authenticate) as auth:
        answers = [api_client.post(TOKEN_URL, {"username": f"nobody{n}", "password": "bad"}, format="json",
                                   REMOTE_ADDR="10.8.8.8").status_code for n in range(int(rate) + 10)]
        assert answers[: int(rate)] == [400] * int(rate)
        assert answers[int(rate):] == [429] * 10
        # the throttle stops the rest before authenticate(); within the rate, the lock-out of the address
        # (django-axes's backend runs first in authenticate()) stops the hashing at its own limit
        assert auth.call_count == int(rate)
        assert hasher.calls == min(int(rate), settings.AXES_FAILURE_LIMIT)


@pytest.mark.django_db
def test_rotating_x_forwarded_for_does_not_bypass_the_token_throttle(api_client, users, settings):
    assert settings.NUM_PROXIES == 0
    answers = [api_client.post(TOKEN_URL, {"username": "analyst", "password": "bad"}, format="json",
                               REMOTE_ADDR="10.7.7.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
               for n in range(10)]
    assert answers.count(400) == 5 and answers[5:] == [429] * 5


def test_the_client_address_follows_num_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7")
    settings.NUM_PROXIES = 0
    assert request_context.ip_from_request(request) == "10.0.0.5"
    settings.NUM_PROXIES = 1  # one proxy of ours appended the address it saw
    assert request_context.ip_from_request(request) == "198.51.100.7"
    settings.NUM_PROXIES = 2
    assert request_context.ip_from_request(request) == "1.1.1.1"
    spoofed = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="not-an-address")
    assert request_context.ip_from_request(spoofed) == "10.0.0.5"


def _burst(n_threads, username):
    from rest_framework.test import APIClient

    barrier = threading.Barrier(n_threads)
    answers = []

    def attempt():
        try:
            barrier.wait()
            answers.append(APIClient().post(TOKEN_URL, {"username": username, "password": PASSWORD},
                                            format="json", REMOTE_ADDR="10.6.6.6").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_threaded_burst_gets_at_most_the_limit_redis(make_user):
    make_user("burst", "credit_analyst")
    answers = _burst(20, "burst")
    assert answers.count(200) == 5 and answers.count(429) == 15


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_threaded_burst_gets_at_most_the_limit_database(make_user, settings):
    settings.REDIS_URL = ""  # the counters are ThrottleCounter rows, locked with select_for_update
    make_user("burst", "credit_analyst")
    answers = _burst(20, "burst")
    assert answers.count(200) == 5 and answers.count(429) == 15
    from creditportal.models import ThrottleCounter

    assert ThrottleCounter.objects.count() == 2  # the address, and the username at the address


def test_the_web_workers_serve_requests_in_threads():
    """The Procfile's gunicorn serves several requests per worker (gthread), so requests waiting on the
    database or a hash do not hold every worker (finding 8)."""
    web = next(line for line in (Path(settings.BASE_DIR) / "Procfile").read_text().splitlines()
               if line.startswith("web:"))
    assert "--worker-class gthread" in web
    threads = int(re.search(r"--threads \$\{WEB_THREADS:-(\d+)\}", web).group(1))
    workers = int(re.search(r"--workers \$\{WEB_WORKERS:-(\d+)\}", web).group(1))
    assert threads >= 4 and workers * threads >= 16
