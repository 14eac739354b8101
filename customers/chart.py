"""The chart of statement lines: the general enterprise format (一般企业财务报表格式, as revised in 2019).

Plain Python (no Django; an import-linter contract keeps it so): the data of every line of the balance sheet
(资产负债表), the income statement (利润表) and the cash-flow statement (现金流量表) — its code, Chinese and
English name, the subtotal it adds into (``parent``) with its sign, and whether it is a subtotal, a line or an
"of which" memo line (``memo``: shown under its parent, never summed). The rules (``customers.rules``), the
entry page, the import and the tables read it; nothing else lists lines.

Codes: ``BS`` balance sheet (1xx assets, 2xx liabilities, 3xx equity), ``IS`` income statement, ``CF`` cash
flow; a code never changes meaning (the stored statements are ``{code: amount}``).

``KEY_FIGURES`` maps the key-figure columns of ``FinancialStatement`` (the ~20 items statements had before the
detailed chart) to the codes they are: the data migration and ``lines_from_key_figures`` use it, and the model
copies those lines into the columns on save so set-wise SQL (peers, monitoring metrics) reads them directly.
"""
from __future__ import annotations

from dataclasses import dataclass

BALANCE_SHEET = "balance_sheet"
INCOME_STATEMENT = "income_statement"
CASH_FLOW = "cash_flow"
STATEMENTS = [BALANCE_SHEET, INCOME_STATEMENT, CASH_FLOW]

LINE, SUBTOTAL, MEMO = "line", "subtotal", "memo"


@dataclass(frozen=True)
class Line:
    code: str
    zh: str
    en: str
    statement: str
    kind: str = LINE
    parent: str | None = None  # the subtotal this line adds into (a memo line: the line it details)
    sign: int = 1  # +1 adds, -1 subtracts ("减：")
    section: str = ""  # the heading it is shown under
    synonyms: tuple[str, ...] = ()  # other names analysts' sheets use (either language)
    may_be_negative: bool = False


def _bs(code, zh, en, parent=None, kind=LINE, sign=1, section="", synonyms=(), negative=False):
    return Line(code, zh, en, BALANCE_SHEET, kind, parent, sign, section, tuple(synonyms), negative)


def _is(code, zh, en, parent=None, kind=LINE, sign=1, section="", synonyms=(), negative=False):
    return Line(code, zh, en, INCOME_STATEMENT, kind, parent, sign, section, tuple(synonyms), negative)


def _cf(code, zh, en, parent=None, kind=LINE, sign=1, section="", synonyms=(), negative=False):
    return Line(code, zh, en, CASH_FLOW, kind, parent, sign, section, tuple(synonyms), negative)


CA, NCA, CL, NCL, EQ = "current_assets", "non_current_assets", "current_liabilities", "non_current_liabilities", \
    "equity"
