"""What the operation catalog does not say: method names, and corrections to its inferences.

The generator joins these tables with ``operations.json`` into ``mms_client/operations_data.py``
(the operations) and ``mms_client/reports_data.py`` (the outbound report datasets).

METHODS gives each operation its Python method name (verb put/query/cancel/approve + noun, or
the established client's name where it has one) and, for operations whose request may carry
several items (submits, cancels, approvals), the name of the variant that takes a list (the
established client's where it has one).

READING_REPORTS names the report operations that only read; with every query they are the
operations that are safe to send twice (see ``read_only``).

MARKET_TYPE_REQUIRED names the operations the MMS refuses without the envelope's MarketType,
which their schema has optional.

CORRECTIONS is where the catalog's inferred audiences and response shapes get fixed once the
real MMS has shown otherwise. An entry replaces the catalog's ``audience`` and/or ``response``
object of one operation; give the evidence as its ``source``, e.g.::

    ("MI", "MarketSubmit_Switch"): {
        "audience": {"roles": ["BSP", "TSO"], "source": "observed", "note": "MMS accepted a TSO"},
    },

DATASET_CORRECTIONS does the same for the outbound report datasets, whose audiences (who may
create the dataset) and report types (the ReportType and ReportSubType a request names it with)
are mostly inferred too. An entry replaces the catalog's ``audience`` and/or ``report_type``
object of one dataset, named by its DatasetName, e.g.::

    "MOL": {
        "report_type": {
            "ReportType": "MA",
            "ReportSubType": "MOL",
            "source": "observed",
            "note": "MMS created a MOL report of this type",
        },
    },
"""

from __future__ import annotations

from typing import Any

