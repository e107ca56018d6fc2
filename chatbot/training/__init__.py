"""Labelled driver messages the statistical recogniser learns from: hand-written seeds and their variants."""
