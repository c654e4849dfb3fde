"""SMS PDU codec: 3GPP TS 23.040 (TPDUs) and 23.038 (alphabets), standard library only.

Pure functions over bytes and frozen dataclasses; no I/O, no clock.
"""

from smsd.pdu.dcs import DataCoding, Encoding, IndicationType, MessageWaiting, decode_dcs
from smsd.pdu.encoder import (
    EncodedPdu,
    encode,
    encode_deliver,
    encode_status_report,
    encode_submit,
)
from smsd.pdu.errors import PduDecodeError, PduEncodeError, PDUError
from smsd.pdu.report import StatusClass
from smsd.pdu.segments import MAX_SEGMENTS, SegmentCount, count, split
from smsd.pdu.tpdu import Deliver, StatusReport, Submit, decode
from smsd.pdu.udh import Concat, InformationElement, Ports

__all__ = [
    "MAX_SEGMENTS",
    "Concat",
    "DataCoding",
    "Deliver",
    "EncodedPdu",
    "Encoding",
    "IndicationType",
    "InformationElement",
    "MessageWaiting",
    "PDUError",
    "PduDecodeError",
    "PduEncodeError",
    "Ports",
    "SegmentCount",
    "StatusClass",
    "StatusReport",
    "Submit",
    "count",
    "decode",
    "decode_dcs",
    "encode",
    "encode_deliver",
    "encode_status_report",
    "encode_submit",
    "split",
]
