"""API and pages: transitions as POST actions, scoping, deny-by-default, auditors refused, constant queries."""
import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from collection import services
from collection.models import CollectionCase, DunningAction, Invoice, Payment, WriteOff

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(users, customer, make_invoice, today, policy):
    invoice = make_invoice(customer, "1000.00", days_past_due=40)
    make_invoice(customer, "500.00", days_past_due=5)
    case = services.case_open(actor=users["collector"], customer=customer)
    case = services.case_start(actor=users["collector"], case=case)
    services.dunning_run(as_of=today)
    writeoff = services.writeoff_propose(actor=users["collector"], case=case, reason="insolvent")
    promise = services.promise_add(actor=users["collector"], case=case, promised_date=today, amount="10.00")
    return {"invoice": invoice, "case": case, "writeoff": writeoff, "customer": customer, "promise": promise}


def test_api_case_transitions_and_409(users, api_for, customer, make_invoice, today):
    make_invoice(customer, "100.00", days_past_due=10)
    api = api_for(users["collector"])
    r = api.post("/api/v1/collection-cases/", {"customer": customer.pk}, format="json")
    assert r.status_code == 201, r.json()
    case_id = r.json()["id"]
    assert r.json()["assigned_to"] == "collector"
    assert api.post(f"/api/v1/collection-cases/{case_id}/start/").json()["state"] == "in_progress"
    r = api.post("/api/v1/promises/", {"case": case_id, "promised_date": str(today + dt.timedelta(days=3)),
                                       "amount": "50.00", "currency": "CNY"}, format="json")
    assert r.status_code == 201
    assert api.get(f"/api/v1/collection-cases/{case_id}/").json()["state"] == "promise_to_pay"
    r = api.post("/api/v1/activities/", {"case": case_id, "kind": "call", "outcome": "will pay",
                                         "occurred_on": str(today)}, format="json")
    assert r.status_code == 201
    r = api.post(f"/api/v1/collection-cases/{case_id}/escalate/", {"channel": "arbitration"}, format="json")
    assert r.json()["state"] == "escalated" and r.json()["escalation_channel"] == "arbitration"
    assert api.post(f"/api/v1/collection-cases/{case_id}/close/", {"note": "settled out of court"},
                    format="json").json()["state"] == "closed"
    r = api.post(f"/api/v1/collection-cases/{case_id}/start/")
    assert r.status_code == 409 and r.json()["code"] == "conflict"


