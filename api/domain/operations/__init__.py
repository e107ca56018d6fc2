"""The operations side: who looks after which sites, and what keeps the chargers running and earning."""
