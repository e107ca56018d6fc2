"""The live network view: every charger and EVSE an operator may see, grouped and filtered, and its live feed."""
