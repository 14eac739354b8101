"""English number formats: 1,234,567.89 (the rest from Django's own en formats)."""
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
