"""The credit approval memo (stored once decided) and the monthly portfolio report (stored once the month is over)."""
import datetime as dt
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from reports.models import StoredReport

from .test_rating_report import pdf_text


@pytest.mark.django_db
def test_approval_memo_is_stored_once_decided(make_customer, users, api_for, tmp_path, today):
    from credit.models import Collateral, CreditApplication, Decision

    customer = make_customer()
    application = CreditApplication.objects.create(
        customer=customer, amount=Decimal("5000000"), currency="CNY", term_months=12, purpose="流动资金周转",
        status="approved", created_by=users["rm"], reviewer=users["analyst"], rating_grade="A",
        policy_result={"violations": [{"code": "max_term", "severity": "soft", "limit": "6", "actual": "12",
                                       "message": "term"}], "blocked": False, "needs_exception": True,
                       "coverage": "0.6", "policy_version": 1, "checked_on": "2026-10-01"},
        policy_exception=True, exception_reason="长期合作客户", decided_at=dt.datetime(2026, 10, 10, tzinfo=dt.timezone.utc))
    Collateral.objects.create(application=application, kind="deposit", market_value=Decimal("3000000"),
                              currency="CNY", haircut=Decimal("0"), valuation_date=dt.date(2026, 10, 1),
                              revaluation_due=dt.date(2027, 10, 1))
    Decision.objects.create(application=application, action="submit", actor=users["rm"])
    Decision.objects.create(application=application, action="approve", actor=users["approver1"], level=1,
                            comment="同意授信")
    api = api_for(users["auditor"])
    first = api.get(f"/api/v1/applications/{application.pk}/memo.pdf?lang=zh-hans")
    assert first.status_code == 200
    second = api.get(f"/api/v1/applications/{application.pk}/memo.pdf?lang=zh-hans")
    assert first.content == second.content
    assert StoredReport.objects.filter(kind="approval_memo").count() == 1
    text = pdf_text(first.content, tmp_path)
    for expected in ("授信审批备忘录", "华夏精密制造有限公司", "同意授信", "长期合作客户", "5,000,000.00"):
        assert expected in text, expected
    assert AuditEvent.objects.filter(action="download", object_type="credit.creditapplication").count() == 2
    assert api_for(users["rm2"]).get(f"/api/v1/applications/{application.pk}/memo.pdf").status_code == 404
    assert api_for(users["collector"]).get(f"/api/v1/applications/{application.pk}/memo.pdf").status_code == 403


@pytest.mark.django_db
def test_portfolio_report_of_a_finished_month(users, api_for, client_for, tmp_path, today, make_customer):
    make_customer()
    response = api_for(users["auditor"]).get("/api/v1/portfolio-reports/2026-09/report.pdf?lang=en")
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "Monthly portfolio report" in text and "PR-202609" in text
    stored = StoredReport.objects.get(kind="portfolio_report")
    assert bytes(stored.content) == response.content
    assert client_for(users["auditor"]).get("/reports/portfolio/2026-9.pdf?lang=en").content == response.content
    assert api_for(users["rm"]).get("/api/v1/portfolio-reports/2026-09/report.pdf").status_code == 403
    assert api_for(users["auditor"]).get("/api/v1/portfolio-reports/2027-01/report.pdf").status_code == 400


@pytest.mark.django_db
def test_approval_memo_has_the_whole_picture(make_customer, users, api_for, tmp_path, today):
    """Issue 21: the customer header's facts, the existing and requested limits, a three-year financial summary,
    the amount in Chinese capital numerals, 统一社会信用代码 labelled as such, and a sign-off block."""
    from credit.models import CreditApplication, Decision, Facility
    customer = make_customer()  # with audited annual statements 2023–2025
    customer.is_foreign, customer.credit_code = False, "91310000MA1FL8TQ3X"
    customer.save()
    facility = Facility.objects.create(customer=customer, limit=Decimal("3000000"), currency="CNY",
                                       start_date=today - dt.timedelta(days=100),
                                       expiry_date=today + dt.timedelta(days=200))
    application = CreditApplication.objects.create(
        customer=customer, amount=Decimal("5000000"), currency="CNY", term_months=12, purpose="增加额度",
        application_type="increase", facility=facility, status="approved", created_by=users["rm"],
        reviewer=users["analyst"], rating_grade="A", required_levels=1, current_level=1,
        decided_at=dt.datetime(2026, 10, 10, tzinfo=dt.timezone.utc))
    Decision.objects.create(application=application, action="route", actor=users["analyst"], level=1,
                            comment="amount,grade")
    Decision.objects.create(application=application, action="approve", actor=users["approver1"], level=1,
                            comment="同意增加额度")
    zh = pdf_text(api_for(users["auditor"]).get(f"/api/v1/applications/{application.pk}/memo.pdf?lang=zh-hans")
                  .content, tmp_path)
    for expected in ("统一社会信用代码", "91310000MA1FL8TQ3X", "人民币伍佰万元整", "3,000,000.00", "2,000,000.00",
                     "财务摘要", "2023-12-31", "2025-12-31", "已审计", "敞口", "签字", "第 1 级审批人"):
        assert expected in zh, expected
    # the routing reasons in words, amounts in the reporting currency with their code
    assert "依据" in zh and "amount" not in zh and "CNY 5,000,000.00" in zh
    en = pdf_text(api_for(users["auditor"]).get(f"/api/v1/applications/{application.pk}/memo.pdf?lang=en")
                  .content, tmp_path)
    for expected in ("Unified social credit code", "Current limit", "Financial summary", "Sign-off", "Risk picture"):
        assert expected in en, expected
    assert "人民币" not in en
    assert "Because of the amount with the group's exposure, the rating grade." in " ".join(en.split())
