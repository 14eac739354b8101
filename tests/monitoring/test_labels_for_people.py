"""Pages show labels, not internal keys: the dashboard's aging panel and an alert's details (in Chinese)."""
import re

import pytest
from django.utils import translation
from django.urls import reverse

from monitoring import services
from monitoring.models import Alert

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_dashboard_aging_panel_shows_bucket_labels(build, system, users, client_for):
    customer = build.customer()
    build.invoice(customer, "1000", days_past_due=45)
    services.provision_run(actor=system, period=TODAY)
    response = client_for(users["riskadmin"]).get(reverse("monitoring:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    panel = html[html.index('id="h-aging"'):]
    panel = panel[:panel.index("</section>")]
    links = re.findall(r'<a href="[^"]*bucket=[^"]*">([^<]*)</a>', panel)
    labels = ["未到期", "1–30 天", "31–60 天", "61–90 天", "91–180 天", "181–360 天", "360 天以上"]
    assert links == labels
    assert response.context["chart_data"]["aging"]["labels"] == labels  # the chart's axis too


def test_alert_detail_labels_its_figures(build, system, users, client_for):
    customer = build.customer()
    build.invoice(customer, "1000", days_past_due=45)
    services.alerts_evaluate(actor=system, customer_ids=[customer.pk])
    alert = Alert.objects.get(customer=customer, rule__code="overdue-30")
    assert "oldest_due_date" in alert.detail
    html = client_for(users["analyst"]).get(reverse("monitoring:alert_detail", args=[alert.pk]),
                                            HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "oldest_due_date" not in html
    assert "最早逾期发票的到期日" in html


def test_alert_offers_only_the_actions_the_user_may_start(build, system, users, client_for):
    """The action list offered every recommended action (suspend deliveries to a collector, who was then
    refused); now each user sees the ones their role may start, and the new limit only with a reduction."""
    customer = build.customer()
    build.invoice(customer, "1000", days_past_due=100)
    services.alerts_evaluate(actor=system, customer_ids=[customer.pk])
    alert = Alert.objects.get(customer=customer, rule__code="overdue-90")
    assert alert.recommended_action == "suspend"
    url = reverse("monitoring:alert_detail", args=[alert.pk])

    def offered(user):
        html = client_for(user).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        form = html[html.index(reverse("monitoring:alert_action", args=[alert.pk])):]
        form = form[:form.index("</form>")]
        return re.findall(r'<option value="([a-z_]+)"', form), 'name="new_limit"' in form

    assert offered(users["collector"]) == (["ask_collateral"], False)
    actions, new_limit = offered(users["approver1"])
    assert set(actions) == {"suspend", "reduce_limit", "ask_collateral"} and new_limit
    # a crafted post of an action the collector may not start changes nothing
    client_for(users["collector"]).post(reverse("monitoring:alert_action", args=[alert.pk]), {"action": "suspend"})
    alert.refresh_from_db()
    assert alert.status == "open" and not alert.action_taken


def test_shipped_rules_read_in_both_languages_and_renamed_ones_are_kept(users, client_for):
    """The shipped rules' names and descriptions were English only, on every alert of the Chinese UI."""
    from importlib import import_module

    from django.apps import apps

    from monitoring.defaults import DEFAULT_RULES
    from monitoring.models import WarningRule

    rule = WarningRule.objects.get(code="overdue-90")
    assert rule.name == "逾期超过 90 天" and rule.name_en == "Invoices overdue more than 90 days"
    assert rule.description.startswith("最早未结发票逾期超过 90 天")
    assert rule.description_en.startswith("The oldest open invoice is more than 90 days past due")
    english = {row[0]: (row[1], row[-1]) for row in DEFAULT_RULES}
    assert all("\u4e00" <= r.name[0] <= "\u9fff" for r in WarningRule.objects.filter(code__in=english))
    html = client_for(users["analyst"]).get(reverse("monitoring:rule_list"), HTTP_ACCEPT_LANGUAGE="zh-hans"
                                            ).content.decode()
    assert "逾期超过 90 天" in html and "额度使用率超过 90%" in html
    assert "Invoices overdue more than 90 days" not in html  # never both run together
    # the data migrations: an untouched English rule gets both languages (0006 runs them together, 0011
    # splits them into the two fields), a renamed one keeps its name
    WarningRule.objects.filter(code="overdue-30").update(name=english["overdue-30"][0], name_en="",
                                                         description=english["overdue-30"][1], description_en="")
    WarningRule.objects.filter(code="negative-equity").update(name="资不抵债 (our wording)", name_en="")
    import_module("monitoring.migrations.0006_bilingual_default_rule_names").forwards(apps, None)
    assert WarningRule.objects.get(code="overdue-30").name == "逾期超过 30 天 Invoices overdue more than 30 days"
    import_module("monitoring.migrations.0011_rule_names_in_two_languages").forwards(apps, None)
    overdue_30 = WarningRule.objects.get(code="overdue-30")
    assert (overdue_30.name, overdue_30.name_en) == ("逾期超过 30 天", "Invoices overdue more than 30 days")
    assert overdue_30.description == "最早未结发票逾期超过 N 天。"
    assert WarningRule.objects.get(code="negative-equity").name == "资不抵债 (our wording)"
    with translation.override("en"):
        assert str(overdue_30) == "Invoices overdue more than 30 days"
    with translation.override("zh-hans"):
        assert str(overdue_30) == "逾期超过 30 天"


def test_exposure_list_names_its_filters_and_industries(build, system, users, client_for):
    """The list reached from the dashboard showed its filters as "bucket: d1_30" and the industry as "C"."""
    customer = build.customer(industry="C")
    build.invoice(customer, "1000", days_past_due=10)
    client = client_for(users["riskadmin"])
    html = client.get(reverse("monitoring:exposure_list") + "?bucket=d1_30&grade=NR",
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    badges = re.findall(r'<span class="badge text-bg-light me-1">([^<]*)</span>', html)
    assert badges == ["等级: 未评级", "账龄: 1–30 天"]
    row = html[html.index(customer.name):]
    assert "<td>制造业</td>" in row[:400]


def test_dashboard_and_exposure_say_which_currencies_have_no_rate(build, system, users, client_for):
    """An invoice in a currency without an FX rate counted as 0 in the dashboard's and the exposure list's
    totals without a word (the aging page warned); both now name the currency."""
    from creditportal.models import FxRate

    customer = build.customer()
    build.invoice(customer, "1000", days_past_due=10, currency="GBP")
    build.invoice(customer, "500", days_past_due=10, currency="CNY")
    client = client_for(users["riskadmin"])
    for name in ("monitoring:dashboard", "monitoring:exposure_list"):
        html = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        warning = html[html.index('id="missing-rates"'):]
        warning = warning[:warning.index("</div>")]
        assert warning.endswith("left out of the totals: GBP")
    FxRate.objects.create(base_currency="GBP", quote_currency="CNY", rate="9.05", valid_on=TODAY)
    html = client.get(reverse("monitoring:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="missing-rates"' not in html
