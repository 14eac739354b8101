"""The shipped warning rules and provision rates (used by the data migration and by tests).

Plain data: a risk admin changes thresholds, severities and the enabled flag on the rules page; the
codes stay, so a re-run of the migration never duplicates a rule.
"""
from decimal import Decimal

# code, name, metric, comparison, threshold, window_days, periods, severity, recommended action, description
DEFAULT_RULES = [
    ("overdue-30", "Invoices overdue more than 30 days", "overdue_days", ">", "30", 0, 6, "high", "reduce_limit",
     "The oldest open invoice is more than N days past due."),
    ("overdue-90", "Invoices overdue more than 90 days", "overdue_days", ">", "90", 0, 6, "critical", "suspend",
     "The oldest open invoice is more than 90 days past due: the exposure is substandard or worse."),
    ("utilisation-90", "Limit utilisation above 90%", "utilisation", ">", "0.90", 0, 6, "medium", "reduce_limit",
     "Open invoices and reserved orders use more than X of the customer's active limits."),
    ("rating-downgrade", "Rating downgraded by 2 notches or more", "downgrade_notches", ">=", "2", 365, 6, "high",
     "reduce_limit", "The last approved rating is N notches or more below the one it replaced (within the window)."),
    ("downgrade-proposed", "Downgrade proposed", "downgrade_proposed", ">=", "1", 0, 6, "medium", "rerate",
     "A proposed or submitted rating is at least N notches below the current grade."),
    ("current-ratio-drop", "Current ratio down more than 20% year on year", "current_ratio_change", "<", "-0.20",
     0, 6, "medium", "rerate", "The current ratio of the latest annual statement against the previous year's."),
    ("negative-equity", "Negative equity", "equity", "<", "0", 0, 6, "critical", "suspend",
     "The latest statement shows negative owners' equity."),
    ("loss-after-profit", "A loss after a profit", "loss_after_profit", ">=", "1", 0, 6, "high", "rerate",
     "The latest annual statement shows a net loss where the previous year showed a profit."),
    ("order-volume-z", "Order volume far from its trailing average", "order_volume_z", ">", "3", 30, 6, "medium",
     "none", "The absolute z-score of the last window's order volume against the trailing windows."),
    ("large-orders-late-payment", "Large orders while payments are late", "large_orders_late", ">", "1.5", 30, 6,
     "high", "reduce_limit", "订单量大但付款不及时: order volume z-score above the threshold while an invoice is overdue."),
    ("new-negative-record", "New negative record", "negative_records", ">", "0", 30, 6, "high", "rerate",
     "A negative record (litigation, penalty, default elsewhere) dated within the window."),
    ("review-overdue", "Rating review overdue", "review_overdue_days", ">", "0", 0, 6, "medium", "rerate",
     "The current rating is past its next-review date."),
    ("facility-near-expiry", "Facility expires within 30 days", "facility_expiry_days", "<=", "30", 0, 6, "low",
     "none", "An active facility expires within N days."),
    ("covenant-breached", "Covenant breached", "covenant_breaches", ">", "0", 90, 6, "high", "rerate",
     "A covenant breach was recorded within the window."),
    ("collateral-coverage", "Collateral coverage below the policy's requirement", "collateral_coverage_gap", ">",
     "0", 0, 6, "high", "ask_collateral",
     "Lendable collateral value over the limit is below the coverage the credit policy requires for the grade."),
    ("revaluation-overdue", "Collateral revaluation overdue", "revaluation_overdue_days", ">", "0", 0, 6, "medium",
     "ask_collateral", "A collateral of an open facility is past its revaluation date."),
    ("revaluation-due", "Collateral revaluation due within 30 days", "revaluation_due_days", "<=", "30", 0, 6,
     "low", "ask_collateral", "A collateral of an open facility falls due for revaluation within N days."),
    ("document-expired", "Document expired", "expired_documents", ">", "0", 0, 6, "low", "none",
     "A document of the credit file is past its expiry date."),
    # issue 23: shipped disabled (SHIPPED_DISABLED); a risk administrator enables them (four-eyes)
    ("limit-under-used", "Limit used far below its size", "limit_usage_average", "<", "0.20", 0, 6, "low",
     "reduce_limit", "The average month-end usage over the last N months is below X of the limits held since "
     "then: lower the limit (orders stay far below it)."),
    ("payment-pattern-change", "Payment pattern changed sharply", "payment_pattern_change", ">=", "15", 90, 4,
     "medium", "rerate", "The average days paid after the due date (early payment negative) of the last window "
     "moved by N days or more against the windows before: a good payer suddenly paying everything early, or "
     "the opposite."),
    ("insurer-notice-due", "Notify the insurer of an overdue invoice", "insurer_notice_days_left", "<=", "0", 0, 6,
     "high", "none", "An insured invoice reaches the policy's notification deadline (N days past due) without a "
     "notification to the insurer: notify it today, or the cover is lost. Raise the threshold to warn earlier."),
    ("insurer-claim-due", "File the insurance claim", "insurer_claim_days_left", "<=", "15", 0, 6, "medium", "none",
     "An insured overdue invoice without a claim is within N days of the policy's claim filing deadline."),
    # outside credit information (creditinfo): a change an import found, detected within the window
    ("outside-dishonest", "New dishonest judgement debtor record", "outside_new_dishonest", ">", "0", 30, 6, "high",
     "suspend", "An import of outside information shows a 失信被执行人 record not seen before."),
    ("outside-bankruptcy", "New bankruptcy record", "outside_new_bankruptcy", ">", "0", 30, 6, "high", "suspend",
     "An import of outside information shows a bankruptcy record not seen before."),
    ("outside-registration-status", "Registration status not active", "outside_registration_status", ">", "0", 30,
     6, "high", "suspend", "The business registration's status is 吊销 or 注销 (not 存续)."),
    ("outside-controller-changed", "Actual controller changed", "outside_controller_changed", ">", "0", 30, 6,
     "medium", "rerate", "The actual controller in the business registration differs from the one before."),
    ("outside-equity-pledge", "New equity pledge", "outside_new_equity_pledge", ">", "0", 30, 6, "medium", "rerate",
     "An import of outside information shows an equity pledge not seen before."),
    ("outside-chattel-mortgage", "New chattel mortgage", "outside_new_chattel_mortgage", ">", "0", 30, 6, "low",
     "none", "An import of outside information shows a chattel mortgage not seen before."),
    ("outside-enforcement", "New enforcement record or lawsuit", "outside_new_enforcement", ">", "0", 30, 6,
     "medium", "rerate", "被执行人, 限制高消费 or a lawsuit as defendant not seen before."),
    ("outside-penalty", "New administrative penalty", "outside_new_penalty", ">", "0", 30, 6, "low", "none",
     "An import of outside information shows an administrative penalty not seen before."),
    ("outside-tax-downgrade", "Tax credit rating lowered", "outside_tax_downgraded", ">", "0", 30, 6, "medium",
     "rerate", "The latest tax credit rating is worse than the one before (or C or D)."),
    ("outside-credit-overdue", "Overdue amount up in the credit report", "outside_credit_overdue_up", ">", "0", 30,
     6, "high", "reduce_limit", "The central bank's credit report shows more overdue than the one before."),
]
# Shipped but not enabled: they need the customer's history to mean something; the risk administrator turns them on.
SHIPPED_DISABLED = {"limit-under-used", "payment-pattern-change"}

