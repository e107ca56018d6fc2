"""OCPP 1.6 message payloads as msgspec Structs, generated from the official JSON schemas.

Do not edit: run ``python -m ocpp_bridge.schema_codegen`` to regenerate.
"""

import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

String20 = Annotated[str, msgspec.Meta(max_length=20)]


class AuthorizeRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id_tag: String20 = msgspec.field(name="idTag")


IdTagInfoStatus = Literal["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"]


class IdTagInfo(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    expiry_date: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="expiryDate")
    parent_id_tag: String20 | UnsetType = msgspec.field(default=UNSET, name="parentIdTag")
    status: IdTagInfoStatus


class AuthorizeResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id_tag_info: IdTagInfo = msgspec.field(name="idTagInfo")


String25 = Annotated[str, msgspec.Meta(max_length=25)]

String50 = Annotated[str, msgspec.Meta(max_length=50)]


class BootNotificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    charge_point_vendor: String20 = msgspec.field(name="chargePointVendor")
    charge_point_model: String20 = msgspec.field(name="chargePointModel")
    charge_point_serial_number: String25 | UnsetType = msgspec.field(default=UNSET, name="chargePointSerialNumber")
    charge_box_serial_number: String25 | UnsetType = msgspec.field(default=UNSET, name="chargeBoxSerialNumber")
    firmware_version: String50 | UnsetType = msgspec.field(default=UNSET, name="firmwareVersion")
    iccid: String20 | UnsetType = UNSET
    imsi: String20 | UnsetType = UNSET
    meter_type: String25 | UnsetType = msgspec.field(default=UNSET, name="meterType")
    meter_serial_number: String25 | UnsetType = msgspec.field(default=UNSET, name="meterSerialNumber")


BootNotificationResponseStatus = Literal["Accepted", "Pending", "Rejected"]

Integer = Annotated[int, msgspec.Meta(ge=-2147483648, le=2147483647)]


class BootNotificationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: BootNotificationResponseStatus
    current_time: datetime.datetime = msgspec.field(name="currentTime")
    interval: Integer


class CancelReservationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reservation_id: Integer = msgspec.field(name="reservationId")


CancelReservationResponseStatus = Literal["Accepted", "Rejected"]


class CancelReservationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: CancelReservationResponseStatus


String10000 = Annotated[str, msgspec.Meta(max_length=10000)]


class CertificateSignedRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    certificate_chain: String10000 = msgspec.field(name="certificateChain")


class CertificateSignedResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: CancelReservationResponseStatus


ChangeAvailabilityRequestType = Literal["Inoperative", "Operative"]


class ChangeAvailabilityRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    connector_id: Integer = msgspec.field(name="connectorId")
    type_: ChangeAvailabilityRequestType = msgspec.field(name="type")


ChangeAvailabilityResponseStatus = Literal["Accepted", "Rejected", "Scheduled"]


class ChangeAvailabilityResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: ChangeAvailabilityResponseStatus


String500 = Annotated[str, msgspec.Meta(max_length=500)]


class ChangeConfigurationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    key: String50
    value: String500


ChangeConfigurationResponseStatus = Literal["Accepted", "Rejected", "RebootRequired", "NotSupported"]


class ChangeConfigurationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: ChangeConfigurationResponseStatus


class ClearCacheRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class ClearCacheResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: CancelReservationResponseStatus


