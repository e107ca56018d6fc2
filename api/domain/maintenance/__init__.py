"""Maintenance: preventive schedules per location, work orders, and chargers held out of service while worked on."""