# A rule's name and description in Chinese (``name``, ``description``) and in English (``name_en``,
# ``description_en``): pages show the reader's (``creditportal.core.naming``). Before the English fields existed
# the shipped rules carried both run together ("中文 English", ``bilingual``; migrations 0002 and 0006).
CHINESE = {
    "overdue-30": ("逾期超过 30 天", "最早未结发票逾期超过 N 天。"),
    "overdue-90": ("逾期超过 90 天", "最早未结发票逾期超过 90 天：敞口为次级或更差。"),
    "utilisation-90": ("额度使用率超过 90%", "未结发票和已占用订单超过客户有效额度的 X。"),
    "rating-downgrade": ("评级下调 2 级或以上", "最近核准的评级比其替代的评级低 N 级或以上（窗口期内）。"),
    "downgrade-proposed": ("拟下调评级", "拟定或已提交的评级比当前等级低至少 N 级。"),
    "current-ratio-drop": ("流动比率同比下降超过 20%", "最新年报的流动比率与上一年相比。"),
    "negative-equity": ("所有者权益为负", "最新报表显示所有者权益为负。"),
    "loss-after-profit": ("由盈转亏", "最新年报出现净亏损，而上一年为盈利。"),
    "order-volume-z": ("订单量偏离历史均值", "最近窗口期订单量相对历史各窗口期的 Z 值（绝对值）。"),
    "large-orders-late-payment": ("订单量大但付款不及时", ""),
    "new-negative-record": ("新增负面记录", "窗口期内新增的负面记录（诉讼、处罚、其他违约）。"),
    "review-overdue": ("评级复审逾期", "当前评级已过下次复审日期。"),
    "facility-near-expiry": ("授信额度 30 天内到期", "有效授信额度在 N 天内到期。"),
    "covenant-breached": ("违反约定条款", "窗口期内记录了违反约定条款。"),
    "collateral-coverage": ("担保覆盖率低于政策要求", "可抵押价值与额度之比低于授信政策对该等级要求的覆盖率。"),
    "revaluation-overdue": ("押品重估逾期", "有效授信额度的押品已过重估日期。"),
    "revaluation-due": ("押品 30 天内需重估", "有效授信额度的押品在 N 天内到重估日期。"),
    "document-expired": ("文件过期", "信用档案中的文件已过有效期。"),
    "limit-under-used": ("额度长期使用不足", "最近 N 个月末的平均使用率低于期间所持额度的 X：应调低额度（订单远低于额度）。"),
    "payment-pattern-change": ("付款模式突变", "最近窗口期的平均付款天数（提前付款为负）与此前各窗口期相比变动 N 天或以上："
                               "好客户突然全部提前付款，或相反。"),
    "insurer-notice-due": ("通知保险人逾期发票", "已投保发票到达保单规定的报损期限（逾期 N 天）仍未通知保险人：须当天通知，否则失去保障。"),
    "insurer-claim-due": ("向保险人提出索赔", "未索赔的已投保逾期发票距保单索赔期限不足 N 天。"),
    "outside-dishonest": ("新增失信被执行人记录", "外部信息导入显示此前未见的失信被执行人记录。"),
    "outside-bankruptcy": ("新增破产记录", "外部信息导入显示此前未见的破产记录。"),
    "outside-registration-status": ("登记状态非存续", "工商登记状态为吊销或注销（非存续）。"),
    "outside-controller-changed": ("实际控制人变更", "工商登记的实际控制人与此前不同。"),
    "outside-equity-pledge": ("新增股权出质", "外部信息导入显示此前未见的股权出质。"),
    "outside-chattel-mortgage": ("新增动产抵押", "外部信息导入显示此前未见的动产抵押。"),
    "outside-enforcement": ("新增被执行或诉讼记录", "此前未见的被执行人、限制高消费或作为被告的诉讼。"),
    "outside-penalty": ("新增行政处罚", "外部信息导入显示此前未见的行政处罚。"),
    "outside-tax-downgrade": ("纳税信用等级下降", "最新纳税信用等级比此前差（或为 C、D 级）。"),
    "outside-credit-overdue": ("征信报告逾期金额上升", "人民银行征信报告显示的逾期金额高于此前。"),
}

