"""Charging locations, their EVSEs and connectors: importing, storing, and the driver map."""