ClearChargingProfileRequestChargingProfilePurpose = Literal["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]


class ClearChargingProfileRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id_: Integer | UnsetType = msgspec.field(default=UNSET, name="id")
    connector_id: Integer | UnsetType = msgspec.field(default=UNSET, name="connectorId")
    charging_profile_purpose: ClearChargingProfileRequestChargingProfilePurpose | UnsetType = msgspec.field(
        default=UNSET, name="chargingProfilePurpose"
    )
    stack_level: Integer | UnsetType = msgspec.field(default=UNSET, name="stackLevel")


ClearChargingProfileResponseStatus = Literal["Accepted", "Unknown"]


class ClearChargingProfileResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: ClearChargingProfileResponseStatus


String255 = Annotated[str, msgspec.Meta(max_length=255)]


class DataTransferRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    vendor_id: String255 = msgspec.field(name="vendorId")
    message_id: String50 | UnsetType = msgspec.field(default=UNSET, name="messageId")
    data: str | UnsetType = UNSET


DataTransferResponseStatus = Literal["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"]


class DataTransferResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: DataTransferResponseStatus
    data: str | UnsetType = UNSET


HashAlgorithmEnumType = Literal["SHA256", "SHA384", "SHA512"]

String128 = Annotated[str, msgspec.Meta(max_length=128)]

String40 = Annotated[str, msgspec.Meta(max_length=40)]


class CertificateHashDataType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    hash_algorithm: HashAlgorithmEnumType = msgspec.field(name="hashAlgorithm")
    issuer_name_hash: String128 = msgspec.field(name="issuerNameHash")
    issuer_key_hash: String128 = msgspec.field(name="issuerKeyHash")
    serial_number: String40 = msgspec.field(name="serialNumber")


class DeleteCertificateRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    certificate_hash_data: CertificateHashDataType = msgspec.field(name="certificateHashData")


DeleteCertificateStatusEnumType = Literal["Accepted", "Failed", "NotFound"]


class DeleteCertificateResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: DeleteCertificateStatusEnumType


DiagnosticsStatusNotificationRequestStatus = Literal["Idle", "Uploaded", "UploadFailed", "Uploading"]


class DiagnosticsStatusNotificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: DiagnosticsStatusNotificationRequestStatus


class DiagnosticsStatusNotificationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


MessageTriggerEnumType = Literal[
    "BootNotification",
    "LogStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "SignChargePointCertificate",
    "StatusNotification",
]


class ExtendedTriggerMessageRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    requested_message: MessageTriggerEnumType = msgspec.field(name="requestedMessage")
    connector_id: Integer | UnsetType = msgspec.field(default=UNSET, name="connectorId")


TriggerMessageStatusEnumType = Literal["Accepted", "Rejected", "NotImplemented"]


class ExtendedTriggerMessageResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: TriggerMessageStatusEnumType


FirmwareStatusNotificationRequestStatus = Literal[
    "Downloaded",
    "DownloadFailed",
    "Downloading",
    "Idle",
    "InstallationFailed",
    "Installing",
    "Installed",
]


class FirmwareStatusNotificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: FirmwareStatusNotificationRequestStatus


class FirmwareStatusNotificationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


GetCompositeScheduleRequestChargingRateUnit = Literal["A", "W"]


class GetCompositeScheduleRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    connector_id: Integer = msgspec.field(name="connectorId")
    duration: Integer
    charging_rate_unit: GetCompositeScheduleRequestChargingRateUnit | UnsetType = msgspec.field(
        default=UNSET, name="chargingRateUnit"
    )


class ChargingSchedulePeriod(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    start_period: Integer = msgspec.field(name="startPeriod")
    limit: float
    number_phases: Integer | UnsetType = msgspec.field(default=UNSET, name="numberPhases")


class ChargingSchedule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    duration: Integer | UnsetType = UNSET
    start_schedule: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="startSchedule")
    charging_rate_unit: GetCompositeScheduleRequestChargingRateUnit = msgspec.field(name="chargingRateUnit")
    charging_schedule_period: list[ChargingSchedulePeriod] = msgspec.field(name="chargingSchedulePeriod")
    min_charging_rate: float | UnsetType = msgspec.field(default=UNSET, name="minChargingRate")


class GetCompositeScheduleResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: CancelReservationResponseStatus
    connector_id: Integer | UnsetType = msgspec.field(default=UNSET, name="connectorId")
    schedule_start: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="scheduleStart")
    charging_schedule: ChargingSchedule | UnsetType = msgspec.field(default=UNSET, name="chargingSchedule")


class GetConfigurationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    key: list[String50] | UnsetType = UNSET


