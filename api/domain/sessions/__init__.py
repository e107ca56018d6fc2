"""Charging sessions: start and stop from the app, live energy and cost, billing, receipts and notifications."""
