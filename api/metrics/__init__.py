"""Prometheus metrics of the product (`instruments`) and the ready-made Grafana dashboard that charts them
(`grafana-dashboard.json`)."""
