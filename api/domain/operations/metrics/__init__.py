"""Operators' metrics: rollups kept up to date as sessions finish, the report read from them, its API and CSV."""
