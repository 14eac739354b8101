"""What the translator of an app wrote is what its pages show.

Django merges every app's catalogue into one, and for the same msgid (and context) the app listed first in
INSTALLED_APPS wins: collection's "Start" (开始处理, a case) showed credit's "起始日" (a start date), its "Letter"
showed ratings' "大类", monitoring's provision "rate" showed "汇率" and a rule's "Name" accounts' "姓名". A string
whose meaning differs from another app's takes a context (pgettext / ``{% translate … context … %}``)."""
from django.utils import translation

# The check over every entry of every catalogue is tests/creditportal/test_translations.py
# (test_every_translation_of_the_app_is_the_one_shown); these are the words people saw wrong.


def test_the_words_people_saw_wrong(client_for, users):
    """Spot checks of the strings named above, as the pages render them."""
    from collection.models import ActivityKind, CaseState, InvoiceStatus, WriteOffState
    from monitoring.models import ProvisionRate

    with translation.override("zh-hans"):
        assert str(CaseState.OPEN.label) == "待处理" and str(InvoiceStatus.OPEN.label) == "未结清"
        assert str(ActivityKind.LETTER.label) == "信函"
        assert str(WriteOffState.PROPOSED.label) == "待审批"
        assert str(ProvisionRate._meta.get_field("rate").verbose_name) == "计提比例"
        assert translation.pgettext("collection case", "Start") == "开始处理"
        assert translation.pgettext("warning rule", "Name") == "名称"
        assert translation.pgettext("difference", "Change") == "变动"  # Django admin's 修改 is "edit"
