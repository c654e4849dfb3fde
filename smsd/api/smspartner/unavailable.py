"""The SMSPartner calls this gateway refuses, and why.

The route table lists them at start; :func:`~smsd.api.smspartner.account.refused_handler`
answers them.
"""

from __future__ import annotations

__all__ = ["REFUSED", "refused_name"]

REFUSED: dict[str, str] = {
    "/v1/subaccount/create": "sub-accounts are users of this gateway: smsd user add",
    "/v1/subaccount/list": "sub-accounts are users of this gateway: smsd user list",
    "/v1/subaccount/credit/add": "credit is the quota an administrator sets, not bought",
    "/v1/subaccount/credit/remove": "credit is the quota an administrator sets, not bought",
    "/v1/hlr/notify": "HLR lookups need an operator's signalling access, not a SIM card",
    "/v1/lookup": "number lookups need an operator's database, not a SIM card",
    "/v1/vn/send": "the SIM cards are the numbers: send with /v1/send",
    "/v1/vn/callforward": "call forwarding is the operator's service of each SIM card",
    "/v1/sondage/to/send": "surveys are SMSPartner's hosted pages",
    "/v1/statistics/cost-resume": "SIM cards have no per-message price list to sum up",
    "/v1/bulk-send": "one message_id here carries one text: send each text with /v1/send",
}
"""SMSPartner calls this gateway does not serve, with the reason (mostly: SIM cards cannot)."""


def refused_name(path: str) -> str:
    """The handler name (and OpenAPI operation id) of the refused call ``path``."""
    return "refused_" + path.strip("/").replace("/", "_").replace("-", "_")