_balance = [
    # 流动资产
    _bs("BS101", "货币资金", "Cash and cash equivalents", "BS119", section=CA,
        synonyms=("现金及现金等价物", "现金", "银行存款", "Monetary funds", "Cash", "Cash at bank and on hand")),
    _bs("BS102", "交易性金融资产", "Held-for-trading financial assets", "BS119", section=CA,
        synonyms=("以公允价值计量且其变动计入当期损益的金融资产", "Trading financial assets")),
    _bs("BS103", "衍生金融资产", "Derivative financial assets", "BS119", section=CA),
    _bs("BS104", "应收票据", "Notes receivable", "BS119", section=CA, synonyms=("Bills receivable",)),
    _bs("BS105", "应收账款", "Accounts receivable", "BS119", section=CA,
        synonyms=("应收帐款", "Trade receivables", "Receivables")),
    _bs("BS106", "应收款项融资", "Receivables financing", "BS119", section=CA),
    _bs("BS107", "预付款项", "Prepayments", "BS119", section=CA, synonyms=("预付账款", "Advances to suppliers")),
    _bs("BS108", "其他应收款", "Other receivables", "BS119", section=CA),
    _bs("BS109", "存货", "Inventories", "BS119", section=CA, synonyms=("Inventory", "Stock")),
    _bs("BS110", "合同资产", "Contract assets", "BS119", section=CA),
    _bs("BS111", "持有待售资产", "Assets held for sale", "BS119", section=CA),
    _bs("BS112", "一年内到期的非流动资产", "Non-current assets due within one year", "BS119", section=CA),
    _bs("BS113", "其他流动资产", "Other current assets", "BS119", section=CA),
    _bs("BS119", "流动资产合计", "Total current assets", "BS199", SUBTOTAL, section=CA,
        synonyms=("流动资产", "Current assets")),
    # 非流动资产
    _bs("BS120", "债权投资", "Debt investments", "BS139", section=NCA, synonyms=("持有至到期投资",)),
    _bs("BS121", "其他债权投资", "Other debt investments", "BS139", section=NCA,
        synonyms=("可供出售金融资产",)),
    _bs("BS122", "长期应收款", "Long-term receivables", "BS139", section=NCA),
    _bs("BS123", "长期股权投资", "Long-term equity investments", "BS139", section=NCA),
    _bs("BS124", "其他权益工具投资", "Investments in other equity instruments", "BS139", section=NCA),
    _bs("BS125", "其他非流动金融资产", "Other non-current financial assets", "BS139", section=NCA),
    _bs("BS126", "投资性房地产", "Investment property", "BS139", section=NCA),
    _bs("BS127", "固定资产", "Fixed assets", "BS139", section=NCA,
        synonyms=("Property, plant and equipment", "PP&E")),
    _bs("BS128", "在建工程", "Construction in progress", "BS139", section=NCA),
    _bs("BS129", "生产性生物资产", "Productive biological assets", "BS139", section=NCA),
    _bs("BS130", "油气资产", "Oil and gas assets", "BS139", section=NCA),
    _bs("BS131", "使用权资产", "Right-of-use assets", "BS139", section=NCA),
    _bs("BS132", "无形资产", "Intangible assets", "BS139", section=NCA),
    _bs("BS133", "开发支出", "Development expenditure", "BS139", section=NCA),
    _bs("BS134", "商誉", "Goodwill", "BS139", section=NCA),
    _bs("BS135", "长期待摊费用", "Long-term prepaid expenses", "BS139", section=NCA),
    _bs("BS136", "递延所得税资产", "Deferred tax assets", "BS139", section=NCA),
    _bs("BS137", "其他非流动资产", "Other non-current assets", "BS139", section=NCA),
    _bs("BS139", "非流动资产合计", "Total non-current assets", "BS199", SUBTOTAL, section=NCA,
        synonyms=("非流动资产", "Non-current assets")),
    _bs("BS199", "资产总计", "Total assets", None, SUBTOTAL, section=NCA, synonyms=("资产合计", "总资产")),
    # 流动负债
    _bs("BS201", "短期借款", "Short-term borrowings", "BS219", section=CL, synonyms=("Short-term loans",)),
    _bs("BS202", "交易性金融负债", "Held-for-trading financial liabilities", "BS219", section=CL),
    _bs("BS203", "衍生金融负债", "Derivative financial liabilities", "BS219", section=CL),
    _bs("BS204", "应付票据", "Notes payable", "BS219", section=CL, synonyms=("Bills payable",)),
    _bs("BS205", "应付账款", "Accounts payable", "BS219", section=CL, synonyms=("应付帐款", "Trade payables")),
    _bs("BS206", "预收款项", "Advances from customers", "BS219", section=CL, synonyms=("预收账款",)),
    _bs("BS207", "合同负债", "Contract liabilities", "BS219", section=CL),
    _bs("BS208", "应付职工薪酬", "Employee benefits payable", "BS219", section=CL),
    _bs("BS209", "应交税费", "Taxes payable", "BS219", section=CL),
    _bs("BS210", "其他应付款", "Other payables", "BS219", section=CL),
    _bs("BS211", "持有待售负债", "Liabilities held for sale", "BS219", section=CL),
    _bs("BS212", "一年内到期的非流动负债", "Non-current liabilities due within one year", "BS219", section=CL),
    _bs("BS213", "其他流动负债", "Other current liabilities", "BS219", section=CL),
    _bs("BS219", "流动负债合计", "Total current liabilities", "BS249", SUBTOTAL, section=CL,
        synonyms=("流动负债", "Current liabilities")),
    # 非流动负债
    _bs("BS220", "长期借款", "Long-term borrowings", "BS229", section=NCL, synonyms=("Long-term loans",)),
    _bs("BS221", "应付债券", "Bonds payable", "BS229", section=NCL),
    _bs("BS222", "租赁负债", "Lease liabilities", "BS229", section=NCL),
    _bs("BS223", "长期应付款", "Long-term payables", "BS229", section=NCL),
    _bs("BS224", "预计负债", "Provisions", "BS229", section=NCL),
    _bs("BS225", "递延收益", "Deferred income", "BS229", section=NCL),
    _bs("BS226", "递延所得税负债", "Deferred tax liabilities", "BS229", section=NCL),
    _bs("BS227", "其他非流动负债", "Other non-current liabilities", "BS229", section=NCL),
    _bs("BS229", "非流动负债合计", "Total non-current liabilities", "BS249", SUBTOTAL, section=NCL,
        synonyms=("非流动负债", "Non-current liabilities")),
    _bs("BS249", "负债合计", "Total liabilities", "BS499", SUBTOTAL, section=NCL, synonyms=("负债总计", "总负债")),
    # 所有者权益
    _bs("BS301", "实收资本（或股本）", "Paid-in capital (or share capital)", "BS399", section=EQ,
        synonyms=("实收资本", "股本", "Share capital", "Paid-in capital")),
    _bs("BS302", "其他权益工具", "Other equity instruments", "BS399", section=EQ),
    _bs("BS303", "资本公积", "Capital reserve", "BS399", section=EQ, synonyms=("Capital surplus",)),
    _bs("BS304", "减：库存股", "Less: treasury shares", "BS399", sign=-1, section=EQ,
        synonyms=("库存股", "Treasury shares")),
    _bs("BS305", "其他综合收益", "Other comprehensive income", "BS399", section=EQ, negative=True),
    _bs("BS306", "专项储备", "Special reserve", "BS399", section=EQ),
    _bs("BS307", "盈余公积", "Surplus reserve", "BS399", section=EQ),
    _bs("BS308", "未分配利润", "Undistributed profits", "BS399", section=EQ, negative=True,
        synonyms=("Retained earnings",)),
    _bs("BS309", "少数股东权益", "Minority interests", "BS399", section=EQ, negative=True,
        synonyms=("Non-controlling interests",)),
    _bs("BS399", "所有者权益（或股东权益）合计", "Total owners' equity", "BS499", SUBTOTAL, section=EQ,
        negative=True, synonyms=("所有者权益合计", "股东权益合计", "所有者权益", "净资产", "Total equity",
                                 "Owners' equity", "Shareholders' equity", "Net assets")),
    _bs("BS499", "负债和所有者权益（或股东权益）总计", "Total liabilities and owners' equity", None, SUBTOTAL,
        section=EQ, synonyms=("负债和所有者权益总计", "负债及所有者权益总计", "Total liabilities and equity")),
]

