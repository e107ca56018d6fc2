"""OCPP 2.0.1: generated message payloads and the handlers that turn them into events."""
