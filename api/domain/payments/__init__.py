"""Payments: the payment provider port, its Stripe and `none` implementations, payment methods and webhooks."""