OP, NONOP, NET, OCI = "operating", "non_operating", "net_profit", "comprehensive"
_income = [
    _is("IS101", "营业收入", "Operating revenue", "IS130", section=OP,
        synonyms=("一、营业收入", "营业总收入", "主营业务收入", "Revenue", "Sales", "Turnover")),
    _is("IS102", "减：营业成本", "Less: cost of sales", "IS130", sign=-1, section=OP,
        synonyms=("营业成本", "主营业务成本", "Cost of sales", "Cost of goods sold", "Operating costs")),
    _is("IS103", "税金及附加", "Taxes and surcharges", "IS130", sign=-1, section=OP,
        synonyms=("营业税金及附加",)),
    _is("IS104", "销售费用", "Selling expenses", "IS130", sign=-1, section=OP, synonyms=("Distribution costs",)),
    _is("IS105", "管理费用", "Administrative expenses", "IS130", sign=-1, section=OP),
    _is("IS106", "研发费用", "Research and development expenses", "IS130", sign=-1, section=OP),
    _is("IS107", "财务费用", "Finance costs", "IS130", sign=-1, section=OP, negative=True,
        synonyms=("Financial expenses",)),
    _is("IS108", "其中：利息费用", "of which: interest expense", "IS107", MEMO, section=OP,
        synonyms=("利息费用", "利息支出", "Interest expense")),
    _is("IS109", "利息收入", "of which: interest income", "IS107", MEMO, section=OP,
        synonyms=("Interest income",)),
    _is("IS110", "加：其他收益", "Add: other income", "IS130", section=OP, negative=True,
        synonyms=("其他收益", "Other income")),
    _is("IS111", "投资收益（损失以“-”号填列）", "Investment income (loss as negative)", "IS130", section=OP,
        negative=True, synonyms=("投资收益", "Investment income")),
    _is("IS112", "其中：对联营企业和合营企业的投资收益", "of which: share of associates and joint ventures",
        "IS111", MEMO, section=OP, negative=True),
    _is("IS113", "净敞口套期收益（损失以“-”号填列）", "Net exposure hedging gains (loss as negative)", "IS130",
        section=OP, negative=True, synonyms=("净敞口套期收益",)),
    _is("IS114", "公允价值变动收益（损失以“-”号填列）", "Gains from changes in fair value (loss as negative)",
        "IS130", section=OP, negative=True, synonyms=("公允价值变动收益",)),
    _is("IS115", "信用减值损失（损失以“-”号填列）", "Credit impairment losses (loss as negative)", "IS130",
        section=OP, negative=True, synonyms=("信用减值损失",)),
    _is("IS116", "资产减值损失（损失以“-”号填列）", "Asset impairment losses (loss as negative)", "IS130",
        section=OP, negative=True, synonyms=("资产减值损失",)),
    _is("IS117", "资产处置收益（损失以“-”号填列）", "Gains on disposal of assets (loss as negative)", "IS130",
        section=OP, negative=True, synonyms=("资产处置收益",)),
    _is("IS130", "营业利润（亏损以“-”号填列）", "Operating profit (loss as negative)", "IS150", SUBTOTAL,
        section=OP, negative=True, synonyms=("二、营业利润", "营业利润", "Operating profit")),
    _is("IS131", "加：营业外收入", "Add: non-operating income", "IS150", section=NONOP,
        synonyms=("营业外收入", "Non-operating income")),
    _is("IS132", "减：营业外支出", "Less: non-operating expenses", "IS150", sign=-1, section=NONOP,
        synonyms=("营业外支出", "Non-operating expenses")),
    _is("IS150", "利润总额（亏损总额以“-”号填列）", "Profit before tax (loss as negative)", "IS170", SUBTOTAL,
        section=NONOP, negative=True, synonyms=("三、利润总额", "利润总额", "税前利润", "Profit before tax",
                                                "Total profit")),
    _is("IS151", "减：所得税费用", "Less: income tax expense", "IS170", sign=-1, section=NONOP, negative=True,
        synonyms=("所得税费用", "所得税", "Income tax expense", "Income tax")),
    _is("IS170", "净利润（净亏损以“-”号填列）", "Net profit (net loss as negative)", "IS190", SUBTOTAL,
        section=NET, negative=True, synonyms=("四、净利润", "净利润", "Net profit", "Net income", "Profit for the year")),
    _is("IS171", "（一）持续经营净利润", "Net profit from continuing operations", "IS170", MEMO, section=NET,
        negative=True, synonyms=("持续经营净利润",)),
    _is("IS172", "（二）终止经营净利润", "Net profit from discontinued operations", "IS170", MEMO, section=NET,
        negative=True, synonyms=("终止经营净利润",)),
    _is("IS173", "归属于母公司所有者的净利润", "Net profit attributable to owners of the parent", "IS170", MEMO,
        section=NET, negative=True),
    _is("IS174", "少数股东损益", "Minority interests in profit", "IS170", MEMO, section=NET, negative=True),
    _is("IS181", "（一）不能重分类进损益的其他综合收益", "OCI that will not be reclassified to profit or loss",
        "IS180", section=OCI, negative=True, synonyms=("不能重分类进损益的其他综合收益",)),
    _is("IS182", "（二）将重分类进损益的其他综合收益", "OCI that will be reclassified to profit or loss", "IS180",
        section=OCI, negative=True, synonyms=("将重分类进损益的其他综合收益",)),
    _is("IS180", "其他综合收益的税后净额", "Other comprehensive income, net of tax", "IS190", SUBTOTAL,
        section=OCI, negative=True, synonyms=("五、其他综合收益的税后净额",)),
    _is("IS190", "综合收益总额", "Total comprehensive income", None, SUBTOTAL, section=OCI, negative=True,
        synonyms=("六、综合收益总额",)),
    _is("IS191", "（一）基本每股收益", "Basic earnings per share", "IS190", MEMO, section=OCI, negative=True,
        synonyms=("基本每股收益", "Basic EPS")),
    _is("IS192", "（二）稀释每股收益", "Diluted earnings per share", "IS190", MEMO, section=OCI, negative=True,
        synonyms=("稀释每股收益", "Diluted EPS")),
]

