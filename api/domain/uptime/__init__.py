"""Uptime by the NEVI rule (23 CFR 680.116(b)): the per-port outage log, operators' exclusions, and the reports."""
