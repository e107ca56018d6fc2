"""OCPP 1.6J: generated message payloads and the handlers that turn them into events."""
