"""Operations: what keeps the chargers running and earning."""