class ConfigurationKey(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    key: String50
    readonly: bool
    value: String500 | UnsetType = UNSET


class GetConfigurationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    configuration_key: list[ConfigurationKey] | UnsetType = msgspec.field(default=UNSET, name="configurationKey")
    unknown_key: list[String50] | UnsetType = msgspec.field(default=UNSET, name="unknownKey")


class GetDiagnosticsRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location: str
    retries: Integer | UnsetType = UNSET
    retry_interval: Integer | UnsetType = msgspec.field(default=UNSET, name="retryInterval")
    start_time: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="startTime")
    stop_time: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="stopTime")


class GetDiagnosticsResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    file_name: String255 | UnsetType = msgspec.field(default=UNSET, name="fileName")


CertificateUseEnumType = Literal["CentralSystemRootCertificate", "ManufacturerRootCertificate"]


class GetInstalledCertificateIdsRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    certificate_type: CertificateUseEnumType = msgspec.field(name="certificateType")


GetInstalledCertificateStatusEnumType = Literal["Accepted", "NotFound"]


class GetInstalledCertificateIdsResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    certificate_hash_data: Annotated[list[CertificateHashDataType], msgspec.Meta(min_length=1)] | UnsetType = (
        msgspec.field(default=UNSET, name="certificateHashData")
    )
    status: GetInstalledCertificateStatusEnumType


class GetLocalListVersionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class GetLocalListVersionResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    list_version: Integer = msgspec.field(name="listVersion")


String512 = Annotated[str, msgspec.Meta(max_length=512)]


class LogParametersType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    remote_location: String512 = msgspec.field(name="remoteLocation")
    oldest_timestamp: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="oldestTimestamp")
    latest_timestamp: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="latestTimestamp")


LogEnumType = Literal["DiagnosticsLog", "SecurityLog"]


class GetLogRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    log: LogParametersType
    log_type: LogEnumType = msgspec.field(name="logType")
    request_id: Integer = msgspec.field(name="requestId")
    retries: Integer | UnsetType = UNSET
    retry_interval: Integer | UnsetType = msgspec.field(default=UNSET, name="retryInterval")


LogStatusEnumType = Literal["Accepted", "Rejected", "AcceptedCanceled"]


class GetLogResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: LogStatusEnumType
    filename: String255 | UnsetType = UNSET


class HeartbeatRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class HeartbeatResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    current_time: datetime.datetime = msgspec.field(name="currentTime")


String5500 = Annotated[str, msgspec.Meta(max_length=5500)]


class InstallCertificateRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    certificate_type: CertificateUseEnumType = msgspec.field(name="certificateType")
    certificate: String5500


InstallCertificateStatusEnumType = Literal["Accepted", "Failed", "Rejected"]


class InstallCertificateResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: InstallCertificateStatusEnumType


UploadLogStatusEnumType = Literal[
    "BadMessage",
    "Idle",
    "NotSupportedOperation",
    "PermissionDenied",
    "Uploaded",
    "UploadFailure",
    "Uploading",
]


class LogStatusNotificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: UploadLogStatusEnumType
    request_id: Integer | UnsetType = msgspec.field(default=UNSET, name="requestId")


class LogStatusNotificationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


SampledValueContext = Literal[
    "Interruption.Begin",
    "Interruption.End",
    "Sample.Clock",
    "Sample.Periodic",
    "Transaction.Begin",
    "Transaction.End",
    "Trigger",
    "Other",
]

SampledValueFormat = Literal["Raw", "SignedData"]

SampledValueMeasurand = Literal[
    "Energy.Active.Export.Register",
    "Energy.Active.Import.Register",
    "Energy.Reactive.Export.Register",
    "Energy.Reactive.Import.Register",
    "Energy.Active.Export.Interval",
    "Energy.Active.Import.Interval",
    "Energy.Reactive.Export.Interval",
    "Energy.Reactive.Import.Interval",
    "Power.Active.Export",
    "Power.Active.Import",
    "Power.Offered",
    "Power.Reactive.Export",
    "Power.Reactive.Import",
    "Power.Factor",
    "Current.Import",
    "Current.Export",
    "Current.Offered",
    "Voltage",
    "Frequency",
    "Temperature",
    "SoC",
    "RPM",
]