OPER, INV, FIN, TOTAL = "operating_activities", "investing_activities", "financing_activities", "cash_change"
SUPP, NONCASH = "supplementary", "non_cash"
_cash = [
    _cf("CF101", "销售商品、提供劳务收到的现金", "Cash received from sales of goods and services", "CF109",
        section=OPER),
    _cf("CF102", "收到的税费返还", "Tax refunds received", "CF109", section=OPER),
    _cf("CF103", "收到其他与经营活动有关的现金", "Other cash received from operating activities", "CF109",
        section=OPER),
    _cf("CF109", "经营活动现金流入小计", "Subtotal of cash inflows from operating activities", "CF130", SUBTOTAL,
        section=OPER),
    _cf("CF111", "购买商品、接受劳务支付的现金", "Cash paid for goods and services", "CF119", section=OPER),
    _cf("CF112", "支付给职工以及为职工支付的现金", "Cash paid to and for employees", "CF119", section=OPER),
    _cf("CF113", "支付的各项税费", "Taxes paid", "CF119", section=OPER),
    _cf("CF114", "支付其他与经营活动有关的现金", "Other cash paid for operating activities", "CF119",
        section=OPER),
    _cf("CF119", "经营活动现金流出小计", "Subtotal of cash outflows from operating activities", "CF130", SUBTOTAL,
        sign=-1, section=OPER),
    _cf("CF130", "经营活动产生的现金流量净额", "Net cash flow from operating activities", "CF190", SUBTOTAL,
        section=OPER, negative=True, synonyms=("经营活动现金流量净额", "经营性现金流量净额", "Operating cash flow",
                                               "Net cash from operating activities")),
    _cf("CF201", "收回投资收到的现金", "Cash received from disposal of investments", "CF209", section=INV),
    _cf("CF202", "取得投资收益收到的现金", "Cash received from investment income", "CF209", section=INV),
    _cf("CF203", "处置固定资产、无形资产和其他长期资产收回的现金净额",
        "Net cash from disposal of fixed, intangible and other long-term assets", "CF209", section=INV),
    _cf("CF204", "处置子公司及其他营业单位收到的现金净额", "Net cash from disposal of subsidiaries and other units",
        "CF209", section=INV),
    _cf("CF205", "收到其他与投资活动有关的现金", "Other cash received from investing activities", "CF209",
        section=INV),
    _cf("CF209", "投资活动现金流入小计", "Subtotal of cash inflows from investing activities", "CF230", SUBTOTAL,
        section=INV),
    _cf("CF211", "购建固定资产、无形资产和其他长期资产支付的现金",
        "Cash paid for fixed, intangible and other long-term assets", "CF219", section=INV,
        synonyms=("资本性支出", "Capital expenditure", "Capex")),
    _cf("CF212", "投资支付的现金", "Cash paid for investments", "CF219", section=INV),
    _cf("CF213", "取得子公司及其他营业单位支付的现金净额", "Net cash paid for subsidiaries and other units",
        "CF219", section=INV),
    _cf("CF214", "支付其他与投资活动有关的现金", "Other cash paid for investing activities", "CF219", section=INV),
    _cf("CF219", "投资活动现金流出小计", "Subtotal of cash outflows from investing activities", "CF230", SUBTOTAL,
        sign=-1, section=INV),
    _cf("CF230", "投资活动产生的现金流量净额", "Net cash flow from investing activities", "CF190", SUBTOTAL,
        section=INV, negative=True, synonyms=("投资活动现金流量净额", "Net cash from investing activities")),
    _cf("CF301", "吸收投资收到的现金", "Cash received from capital contributions", "CF309", section=FIN),
    _cf("CF302", "取得借款收到的现金", "Cash received from borrowings", "CF309", section=FIN),
    _cf("CF303", "收到其他与筹资活动有关的现金", "Other cash received from financing activities", "CF309",
        section=FIN),
    _cf("CF309", "筹资活动现金流入小计", "Subtotal of cash inflows from financing activities", "CF330", SUBTOTAL,
        section=FIN),
    _cf("CF311", "偿还债务支付的现金", "Cash repayments of borrowings", "CF319", section=FIN),
    _cf("CF312", "分配股利、利润或偿付利息支付的现金", "Cash paid for dividends, profits and interest", "CF319",
        section=FIN),
    _cf("CF313", "支付其他与筹资活动有关的现金", "Other cash paid for financing activities", "CF319", section=FIN),
    _cf("CF319", "筹资活动现金流出小计", "Subtotal of cash outflows from financing activities", "CF330", SUBTOTAL,
        sign=-1, section=FIN),
    _cf("CF330", "筹资活动产生的现金流量净额", "Net cash flow from financing activities", "CF190", SUBTOTAL,
        section=FIN, negative=True, synonyms=("筹资活动现金流量净额", "Net cash from financing activities")),
    _cf("CF180", "汇率变动对现金及现金等价物的影响", "Effect of exchange rate changes on cash", "CF190",
        section=TOTAL, negative=True),
    _cf("CF190", "现金及现金等价物净增加额", "Net increase in cash and cash equivalents", "CF199", SUBTOTAL,
        section=TOTAL, negative=True, synonyms=("现金净增加额", "Net change in cash")),
    _cf("CF191", "加：期初现金及现金等价物余额", "Add: cash and cash equivalents at the beginning of the period",
        "CF199", section=TOTAL, synonyms=("期初现金及现金等价物余额", "Opening cash")),
    _cf("CF199", "期末现金及现金等价物余额", "Cash and cash equivalents at the end of the period", None, SUBTOTAL,
        section=TOTAL, synonyms=("Closing cash",)),
    # 补充资料：将净利润调节为经营活动现金流量 (the indirect method; its total must equal CF130)
    _cf("CF401", "净利润", "Net profit (reconciliation)", "CF490", section=SUPP, negative=True,
        synonyms=("补充资料：净利润",)),
    _cf("CF402", "加：资产减值准备", "Add: provisions for asset impairment", "CF490", section=SUPP, negative=True,
        synonyms=("资产减值准备",)),
    _cf("CF403", "信用减值损失", "Credit impairment losses (reconciliation)", "CF490", section=SUPP, negative=True),
    _cf("CF404", "固定资产折旧、油气资产折耗、生产性生物资产折旧", "Depreciation of fixed assets and similar", "CF490",
        section=SUPP, synonyms=("固定资产折旧", "Depreciation")),
    _cf("CF405", "使用权资产折旧", "Depreciation of right-of-use assets", "CF490", section=SUPP),
    _cf("CF406", "无形资产摊销", "Amortisation of intangible assets", "CF490", section=SUPP,
        synonyms=("Amortisation",)),
    _cf("CF407", "长期待摊费用摊销", "Amortisation of long-term prepaid expenses", "CF490", section=SUPP),
    _cf("CF408", "处置固定资产、无形资产和其他长期资产的损失（收益以“-”号填列）",
        "Losses on disposal of long-term assets (gains as negative)", "CF490", section=SUPP, negative=True),
    _cf("CF409", "固定资产报废损失（收益以“-”号填列）", "Losses on scrapping of fixed assets (gains as negative)",
        "CF490", section=SUPP, negative=True),
    _cf("CF410", "公允价值变动损失（收益以“-”号填列）", "Losses from changes in fair value (gains as negative)",
        "CF490", section=SUPP, negative=True),
    _cf("CF411", "财务费用（收益以“-”号填列）", "Finance costs (income as negative)", "CF490", section=SUPP,
        negative=True),
    _cf("CF412", "投资损失（收益以“-”号填列）", "Investment losses (gains as negative)", "CF490", section=SUPP,
        negative=True),
    _cf("CF413", "递延所得税资产减少（增加以“-”号填列）", "Decrease in deferred tax assets (increase as negative)",
        "CF490", section=SUPP, negative=True),
    _cf("CF414", "递延所得税负债增加（减少以“-”号填列）", "Increase in deferred tax liabilities (decrease as negative)",
        "CF490", section=SUPP, negative=True),
    _cf("CF415", "存货的减少（增加以“-”号填列）", "Decrease in inventories (increase as negative)", "CF490",
        section=SUPP, negative=True),
    _cf("CF416", "经营性应收项目的减少（增加以“-”号填列）", "Decrease in operating receivables (increase as negative)",
        "CF490", section=SUPP, negative=True),
    _cf("CF417", "经营性应付项目的增加（减少以“-”号填列）", "Increase in operating payables (decrease as negative)",
        "CF490", section=SUPP, negative=True),
    _cf("CF418", "其他", "Other reconciling items", "CF490", section=SUPP, negative=True),
    _cf("CF490", "经营活动产生的现金流量净额（间接法）", "Net cash flow from operating activities (indirect method)",
        None, SUBTOTAL, section=SUPP, negative=True),
    # 不涉及现金收支的重大投资和筹资活动 (memo: no cash moved)
    _cf("CF501", "债务转为资本", "Conversion of debt into capital", None, MEMO, section=NONCASH),
    _cf("CF502", "一年内到期的可转换公司债券", "Convertible bonds due within one year", None, MEMO, section=NONCASH),
    _cf("CF503", "新增使用权资产", "Right-of-use assets acquired", None, MEMO, section=NONCASH,
        synonyms=("融资租入固定资产",)),
    # 现金及现金等价物净变动情况 (the change in cash from the balances; its total must equal CF190)
    _cf("CF601", "现金的期末余额", "Cash at the end of the period", "CF690", section=NONCASH),
    _cf("CF602", "减：现金的期初余额", "Less: cash at the beginning of the period", "CF690", sign=-1,
        section=NONCASH, synonyms=("现金的期初余额",)),
    _cf("CF603", "加：现金等价物的期末余额", "Add: cash equivalents at the end of the period", "CF690",
        section=NONCASH, synonyms=("现金等价物的期末余额",)),
    _cf("CF604", "减：现金等价物的期初余额", "Less: cash equivalents at the beginning of the period", "CF690",
        sign=-1, section=NONCASH, synonyms=("现金等价物的期初余额",)),
    _cf("CF690", "现金及现金等价物净增加额（补充资料）", "Net increase in cash and cash equivalents (supplementary)",
        None, SUBTOTAL, section=NONCASH, negative=True),
]

