"""The rating work queue and the rating list read a constant number of queries whatever their rows (issue 25:
the page benchmark found the queue at 110 queries, one per row for the maker's name), and no row loads the
rating's JSON snapshots."""
import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse

pytestmark = pytest.mark.django_db


class _Count:
    def __init__(self):
        self.sql = []

    def __call__(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)


def _queries(client, url):
    counter = _Count()
    with connection.execute_wrapper(counter):
        response = client.get(url)
    assert response.status_code == 200
    return response, counter.sql


@pytest.mark.parametrize("url_name", ["ratings:work_queue", "ratings:rating_list"])
def test_rating_rows_cost_the_same_queries_for_one_row_and_for_four(client, users, approved_rating, today,
                                                                    url_name):
    from creditportal.core import clock

    first = approved_rating()
    clock.set_today(first.review_due - dt.timedelta(days=10))  # inside the review notice: in the queue
    client.force_login(users["analyst"])
    url = reverse(url_name)
    client.get(url)  # the user's permissions and settings cached, as in every later request
    _response, one = _queries(client, url)
    more = [approved_rating() for _ in range(3)]  # made today: their reviews fall due later
    clock.set_today(max(r.review_due for r in more) - dt.timedelta(days=10))  # all four in the queue
    response, four = _queries(client, url)
    assert len(four) == len(one), "\n".join(four)
    text = response.content.decode()
    assert all(r.customer.name in text for r in [first, *more])
    rows = [sql for sql in four if 'FROM "ratings_rating"' in sql and "COUNT(" not in sql]
    assert rows and not any('"ratings_rating"."inputs"' in sql for sql in rows)  # no snapshot read for a row


def test_the_work_queue_is_refused_without_the_view_permission(client, users):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody-queue", password="x" * 12)
    client.force_login(nobody)
    assert client.get(reverse("ratings:work_queue")).status_code == 403
