"""Customer pages: portfolio scoping (404), forms keep input, tabs are lazy, constant queries."""
import datetime as dt

from django.urls import reverse

from customers import services, tabs
from customers.models import Customer, FinancialStatement

from tests.monitoring.test_customer_header import HEADER_QUERIES  # the customer header on the page

from .conftest import next_code, statement_data


def test_list_shows_only_own_portfolio_to_rm(users, client_for, make_customer):
    mine, theirs = make_customer(name="我的客户有限公司"), make_customer(manager=users["rm2"], name="别人的客户有限公司")
    page = client_for(users["rm"]).get(reverse("customers:customer_list")).content.decode()
    assert mine.name in page and theirs.name not in page


def test_other_portfolio_is_404_on_every_page(users, client_for, make_customer, make_statement):
    customer = make_customer(manager=users["rm2"])
    statement = make_statement(customer)
    contact = services.contact_create(actor=users["rm2"], customer=customer, name="联系人")
    client = client_for(users["rm"])
    urls = [
        reverse("customers:customer_detail", args=[customer.pk]),
        reverse("customers:customer_detail", args=[customer.pk]) + "?tab=financials",
        reverse("customers:customer_edit", args=[customer.pk]),
        reverse("customers:statement_create", args=[customer.pk]),
        reverse("customers:statement_edit", args=[statement.pk]),
        reverse("customers:statement_import", args=[customer.pk]),
        reverse("customers:contact_create", args=[customer.pk]),
        reverse("customers:contact_edit", args=[contact.pk]),
        reverse("customers:document_upload", args=[customer.pk]),
        reverse("customers:negative_record_create", args=[customer.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("customers:customer_edit", args=[customer.pk]), {"name": "x"})
    assert response.status_code == 404
    assert client.post(reverse("customers:contact_delete", args=[contact.pk])).status_code == 404


def test_readers_see_every_portfolio_but_cannot_write(users, client_for, make_customer):
    customer = make_customer()
    for role in ["analyst", "approver1", "collector", "riskadmin", "auditor"]:
        client = client_for(users[role])
        assert client.get(reverse("customers:customer_detail", args=[customer.pk])).status_code == 200, role
    client = client_for(users["auditor"])
    for url in [reverse("customers:customer_create"), reverse("customers:customer_edit", args=[customer.pk]),
                reverse("customers:statement_create", args=[customer.pk]),
                reverse("customers:document_upload", args=[customer.pk]),
                reverse("customers:group_create")]:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code == 403, url


def test_create_form_keeps_input_and_shows_the_error_by_the_field(users, client_for):
    code = next_code()
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    response = client_for(users["rm"]).post(reverse("customers:customer_create"), {
        "name": "输入保留有限公司", "credit_code": wrong, "industry_section": "C", "size": "small",
        "legal_form": "limited_liability", "status": "prospect", "registered_capital_currency": "CNY", "country": "CN",
    })
    assert response.status_code == 200
    page = response.content.decode()
    assert "输入保留有限公司" in page and wrong in page
    assert "invalid-feedback" in page and "check digit" in page.lower() or "校验" in page
    assert not Customer.objects.exists()


def test_create_and_edit_through_pages(users, client_for):
    client = client_for(users["rm"])
    data = {"name": "页面客户有限公司", "credit_code": next_code(), "industry_section": "F", "industry_division": "51",
            "size": "small", "legal_form": "limited_liability", "status": "active",
            "registered_capital": "1000000", "registered_capital_currency": "CNY", "country": "CN"}
    response = client.post(reverse("customers:customer_create"), data)
    customer = Customer.objects.get()
    assert response.status_code == 302 and customer.relationship_manager == users["rm"]
    response = client.post(reverse("customers:customer_edit", args=[customer.pk]), {**data, "name": "改名有限公司"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "改名有限公司"


def test_statement_form_refusal_keeps_input(users, client_for, make_customer):
    from .test_statement_lines import LINES

    customer = make_customer()
    data = {"period_end": "2023-12-31", "period_type": "annual", "audited": "on", "currency": "CNY", "unit": "1",
            "auditor": "某会计师事务所", "audit_opinion": "unqualified",
            **{f"lines.{code}": value for code, value in LINES.items()}}
    data["lines.BS399"] = "123.45"
    response = client_for(users["rm"]).post(reverse("customers:statement_create", args=[customer.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "123.45" in page and "invalid-feedback" in page and "(BS399)" in page
    assert not FinancialStatement.objects.exists()
    data["lines.BS399"] = "500"
    response = client_for(users["rm"]).post(reverse("customers:statement_create", args=[customer.pk]), data)
    assert response.status_code == 302
    assert FinancialStatement.objects.get().lines["BS199"] == "1000"


def test_import_page_lists_bad_rows(users, client_for, make_customer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from customers import statement_io

    customer = make_customer()
    header = ",".join(statement_io.COLUMNS)
    good = dict.fromkeys(statement_io.COLUMNS, "") | {"period_end": "2023-12-31", "total_assets": "100",
                                                      "total_liabilities": "40", "equity": "60"}
    bad = dict(good, period_end="2022-12-31", equity="10")
    body = "\n".join([header, ",".join(good[c] for c in statement_io.COLUMNS), ",".join(bad[c] for c in statement_io.COLUMNS)])
    client = client_for(users["rm"])
    response = client.post(reverse("customers:statement_import", args=[customer.pk]),
                           {"file": SimpleUploadedFile("s.csv", body.encode(), content_type="text/csv")})
    assert response.status_code == 200
    assert "Row 3" in response.content.decode() or "第 3 行" in response.content.decode()
    assert not FinancialStatement.objects.exists()
    for fmt in ("csv", "xlsx"):
        assert client.get(reverse("customers:statement_template", args=[fmt])).status_code == 200


def test_every_tab_renders(users, client_for, make_customer, make_statement):
    customer = make_customer()
    make_statement(customer, year=2022)
    make_statement(customer, year=2023)
    services.contact_create(actor=users["rm"], customer=customer, name="联系人", is_primary=True)
    services.negative_record_create(actor=users["rm"], customer=customer, kind="litigation",
                                    occurred_on=dt.date(2024, 1, 5), source="法院")
    client = client_for(users["analyst"])
    for tab in ["profile", "financials", "ratios", "documents", "contacts", "negative", "history"]:
        response = client.get(reverse("customers:customer_detail", args=[customer.pk]) + f"?tab={tab}")
        assert response.status_code == 200, tab
    assert client.get(reverse("customers:customer_detail", args=[customer.pk]) + "?tab=nope").status_code == 404


def test_registered_tabs_are_lazy_and_permission_checked(users, client_for, make_customer):
    customer = make_customer()
    calls = []

    def context_fn(customer, user):
        calls.append((customer.pk, user.username))
        return {"greeting": "来自更高层应用"}

    tabs.register_tab("extra", "Extra", "customers/tabs/profile.html", context_fn, order=500)
    tabs.register_tab("secret", "Secret", "customers/tabs/profile.html", context_fn,
                      permission="audit.export_auditevent", order=501)
    try:
        client = client_for(users["rm"])
        page = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
        assert "?tab=extra" in page and "?tab=secret" not in page
        assert calls == []
        assert client.get(reverse("customers:customer_detail", args=[customer.pk]) + "?tab=extra").status_code == 200
        assert calls == [(customer.pk, "rm")]
        assert client.get(reverse("customers:customer_detail", args=[customer.pk]) + "?tab=secret").status_code == 404
    finally:
        tabs.unregister_tab("extra")
        tabs.unregister_tab("secret")


def test_reassign_page_for_risk_admin(users, client_for, make_customer):
    customer = make_customer()
    assert client_for(users["rm"]).get(reverse("customers:customer_reassign", args=[customer.pk])).status_code == 403
    client = client_for(users["riskadmin"])
    response = client.post(reverse("customers:customer_reassign", args=[customer.pk]),
                           {"relationship_manager": users["rm2"].pk})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.relationship_manager == users["rm2"]


def test_groups_pages(users, client_for, make_customer):
    client = client_for(users["rm"])
    response = client.post(reverse("customers:group_create"), {"name": "关联集团", "notes": ""})
    assert response.status_code == 302
    from customers.models import CustomerGroup

    group = CustomerGroup.objects.get()
    make_customer(group=group, group_relation="subsidiary", name="集团成员有限公司")
    assert "集团成员有限公司" in client.get(reverse("customers:group_detail", args=[group.pk])).content.decode()
    assert client.get(reverse("customers:group_list")).status_code == 200


def _fill(users, make_customer, make_statement, count, tag):
    group = services.group_create(actor=users["rm"], name=f"集团{tag}")
    for i in range(count):
        customer = make_customer(name=f"客户{i:03d}有限公司", manager=users["rm"] if i % 2 else users["rm2"])
        # a group spanning two portfolios: a relationship manager may pick only the groups they can see
        Customer.objects.filter(pk=customer.pk).update(group=group, group_relation="subsidiary")
        if i % 3 == 0:
            make_statement(customer)


def test_list_page_constant_queries(users, client_for, make_customer, make_statement, django_assert_max_num_queries):
    """5 rows and 50 rows on one page: the same number of queries (and few)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(users["analyst"])
    url = reverse("customers:customer_list") + "?page_size=100&ordering=-latest_statement&status=active"
    client.get(url)  # warm the permission set this process remembers (core.permcache)
    counts = []
    for total in (5, 50):
        _fill(users, make_customer, make_statement, total - Customer.objects.count(), total)
        with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert response.context["paginator"].count == total
        assert len(response.context["object_list"]) == total
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_detail_page_constant_queries(users, client_for, make_customer, make_statement, django_assert_max_num_queries):
    customer = make_customer()
    for year in range(2015, 2024):
        make_statement(customer, year=year)
    client = client_for(users["analyst"])
    for tab in ["financials", "ratios"]:
        with django_assert_max_num_queries(12 + HEADER_QUERIES):
            client.get(reverse("customers:customer_detail", args=[customer.pk]) + f"?tab={tab}")


def test_home_panel_lists_files_to_update(users, client_for, make_customer, make_statement):
    stale = make_customer(name="过期报表有限公司")
    fresh = make_customer(name="最新报表有限公司")
    from creditportal.core import clock

    clock.set_today(dt.date(2024, 6, 1))
    make_statement(stale, year=2021)
    make_statement(fresh, year=2023)
    from customers.home import home_panels

    panel = home_panels(users["rm"])[0]
    labels = " ".join(i["label"] for i in panel["items"])
    assert "过期报表有限公司" in labels and "最新报表有限公司" not in labels
    assert home_panels(users["auditor"]) == []
    assert client_for(users["rm"]).get(reverse("home")).status_code == 200


def test_name_columns_say_name_of_a_company_in_chinese(users, client_for):
    """"Name" of a company is 名称; 姓名 (a person's name) is kept for the users list only."""
    page = client_for(users["rm"]).get(reverse("customers:customer_list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    text = page.content.decode()
    assert ">名称" in text and "姓名" not in text

    users_page = client_for(users["riskadmin"]).get(reverse("accounts:user_list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert users_page.status_code == 200 and "姓名" in users_page.content.decode()


def test_history_tab_reads_as_labels_and_keeps_deleted_documents(users, client_for, make_customer, settings, tmp_path):
    """The history showed Python dicts of field codes ({'status': 'suspended'}) and lost a document once deleted."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    customer = make_customer(status="prospect")
    services.customer_update(actor=users["rm"], customer=customer, status="active")
    document = services.document_upload(actor=users["rm"], customer=customer, doc_type="business_licence",
                                        uploaded_file=SimpleUploadedFile("licence.pdf", b"%PDF-1.4 x",
                                                                         content_type="application/pdf"),
                                        title="营业执照", expires_on=None)
    services.document_delete(actor=users["rm"], document=document)
    page = client_for(users["rm"]).get(reverse("customers:customer_detail", args=[customer.pk]) + "?tab=history",
                                       HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "潜在客户 → 正常" in page                                  # the status by its label, before → after
    assert "潜在客户 → 启用" not in page                              # customers' "Active", not accounts' (a user)
    assert "变更历史" in page                                          # the tab by customers' word, not the admin's 历史
    assert "{&#x27;" not in page and "&#x27;status&#x27;" not in page    # no dict dumps
    assert "customers.customer #" not in page
    assert page.count("licence.pdf") >= 2                               # uploaded and deleted: both listed


def test_history_tab_shows_an_import_of_statements(users, client_for, make_customer):
    """An import's event lists the file and the statements it created (a reverse relation: was a 500)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from customers import statement_io

    customer = make_customer()
    header = ",".join(statement_io.COLUMNS)
    row = {"period_end": "2024-12-31", "total_assets": "1000", "total_liabilities": "600", "equity": "400"}
    body = header + "\n" + ",".join(row.get(c, "") for c in statement_io.COLUMNS) + "\n"
    created = services.statements_import(actor=users["rm"], customer=customer,
                                         uploaded_file=SimpleUploadedFile("fy2024.csv", body.encode()))
    response = client_for(users["rm"]).get(reverse("customers:customer_detail", args=[customer.pk]) + "?tab=history",
                                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    page = response.content.decode()
    assert "导入报表" in page and "fy2024.csv" in page and "statements_import" not in page
    assert f"{created[0].pk}" in page


def test_financials_tab_groups_the_amounts(users, client_for, make_customer, make_statement):
    customer = make_customer()
    make_statement(customer, unit=10000, total_assets="1234567", total_liabilities="234567", equity="1000000",
                   current_assets=None, cash=None, receivables=None, inventory=None, current_liabilities=None,
                   short_term_debt=None, long_term_debt=None)
    page = client_for(users["rm"]).get(reverse("customers:customer_detail", args=[customer.pk]) + "?tab=financials")
    text = page.content.decode()
    assert "1,234,567.00" in text and "1234567.00" not in text   # in 万元, grouped


def test_top_bar_search_finds_the_customer(users, client_for, make_customer):
    """The search box of the top bar ("Customer name or credit code") sent ?q=, which the list ignored: every
    customer was listed and the list's own search box stayed empty."""
    wanted, other = make_customer(name="上海搜索测试有限公司"), make_customer(name="别的客户有限公司")
    client = client_for(users["rm"])
    response = client.get(reverse("customers:customer_list"), {"q": wanted.credit_code}, follow=True)
    page = response.content.decode()
    assert wanted.name in page and other.name not in page
    assert f'value="{wanted.credit_code}"' in page            # shown in the list's search box
    by_name = client.get(reverse("customers:customer_list"), {"q": "搜索测试"}, follow=True).content.decode()
    assert wanted.name in by_name and other.name not in by_name
