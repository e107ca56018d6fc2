"""Authentication and abuse protection: password hashing, tokens, role guards and rate limits."""