SampledValuePhase = Literal["L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1"]

SampledValueLocation = Literal["Cable", "EV", "Inlet", "Outlet", "Body"]

SampledValueUnit = Literal[
    "Wh",
    "kWh",
    "varh",
    "kvarh",
    "W",
    "kW",
    "VA",
    "kVA",
    "var",
    "kvar",
    "A",
    "V",
    "K",
    "Celcius",
    "Celsius",
    "Fahrenheit",
    "Percent",
    "Hertz",
]


class SampledValue(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    value: str
    context: SampledValueContext | UnsetType = UNSET
    format_: SampledValueFormat | UnsetType = msgspec.field(default=UNSET, name="format")
    measurand: SampledValueMeasurand | UnsetType = UNSET
    phase: SampledValuePhase | UnsetType = UNSET
    location: SampledValueLocation | UnsetType = UNSET
    unit: SampledValueUnit | UnsetType = UNSET


class MeterValue(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    timestamp: datetime.datetime
    sampled_value: Annotated[list[SampledValue], msgspec.Meta(min_length=1)] = msgspec.field(name="sampledValue")


class MeterValuesRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    connector_id: Integer = msgspec.field(name="connectorId")
    transaction_id: Integer | UnsetType = msgspec.field(default=UNSET, name="transactionId")
    meter_value: Annotated[list[MeterValue], msgspec.Meta(min_length=1)] = msgspec.field(name="meterValue")


class MeterValuesResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


ChargingProfileChargingProfileKind = Literal["Absolute", "Recurring", "Relative"]

ChargingProfileRecurrencyKind = Literal["Daily", "Weekly"]


class ChargingProfile(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    charging_profile_id: Integer = msgspec.field(name="chargingProfileId")
    transaction_id: Integer | UnsetType = msgspec.field(default=UNSET, name="transactionId")
    stack_level: Integer = msgspec.field(name="stackLevel")
    charging_profile_purpose: ClearChargingProfileRequestChargingProfilePurpose = msgspec.field(
        name="chargingProfilePurpose"
    )
    charging_profile_kind: ChargingProfileChargingProfileKind = msgspec.field(name="chargingProfileKind")
    recurrency_kind: ChargingProfileRecurrencyKind | UnsetType = msgspec.field(default=UNSET, name="recurrencyKind")
    valid_from: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="validFrom")
    valid_to: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="validTo")
    charging_schedule: ChargingSchedule = msgspec.field(name="chargingSchedule")


class RemoteStartTransactionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    connector_id: Integer | UnsetType = msgspec.field(default=UNSET, name="connectorId")
    id_tag: String20 = msgspec.field(name="idTag")
    charging_profile: ChargingProfile | UnsetType = msgspec.field(default=UNSET, name="chargingProfile")


class RemoteStartTransactionResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: CancelReservationResponseStatus


class RemoteStopTransactionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    transaction_id: Integer = msgspec.field(name="transactionId")


class RemoteStopTransactionResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: CancelReservationResponseStatus


class ReserveNowRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    connector_id: Integer = msgspec.field(name="connectorId")
    expiry_date: datetime.datetime = msgspec.field(name="expiryDate")
    id_tag: String20 = msgspec.field(name="idTag")
    parent_id_tag: String20 | UnsetType = msgspec.field(default=UNSET, name="parentIdTag")
    reservation_id: Integer = msgspec.field(name="reservationId")


ReserveNowResponseStatus = Literal["Accepted", "Faulted", "Occupied", "Rejected", "Unavailable"]


class ReserveNowResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: ReserveNowResponseStatus


ResetRequestType = Literal["Hard", "Soft"]


class ResetRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    type_: ResetRequestType = msgspec.field(name="type")


class ResetResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: CancelReservationResponseStatus


class SecurityEventNotificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    type_: String50 = msgspec.field(name="type")
    timestamp: datetime.datetime
    tech_info: String255 | UnsetType = msgspec.field(default=UNSET, name="techInfo")


class SecurityEventNotificationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


class LocalAuthorizationList(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id_tag: String20 = msgspec.field(name="idTag")
    id_tag_info: IdTagInfo | UnsetType = msgspec.field(default=UNSET, name="idTagInfo")


SendLocalListRequestUpdateType = Literal["Differential", "Full"]


class SendLocalListRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    list_version: Integer = msgspec.field(name="listVersion")
    local_authorization_list: list[LocalAuthorizationList] | UnsetType = msgspec.field(
        default=UNSET, name="localAuthorizationList"
    )
    update_type: SendLocalListRequestUpdateType = msgspec.field(name="updateType")


SendLocalListResponseStatus = Literal["Accepted", "Failed", "NotSupported", "VersionMismatch"]


class SendLocalListResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: SendLocalListResponseStatus


class SetChargingProfileRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    connector_id: Integer = msgspec.field(name="connectorId")
    cs_charging_profiles: ChargingProfile = msgspec.field(name="csChargingProfiles")


SetChargingProfileResponseStatus = Literal["Accepted", "Rejected", "NotSupported"]


class SetChargingProfileResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: SetChargingProfileResponseStatus


class SignCertificateRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    csr: String5500


class SignCertificateResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: CancelReservationResponseStatus


FirmwareStatusEnumType = Literal[
    "Downloaded",
    "DownloadFailed",
    "Downloading",
    "DownloadScheduled",
    "DownloadPaused",
    "Idle",
    "InstallationFailed",
    "Installing",
    "Installed",
    "InstallRebooting",
    "InstallScheduled",
    "InstallVerificationFailed",
    "InvalidSignature",
    "SignatureVerified",
]


class SignedFirmwareStatusNotificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: FirmwareStatusEnumType
    request_id: Integer | UnsetType = msgspec.field(default=UNSET, name="requestId")


class SignedFirmwareStatusNotificationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


String800 = Annotated[str, msgspec.Meta(max_length=800)]


class FirmwareType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location: String512
    retrieve_date_time: datetime.datetime = msgspec.field(name="retrieveDateTime")
    install_date_time: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="installDateTime")
    signing_certificate: String5500 = msgspec.field(name="signingCertificate")
    signature: String800


class SignedUpdateFirmwareRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    retries: Integer | UnsetType = UNSET
    retry_interval: Integer | UnsetType = msgspec.field(default=UNSET, name="retryInterval")
    request_id: Integer = msgspec.field(name="requestId")
    firmware: FirmwareType


UpdateFirmwareStatusEnumType = Literal[
    "Accepted",
    "Rejected",
    "AcceptedCanceled",
    "InvalidCertificate",
    "RevokedCertificate",
]


class SignedUpdateFirmwareResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: UpdateFirmwareStatusEnumType


class StartTransactionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    connector_id: Integer = msgspec.field(name="connectorId")
    id_tag: String20 = msgspec.field(name="idTag")
    meter_start: Integer = msgspec.field(name="meterStart")
    reservation_id: Integer | UnsetType = msgspec.field(default=UNSET, name="reservationId")
    timestamp: datetime.datetime


class StartTransactionResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id_tag_info: IdTagInfo = msgspec.field(name="idTagInfo")
    transaction_id: Integer = msgspec.field(name="transactionId")


StatusNotificationRequestErrorCode = Literal[
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "NoError",
    "OtherError",
    "OverCurrentFailure",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "OverVoltage",
    "WeakSignal",
]

StatusNotificationRequestStatus = Literal[
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEVSE",
    "SuspendedEV",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
]


class StatusNotificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    connector_id: Integer = msgspec.field(name="connectorId")
    error_code: StatusNotificationRequestErrorCode = msgspec.field(name="errorCode")
    info: String50 | UnsetType = UNSET
    status: StatusNotificationRequestStatus
    timestamp: datetime.datetime | UnsetType = UNSET
    vendor_id: String255 | UnsetType = msgspec.field(default=UNSET, name="vendorId")
    vendor_error_code: String50 | UnsetType = msgspec.field(default=UNSET, name="vendorErrorCode")


class StatusNotificationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


StopTransactionRequestReason = Literal[
    "EmergencyStop",
    "EVDisconnected",
    "HardReset",
    "Local",
    "Other",
    "PowerLoss",
    "Reboot",
    "Remote",
    "SoftReset",
    "UnlockCommand",
    "DeAuthorized",
]

StopTransactionSampledValueUnit = Literal[
    "Wh",
    "kWh",
    "varh",
    "kvarh",
    "W",
    "kW",
    "VA",
    "kVA",
    "var",
    "kvar",
    "A",
    "V",
    "K",
    "Celcius",
    "Celsius",
    "Fahrenheit",
    "Percent",
]


class StopTransactionSampledValue(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    value: str
    context: SampledValueContext | UnsetType = UNSET
    format_: SampledValueFormat | UnsetType = msgspec.field(default=UNSET, name="format")
    measurand: SampledValueMeasurand | UnsetType = UNSET
    phase: SampledValuePhase | UnsetType = UNSET
    location: SampledValueLocation | UnsetType = UNSET
    unit: StopTransactionSampledValueUnit | UnsetType = UNSET


class TransactionData(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    timestamp: datetime.datetime
    sampled_value: list[StopTransactionSampledValue] = msgspec.field(name="sampledValue")


class StopTransactionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id_tag: String20 | UnsetType = msgspec.field(default=UNSET, name="idTag")
    meter_stop: Integer = msgspec.field(name="meterStop")
    timestamp: datetime.datetime
    transaction_id: Integer = msgspec.field(name="transactionId")
    reason: StopTransactionRequestReason | UnsetType = UNSET
    transaction_data: list[TransactionData] | UnsetType = msgspec.field(default=UNSET, name="transactionData")


class StopTransactionResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id_tag_info: IdTagInfo | UnsetType = msgspec.field(default=UNSET, name="idTagInfo")


TriggerMessageRequestRequestedMessage = Literal[
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
]


class TriggerMessageRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    requested_message: TriggerMessageRequestRequestedMessage = msgspec.field(name="requestedMessage")
    connector_id: Integer | UnsetType = msgspec.field(default=UNSET, name="connectorId")


class TriggerMessageResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: TriggerMessageStatusEnumType


class UnlockConnectorRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    connector_id: Integer = msgspec.field(name="connectorId")


UnlockConnectorResponseStatus = Literal["Unlocked", "UnlockFailed", "NotSupported"]


class UnlockConnectorResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    status: UnlockConnectorResponseStatus


class UpdateFirmwareRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location: str
    retries: Integer | UnsetType = UNSET
    retrieve_date: datetime.datetime = msgspec.field(name="retrieveDate")
    retry_interval: Integer | UnsetType = msgspec.field(default=UNSET, name="retryInterval")


class UpdateFirmwareResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


REQUESTS: dict[str, type[msgspec.Struct]] = {
    "Authorize": AuthorizeRequest,
    "BootNotification": BootNotificationRequest,
    "CancelReservation": CancelReservationRequest,
    "CertificateSigned": CertificateSignedRequest,
    "ChangeAvailability": ChangeAvailabilityRequest,
    "ChangeConfiguration": ChangeConfigurationRequest,
    "ClearCache": ClearCacheRequest,
    "ClearChargingProfile": ClearChargingProfileRequest,
    "DataTransfer": DataTransferRequest,
    "DeleteCertificate": DeleteCertificateRequest,
    "DiagnosticsStatusNotification": DiagnosticsStatusNotificationRequest,
    "ExtendedTriggerMessage": ExtendedTriggerMessageRequest,
    "FirmwareStatusNotification": FirmwareStatusNotificationRequest,
    "GetCompositeSchedule": GetCompositeScheduleRequest,
    "GetConfiguration": GetConfigurationRequest,
    "GetDiagnostics": GetDiagnosticsRequest,
    "GetInstalledCertificateIds": GetInstalledCertificateIdsRequest,
    "GetLocalListVersion": GetLocalListVersionRequest,
    "GetLog": GetLogRequest,
    "Heartbeat": HeartbeatRequest,
    "InstallCertificate": InstallCertificateRequest,
    "LogStatusNotification": LogStatusNotificationRequest,
    "MeterValues": MeterValuesRequest,
    "RemoteStartTransaction": RemoteStartTransactionRequest,
    "RemoteStopTransaction": RemoteStopTransactionRequest,
    "ReserveNow": ReserveNowRequest,
    "Reset": ResetRequest,
    "SecurityEventNotification": SecurityEventNotificationRequest,
    "SendLocalList": SendLocalListRequest,
    "SetChargingProfile": SetChargingProfileRequest,
    "SignCertificate": SignCertificateRequest,
    "SignedFirmwareStatusNotification": SignedFirmwareStatusNotificationRequest,
    "SignedUpdateFirmware": SignedUpdateFirmwareRequest,
    "StartTransaction": StartTransactionRequest,
    "StatusNotification": StatusNotificationRequest,
    "StopTransaction": StopTransactionRequest,
    "TriggerMessage": TriggerMessageRequest,
    "UnlockConnector": UnlockConnectorRequest,
    "UpdateFirmware": UpdateFirmwareRequest,
}
RESPONSES: dict[str, type[msgspec.Struct]] = {
    "Authorize": AuthorizeResponse,
    "BootNotification": BootNotificationResponse,
    "CancelReservation": CancelReservationResponse,
    "CertificateSigned": CertificateSignedResponse,
    "ChangeAvailability": ChangeAvailabilityResponse,
    "ChangeConfiguration": ChangeConfigurationResponse,
    "ClearCache": ClearCacheResponse,
    "ClearChargingProfile": ClearChargingProfileResponse,
    "DataTransfer": DataTransferResponse,
    "DeleteCertificate": DeleteCertificateResponse,
    "DiagnosticsStatusNotification": DiagnosticsStatusNotificationResponse,
    "ExtendedTriggerMessage": ExtendedTriggerMessageResponse,
    "FirmwareStatusNotification": FirmwareStatusNotificationResponse,
    "GetCompositeSchedule": GetCompositeScheduleResponse,
    "GetConfiguration": GetConfigurationResponse,
    "GetDiagnostics": GetDiagnosticsResponse,
    "GetInstalledCertificateIds": GetInstalledCertificateIdsResponse,
    "GetLocalListVersion": GetLocalListVersionResponse,
    "GetLog": GetLogResponse,
    "Heartbeat": HeartbeatResponse,
    "InstallCertificate": InstallCertificateResponse,
    "LogStatusNotification": LogStatusNotificationResponse,
    "MeterValues": MeterValuesResponse,
    "RemoteStartTransaction": RemoteStartTransactionResponse,
    "RemoteStopTransaction": RemoteStopTransactionResponse,
    "ReserveNow": ReserveNowResponse,
    "Reset": ResetResponse,
    "SecurityEventNotification": SecurityEventNotificationResponse,
    "SendLocalList": SendLocalListResponse,
    "SetChargingProfile": SetChargingProfileResponse,
    "SignCertificate": SignCertificateResponse,
    "SignedFirmwareStatusNotification": SignedFirmwareStatusNotificationResponse,
    "SignedUpdateFirmware": SignedUpdateFirmwareResponse,
    "StartTransaction": StartTransactionResponse,
    "StatusNotification": StatusNotificationResponse,
    "StopTransaction": StopTransactionResponse,
    "TriggerMessage": TriggerMessageResponse,
    "UnlockConnector": UnlockConnectorResponse,
    "UpdateFirmware": UpdateFirmwareResponse,
}