LINES: list[Line] = _balance + _income + _cash
BY_CODE: dict[str, Line] = {line.code: line for line in LINES}
CODES: list[str] = [line.code for line in LINES]
SECTIONS: dict[str, list[str]] = {
    BALANCE_SHEET: [CA, NCA, CL, NCL, EQ],
    INCOME_STATEMENT: [OP, NONOP, NET, OCI],
    CASH_FLOW: [OPER, INV, FIN, TOTAL, SUPP, NONCASH],
}

# Lines that must agree with another line (the first is named when they do not): the indirect method's total with
# the direct one, the supplementary change in cash with the statement's.
EQUAL_LINES: list[tuple[str, str]] = [("CF490", "CF130"), ("CF690", "CF190")]


def lines_of(statement: str) -> list[Line]:
    return [line for line in LINES if line.statement == statement]


def children(code: str) -> list[Line]:
    """The lines summed into subtotal ``code`` (memo lines excluded)."""
    return [line for line in LINES if line.parent == code and line.kind != MEMO]


CHILDREN: dict[str, list[Line]] = {line.code: children(line.code) for line in LINES if line.kind == SUBTOTAL}


def _depth(code: str) -> int:
    depth, parent = 0, BY_CODE[code].parent
    while parent:
        depth, parent = depth + 1, BY_CODE[parent].parent
    return depth


