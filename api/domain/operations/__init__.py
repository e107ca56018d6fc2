"""Operations: what keeps the network running and earning (alerts, uptime, maintenance, metrics, money)."""
