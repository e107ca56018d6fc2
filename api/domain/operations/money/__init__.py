"""Money for operators: the reconciliation of bills against the payment provider, and site hosts' revenue share."""
