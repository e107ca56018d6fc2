"""OCPP 2.0.1 message payloads as msgspec Structs, generated from the official JSON schemas.

Do not edit: run ``python -m ocpp_bridge.schema_codegen`` to regenerate.
"""

import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

String255 = Annotated[str, msgspec.Meta(max_length=255)]


class CustomDataType(msgspec.Struct, kw_only=True):
    vendor_id: String255 = msgspec.field(name="vendorId")


String36 = Annotated[str, msgspec.Meta(max_length=36)]

String50 = Annotated[str, msgspec.Meta(max_length=50)]


class AdditionalInfoType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    additional_id_token: String36 = msgspec.field(name="additionalIdToken")
    type_: String50 = msgspec.field(name="type")


IdTokenEnumType = Literal[
    "Central",
    "eMAID",
    "ISO14443",
    "ISO15693",
    "KeyCode",
    "Local",
    "MacAddress",
    "NoAuthorization",
]


class IdTokenType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    additional_info: Annotated[list[AdditionalInfoType], msgspec.Meta(min_length=1)] | UnsetType = msgspec.field(
        default=UNSET, name="additionalInfo"
    )
    id_token: String36 = msgspec.field(name="idToken")
    type_: IdTokenEnumType = msgspec.field(name="type")


String5500 = Annotated[str, msgspec.Meta(max_length=5500)]

HashAlgorithmEnumType = Literal["SHA256", "SHA384", "SHA512"]

String128 = Annotated[str, msgspec.Meta(max_length=128)]

String40 = Annotated[str, msgspec.Meta(max_length=40)]

String512 = Annotated[str, msgspec.Meta(max_length=512)]


class OCSPRequestDataType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    hash_algorithm: HashAlgorithmEnumType = msgspec.field(name="hashAlgorithm")
    issuer_name_hash: String128 = msgspec.field(name="issuerNameHash")
    issuer_key_hash: String128 = msgspec.field(name="issuerKeyHash")
    serial_number: String40 = msgspec.field(name="serialNumber")
    responder_url: String512 = msgspec.field(name="responderURL")


class AuthorizeRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_token: IdTokenType = msgspec.field(name="idToken")
    certificate: String5500 | UnsetType = UNSET
    iso15118_certificate_hash_data: (
        Annotated[list[OCSPRequestDataType], msgspec.Meta(min_length=1, max_length=4)] | UnsetType
    ) = msgspec.field(default=UNSET, name="iso15118CertificateHashData")


AuthorizationStatusEnumType = Literal[
    "Accepted",
    "Blocked",
    "ConcurrentTx",
    "Expired",
    "Invalid",
    "NoCredit",
    "NotAllowedTypeEVSE",
    "NotAtThisLocation",
    "NotAtThisTime",
    "Unknown",
]

Integer = Annotated[int, msgspec.Meta(ge=-2147483648, le=2147483647)]

String8 = Annotated[str, msgspec.Meta(max_length=8)]

MessageFormatEnumType = Literal["ASCII", "HTML", "URI", "UTF8"]


class MessageContentType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    format_: MessageFormatEnumType = msgspec.field(name="format")
    language: String8 | UnsetType = UNSET
    content: String512


class IdTokenInfoType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: AuthorizationStatusEnumType
    cache_expiry_date_time: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="cacheExpiryDateTime")
    charging_priority: Integer | UnsetType = msgspec.field(default=UNSET, name="chargingPriority")
    language1: String8 | UnsetType = UNSET
    evse_id: Annotated[list[Integer], msgspec.Meta(min_length=1)] | UnsetType = msgspec.field(
        default=UNSET, name="evseId"
    )
    group_id_token: IdTokenType | UnsetType = msgspec.field(default=UNSET, name="groupIdToken")
    language2: String8 | UnsetType = UNSET
    personal_message: MessageContentType | UnsetType = msgspec.field(default=UNSET, name="personalMessage")


AuthorizeCertificateStatusEnumType = Literal[
    "Accepted",
    "SignatureError",
    "CertificateExpired",
    "CertificateRevoked",
    "NoCertificateAvailable",
    "CertChainError",
    "ContractCancelled",
]


class AuthorizeResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_token_info: IdTokenInfoType = msgspec.field(name="idTokenInfo")
    certificate_status: AuthorizeCertificateStatusEnumType | UnsetType = msgspec.field(
        default=UNSET, name="certificateStatus"
    )


String25 = Annotated[str, msgspec.Meta(max_length=25)]

String20 = Annotated[str, msgspec.Meta(max_length=20)]


class ModemType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    iccid: String20 | UnsetType = UNSET
    imsi: String20 | UnsetType = UNSET


class ChargingStationType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    serial_number: String25 | UnsetType = msgspec.field(default=UNSET, name="serialNumber")
    model: String20
    modem: ModemType | UnsetType = UNSET
    vendor_name: String50 = msgspec.field(name="vendorName")
    firmware_version: String50 | UnsetType = msgspec.field(default=UNSET, name="firmwareVersion")


BootReasonEnumType = Literal[
    "ApplicationReset",
    "FirmwareUpdate",
    "LocalReset",
    "PowerUp",
    "RemoteReset",
    "ScheduledReset",
    "Triggered",
    "Unknown",
    "Watchdog",
]


class BootNotificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    charging_station: ChargingStationType = msgspec.field(name="chargingStation")
    reason: BootReasonEnumType


RegistrationStatusEnumType = Literal["Accepted", "Pending", "Rejected"]


class StatusInfoType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    reason_code: String20 = msgspec.field(name="reasonCode")
    additional_info: String512 | UnsetType = msgspec.field(default=UNSET, name="additionalInfo")


class BootNotificationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    current_time: datetime.datetime = msgspec.field(name="currentTime")
    interval: Integer
    status: RegistrationStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class CancelReservationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    reservation_id: Integer = msgspec.field(name="reservationId")


CancelReservationStatusEnumType = Literal["Accepted", "Rejected"]


class CancelReservationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: CancelReservationStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


String10000 = Annotated[str, msgspec.Meta(max_length=10000)]

CertificateSigningUseEnumType = Literal["ChargingStationCertificate", "V2GCertificate"]


class CertificateSignedRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    certificate_chain: String10000 = msgspec.field(name="certificateChain")
    certificate_type: CertificateSigningUseEnumType | UnsetType = msgspec.field(default=UNSET, name="certificateType")


class CertificateSignedResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: CancelReservationStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class EVSEType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_: Integer = msgspec.field(name="id")
    connector_id: Integer | UnsetType = msgspec.field(default=UNSET, name="connectorId")


OperationalStatusEnumType = Literal["Inoperative", "Operative"]


class ChangeAvailabilityRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    evse: EVSEType | UnsetType = UNSET
    operational_status: OperationalStatusEnumType = msgspec.field(name="operationalStatus")


ChangeAvailabilityStatusEnumType = Literal["Accepted", "Rejected", "Scheduled"]


class ChangeAvailabilityResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: ChangeAvailabilityStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class ClearCacheRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


class ClearCacheResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: CancelReservationStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


ChargingProfilePurposeEnumType = Literal[
    "ChargingStationExternalConstraints",
    "ChargingStationMaxProfile",
    "TxDefaultProfile",
    "TxProfile",
]


class ClearChargingProfileType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    evse_id: Integer | UnsetType = msgspec.field(default=UNSET, name="evseId")
    charging_profile_purpose: ChargingProfilePurposeEnumType | UnsetType = msgspec.field(
        default=UNSET, name="chargingProfilePurpose"
    )
    stack_level: Integer | UnsetType = msgspec.field(default=UNSET, name="stackLevel")


class ClearChargingProfileRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    charging_profile_id: Integer | UnsetType = msgspec.field(default=UNSET, name="chargingProfileId")
    charging_profile_criteria: ClearChargingProfileType | UnsetType = msgspec.field(
        default=UNSET, name="chargingProfileCriteria"
    )


ClearChargingProfileStatusEnumType = Literal["Accepted", "Unknown"]


class ClearChargingProfileResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: ClearChargingProfileStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class ClearDisplayMessageRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_: Integer = msgspec.field(name="id")


class ClearDisplayMessageResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: ClearChargingProfileStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class ClearVariableMonitoringRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_: Annotated[list[Integer], msgspec.Meta(min_length=1)] = msgspec.field(name="id")


ClearMonitoringStatusEnumType = Literal["Accepted", "Rejected", "NotFound"]


class ClearMonitoringResultType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: ClearMonitoringStatusEnumType
    id_: Integer = msgspec.field(name="id")
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class ClearVariableMonitoringResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    clear_monitoring_result: Annotated[list[ClearMonitoringResultType], msgspec.Meta(min_length=1)] = msgspec.field(
        name="clearMonitoringResult"
    )


ChargingLimitSourceEnumType = Literal["EMS", "Other", "SO", "CSO"]


class ClearedChargingLimitRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    charging_limit_source: ChargingLimitSourceEnumType = msgspec.field(name="chargingLimitSource")
    evse_id: Integer | UnsetType = msgspec.field(default=UNSET, name="evseId")


class ClearedChargingLimitResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


class CostUpdatedRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    total_cost: float = msgspec.field(name="totalCost")
    transaction_id: String36 = msgspec.field(name="transactionId")


class CostUpdatedResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


class CertificateHashDataType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    hash_algorithm: HashAlgorithmEnumType = msgspec.field(name="hashAlgorithm")
    issuer_name_hash: String128 = msgspec.field(name="issuerNameHash")
    issuer_key_hash: String128 = msgspec.field(name="issuerKeyHash")
    serial_number: String40 = msgspec.field(name="serialNumber")


String64 = Annotated[str, msgspec.Meta(max_length=64)]


class CustomerInformationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    customer_certificate: CertificateHashDataType | UnsetType = msgspec.field(default=UNSET, name="customerCertificate")
    id_token: IdTokenType | UnsetType = msgspec.field(default=UNSET, name="idToken")
    request_id: Integer = msgspec.field(name="requestId")
    report: bool
    clear: bool
    customer_identifier: String64 | UnsetType = msgspec.field(default=UNSET, name="customerIdentifier")


CustomerInformationStatusEnumType = Literal["Accepted", "Rejected", "Invalid"]


class CustomerInformationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: CustomerInformationStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class DataTransferRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    message_id: String50 | UnsetType = msgspec.field(default=UNSET, name="messageId")
    data: Any | UnsetType = UNSET
    vendor_id: String255 = msgspec.field(name="vendorId")


DataTransferStatusEnumType = Literal["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"]


class DataTransferResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: DataTransferStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")
    data: Any | UnsetType = UNSET


class DeleteCertificateRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    certificate_hash_data: CertificateHashDataType = msgspec.field(name="certificateHashData")


DeleteCertificateStatusEnumType = Literal["Accepted", "Failed", "NotFound"]


class DeleteCertificateResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: DeleteCertificateStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


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


class FirmwareStatusNotificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: FirmwareStatusEnumType
    request_id: Integer | UnsetType = msgspec.field(default=UNSET, name="requestId")


class FirmwareStatusNotificationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


CertificateActionEnumType = Literal["Install", "Update"]

String5600 = Annotated[str, msgspec.Meta(max_length=5600)]


class Get15118EVCertificateRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    iso15118_schema_version: String50 = msgspec.field(name="iso15118SchemaVersion")
    action: CertificateActionEnumType
    exi_request: String5600 = msgspec.field(name="exiRequest")


Iso15118EVCertificateStatusEnumType = Literal["Accepted", "Failed"]

String7500 = Annotated[str, msgspec.Meta(max_length=7500)]


class Get15118EVCertificateResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: Iso15118EVCertificateStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")
    exi_response: String7500 = msgspec.field(name="exiResponse")


ReportBaseEnumType = Literal["ConfigurationInventory", "FullInventory", "SummaryInventory"]


class GetBaseReportRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    request_id: Integer = msgspec.field(name="requestId")
    report_base: ReportBaseEnumType = msgspec.field(name="reportBase")


GenericDeviceModelStatusEnumType = Literal["Accepted", "Rejected", "NotSupported", "EmptyResultSet"]


class GetBaseReportResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: GenericDeviceModelStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class GetCertificateStatusRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    ocsp_request_data: OCSPRequestDataType = msgspec.field(name="ocspRequestData")


class GetCertificateStatusResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: Iso15118EVCertificateStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")
    ocsp_result: String5500 | UnsetType = msgspec.field(default=UNSET, name="ocspResult")


class ChargingProfileCriterionType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    charging_profile_purpose: ChargingProfilePurposeEnumType | UnsetType = msgspec.field(
        default=UNSET, name="chargingProfilePurpose"
    )
    stack_level: Integer | UnsetType = msgspec.field(default=UNSET, name="stackLevel")
    charging_profile_id: Annotated[list[Integer], msgspec.Meta(min_length=1)] | UnsetType = msgspec.field(
        default=UNSET, name="chargingProfileId"
    )
    charging_limit_source: (
        Annotated[list[ChargingLimitSourceEnumType], msgspec.Meta(min_length=1, max_length=4)] | UnsetType
    ) = msgspec.field(default=UNSET, name="chargingLimitSource")


class GetChargingProfilesRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    request_id: Integer = msgspec.field(name="requestId")
    evse_id: Integer | UnsetType = msgspec.field(default=UNSET, name="evseId")
    charging_profile: ChargingProfileCriterionType = msgspec.field(name="chargingProfile")


GetChargingProfileStatusEnumType = Literal["Accepted", "NoProfiles"]


class GetChargingProfilesResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: GetChargingProfileStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


ChargingRateUnitEnumType = Literal["W", "A"]


class GetCompositeScheduleRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    duration: Integer
    charging_rate_unit: ChargingRateUnitEnumType | UnsetType = msgspec.field(default=UNSET, name="chargingRateUnit")
    evse_id: Integer = msgspec.field(name="evseId")


class ChargingSchedulePeriodType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    start_period: Integer = msgspec.field(name="startPeriod")
    limit: float
    number_phases: Integer | UnsetType = msgspec.field(default=UNSET, name="numberPhases")
    phase_to_use: Integer | UnsetType = msgspec.field(default=UNSET, name="phaseToUse")


class CompositeScheduleType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    charging_schedule_period: Annotated[list[ChargingSchedulePeriodType], msgspec.Meta(min_length=1)] = msgspec.field(
        name="chargingSchedulePeriod"
    )
    evse_id: Integer = msgspec.field(name="evseId")
    duration: Integer
    schedule_start: datetime.datetime = msgspec.field(name="scheduleStart")
    charging_rate_unit: ChargingRateUnitEnumType = msgspec.field(name="chargingRateUnit")


class GetCompositeScheduleResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: CancelReservationStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")
    schedule: CompositeScheduleType | UnsetType = UNSET


MessagePriorityEnumType = Literal["AlwaysFront", "InFront", "NormalCycle"]

MessageStateEnumType = Literal["Charging", "Faulted", "Idle", "Unavailable"]


class GetDisplayMessagesRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_: Annotated[list[Integer], msgspec.Meta(min_length=1)] | UnsetType = msgspec.field(default=UNSET, name="id")
    request_id: Integer = msgspec.field(name="requestId")
    priority: MessagePriorityEnumType | UnsetType = UNSET
    state: MessageStateEnumType | UnsetType = UNSET


class GetDisplayMessagesResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: ClearChargingProfileStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


GetCertificateIdUseEnumType = Literal[
    "V2GRootCertificate",
    "MORootCertificate",
    "CSMSRootCertificate",
    "V2GCertificateChain",
    "ManufacturerRootCertificate",
]


class GetInstalledCertificateIdsRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    certificate_type: Annotated[list[GetCertificateIdUseEnumType], msgspec.Meta(min_length=1)] | UnsetType = (
        msgspec.field(default=UNSET, name="certificateType")
    )


GetInstalledCertificateStatusEnumType = Literal["Accepted", "NotFound"]


class CertificateHashDataChainType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    certificate_hash_data: CertificateHashDataType = msgspec.field(name="certificateHashData")
    certificate_type: GetCertificateIdUseEnumType = msgspec.field(name="certificateType")
    child_certificate_hash_data: (
        Annotated[list[CertificateHashDataType], msgspec.Meta(min_length=1, max_length=4)] | UnsetType
    ) = msgspec.field(default=UNSET, name="childCertificateHashData")


class GetInstalledCertificateIdsResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: GetInstalledCertificateStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")
    certificate_hash_data_chain: (
        Annotated[list[CertificateHashDataChainType], msgspec.Meta(min_length=1)] | UnsetType
    ) = msgspec.field(default=UNSET, name="certificateHashDataChain")


class GetLocalListVersionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


class GetLocalListVersionResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    version_number: Integer = msgspec.field(name="versionNumber")


class LogParametersType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    remote_location: String512 = msgspec.field(name="remoteLocation")
    oldest_timestamp: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="oldestTimestamp")
    latest_timestamp: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="latestTimestamp")


LogEnumType = Literal["DiagnosticsLog", "SecurityLog"]


class GetLogRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    log: LogParametersType
    log_type: LogEnumType = msgspec.field(name="logType")
    request_id: Integer = msgspec.field(name="requestId")
    retries: Integer | UnsetType = UNSET
    retry_interval: Integer | UnsetType = msgspec.field(default=UNSET, name="retryInterval")


LogStatusEnumType = Literal["Accepted", "Rejected", "AcceptedCanceled"]


class GetLogResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: LogStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")
    filename: String255 | UnsetType = UNSET


class ComponentType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    evse: EVSEType | UnsetType = UNSET
    name: String50
    instance: String50 | UnsetType = UNSET


class VariableType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    name: String50
    instance: String50 | UnsetType = UNSET


class ComponentVariableType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    component: ComponentType
    variable: VariableType | UnsetType = UNSET


MonitoringCriterionEnumType = Literal["ThresholdMonitoring", "DeltaMonitoring", "PeriodicMonitoring"]


class GetMonitoringReportRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    component_variable: Annotated[list[ComponentVariableType], msgspec.Meta(min_length=1)] | UnsetType = msgspec.field(
        default=UNSET, name="componentVariable"
    )
    request_id: Integer = msgspec.field(name="requestId")
    monitoring_criteria: (
        Annotated[list[MonitoringCriterionEnumType], msgspec.Meta(min_length=1, max_length=3)] | UnsetType
    ) = msgspec.field(default=UNSET, name="monitoringCriteria")


class GetMonitoringReportResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: GenericDeviceModelStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


ComponentCriterionEnumType = Literal["Active", "Available", "Enabled", "Problem"]


class GetReportRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    component_variable: Annotated[list[ComponentVariableType], msgspec.Meta(min_length=1)] | UnsetType = msgspec.field(
        default=UNSET, name="componentVariable"
    )
    request_id: Integer = msgspec.field(name="requestId")
    component_criteria: (
        Annotated[list[ComponentCriterionEnumType], msgspec.Meta(min_length=1, max_length=4)] | UnsetType
    ) = msgspec.field(default=UNSET, name="componentCriteria")


class GetReportResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: GenericDeviceModelStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class GetTransactionStatusRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    transaction_id: String36 | UnsetType = msgspec.field(default=UNSET, name="transactionId")


class GetTransactionStatusResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    ongoing_indicator: bool | UnsetType = msgspec.field(default=UNSET, name="ongoingIndicator")
    messages_in_queue: bool = msgspec.field(name="messagesInQueue")


AttributeEnumType = Literal["Actual", "Target", "MinSet", "MaxSet"]


class GetVariableDataType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    attribute_type: AttributeEnumType | UnsetType = msgspec.field(default=UNSET, name="attributeType")
    component: ComponentType
    variable: VariableType


class GetVariablesRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    get_variable_data: Annotated[list[GetVariableDataType], msgspec.Meta(min_length=1)] = msgspec.field(
        name="getVariableData"
    )


GetVariableStatusEnumType = Literal[
    "Accepted",
    "Rejected",
    "UnknownComponent",
    "UnknownVariable",
    "NotSupportedAttributeType",
]

String2500 = Annotated[str, msgspec.Meta(max_length=2500)]


class GetVariableResultType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    attribute_status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="attributeStatusInfo")
    attribute_status: GetVariableStatusEnumType = msgspec.field(name="attributeStatus")
    attribute_type: AttributeEnumType | UnsetType = msgspec.field(default=UNSET, name="attributeType")
    attribute_value: String2500 | UnsetType = msgspec.field(default=UNSET, name="attributeValue")
    component: ComponentType
    variable: VariableType


class GetVariablesResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    get_variable_result: Annotated[list[GetVariableResultType], msgspec.Meta(min_length=1)] = msgspec.field(
        name="getVariableResult"
    )


class HeartbeatRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


class HeartbeatResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    current_time: datetime.datetime = msgspec.field(name="currentTime")


InstallCertificateUseEnumType = Literal[
    "V2GRootCertificate",
    "MORootCertificate",
    "CSMSRootCertificate",
    "ManufacturerRootCertificate",
]


class InstallCertificateRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    certificate_type: InstallCertificateUseEnumType = msgspec.field(name="certificateType")
    certificate: String5500


InstallCertificateStatusEnumType = Literal["Accepted", "Rejected", "Failed"]


class InstallCertificateResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: InstallCertificateStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


UploadLogStatusEnumType = Literal[
    "BadMessage",
    "Idle",
    "NotSupportedOperation",
    "PermissionDenied",
    "Uploaded",
    "UploadFailure",
    "Uploading",
    "AcceptedCanceled",
]


class LogStatusNotificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: UploadLogStatusEnumType
    request_id: Integer | UnsetType = msgspec.field(default=UNSET, name="requestId")


class LogStatusNotificationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


ReadingContextEnumType = Literal[
    "Interruption.Begin",
    "Interruption.End",
    "Other",
    "Sample.Clock",
    "Sample.Periodic",
    "Transaction.Begin",
    "Transaction.End",
    "Trigger",
]

MeasurandEnumType = Literal[
    "Current.Export",
    "Current.Import",
    "Current.Offered",
    "Energy.Active.Export.Register",
    "Energy.Active.Import.Register",
    "Energy.Reactive.Export.Register",
    "Energy.Reactive.Import.Register",
    "Energy.Active.Export.Interval",
    "Energy.Active.Import.Interval",
    "Energy.Active.Net",
    "Energy.Reactive.Export.Interval",
    "Energy.Reactive.Import.Interval",
    "Energy.Reactive.Net",
    "Energy.Apparent.Net",
    "Energy.Apparent.Import",
    "Energy.Apparent.Export",
    "Frequency",
    "Power.Active.Export",
    "Power.Active.Import",
    "Power.Factor",
    "Power.Offered",
    "Power.Reactive.Export",
    "Power.Reactive.Import",
    "SoC",
    "Voltage",
]

PhaseEnumType = Literal["L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1"]

