"""All tables; importing this package registers every model on `Base.metadata`."""

from api.db.base import Base
from api.db.models.accounts import AccountToken, LoginFailure, RefreshToken, User
from api.db.models.adjustments import SessionAdjustment
from api.db.models.authorisation import ChargerLocalList, Reservation
from api.db.models.charger_admin import ChargerCommandAudit
from api.db.models.charging import (
    BridgeProcess,
    ChargerLogEntry,
    ChargingTransaction,
    IdTokenRecord,
    MeterSampleRecord,
)
from api.db.models.chat import ChatActionAudit, ChatConversation, ChatMessage
from api.db.models.deliveries import OutboundDelivery
from api.db.models.device_model import ChargerDeviceEvent, ChargerMonitor, ChargerRequest, ChargerVariable
from api.db.models.mail import MailMessage
from api.db.models.maintenance import (
    MaintenanceAudit,
    MaintenanceSchedule,
    WorkOrder,
    WorkOrderChecklistItem,
    WorkOrderComment,
)
from api.db.models.metrics import ChargerHours, ChargerRollup, DriverFirstSession
from api.db.models.money import HostAgreement
from api.db.models.ocpi import OcpiLocationDocument, OcpiPartner
from api.db.models.ocpi_cdrs import OcpiCdr
from api.db.models.ocpi_tokens import OcpiToken
from api.db.models.operation_alerts import AlertDigest, AlertRuleOverride, OperationAlert, OperationAlertEvent
from api.db.models.organisation import BusinessUnit, OperatorScope, Region
from api.db.models.payment_attempts import PaymentAttempt
from api.db.models.payments import PaymentCustomer, PaymentWebhookEvent
from api.db.models.performance import FaultSighting, PerformanceFlag, PowerBaseline, SessionPerformance
from api.db.models.security import (
    ChargerSecurityProfile,
    InstalledCertificateRecord,
    IssuedCertificate,
    SecurityEventRecord,
)
from api.db.models.sessions import ChargingSession, Device, Notification
from api.db.models.smart_charging import ChargingProfileRecord, EVChargingNeedsRecord
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
from api.db.models.support import SupportTicket, SupportTicketEvent, SupportTicketMessage
from api.db.models.uptime import PortOutage, PortUptimeDay, UptimeExclusion, UptimeRollup

__all__ = [
    "AccountToken",
    "AlertDigest",
    "AlertRuleOverride",
    "Base",
    "BridgeProcess",
    "BusinessUnit",
    "ChangeCounter",
    "ChargerCommandAudit",
    "ChargerDeviceEvent",
    "ChargerHours",
    "ChargerLocalList",
    "ChargerLogEntry",
    "ChargerMonitor",
    "ChargerRequest",
    "ChargerRollup",
    "ChargerSecurityProfile",
    "ChargerVariable",
    "ChargingProfileRecord",
    "ChargingSession",
    "ChargingStation",
    "ChargingTransaction",
    "ChatActionAudit",
    "ChatConversation",
    "ChatMessage",
    "Connector",
    "Device",
    "DriverFirstSession",
    "EVChargingNeedsRecord",
    "Evse",
    "FaultSighting",
    "Favourite",
    "HostAgreement",
    "IdTokenRecord",
    "InstalledCertificateRecord",
    "IssuedCertificate",
    "Location",
    "LoginFailure",
    "MailMessage",
    "MaintenanceAudit",
    "MaintenanceSchedule",
    "MeterSampleRecord",
    "Notification",
    "OcpiCdr",
    "OcpiLocationDocument",
    "OcpiPartner",
    "OcpiToken",
    "OperationAlert",
    "OperationAlertEvent",
    "OperatorScope",
    "OutboundDelivery",
    "PaymentAttempt",
    "PaymentCustomer",
    "PaymentWebhookEvent",
    "PerformanceFlag",
    "PortOutage",
    "PortUptimeDay",
    "PowerBaseline",
    "RefreshToken",
    "Region",
    "Reservation",
    "SecurityEventRecord",
    "SessionAdjustment",
    "SessionPerformance",
    "StationReport",
    "SupportTicket",
    "SupportTicketEvent",
    "SupportTicketMessage",
    "Tariff",
    "UptimeExclusion",
    "UptimeRollup",
    "User",
    "WorkOrder",
    "WorkOrderChecklistItem",
    "WorkOrderComment",
]
