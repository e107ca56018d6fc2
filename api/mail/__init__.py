"""Outgoing mail: an outbox table, delivered over SMTP when configured and readable locally otherwise."""