LocationEnumType = Literal["Body", "Cable", "EV", "Inlet", "Outlet"]


class SignedMeterValueType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    signed_meter_data: String2500 = msgspec.field(name="signedMeterData")
    signing_method: String50 = msgspec.field(name="signingMethod")
    encoding_method: String50 = msgspec.field(name="encodingMethod")
    public_key: String2500 = msgspec.field(name="publicKey")


class UnitOfMeasureType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    unit: String20 | UnsetType = UNSET
    multiplier: Integer | UnsetType = UNSET


class SampledValueType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    value: float
    context: ReadingContextEnumType | UnsetType = UNSET
    measurand: MeasurandEnumType | UnsetType = UNSET
    phase: PhaseEnumType | UnsetType = UNSET
    location: LocationEnumType | UnsetType = UNSET
    signed_meter_value: SignedMeterValueType | UnsetType = msgspec.field(default=UNSET, name="signedMeterValue")
    unit_of_measure: UnitOfMeasureType | UnsetType = msgspec.field(default=UNSET, name="unitOfMeasure")


class MeterValueType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    sampled_value: Annotated[list[SampledValueType], msgspec.Meta(min_length=1)] = msgspec.field(name="sampledValue")
    timestamp: datetime.datetime


class MeterValuesRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    evse_id: Integer = msgspec.field(name="evseId")
    meter_value: Annotated[list[MeterValueType], msgspec.Meta(min_length=1)] = msgspec.field(name="meterValue")


class MeterValuesResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


String32 = Annotated[str, msgspec.Meta(max_length=32)]


class RelativeTimeIntervalType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    start: Integer
    duration: Integer | UnsetType = UNSET


CostKindEnumType = Literal["CarbonDioxideEmission", "RelativePricePercentage", "RenewableGenerationPercentage"]


class CostType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    cost_kind: CostKindEnumType = msgspec.field(name="costKind")
    amount: Integer
    amount_multiplier: Integer | UnsetType = msgspec.field(default=UNSET, name="amountMultiplier")


class ConsumptionCostType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    start_value: float = msgspec.field(name="startValue")
    cost: Annotated[list[CostType], msgspec.Meta(min_length=1, max_length=3)]


class SalesTariffEntryType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    relative_time_interval: RelativeTimeIntervalType = msgspec.field(name="relativeTimeInterval")
    e_price_level: Annotated[int, msgspec.Meta(ge=0, le=2147483647)] | UnsetType = msgspec.field(
        default=UNSET, name="ePriceLevel"
    )
    consumption_cost: Annotated[list[ConsumptionCostType], msgspec.Meta(min_length=1, max_length=3)] | UnsetType = (
        msgspec.field(default=UNSET, name="consumptionCost")
    )


class SalesTariffType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_: Integer = msgspec.field(name="id")
    sales_tariff_description: String32 | UnsetType = msgspec.field(default=UNSET, name="salesTariffDescription")
    num_e_price_levels: Integer | UnsetType = msgspec.field(default=UNSET, name="numEPriceLevels")
    sales_tariff_entry: Annotated[list[SalesTariffEntryType], msgspec.Meta(min_length=1, max_length=1024)] = (
        msgspec.field(name="salesTariffEntry")
    )


class ChargingScheduleType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_: Integer = msgspec.field(name="id")
    start_schedule: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="startSchedule")
    duration: Integer | UnsetType = UNSET
    charging_rate_unit: ChargingRateUnitEnumType = msgspec.field(name="chargingRateUnit")
    charging_schedule_period: Annotated[
        list[ChargingSchedulePeriodType], msgspec.Meta(min_length=1, max_length=1024)
    ] = msgspec.field(name="chargingSchedulePeriod")
    min_charging_rate: float | UnsetType = msgspec.field(default=UNSET, name="minChargingRate")
    sales_tariff: SalesTariffType | UnsetType = msgspec.field(default=UNSET, name="salesTariff")


class ChargingLimitType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    charging_limit_source: ChargingLimitSourceEnumType = msgspec.field(name="chargingLimitSource")
    is_grid_critical: bool | UnsetType = msgspec.field(default=UNSET, name="isGridCritical")


class NotifyChargingLimitRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    charging_schedule: Annotated[list[ChargingScheduleType], msgspec.Meta(min_length=1)] | UnsetType = msgspec.field(
        default=UNSET, name="chargingSchedule"
    )
    evse_id: Integer | UnsetType = msgspec.field(default=UNSET, name="evseId")
    charging_limit: ChargingLimitType = msgspec.field(name="chargingLimit")


class NotifyChargingLimitResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


class NotifyCustomerInformationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    data: String512
    tbc: bool | UnsetType = UNSET
    seq_no: Integer = msgspec.field(name="seqNo")
    generated_at: datetime.datetime = msgspec.field(name="generatedAt")
    request_id: Integer = msgspec.field(name="requestId")


class NotifyCustomerInformationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


class MessageInfoType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    display: ComponentType | UnsetType = UNSET
    id_: Integer = msgspec.field(name="id")
    priority: MessagePriorityEnumType
    state: MessageStateEnumType | UnsetType = UNSET
    start_date_time: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="startDateTime")
    end_date_time: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="endDateTime")
    transaction_id: String36 | UnsetType = msgspec.field(default=UNSET, name="transactionId")
    message: MessageContentType


class NotifyDisplayMessagesRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    message_info: Annotated[list[MessageInfoType], msgspec.Meta(min_length=1)] | UnsetType = msgspec.field(
        default=UNSET, name="messageInfo"
    )
    request_id: Integer = msgspec.field(name="requestId")
    tbc: bool | UnsetType = UNSET


class NotifyDisplayMessagesResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


class ACChargingParametersType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    energy_amount: Integer = msgspec.field(name="energyAmount")
    ev_min_current: Integer = msgspec.field(name="evMinCurrent")
    ev_max_current: Integer = msgspec.field(name="evMaxCurrent")
    ev_max_voltage: Integer = msgspec.field(name="evMaxVoltage")


class DCChargingParametersType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    ev_max_current: Integer = msgspec.field(name="evMaxCurrent")
    ev_max_voltage: Integer = msgspec.field(name="evMaxVoltage")
    energy_amount: Integer | UnsetType = msgspec.field(default=UNSET, name="energyAmount")
    ev_max_power: Integer | UnsetType = msgspec.field(default=UNSET, name="evMaxPower")
    state_of_charge: Annotated[int, msgspec.Meta(ge=0, le=100)] | UnsetType = msgspec.field(
        default=UNSET, name="stateOfCharge"
    )
    ev_energy_capacity: Integer | UnsetType = msgspec.field(default=UNSET, name="evEnergyCapacity")
    full_soc: Annotated[int, msgspec.Meta(ge=0, le=100)] | UnsetType = msgspec.field(default=UNSET, name="fullSoC")
    bulk_soc: Annotated[int, msgspec.Meta(ge=0, le=100)] | UnsetType = msgspec.field(default=UNSET, name="bulkSoC")


EnergyTransferModeEnumType = Literal["DC", "AC_single_phase", "AC_two_phase", "AC_three_phase"]


class ChargingNeedsType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    ac_charging_parameters: ACChargingParametersType | UnsetType = msgspec.field(
        default=UNSET, name="acChargingParameters"
    )
    dc_charging_parameters: DCChargingParametersType | UnsetType = msgspec.field(
        default=UNSET, name="dcChargingParameters"
    )
    requested_energy_transfer: EnergyTransferModeEnumType = msgspec.field(name="requestedEnergyTransfer")
    departure_time: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="departureTime")


class NotifyEVChargingNeedsRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    max_schedule_tuples: Integer | UnsetType = msgspec.field(default=UNSET, name="maxScheduleTuples")
    charging_needs: ChargingNeedsType = msgspec.field(name="chargingNeeds")
    evse_id: Integer = msgspec.field(name="evseId")