DEFAULT_RATES = {
    "normal": Decimal("0.0100"),
    "special_mention": Decimal("0.0200"),
    "substandard": Decimal("0.2500"),
    "doubtful": Decimal("0.5000"),
    "loss": Decimal("1.0000"),
}


def bilingual(code, name, description):
    """The shipped (name, description) of rule ``code``: the Chinese text before the English one."""
    zh_name, zh_description = CHINESE.get(code, ("", ""))
    return (f"{zh_name} {name}".strip(), f"{zh_description} {description}".strip())


def two_languages(code, name, description):
    """The shipped (name, name_en, description, description_en) of rule ``code``."""
    zh_name, zh_description = CHINESE.get(code, ("", ""))
    return (zh_name or name, name if zh_name else "", zh_description or description,
            description if zh_description else "")


def rule_dicts(*, legacy=False):
    """The shipped rules as field values; ``legacy``: in the shape of migration 0002 (one name field)."""
    keys = ["code", "name", "metric", "comparison", "threshold", "window_days", "periods", "severity",
            "recommended_action", "description"]
    for row in DEFAULT_RULES:
        data = dict(zip(keys, row))
        data["threshold"] = Decimal(data["threshold"])
        if legacy:
            data["name"], data["description"] = bilingual(data["code"], data["name"], data["description"])
        else:
            data["name"], data["name_en"], data["description"], data["description_en"] = two_languages(
                data["code"], data["name"], data["description"])
        if data["code"] in SHIPPED_DISABLED:
            data["enabled"] = False
        yield data


def ensure_defaults(warning_rule_model, provision_rate_model):
    """Create the shipped rules and rates that are missing (keyed by code and tier; never overwrites)."""
    for data in rule_dicts():
        code = data.pop("code")
        warning_rule_model.objects.get_or_create(code=code, defaults=data)
    for tier, rate in DEFAULT_RATES.items():
        provision_rate_model.objects.get_or_create(tier=tier, defaults={"rate": rate})
