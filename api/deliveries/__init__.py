"""Outbound deliveries to other systems (alert webhooks, OCPI pushes, command callbacks): one outbox table written
in the transaction of the change that causes a message, a worker that POSTs it signed, with retries, backoff and a
stable delivery id receivers de-duplicate by."""
