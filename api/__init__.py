"""Voltway driver API and composition root: the only package that wires the others together."""