def test_api_payment_and_over_allocation_message(users, api_for, customer, make_invoice, today):
    inv = make_invoice(customer, "100.00", days_past_due=10)
    api = api_for(users["rm"])
    r = api.post("/api/v1/payments/", {"customer": customer.pk, "received_on": str(today), "amount": "150.00",
                                       "allocations": [{"invoice": inv.pk, "amount": "150.00"}]}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "over_invoice" and "INV-" in r.json()["detail"]
    assert Payment.objects.count() == 0
    r = api.post("/api/v1/payments/", {"customer": customer.pk, "received_on": str(today), "amount": "-1"},
                 format="json")
    assert r.status_code == 400
    r = api.post("/api/v1/payments/", {"customer": customer.pk, "received_on": str(today), "amount": "100.00"},
                 format="json")
    assert r.status_code == 201 and r.json()["allocated"] == [{"invoice": inv.pk, "amount": "100.00"}]


def test_api_write_off_four_eyes_and_rm_refused(users, api_for, setup, approver_authorities):
    wid = setup["writeoff"].pk
    assert api_for(users["rm"]).post(f"/api/v1/write-offs/{wid}/approve/").status_code == 403
    assert api_for(users["collector"]).post(f"/api/v1/write-offs/{wid}/approve/").status_code == 403
    r = api_for(users["approver1"]).post(f"/api/v1/write-offs/{wid}/approve/", {"note": "ok"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "approved"
    assert api_for(users["approver2"]).post(f"/api/v1/write-offs/{wid}/approve/").status_code == 409


def test_rm_sees_own_portfolio_only(users, api_for, make_customer, make_invoice, today):
    mine = make_customer("我的客户")
    theirs = make_customer("别人的客户", rm=users["rm2"])
    make_invoice(mine, "10.00", days_past_due=3)
    make_invoice(theirs, "10.00", days_past_due=3)
    numbers = {i["customer"] for i in api_for(users["rm"]).get("/api/v1/invoices/").json()["results"]}
    assert numbers == {mine.pk}


def test_aging_endpoint(users, api_for, customer, make_invoice, today, django_assert_max_num_queries):
    make_invoice(customer, "100.00", days_past_due=31)
    make_invoice(customer, "50.00", days_past_due=0)
    api = api_for(users["auditor"])
    with django_assert_max_num_queries(12):
        r = api.get("/api/v1/aging/")
    assert r.status_code == 200
    body = r.json()
    assert body["portfolio"]["d31_60"] == "100.00" and body["portfolio"]["current"] == "50.00"
    assert body["results"][0]["total"] == "150.00"


def test_list_endpoints_constant_queries(users, api_for, make_customer, make_invoice, today,
                                         django_assert_max_num_queries):
    for i in range(6):
        c = make_customer(f"客户{i}")
        make_invoice(c, "10.00", days_past_due=40)
        services.case_open(actor=users["collector"], customer=c)
        services.payment_post(actor=users["rm"], customer=c, amount="5.00", received_on=today)
    api = api_for(users["collector"])
    for url in ["/api/v1/invoices/", "/api/v1/payments/", "/api/v1/collection-cases/", "/api/v1/activities/",
                "/api/v1/promises/", "/api/v1/dunning-actions/", "/api/v1/dunning-policies/", "/api/v1/write-offs/",
                "/api/v1/claim-payouts/"]:
        with django_assert_max_num_queries(10):
            assert api.get(url).status_code == 200, url


API_WRITES = [
    ("post", "/api/v1/invoices/", lambda s: {"customer": s["customer"].pk, "number": "Z", "issue_date": "2026-06-01",
                                             "due_date": "2026-06-30", "amount": "1"}),
    ("post", "/api/v1/invoices/import/", lambda s: {"content": "x"}),
    ("post", "/api/v1/payments/", lambda s: {"customer": s["customer"].pk, "received_on": "2026-06-01", "amount": "1"}),
    ("post", "/api/v1/payments/import/", lambda s: {"content": "x"}),
    ("post", "/api/v1/claim-payouts/", lambda s: {"customer": s["customer"].pk, "paid_on": "2026-06-01",
                                                  "amount": "1", "reason": "x"}),
    ("post", "/api/v1/collection-cases/", lambda s: {"customer": s["customer"].pk}),
    ("post", "/api/v1/collection-cases/{case}/start/", lambda s: {}),
    ("post", "/api/v1/collection-cases/{case}/escalate/", lambda s: {"channel": "agency"}),
    ("post", "/api/v1/collection-cases/{case}/close/", lambda s: {"note": "x"}),
    ("post", "/api/v1/collection-cases/{case}/mark-paid/", lambda s: {}),
    ("post", "/api/v1/collection-cases/{case}/assign/", lambda s: {"collector": "collector"}),
    ("post", "/api/v1/collection-cases/{case}/propose-writeoff/", lambda s: {"reason": "x"}),
    ("post", "/api/v1/collection-cases/{case}/recovery/", lambda s: {"amount": "1", "received_on": "2026-06-01"}),
    ("post", "/api/v1/write-offs/{writeoff}/approve/", lambda s: {}),
    ("post", "/api/v1/write-offs/{writeoff}/reject/", lambda s: {"note": "x"}),
    ("post", "/api/v1/activities/", lambda s: {"case": s["case"].pk, "kind": "call", "outcome": "x",
                                               "occurred_on": "2026-06-01"}),
    ("post", "/api/v1/promises/", lambda s: {"case": s["case"].pk, "promised_date": "2026-07-01", "amount": "1"}),
    ("post", "/api/v1/dunning-policies/", lambda s: {"name": "X", "small_amount_tolerance": "1",
                                                     "late_fee_daily_rate": "0.001", "letter_language": "en"}),
    ("patch", "/api/v1/dunning-policies/{policy}/", lambda s: {"name": "Y"}),
    ("post", "/api/v1/dunning-policies/{policy}/levels/", lambda s: {"order": 9, "name": "x", "days_past_due": 300,
                                                                     "action": "litigation"}),
    ("post", "/api/v1/dunning-policy-changes/{change}/approve/", lambda s: {}),
    ("post", "/api/v1/dunning-policy-changes/{change}/reject/", lambda s: {"note": "x"}),
    ("delete", "/api/v1/invoices/{invoice}/", lambda s: {}),
    ("put", "/api/v1/invoices/{invoice}/", lambda s: {}),
    ("delete", "/api/v1/collection-cases/{case}/", lambda s: {}),
]


def test_auditor_refused_every_api_write(users, api_for, setup, policy):
    api = api_for(users["auditor"])
    from collection.services import dunning_policy_propose

    change = dunning_policy_propose(actor=users["riskadmin"], policy=policy, small_amount_tolerance="5")
    ids = {"case": setup["case"].pk, "writeoff": setup["writeoff"].pk, "policy": policy.pk,
           "invoice": setup["invoice"].pk, "change": change.pk}
    before = (Invoice.objects.count(), Payment.objects.count(), CollectionCase.objects.count(),
              WriteOff.objects.filter(state="proposed").count())
    for method, url, body in API_WRITES:
        response = getattr(api, method)(url.format(**ids), body(setup), format="json")
        assert response.status_code in (403, 405), (method, url, response.status_code)
        if method in ("post", "patch"):
            assert response.status_code == 403, (method, url)
    assert before == (Invoice.objects.count(), Payment.objects.count(), CollectionCase.objects.count(),
                      WriteOff.objects.filter(state="proposed").count())
    assert api.get("/api/v1/invoices/").status_code == 200
    assert api.get("/api/v1/aging/").status_code == 200


PAGE_WRITES = [
    ("collection:invoice_create", {}), ("collection:invoice_import", {}), ("collection:payment_create", {}),
    ("collection:payment_import", {}), ("collection:claim_create", {}), ("collection:case_open", {}),
    ("collection:case_start", {"pk": "case"}), ("collection:case_escalate", {"pk": "case"}),
    ("collection:case_close", {"pk": "case"}), ("collection:case_mark_paid", {"pk": "case"}),
    ("collection:case_assign", {"pk": "case"}), ("collection:activity_create", {"pk": "case"}),
    ("collection:promise_create", {"pk": "case"}), ("collection:writeoff_propose", {"pk": "case"}),
    ("collection:recovery_create", {"pk": "case"}), ("collection:writeoff_approve", {"pk": "writeoff"}),
    ("collection:writeoff_reject", {"pk": "writeoff"}), ("collection:policy_create", {}),
    ("collection:policy_edit", {"pk": "policy"}), ("collection:level_create", {"pk": "policy"}),
    ("collection:dunning_task_done", {"pk": "action"}),
]


def test_auditor_refused_every_page_write(users, client_for, setup, policy):
    client = client_for(users["auditor"])
    ids = {"case": setup["case"].pk, "writeoff": setup["writeoff"].pk, "policy": policy.pk,
           "action": DunningAction.objects.first().pk}
    for name, kwargs in PAGE_WRITES:
        url = reverse(name, kwargs={k: ids[v] for k, v in kwargs.items()})
        assert client.post(url, {"note": "x", "reason": "x", "channel": "agency"}).status_code == 403, name
    setup["case"].refresh_from_db()
    assert setup["case"].state == "promise_to_pay"
    for name in ["collection:invoice_list", "collection:payment_list", "collection:claim_list", "collection:aging",
                 "collection:case_list", "collection:dunning_list", "collection:policy_list",
                 "collection:writeoff_list", "collection:aging_csv", "collection:aging_xlsx"]:
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("collection:case_detail", args=[setup["case"].pk])).status_code == 200


def test_rm_cannot_write_off_through_pages(users, client_for, setup):
    client = client_for(users["rm"])
    assert client.post(reverse("collection:writeoff_approve", args=[setup["writeoff"].pk]), {"note": "x"}
                       ).status_code in (403, 404)
    assert client.post(reverse("collection:writeoff_propose", args=[setup["case"].pk]), {"reason": "x"}
                       ).status_code in (403, 404)
    assert WriteOff.objects.get(pk=setup["writeoff"].pk).state == "proposed"


def test_payment_page_keeps_input_on_error(users, client_for, customer, make_invoice, today):
    inv = make_invoice(customer, "100.00", days_past_due=3, number="KEEP-1")
    client = client_for(users["rm"])
    r = client.post(reverse("collection:payment_create"), {
        "customer": customer.pk, "received_on": str(today), "amount": "150.00", "currency": "CNY",
        "reference": "my-ref", "allocations": "KEEP-1=150.00"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "my-ref" in html and "KEEP-1=150.00" in html
    assert Payment.objects.count() == 0
    r = client.post(reverse("collection:payment_create"), {
        "customer": customer.pk, "received_on": str(today), "amount": "100.00", "currency": "CNY",
        "reference": "ok", "allocations": ""})
    assert r.status_code == 302
    inv.refresh_from_db()
    assert inv.status == "paid"


def test_pages_render_for_collector_with_constant_queries(users, client_for, setup, django_assert_max_num_queries):
    client = client_for(users["collector"])
    for name in ["collection:work_queue", "collection:invoice_list", "collection:case_list", "collection:aging",
                 "collection:dunning_list", "collection:payment_list"]:
        with django_assert_max_num_queries(25):
            assert client.get(reverse(name)).status_code == 200, name
    r = client.get(reverse("collection:case_detail", args=[setup["case"].pk]))
    assert r.status_code == 200
    r = client.get(reverse("collection:dunning_letter", args=[DunningAction.objects.first().pk]) + "?lang=en")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    r = client.get("/")
    assert r.status_code == 200


def test_customer_tab(users, client_for, setup):
    r = client_for(users["rm"]).get(reverse("customers:customer_detail", args=[setup["customer"].pk]) +
                                    "?tab=collections")
    assert r.status_code == 200
    assert "INV-" in r.content.decode()


def test_aging_exports(users, client_for, setup):
    client = client_for(users["analyst"])
    r = client.get(reverse("collection:aging_csv"))
    assert r.status_code == 200 and "华东机械有限公司" in b"".join(r.streaming_content).decode("utf-8-sig")
    r = client.get(reverse("collection:aging_xlsx"))
    from io import BytesIO

    from openpyxl import load_workbook

    rows = list(load_workbook(BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == "华东机械有限公司"


def test_demo_load_is_idempotent(users, make_customer, today):
    from collection import demo
    from collection.models import CollectionCase, Invoice, PromiseToPay

    customers = {"jinghua_tech": make_customer("北京京华软件科技有限公司"),
                 "xibei_energy": make_customer("西北新能源发展有限公司", rm=users["rm2"]),
                 "lingnan_food": make_customer("广州岭南食品有限公司", rm=users["rm2"]),
                 "huadong_parent": make_customer("华东建材集团有限公司")}
    context = {"users": users, "customers": customers}
    demo.load(context)
    counts = (Invoice.objects.count(), CollectionCase.objects.count(), PromiseToPay.objects.count())
    assert counts[0] == 16 and counts[2] == 1  # jinghua_tech: six invoices, one in collection
    assert CollectionCase.objects.get(customer=customers["xibei_energy"]).state == "escalated"
    assert CollectionCase.objects.get(customer=customers["jinghua_tech"]).state == "promise_to_pay"
    assert Invoice.objects.filter(status="paid").exists()
    demo.load(context)
    assert counts == (Invoice.objects.count(), CollectionCase.objects.count(), PromiseToPay.objects.count())


def test_risk_admin_writes_dunning_policy_others_refused(users, api_for, policy):
    api, checker = api_for(users["riskadmin"]), api_for(users["riskadmin2"])
    r = api.patch(f"/api/v1/dunning-policies/{policy.pk}/", {"small_amount_tolerance": "250.00"}, format="json")
    assert r.status_code == 202 and r.json()["values"] == {"small_amount_tolerance": "250.00"}  # a proposal
    assert api.get(f"/api/v1/dunning-policies/{policy.pk}/").json()["small_amount_tolerance"] == "100.00"
    assert checker.post(f"/api/v1/dunning-policy-changes/{r.json()['id']}/approve/", {},
                        format="json").status_code == 200
    assert api.get(f"/api/v1/dunning-policies/{policy.pk}/").json()["small_amount_tolerance"] == "250.00"
    r = api.post(f"/api/v1/dunning-policies/{policy.pk}/levels/", {"order": 5, "name": "诉讼", "days_past_due": 180,
                                                                    "action": "litigation"}, format="json")
    assert r.status_code == 202
    assert checker.post(f"/api/v1/dunning-policy-changes/{r.json()['id']}/approve/", {},
                        format="json").status_code == 200
    r = api.post(f"/api/v1/dunning-policies/{policy.pk}/levels/", {"order": 6, "name": "bad", "days_past_due": 10,
                                                                    "action": "litigation"}, format="json")
    assert r.status_code == 400  # a higher level must start later
    for role in ("rm", "collector", "approver1", "auditor"):
        assert api_for(users[role]).patch(f"/api/v1/dunning-policies/{policy.pk}/", {"name": "x"},
                                          format="json").status_code == 403


def test_invoice_page_create_with_facility(users, client_for, customer, today):
    from credit.models import Facility

    facility = Facility.objects.create(customer=customer, limit=D("1000"), currency="CNY", start_date=today,
                                       expiry_date=today)
    client = client_for(users["rm"])
    assert client.get(reverse("collection:invoice_create")).status_code == 200
    r = client.post(reverse("collection:invoice_create"), {
        "customer": customer.pk, "number": "PG-1", "issue_date": str(today), "due_date": str(today),
        "amount": "10.00", "currency": "CNY", "facility": facility.pk})
    assert r.status_code == 302
    assert Invoice.objects.get(number="PG-1").facility == facility
    r = client.post(reverse("collection:invoice_create"), {
        "customer": customer.pk, "number": "PG-1", "issue_date": str(today), "due_date": str(today),
        "amount": "10.00", "currency": "CNY"})
    assert r.status_code == 200 and "PG-1" in r.content.decode()  # refused, input kept


def test_a_body_naming_a_missing_or_foreign_object_is_a_400_that_changes_nothing(users, api_for, make_customer,
                                                                                  make_invoice, today):
    """404 is for the object the URL names; a customer named in the body that does not exist, or that the
    caller may not see, answers 400 on that field with DRF's related-field message — the same for both."""
    other = make_customer(name="别人的客户有限公司", rm=users["rm2"])
    make_invoice(other, "100.00", days_past_due=10)
    api = api_for(users["rm"])
    counts = (Invoice.objects.count(), Payment.objects.count(), CollectionCase.objects.count())
    for customer_id in (other.pk, 999_999):
        for url, body in [
            ("/api/v1/invoices/", {"customer": customer_id, "number": "X-1", "issue_date": str(today),
                                   "due_date": str(today), "amount": "10.00"}),
            ("/api/v1/payments/", {"customer": customer_id, "received_on": str(today), "amount": "10.00"}),
        ]:
            response = api.post(url, body, format="json")
            assert response.status_code == 400, (url, response.content)
            [message] = response.json()["errors"]["customer"]  # DRF's message, in the caller's language
            assert str(customer_id) in message and message in (f'Invalid pk "{customer_id}" - object does not exist.',
                                                               f"无效主键 “{customer_id}” － 对象不存在。")
    response = api_for(users["collector"]).post("/api/v1/collection-cases/", {"customer": 999_999}, format="json")
    assert response.status_code == 400 and "customer" in response.json()["errors"]
    assert (Invoice.objects.count(), Payment.objects.count(), CollectionCase.objects.count()) == counts
