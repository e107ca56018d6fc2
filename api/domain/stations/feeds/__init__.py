"""Readers that turn third-party location feeds (OCPI, AFDC) into validated location records."""
