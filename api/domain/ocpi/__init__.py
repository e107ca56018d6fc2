"""OCPI 2.2.1 CPO interface for roaming partners (eMSPs, hubs, map apps)."""
