"""Chinese number formats as Chinese finance writes amounts: 1,234,567.89 (Django's default groups by 4
without a separator). Everything not set here comes from Django's own zh_Hans formats."""
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
