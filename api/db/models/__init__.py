"""All tables; importing this package registers every model on `Base.metadata`."""

from api.db.base import Base
from api.db.models.accounts import AccountToken, RefreshToken, User
from api.db.models.mail import MailMessage
from api.db.models.stations import (
    ChangeCounter,
    ChargingStation,
    Connector,
    Evse,
    Favourite,
    Location,
    StationReport,
    Tariff,
)

__all__ = [
    "AccountToken",
    "Base",
    "ChangeCounter",
    "ChargingStation",
    "Connector",
    "Evse",
    "Favourite",
    "Location",
    "MailMessage",
    "RefreshToken",
    "StationReport",
    "Tariff",
    "User",
]
