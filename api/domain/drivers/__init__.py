"""Driver (and staff) accounts: registration, sign-in, tokens, profile, export and erasure."""
