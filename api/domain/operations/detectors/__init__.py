"""Detectors: they watch chargers, sessions and payments and report alert conditions as they start and clear.

Each reports the raw truth (`ConditionReport` active or inactive) with the thresholds of its rule in the `RuleBook`;
hysteresis, de-duplication and delivery are the alert engine's (the `ConditionSink`). Where a message or a state
change is the trigger, the detector hooks into its path; where time is the trigger, a periodic scan looks.
"""
