"""Support tickets: problems handed from the assistant to people, with transcript and diagnostics."""