METHODS: dict[tuple[str, str], tuple[str, str | None]] = {
    # MI MarketSubmit
    ("MI", "MarketSubmit_ReserveRequirement"): (
        "put_reserve_requirement",
        "put_reserve_requirements",
    ),
    ("MI", "MarketSubmit_AllowableInterareaAward"): (
        "put_allowable_interarea_award",
        "put_allowable_interarea_awards",
    ),
    ("MI", "MarketSubmit_UpperLimitTieline"): (
        "put_upper_limit_tieline",
        "put_upper_limit_tielines",
    ),
    ("MI", "MarketSubmit_SettlementResults"): ("put_settlement_results", None),
    ("MI", "MarketSubmit_OfflineFrameSubmit"): ("put_offline_frame", "put_offline_frames"),
    ("MI", "MarketSubmit_FringeSubmit"): ("put_fringe", "put_fringes"),
    ("MI", "MarketSubmit_OfferData"): ("put_offer", "put_offers"),
    ("MI", "MarketSubmit_BupSubmit"): ("put_bup", "put_bups"),
    ("MI", "MarketSubmit_BaselineLoad"): ("put_baseline_load", None),
    ("MI", "MarketSubmit_Switch"): ("put_switch", None),
    # MI MarketQuery
    ("MI", "MarketQuery_ReserveRequirementQuery"): ("query_reserve_requirements", None),
    ("MI", "MarketQuery_AllowableInterareaAwardQuery"): ("query_allowable_interarea_awards", None),
    ("MI", "MarketQuery_UpperLimitTielineQuery"): ("query_upper_limit_tielines", None),
    ("MI", "MarketQuery_SettlementResultsFileListQuery"): ("query_settlement_results", None),
    ("MI", "MarketQuery_SettlementResultsFileDownloadQuery"): (
        "query_settlement_result_files",
        None,
    ),
    ("MI", "MarketQuery_OfflineFrameQuery"): ("query_offline_frames", None),
    ("MI", "MarketQuery_OfflineFrameUsageQuery"): ("query_offline_frame_usage", None),
    ("MI", "MarketQuery_FringeQuery"): ("query_fringes", None),
    ("MI", "MarketQuery_OfferQuery"): ("query_offers", None),
    ("MI", "MarketQuery_BupQuery"): ("query_bups", None),
    ("MI", "MarketQuery_BaselineLoadFileListQuery"): ("query_baseline_load_files", None),
    ("MI", "MarketQuery_MeritOrderListQuery"): ("query_merit_order_list", None),
    ("MI", "MarketQuery_AwardResultsQuery"): ("query_awards", None),
    ("MI", "MarketQuery_AllocatedTielineCapacityQuery"): (
        "query_allocated_tieline_capacity",
        None,
    ),
    ("MI", "MarketQuery_AwardResultsSummaryQuery"): ("query_award_summary", None),
    ("MI", "MarketQuery_TielineQuery"): ("query_tielines", None),
    ("MI", "MarketQuery_SwitchQuery"): ("query_switches", None),
    ("MI", "MarketQuery_TsoRequestQuery"): ("query_tso_requests", None),
    # MI MarketCancel
    ("MI", "MarketCancel_OfferCancel"): ("cancel_offer", "cancel_offers"),
    # OMI: the two names that also exist on MI get an "omi" in their method name
    ("OMI", "MarketSubmit_BaselineLoad"): ("put_omi_baseline_load", None),
    ("OMI", "MarketSubmit_RemainingReserveData"): (
        "put_surplus_capacity",
        "put_surplus_capacities",
    ),
    ("OMI", "MarketSubmit_OffMarketContract"): (
        "put_off_market_contract",
        "put_off_market_contracts",
    ),
    ("OMI", "MarketSubmit_RefundData"): ("put_refund", "put_refunds"),
    ("OMI", "MarketQuery_BaselineLoadFileListQuery"): ("query_omi_baseline_load_files", None),
    ("OMI", "MarketQuery_BaselineLoadFileDownloadQuery"): (
        "query_baseline_load_file_download",
        None,
    ),
    ("OMI", "MarketQuery_RemainingReserveDataQuery"): ("query_surplus_capacity", None),
    ("OMI", "MarketQuery_OffMarketContractQuery"): ("query_off_market_contracts", None),
    ("OMI", "MarketQuery_RefundDataQuery"): ("query_refund_data", None),
    ("OMI", "MarketQuery_RefundTargetContractResultQuery"): (
        "query_refund_target_contract_results",
        None,
    ),
    # MI RegistrationSubmit
    ("MI", "RegistrationSubmit_Participant"): ("put_participant", "put_participants"),
    ("MI", "RegistrationSubmit_ParticipantValidity"): (
        "put_participant_validity",
        "put_participant_validities",
    ),
    ("MI", "RegistrationSubmit_User"): ("put_user", "put_users"),
    ("MI", "RegistrationSubmit_UserSystemAccess"): (
        "put_user_system_access",
        "put_user_system_accesses",
    ),
    ("MI", "RegistrationSubmit_BankAccount"): ("put_bank_account", "put_bank_accounts"),
    ("MI", "RegistrationSubmit_Resource"): ("put_resource", "put_resources"),
    ("MI", "RegistrationSubmit_ResourceEvaluation"): (
        "put_resource_evaluation",
        "put_resource_evaluations",
    ),
    ("MI", "RegistrationSubmit_ResourceValidity"): (
        "put_resource_validity",
        "put_resource_validities",
    ),
    ("MI", "RegistrationSubmit_DrPattern"): ("put_dr_pattern", "put_dr_patterns"),
    ("MI", "RegistrationSubmit_ResourceCoefficient"): (
        "put_resource_coefficient",
        "put_resource_coefficients",
    ),
    ("MI", "RegistrationSubmit_ResourceTransfer"): (
        "put_resource_transfer",
        "put_resource_transfers",
    ),
    ("MI", "RegistrationSubmit_ResourceSuspension"): (
        "put_resource_suspension",
        "put_resource_suspensions",
    ),
    ("MI", "RegistrationSubmit_DrPatternSuspension"): (
        "put_dr_pattern_suspension",
        "put_dr_pattern_suspensions",
    ),
    # MI RegistrationQuery
    ("MI", "RegistrationQuery_Participant"): ("query_participants", None),
    ("MI", "RegistrationQuery_ParticipantValidity"): ("query_participant_validities", None),
    ("MI", "RegistrationQuery_User"): ("query_users", None),
    ("MI", "RegistrationQuery_UserSystemAccess"): ("query_user_system_accesses", None),
    ("MI", "RegistrationQuery_BankAccount"): ("query_bank_accounts", None),
    ("MI", "RegistrationQuery_Resource"): ("query_resources", None),
    ("MI", "RegistrationQuery_ResourceEvaluation"): ("query_resource_evaluations", None),
    ("MI", "RegistrationQuery_ResourceValidity"): ("query_resource_validities", None),
    ("MI", "RegistrationQuery_DrPattern"): ("query_dr_patterns", None),
    ("MI", "RegistrationQuery_ResourceCoefficient"): ("query_resource_coefficients", None),
    ("MI", "RegistrationQuery_ResourceSuspension"): ("query_resource_suspensions", None),
    ("MI", "RegistrationQuery_DrPatternSuspension"): ("query_dr_pattern_suspensions", None),
    # MI RegistrationApproval
    ("MI", "RegistrationApproval_Resource"): ("approve_resource", "approve_resources"),
    ("MI", "RegistrationApproval_DrPattern"): ("approve_dr_pattern", "approve_dr_patterns"),
    # MI MarketReport: create a report, list the files, download by transaction id (the
    # established flow) or by file name
    ("MI", "ReportCreateRequest"): ("create_report", None),
    ("MI", "ReportListRequest"): ("list_reports", None),
    ("MI", "ReportDownloadRequestTrnID"): ("download_report", None),
    ("MI", "ReportDownloadRequest"): ("download_report_file", None),
}

READING_REPORTS: frozenset[str] = frozenset(
    {"ReportListRequest", "ReportDownloadRequest", "ReportDownloadRequestTrnID"}
)


def read_only(kind: str, name: str) -> bool:
    """Whether the MMS may process the operation twice without harm: it only reads.

    Every query does; of the report operations, listing and downloading do, while creating a
    report does not (a second request would create a second report).
    """
    return kind == "query" or (kind == "report" and name in READING_REPORTS)


MARKET_TYPE_REQUIRED: frozenset[str] = frozenset(
    {"MarketSubmit_OfferData", "MarketCancel_OfferCancel"}
)
"""Operations the MMS refuses without the envelope's ``MarketType``, which their schema has
optional: offers and their cancellations. Their methods take ``market_type`` as a required
argument right after the request, as the established client's ``put_offer(request,
market_type, days, date)`` does, and the client refuses to send them without it."""


CORRECTIONS: dict[tuple[str, str], dict[str, Any]] = {}

DATASET_CORRECTIONS: dict[str, dict[str, Any]] = {}