NotifyEVChargingNeedsStatusEnumType = Literal["Accepted", "Rejected", "Processing"]


class NotifyEVChargingNeedsResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: NotifyEVChargingNeedsStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class NotifyEVChargingScheduleRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    time_base: datetime.datetime = msgspec.field(name="timeBase")
    charging_schedule: ChargingScheduleType = msgspec.field(name="chargingSchedule")
    evse_id: Integer = msgspec.field(name="evseId")


class NotifyEVChargingScheduleResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: CancelReservationStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


EventTriggerEnumType = Literal["Alerting", "Delta", "Periodic"]

String500 = Annotated[str, msgspec.Meta(max_length=500)]

EventNotificationEnumType = Literal[
    "HardWiredNotification",
    "HardWiredMonitor",
    "PreconfiguredMonitor",
    "CustomMonitor",
]


class EventDataType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    event_id: Integer = msgspec.field(name="eventId")
    timestamp: datetime.datetime
    trigger: EventTriggerEnumType
    cause: Integer | UnsetType = UNSET
    actual_value: String2500 = msgspec.field(name="actualValue")
    tech_code: String50 | UnsetType = msgspec.field(default=UNSET, name="techCode")
    tech_info: String500 | UnsetType = msgspec.field(default=UNSET, name="techInfo")
    cleared: bool | UnsetType = UNSET
    transaction_id: String36 | UnsetType = msgspec.field(default=UNSET, name="transactionId")
    component: ComponentType
    variable_monitoring_id: Integer | UnsetType = msgspec.field(default=UNSET, name="variableMonitoringId")
    event_notification_type: EventNotificationEnumType = msgspec.field(name="eventNotificationType")
    variable: VariableType


class NotifyEventRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    generated_at: datetime.datetime = msgspec.field(name="generatedAt")
    tbc: bool | UnsetType = UNSET
    seq_no: Integer = msgspec.field(name="seqNo")
    event_data: Annotated[list[EventDataType], msgspec.Meta(min_length=1)] = msgspec.field(name="eventData")


class NotifyEventResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


MonitorEnumType = Literal["UpperThreshold", "LowerThreshold", "Delta", "Periodic", "PeriodicClockAligned"]


class VariableMonitoringType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_: Integer = msgspec.field(name="id")
    transaction: bool
    value: float
    type_: MonitorEnumType = msgspec.field(name="type")
    severity: Integer


class MonitoringDataType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    component: ComponentType
    variable: VariableType
    variable_monitoring: Annotated[list[VariableMonitoringType], msgspec.Meta(min_length=1)] = msgspec.field(
        name="variableMonitoring"
    )


class NotifyMonitoringReportRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    monitor: Annotated[list[MonitoringDataType], msgspec.Meta(min_length=1)] | UnsetType = UNSET
    request_id: Integer = msgspec.field(name="requestId")
    tbc: bool | UnsetType = UNSET
    seq_no: Integer = msgspec.field(name="seqNo")
    generated_at: datetime.datetime = msgspec.field(name="generatedAt")


class NotifyMonitoringReportResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


MutabilityEnumType = Literal["ReadOnly", "WriteOnly", "ReadWrite"]


class VariableAttributeType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    type_: AttributeEnumType | UnsetType = msgspec.field(default=UNSET, name="type")
    value: String2500 | UnsetType = UNSET
    mutability: MutabilityEnumType | UnsetType = UNSET
    persistent: bool | UnsetType = UNSET
    constant: bool | UnsetType = UNSET


String16 = Annotated[str, msgspec.Meta(max_length=16)]

DataEnumType = Literal[
    "string",
    "decimal",
    "integer",
    "dateTime",
    "boolean",
    "OptionList",
    "SequenceList",
    "MemberList",
]

String1000 = Annotated[str, msgspec.Meta(max_length=1000)]


class VariableCharacteristicsType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    unit: String16 | UnsetType = UNSET
    data_type: DataEnumType = msgspec.field(name="dataType")
    min_limit: float | UnsetType = msgspec.field(default=UNSET, name="minLimit")
    max_limit: float | UnsetType = msgspec.field(default=UNSET, name="maxLimit")
    values_list: String1000 | UnsetType = msgspec.field(default=UNSET, name="valuesList")
    supports_monitoring: bool = msgspec.field(name="supportsMonitoring")


class ReportDataType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    component: ComponentType
    variable: VariableType
    variable_attribute: Annotated[list[VariableAttributeType], msgspec.Meta(min_length=1, max_length=4)] = (
        msgspec.field(name="variableAttribute")
    )
    variable_characteristics: VariableCharacteristicsType | UnsetType = msgspec.field(
        default=UNSET, name="variableCharacteristics"
    )


class NotifyReportRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    request_id: Integer = msgspec.field(name="requestId")
    generated_at: datetime.datetime = msgspec.field(name="generatedAt")
    report_data: Annotated[list[ReportDataType], msgspec.Meta(min_length=1)] | UnsetType = msgspec.field(
        default=UNSET, name="reportData"
    )
    tbc: bool | UnsetType = UNSET
    seq_no: Integer = msgspec.field(name="seqNo")


class NotifyReportResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


class PublishFirmwareRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    location: String512
    retries: Integer | UnsetType = UNSET
    checksum: String32
    request_id: Integer = msgspec.field(name="requestId")
    retry_interval: Integer | UnsetType = msgspec.field(default=UNSET, name="retryInterval")


class PublishFirmwareResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: CancelReservationStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


PublishFirmwareStatusEnumType = Literal[
    "Idle",
    "DownloadScheduled",
    "Downloading",
    "Downloaded",
    "Published",
    "DownloadFailed",
    "DownloadPaused",
    "InvalidChecksum",
    "ChecksumVerified",
    "PublishFailed",
]


class PublishFirmwareStatusNotificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: PublishFirmwareStatusEnumType
    location: Annotated[list[String512], msgspec.Meta(min_length=1)] | UnsetType = UNSET
    request_id: Integer | UnsetType = msgspec.field(default=UNSET, name="requestId")


class PublishFirmwareStatusNotificationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


ChargingProfileKindEnumType = Literal["Absolute", "Recurring", "Relative"]

RecurrencyKindEnumType = Literal["Daily", "Weekly"]


class ChargingProfileType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_: Integer = msgspec.field(name="id")
    stack_level: Integer = msgspec.field(name="stackLevel")
    charging_profile_purpose: ChargingProfilePurposeEnumType = msgspec.field(name="chargingProfilePurpose")
    charging_profile_kind: ChargingProfileKindEnumType = msgspec.field(name="chargingProfileKind")
    recurrency_kind: RecurrencyKindEnumType | UnsetType = msgspec.field(default=UNSET, name="recurrencyKind")
    valid_from: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="validFrom")
    valid_to: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="validTo")
    charging_schedule: Annotated[list[ChargingScheduleType], msgspec.Meta(min_length=1, max_length=3)] = msgspec.field(
        name="chargingSchedule"
    )
    transaction_id: String36 | UnsetType = msgspec.field(default=UNSET, name="transactionId")


class ReportChargingProfilesRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    request_id: Integer = msgspec.field(name="requestId")
    charging_limit_source: ChargingLimitSourceEnumType = msgspec.field(name="chargingLimitSource")
    charging_profile: Annotated[list[ChargingProfileType], msgspec.Meta(min_length=1)] = msgspec.field(
        name="chargingProfile"
    )
    tbc: bool | UnsetType = UNSET
    evse_id: Integer = msgspec.field(name="evseId")


class ReportChargingProfilesResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


class RequestStartTransactionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    evse_id: Integer | UnsetType = msgspec.field(default=UNSET, name="evseId")
    group_id_token: IdTokenType | UnsetType = msgspec.field(default=UNSET, name="groupIdToken")
    id_token: IdTokenType = msgspec.field(name="idToken")
    remote_start_id: Integer = msgspec.field(name="remoteStartId")
    charging_profile: ChargingProfileType | UnsetType = msgspec.field(default=UNSET, name="chargingProfile")


class RequestStartTransactionResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: CancelReservationStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")
    transaction_id: String36 | UnsetType = msgspec.field(default=UNSET, name="transactionId")


class RequestStopTransactionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    transaction_id: String36 = msgspec.field(name="transactionId")


class RequestStopTransactionResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: CancelReservationStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


ReservationUpdateStatusEnumType = Literal["Expired", "Removed"]


class ReservationStatusUpdateRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    reservation_id: Integer = msgspec.field(name="reservationId")
    reservation_update_status: ReservationUpdateStatusEnumType = msgspec.field(name="reservationUpdateStatus")


class ReservationStatusUpdateResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


ConnectorEnumType = Literal[
    "cCCS1",
    "cCCS2",
    "cG105",
    "cTesla",
    "cType1",
    "cType2",
    "s309-1P-16A",
    "s309-1P-32A",
    "s309-3P-16A",
    "s309-3P-32A",
    "sBS1361",
    "sCEE-7-7",
    "sType2",
    "sType3",
    "Other1PhMax16A",
    "Other1PhOver16A",
    "Other3Ph",
    "Pan",
    "wInductive",
    "wResonant",
    "Undetermined",
    "Unknown",
]


class ReserveNowRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_: Integer = msgspec.field(name="id")
    expiry_date_time: datetime.datetime = msgspec.field(name="expiryDateTime")
    connector_type: ConnectorEnumType | UnsetType = msgspec.field(default=UNSET, name="connectorType")
    id_token: IdTokenType = msgspec.field(name="idToken")
    evse_id: Integer | UnsetType = msgspec.field(default=UNSET, name="evseId")
    group_id_token: IdTokenType | UnsetType = msgspec.field(default=UNSET, name="groupIdToken")


ReserveNowStatusEnumType = Literal["Accepted", "Faulted", "Occupied", "Rejected", "Unavailable"]


class ReserveNowResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: ReserveNowStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


ResetEnumType = Literal["Immediate", "OnIdle"]


class ResetRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    type_: ResetEnumType = msgspec.field(name="type")
    evse_id: Integer | UnsetType = msgspec.field(default=UNSET, name="evseId")


class ResetResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: ChangeAvailabilityStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class SecurityEventNotificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    type_: String50 = msgspec.field(name="type")
    timestamp: datetime.datetime
    tech_info: String255 | UnsetType = msgspec.field(default=UNSET, name="techInfo")


class SecurityEventNotificationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


class AuthorizationData(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_token: IdTokenType = msgspec.field(name="idToken")
    id_token_info: IdTokenInfoType | UnsetType = msgspec.field(default=UNSET, name="idTokenInfo")


UpdateEnumType = Literal["Differential", "Full"]


class SendLocalListRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    local_authorization_list: Annotated[list[AuthorizationData], msgspec.Meta(min_length=1)] | UnsetType = (
        msgspec.field(default=UNSET, name="localAuthorizationList")
    )
    version_number: Integer = msgspec.field(name="versionNumber")
    update_type: UpdateEnumType = msgspec.field(name="updateType")


SendLocalListStatusEnumType = Literal["Accepted", "Failed", "VersionMismatch"]


class SendLocalListResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: SendLocalListStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class SetChargingProfileRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    evse_id: Integer = msgspec.field(name="evseId")
    charging_profile: ChargingProfileType = msgspec.field(name="chargingProfile")


class SetChargingProfileResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: CancelReservationStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class SetDisplayMessageRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    message: MessageInfoType


DisplayMessageStatusEnumType = Literal[
    "Accepted",
    "NotSupportedMessageFormat",
    "Rejected",
    "NotSupportedPriority",
    "NotSupportedState",
    "UnknownTransaction",
]


class SetDisplayMessageResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: DisplayMessageStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


MonitoringBaseEnumType = Literal["All", "FactoryDefault", "HardWiredOnly"]


class SetMonitoringBaseRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    monitoring_base: MonitoringBaseEnumType = msgspec.field(name="monitoringBase")


class SetMonitoringBaseResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: GenericDeviceModelStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class SetMonitoringLevelRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    severity: Integer


class SetMonitoringLevelResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: CancelReservationStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


String6 = Annotated[str, msgspec.Meta(max_length=6)]

APNAuthenticationEnumType = Literal["CHAP", "NONE", "PAP", "AUTO"]


class APNType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    apn: String512
    apn_user_name: String20 | UnsetType = msgspec.field(default=UNSET, name="apnUserName")
    apn_password: String20 | UnsetType = msgspec.field(default=UNSET, name="apnPassword")
    sim_pin: Integer | UnsetType = msgspec.field(default=UNSET, name="simPin")
    preferred_network: String6 | UnsetType = msgspec.field(default=UNSET, name="preferredNetwork")
    use_only_preferred_network: bool | UnsetType = msgspec.field(default=UNSET, name="useOnlyPreferredNetwork")
    apn_authentication: APNAuthenticationEnumType = msgspec.field(name="apnAuthentication")


OCPPVersionEnumType = Literal["OCPP12", "OCPP15", "OCPP16", "OCPP20"]

OCPPTransportEnumType = Literal["JSON", "SOAP"]

OCPPInterfaceEnumType = Literal[
    "Wired0",
    "Wired1",
    "Wired2",
    "Wired3",
    "Wireless0",
    "Wireless1",
    "Wireless2",
    "Wireless3",
]

VPNEnumType = Literal["IKEv2", "IPSec", "L2TP", "PPTP"]


class VPNType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    server: String512
    user: String20
    group: String20 | UnsetType = UNSET
    password: String20
    key: String255
    type_: VPNEnumType = msgspec.field(name="type")


class NetworkConnectionProfileType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    apn: APNType | UnsetType = UNSET
    ocpp_version: OCPPVersionEnumType = msgspec.field(name="ocppVersion")
    ocpp_transport: OCPPTransportEnumType = msgspec.field(name="ocppTransport")
    ocpp_csms_url: String512 = msgspec.field(name="ocppCsmsUrl")
    message_timeout: Integer = msgspec.field(name="messageTimeout")
    security_profile: Integer = msgspec.field(name="securityProfile")
    ocpp_interface: OCPPInterfaceEnumType = msgspec.field(name="ocppInterface")
    vpn: VPNType | UnsetType = UNSET


class SetNetworkProfileRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    configuration_slot: Integer = msgspec.field(name="configurationSlot")
    connection_data: NetworkConnectionProfileType = msgspec.field(name="connectionData")


class SetNetworkProfileResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: InstallCertificateStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class SetMonitoringDataType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_: Integer | UnsetType = msgspec.field(default=UNSET, name="id")
    transaction: bool | UnsetType = UNSET
    value: float
    type_: MonitorEnumType = msgspec.field(name="type")
    severity: Integer
    component: ComponentType
    variable: VariableType


class SetVariableMonitoringRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    set_monitoring_data: Annotated[list[SetMonitoringDataType], msgspec.Meta(min_length=1)] = msgspec.field(
        name="setMonitoringData"
    )


SetMonitoringStatusEnumType = Literal[
    "Accepted",
    "UnknownComponent",
    "UnknownVariable",
    "UnsupportedMonitorType",
    "Rejected",
    "Duplicate",
]


class SetMonitoringResultType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    id_: Integer | UnsetType = msgspec.field(default=UNSET, name="id")
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")
    status: SetMonitoringStatusEnumType
    type_: MonitorEnumType = msgspec.field(name="type")
    component: ComponentType
    variable: VariableType
    severity: Integer


class SetVariableMonitoringResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    set_monitoring_result: Annotated[list[SetMonitoringResultType], msgspec.Meta(min_length=1)] = msgspec.field(
        name="setMonitoringResult"
    )


class SetVariableDataType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    attribute_type: AttributeEnumType | UnsetType = msgspec.field(default=UNSET, name="attributeType")
    attribute_value: String1000 = msgspec.field(name="attributeValue")
    component: ComponentType
    variable: VariableType


class SetVariablesRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    set_variable_data: Annotated[list[SetVariableDataType], msgspec.Meta(min_length=1)] = msgspec.field(
        name="setVariableData"
    )


SetVariableStatusEnumType = Literal[
    "Accepted",
    "Rejected",
    "UnknownComponent",
    "UnknownVariable",
    "NotSupportedAttributeType",
    "RebootRequired",
]


class SetVariableResultType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    attribute_type: AttributeEnumType | UnsetType = msgspec.field(default=UNSET, name="attributeType")
    attribute_status: SetVariableStatusEnumType = msgspec.field(name="attributeStatus")
    attribute_status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="attributeStatusInfo")
    component: ComponentType
    variable: VariableType


class SetVariablesResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    set_variable_result: Annotated[list[SetVariableResultType], msgspec.Meta(min_length=1)] = msgspec.field(
        name="setVariableResult"
    )


class SignCertificateRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    csr: String5500
    certificate_type: CertificateSigningUseEnumType | UnsetType = msgspec.field(default=UNSET, name="certificateType")


class SignCertificateResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: CancelReservationStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


ConnectorStatusEnumType = Literal["Available", "Occupied", "Reserved", "Unavailable", "Faulted"]


class StatusNotificationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    timestamp: datetime.datetime
    connector_status: ConnectorStatusEnumType = msgspec.field(name="connectorStatus")
    evse_id: Integer = msgspec.field(name="evseId")
    connector_id: Integer = msgspec.field(name="connectorId")


class StatusNotificationResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")


TransactionEventEnumType = Literal["Ended", "Started", "Updated"]

TriggerReasonEnumType = Literal[
    "Authorized",
    "CablePluggedIn",
    "ChargingRateChanged",
    "ChargingStateChanged",
    "Deauthorized",
    "EnergyLimitReached",
    "EVCommunicationLost",
    "EVConnectTimeout",
    "MeterValueClock",
    "MeterValuePeriodic",
    "TimeLimitReached",
    "Trigger",
    "UnlockCommand",
    "StopAuthorized",
    "EVDeparted",
    "EVDetected",
    "RemoteStop",
    "RemoteStart",
    "AbnormalCondition",
    "SignedDataReceived",
    "ResetCommand",
]

ChargingStateEnumType = Literal["Charging", "EVConnected", "SuspendedEV", "SuspendedEVSE", "Idle"]

ReasonEnumType = Literal[
    "DeAuthorized",
    "EmergencyStop",
    "EnergyLimitReached",
    "EVDisconnected",
    "GroundFault",
    "ImmediateReset",
    "Local",
    "LocalOutOfCredit",
    "MasterPass",
    "Other",
    "OvercurrentFault",
    "PowerLoss",
    "PowerQuality",
    "Reboot",
    "Remote",
    "SOCLimitReached",
    "StoppedByEV",
    "TimeLimitReached",
    "Timeout",
]


class TransactionType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    transaction_id: String36 = msgspec.field(name="transactionId")
    charging_state: ChargingStateEnumType | UnsetType = msgspec.field(default=UNSET, name="chargingState")
    time_spent_charging: Integer | UnsetType = msgspec.field(default=UNSET, name="timeSpentCharging")
    stopped_reason: ReasonEnumType | UnsetType = msgspec.field(default=UNSET, name="stoppedReason")
    remote_start_id: Integer | UnsetType = msgspec.field(default=UNSET, name="remoteStartId")


class TransactionEventRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    event_type: TransactionEventEnumType = msgspec.field(name="eventType")
    meter_value: Annotated[list[MeterValueType], msgspec.Meta(min_length=1)] | UnsetType = msgspec.field(
        default=UNSET, name="meterValue"
    )
    timestamp: datetime.datetime
    trigger_reason: TriggerReasonEnumType = msgspec.field(name="triggerReason")
    seq_no: Integer = msgspec.field(name="seqNo")
    offline: bool | UnsetType = UNSET
    number_of_phases_used: Integer | UnsetType = msgspec.field(default=UNSET, name="numberOfPhasesUsed")
    cable_max_current: Integer | UnsetType = msgspec.field(default=UNSET, name="cableMaxCurrent")
    reservation_id: Integer | UnsetType = msgspec.field(default=UNSET, name="reservationId")
    transaction_info: TransactionType = msgspec.field(name="transactionInfo")
    evse: EVSEType | UnsetType = UNSET
    id_token: IdTokenType | UnsetType = msgspec.field(default=UNSET, name="idToken")


class TransactionEventResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    total_cost: float | UnsetType = msgspec.field(default=UNSET, name="totalCost")
    charging_priority: Integer | UnsetType = msgspec.field(default=UNSET, name="chargingPriority")
    id_token_info: IdTokenInfoType | UnsetType = msgspec.field(default=UNSET, name="idTokenInfo")
    updated_personal_message: MessageContentType | UnsetType = msgspec.field(
        default=UNSET, name="updatedPersonalMessage"
    )


MessageTriggerEnumType = Literal[
    "BootNotification",
    "LogStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "SignChargingStationCertificate",
    "SignV2GCertificate",
    "StatusNotification",
    "TransactionEvent",
    "SignCombinedCertificate",
    "PublishFirmwareStatusNotification",
]


class TriggerMessageRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    evse: EVSEType | UnsetType = UNSET
    requested_message: MessageTriggerEnumType = msgspec.field(name="requestedMessage")


TriggerMessageStatusEnumType = Literal["Accepted", "Rejected", "NotImplemented"]


class TriggerMessageResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: TriggerMessageStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class UnlockConnectorRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    evse_id: Integer = msgspec.field(name="evseId")
    connector_id: Integer = msgspec.field(name="connectorId")


UnlockStatusEnumType = Literal["Unlocked", "UnlockFailed", "OngoingAuthorizedTransaction", "UnknownConnector"]


class UnlockConnectorResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: UnlockStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


class UnpublishFirmwareRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    checksum: String32


UnpublishFirmwareStatusEnumType = Literal["DownloadOngoing", "NoFirmware", "Unpublished"]


class UnpublishFirmwareResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: UnpublishFirmwareStatusEnumType


String800 = Annotated[str, msgspec.Meta(max_length=800)]


