"""The validation routes (pages and API) for every role: allowed or refused exactly as the role table says
(the same walk as ``tests/security/test_role_matrix.py``, limited to this app, with its failures listed)."""
import pytest

from creditportal.core import access
from tests.security.test_role_matrix import WRITE_METHODS, _cases


def _validation_cases():
    return [c for c in _cases() if c[0] and (c[0].startswith("validation:") or c[0].startswith(("validation-run",
                                                                                                   "simulation-")))]


def test_validation_routes_exist():
    names = {c[0] for c in _validation_cases()}
    assert {"validation:index", "validation:run_detail", "validation-run-list", "simulation-list",
            "simulation-activate-model"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*access.ROLES, None], ids=[*access.ROLES, "anonymous"])
def test_validation_role_table(role, make_user, client):
    user = make_user("matrix-user", role) if role else None
    if user:
        client.force_login(user)
    wrong = []
    for name, url, method, needed in _validation_cases():
        assert needed not in ("MISSING", "UNDECLARED"), name
        perms = needed if isinstance(needed, (list, tuple)) else [needed]
        expected = role is not None and all(user.has_perm(p) for p in perms)
        response = getattr(client, method)(url, **({"content_type": "application/json", "data": "{}"}
                                                      if method in WRITE_METHODS else {}))
        status = response.status_code
        refused = status in (401, 403) or (status == 302 and "/accounts/login/" in response.get("Location", ""))
        if status >= 500 or (expected and refused) or (not expected and not refused and status != 405):
            wrong.append((name, method, url, status))
    assert wrong == []
