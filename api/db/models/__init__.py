"""All tables; importing this package registers every model on `Base.metadata`."""

from api.db.base import Base
from api.db.models.accounts import AccountToken, RefreshToken, User
from api.db.models.charging import (
    BridgeProcess,
    ChargerLogEntry,
    ChargingTransaction,
    IdTokenRecord,
    MeterSampleRecord,
)
from api.db.models.mail import MailMessage
from api.db.models.payments import PaymentCustomer, PaymentWebhookEvent
from api.db.models.sessions import ChargingSession, Device, Notification
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
    "BridgeProcess",
    "ChangeCounter",
    "ChargerLogEntry",
    "ChargingSession",
    "ChargingStation",
    "ChargingTransaction",
    "Connector",
    "Device",
    "Evse",
    "Favourite",
    "IdTokenRecord",
    "Location",
    "MailMessage",
    "MeterSampleRecord",
    "Notification",
    "PaymentCustomer",
    "PaymentWebhookEvent",
    "RefreshToken",
    "StationReport",
    "Tariff",
    "User",
]
