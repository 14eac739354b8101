def customer_credit_tab(customer, user):
    return {}