class FirmwareType(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    location: String512
    retrieve_date_time: datetime.datetime = msgspec.field(name="retrieveDateTime")
    install_date_time: datetime.datetime | UnsetType = msgspec.field(default=UNSET, name="installDateTime")
    signing_certificate: String5500 | UnsetType = msgspec.field(default=UNSET, name="signingCertificate")
    signature: String800 | UnsetType = UNSET


class UpdateFirmwareRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
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


class UpdateFirmwareResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    custom_data: CustomDataType | UnsetType = msgspec.field(default=UNSET, name="customData")
    status: UpdateFirmwareStatusEnumType
    status_info: StatusInfoType | UnsetType = msgspec.field(default=UNSET, name="statusInfo")


REQUESTS: dict[str, type[msgspec.Struct]] = {
    "Authorize": AuthorizeRequest,
    "BootNotification": BootNotificationRequest,
    "CancelReservation": CancelReservationRequest,
    "CertificateSigned": CertificateSignedRequest,
    "ChangeAvailability": ChangeAvailabilityRequest,
    "ClearCache": ClearCacheRequest,
    "ClearChargingProfile": ClearChargingProfileRequest,
    "ClearDisplayMessage": ClearDisplayMessageRequest,
    "ClearVariableMonitoring": ClearVariableMonitoringRequest,
    "ClearedChargingLimit": ClearedChargingLimitRequest,
    "CostUpdated": CostUpdatedRequest,
    "CustomerInformation": CustomerInformationRequest,
    "DataTransfer": DataTransferRequest,
    "DeleteCertificate": DeleteCertificateRequest,
    "FirmwareStatusNotification": FirmwareStatusNotificationRequest,
    "Get15118EVCertificate": Get15118EVCertificateRequest,
    "GetBaseReport": GetBaseReportRequest,
    "GetCertificateStatus": GetCertificateStatusRequest,
    "GetChargingProfiles": GetChargingProfilesRequest,
    "GetCompositeSchedule": GetCompositeScheduleRequest,
    "GetDisplayMessages": GetDisplayMessagesRequest,
    "GetInstalledCertificateIds": GetInstalledCertificateIdsRequest,
    "GetLocalListVersion": GetLocalListVersionRequest,
    "GetLog": GetLogRequest,
    "GetMonitoringReport": GetMonitoringReportRequest,
    "GetReport": GetReportRequest,
    "GetTransactionStatus": GetTransactionStatusRequest,
    "GetVariables": GetVariablesRequest,
    "Heartbeat": HeartbeatRequest,
    "InstallCertificate": InstallCertificateRequest,
    "LogStatusNotification": LogStatusNotificationRequest,
    "MeterValues": MeterValuesRequest,
    "NotifyChargingLimit": NotifyChargingLimitRequest,
    "NotifyCustomerInformation": NotifyCustomerInformationRequest,
    "NotifyDisplayMessages": NotifyDisplayMessagesRequest,
    "NotifyEVChargingNeeds": NotifyEVChargingNeedsRequest,
    "NotifyEVChargingSchedule": NotifyEVChargingScheduleRequest,
    "NotifyEvent": NotifyEventRequest,
    "NotifyMonitoringReport": NotifyMonitoringReportRequest,
    "NotifyReport": NotifyReportRequest,
    "PublishFirmware": PublishFirmwareRequest,
    "PublishFirmwareStatusNotification": PublishFirmwareStatusNotificationRequest,
    "ReportChargingProfiles": ReportChargingProfilesRequest,
    "RequestStartTransaction": RequestStartTransactionRequest,
    "RequestStopTransaction": RequestStopTransactionRequest,
    "ReservationStatusUpdate": ReservationStatusUpdateRequest,
    "ReserveNow": ReserveNowRequest,
    "Reset": ResetRequest,
    "SecurityEventNotification": SecurityEventNotificationRequest,
    "SendLocalList": SendLocalListRequest,
    "SetChargingProfile": SetChargingProfileRequest,
    "SetDisplayMessage": SetDisplayMessageRequest,
    "SetMonitoringBase": SetMonitoringBaseRequest,
    "SetMonitoringLevel": SetMonitoringLevelRequest,
    "SetNetworkProfile": SetNetworkProfileRequest,
    "SetVariableMonitoring": SetVariableMonitoringRequest,
    "SetVariables": SetVariablesRequest,
    "SignCertificate": SignCertificateRequest,
    "StatusNotification": StatusNotificationRequest,
    "TransactionEvent": TransactionEventRequest,
    "TriggerMessage": TriggerMessageRequest,
    "UnlockConnector": UnlockConnectorRequest,
    "UnpublishFirmware": UnpublishFirmwareRequest,
    "UpdateFirmware": UpdateFirmwareRequest,
}
RESPONSES: dict[str, type[msgspec.Struct]] = {
    "Authorize": AuthorizeResponse,
    "BootNotification": BootNotificationResponse,
    "CancelReservation": CancelReservationResponse,
    "CertificateSigned": CertificateSignedResponse,
    "ChangeAvailability": ChangeAvailabilityResponse,
    "ClearCache": ClearCacheResponse,
    "ClearChargingProfile": ClearChargingProfileResponse,
    "ClearDisplayMessage": ClearDisplayMessageResponse,
    "ClearVariableMonitoring": ClearVariableMonitoringResponse,
    "ClearedChargingLimit": ClearedChargingLimitResponse,
    "CostUpdated": CostUpdatedResponse,
    "CustomerInformation": CustomerInformationResponse,
    "DataTransfer": DataTransferResponse,
    "DeleteCertificate": DeleteCertificateResponse,
    "FirmwareStatusNotification": FirmwareStatusNotificationResponse,
    "Get15118EVCertificate": Get15118EVCertificateResponse,
    "GetBaseReport": GetBaseReportResponse,
    "GetCertificateStatus": GetCertificateStatusResponse,
    "GetChargingProfiles": GetChargingProfilesResponse,
    "GetCompositeSchedule": GetCompositeScheduleResponse,
    "GetDisplayMessages": GetDisplayMessagesResponse,
    "GetInstalledCertificateIds": GetInstalledCertificateIdsResponse,
    "GetLocalListVersion": GetLocalListVersionResponse,
    "GetLog": GetLogResponse,
    "GetMonitoringReport": GetMonitoringReportResponse,
    "GetReport": GetReportResponse,
    "GetTransactionStatus": GetTransactionStatusResponse,
    "GetVariables": GetVariablesResponse,
    "Heartbeat": HeartbeatResponse,
    "InstallCertificate": InstallCertificateResponse,
    "LogStatusNotification": LogStatusNotificationResponse,
    "MeterValues": MeterValuesResponse,
    "NotifyChargingLimit": NotifyChargingLimitResponse,
    "NotifyCustomerInformation": NotifyCustomerInformationResponse,
    "NotifyDisplayMessages": NotifyDisplayMessagesResponse,
    "NotifyEVChargingNeeds": NotifyEVChargingNeedsResponse,
    "NotifyEVChargingSchedule": NotifyEVChargingScheduleResponse,
    "NotifyEvent": NotifyEventResponse,
    "NotifyMonitoringReport": NotifyMonitoringReportResponse,
    "NotifyReport": NotifyReportResponse,
    "PublishFirmware": PublishFirmwareResponse,
    "PublishFirmwareStatusNotification": PublishFirmwareStatusNotificationResponse,
    "ReportChargingProfiles": ReportChargingProfilesResponse,
    "RequestStartTransaction": RequestStartTransactionResponse,
    "RequestStopTransaction": RequestStopTransactionResponse,
    "ReservationStatusUpdate": ReservationStatusUpdateResponse,
    "ReserveNow": ReserveNowResponse,
    "Reset": ResetResponse,
    "SecurityEventNotification": SecurityEventNotificationResponse,
    "SendLocalList": SendLocalListResponse,
    "SetChargingProfile": SetChargingProfileResponse,
    "SetDisplayMessage": SetDisplayMessageResponse,
    "SetMonitoringBase": SetMonitoringBaseResponse,
    "SetMonitoringLevel": SetMonitoringLevelResponse,
    "SetNetworkProfile": SetNetworkProfileResponse,
    "SetVariableMonitoring": SetVariableMonitoringResponse,
    "SetVariables": SetVariablesResponse,
    "SignCertificate": SignCertificateResponse,
    "StatusNotification": StatusNotificationResponse,
    "TransactionEvent": TransactionEventResponse,
    "TriggerMessage": TriggerMessageResponse,
    "UnlockConnector": UnlockConnectorResponse,
    "UnpublishFirmware": UnpublishFirmwareResponse,
    "UpdateFirmware": UpdateFirmwareResponse,
}