# Deepest subtotals first: a subtotal is computed from lines whose own subtotals are already known.
SUBTOTALS_BOTTOM_UP: list[str] = sorted(CHILDREN, key=lambda c: (-_depth(c), CODES.index(c)))

# The key figures (``FinancialStatement`` columns, the inputs of the ratios) and the lines they are.
KEY_FIGURES: dict[str, str] = {
    "cash": "BS101", "receivables": "BS105", "inventory": "BS109", "current_assets": "BS119",
    "total_assets": "BS199", "short_term_debt": "BS201", "current_liabilities": "BS219",
    "long_term_debt": "BS220", "total_liabilities": "BS249", "equity": "BS399",
    "revenue": "IS101", "cost_of_sales": "IS102", "operating_profit": "IS130", "interest_expense": "IS108",
    "profit_before_tax": "IS150", "net_profit": "IS170",
    "operating_cash_flow": "CF130", "investing_cash_flow": "CF230", "financing_cash_flow": "CF330",
}
KEY_CODES = set(KEY_FIGURES.values())


def lines_from_key_figures(values: dict) -> dict:
    """``{code: value}`` of the key figures given by column name (``None`` left out): how a statement of the
    summary layout (and every statement from before the detailed chart) is stored as lines."""
    return {code: values[name] for name, code in KEY_FIGURES.items() if values.get(name) is not None}


def key_figures_from_lines(lines: dict) -> dict:
    """The key-figure columns of a statement from its lines (missing → ``None``)."""
    return {name: lines.get(code) for name, code in KEY_FIGURES.items()}
