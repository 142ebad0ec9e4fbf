"""The naming table of the model generator: where a Python name differs from the default.

Defaults (see generate_models.py): a class is named after its XSD type without the ``Type``
suffix (the type of a document root after the root element), a field is the snake_case of its
XML name, an enumeration member is its value in upper case. This table overrides them where
the established client's public names differ, or where a value (``"01"``) says nothing.

Keys are XSD names, so the table survives a schema revision as long as EPRX keeps the names.
"""

from __future__ import annotations

CLASS_NAMES: dict[str, str] = {
    # XSD type -> class name, in every schema that defines the type
    "OfferDataSubmitType": "OfferData",
    "AreaType": "AreaCode",
    "DirectionUpDownType": "Direction",
}

FIELD_NAMES: dict[tuple[str, str], str] = {
    # (XSD type, XML attribute or element name) -> field name
    ("OfferDataSubmitType", "ResourceName"): "resource",
    ("OfferDataSubmitType", "StartTime"): "start",
    ("OfferDataSubmitType", "EndTime"): "end",
    ("OfferDataSubmitType", "Direction"): "direction",
    ("OfferDataSubmitType", "OfferStack"): "stack",
    ("OfferDataSubmitType", "DrPatternNumber"): "pattern_number",
    ("OfferDataSubmitType", "BspParticipantName"): "bsp_participant",
    ("OfferDataSubmitType", "OperatorCode"): "operator",
    ("OfferStackType", "StackNumber"): "number",
    ("OfferStackType", "OfferUnitPrice"): "unit_price",
    ("OfferStackType", "MinimumQuantityInKw"): "minimum_quantity_kw",
    ("OfferStackType", "PrimaryOfferQuantityInKw"): "primary_qty_kw",
    ("OfferStackType", "Secondary1OfferQuantityInKw"): "secondary_1_qty_kw",
    ("OfferStackType", "Secondary2OfferQuantityInKw"): "secondary_2_qty_kw",
    ("OfferStackType", "Tertiary1OfferQuantityInKw"): "tertiary_1_qty_kw",
    ("OfferStackType", "Tertiary2OfferQuantityInKw"): "tertiary_2_qty_kw",
    ("OfferStackType", "OfferId"): "id",
    ("OfferQueryType", "ResourceName"): "resource",
    ("OfferCancelType", "ResourceName"): "resource",
    ("OfferCancelType", "StartTime"): "start",
    ("OfferCancelType", "EndTime"): "end",
}

GLOBAL_FIELD_NAMES: dict[str, str] = {
    # XML name -> field name, in every type
    "NumOfDays": "days",
}

_AREAS = {
    "01": "HOKKAIDO",
    "02": "TOHOKU",
    "03": "TOKYO",
    "04": "CHUBU",
    "05": "HOKURIKU",
    "06": "KANSAI",
    "07": "CHUGOKU",
    "08": "SHIKOKU",
    "09": "KYUSHU",
    "10": "OKINAWA",
}

_COMMODITIES = {
    "1000": "PRIMARY",
    "2100": "SECONDARY_1",
    "2200": "SECONDARY_2",
    "3100": "TERTIARY_1",
    "3200": "TERTIARY_2",
    "4000": "COMPOUND",
    "5000": "TOTAL_RESERVE",
}

# The meanings below come from the code lists in the comments of mi-outbnd-reports.xsd, which
# the generator also reads; they are repeated here for the schemas whose copies of the same
# type carry no comment.
_RESOURCE_TYPES = {
    "01": "THERMAL",
    "02": "HYDRO",
    "03": "PUMP",
    "04": "BATTERY",
    "05": "VPP_GEN",
    "06": "VPP_GEN_AND_DEM",
    "07": "VPP_DEM",
}
_COMMAND_METHODS_PRI_SEC1 = {"1": "DEDICATED_LINE", "2": "SIMPLE_COMMAND", "3": "OFFLINE"}
_COMMAND_METHODS_SEC2_TER = {"1": "DEDICATED_LINE", "2": "SIMPLE_COMMAND"}
_SIGNAL_TYPES = {"1": "ACTUAL_OUTPUT_ORDER", "2": "DIFFERENTIAL_OUTPUT_ORDER"}
_BASELINE_METHODS = {
    "1": "PREDICTION_BASE",
    "2": "MEASUREMENT_BASE",
    "3": "SEQUENTIAL_MEASUREMENT_BASE",
}
_REMAINING_RESERVE = {
    "0": "NOT_AVAILABLE",
    "1": "AVAILABLE_FOR_UP_ONLY",
    "2": "AVAILABLE_FOR_DOWN_ONLY",
    "3": "AVAILABLE_FOR_UP_AND_DOWN",
}
_CONTRACT_TYPES = {
    "1": "MARKET",
    "2": "MARKET_AND_POWER_SUPPLY_II",
    "3": "POWER_SUPPLY_II",
    "4": "ONLY_POWER_SUPPLY_I",
    "5": "MARKET_AND_REMAINING_RESERVE_UTILIZATION",
    "6": "REMAINING_RESERVE_UTILIZATION",
}
_AVAILABILITY = {"1": "AVAILABLE", "0": "NOT_AVAILABLE"}

ENUM_MEMBERS: dict[str, dict[str, str]] = {
    # XSD simple type -> {value: member name}
    "AreaType": _AREAS,
    "OffMarketContractAreaType": _AREAS,
    "MarketTypeType": {
        # DCM: the day-ahead market for compound (multi-product) offers, after the schema
        # comment "Compound / Whole DCM" on commodity 4000.
        "DAM": "DAY_AHEAD",
        "DCM": "DAY_AHEAD_COMPOUND",
    },
    "DirectionUpDownType": {"1": "SELL", "2": "BUY"},
    # forward/backward in the order the type name gives them
    "DirectionFwdBkwdType": {"0": "FORWARD", "1": "BACKWARD"},
    "CommodityCategoryType": _COMMODITIES,
    "CommodityType": _COMMODITIES,
    "TielineCommodityCategoryType": _COMMODITIES,
    "OffMarketContractCommodityCategoryType": _COMMODITIES,
    "ResourceTypeType": _RESOURCE_TYPES,
    "ContractSourceType": {"1": "MA", "2": "SWITCHING"},
    "ProcurementAreaType": {"01": "CROSS_REGIONAL"},
    "CommandOperationMethodPriSec1Type": _COMMAND_METHODS_PRI_SEC1,
    "PriSec1CommandOperationMethodType": _COMMAND_METHODS_PRI_SEC1,
    "CommandOperationMethodSec2Ter1Ter2Type": _COMMAND_METHODS_SEC2_TER,
    "Sec2Ter1Ter2CommandOperationMethodType": _COMMAND_METHODS_SEC2_TER,
    "SignalTypeType": _SIGNAL_TYPES,
    "BaselineSettingMethodType": _BASELINE_METHODS,
    "BaselineSettingsMethodType": _BASELINE_METHODS,
    "RemResvUtilizationType": _REMAINING_RESERVE,
    "ContractTypeType": _CONTRACT_TYPES,
    "ThermalTypeType": {"1": "GT", "2": "GTCC", "9": "OTHERS"},
    "AvailNotAvailType": _AVAILABILITY,
    "AvailabilityType": _AVAILABILITY,
    # 1 = yes and 0 = no, as in AvailNotAvailType whose codes the schema does document
    "ContractExistenceType": {"1": "EXISTS", "0": "NONE"},
    "ContractResultValueType": {"1": "FULL", "2": "PARTIAL"},
}
"""Codes the schema does not explain keep a neutral name (``CODE_1``); see the generator."""
