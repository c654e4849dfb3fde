"""The shared conformance vectors (see shared/conformance/README.md), each check kind."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smsd.pdu import (
    Deliver,
    Encoding,
    PDUError,
    StatusClass,
    StatusReport,
    Submit,
    decode,
    encode,
    encode_submit,
)
from smsd.reassembly import Reassembler


def _vectors_path() -> Path | None:
    env = os.environ.get("SMSD_CONFORMANCE")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    path = repo.parent / "shared" / "conformance" / "pdu_vectors.json"
    return path if path.exists() else None


_PATH = _vectors_path()
VECTORS: list[dict] = json.loads(_PATH.read_text("utf-8")) if _PATH else []
BY_ID = {vector["id"]: vector for vector in VECTORS}

pytestmark = pytest.mark.skipif(
    not VECTORS,
    reason="conformance vectors not found: set SMSD_CONFORMANCE or put shared/ beside the repo",
)

# (vector id, expected key) -> why we deliberately differ from the source library.
KNOWN_DIFFERENCES = {
    (
        "and-email-gateway-1",
        "email_from",
    ): "Android email-gateway text parsing; we return the raw text",
    (
        "and-email-gateway-1",
        "email_body",
    ): "Android email-gateway text parsing; we return the raw text",
    (
        "and-email-gateway-ext",
        "email_from",
    ): "Android email-gateway text parsing; we return the raw text",
    (
        "and-email-gateway-ext",
        "email_body",
    ): "Android email-gateway text parsing; we return the raw text",
    ("and-cphs-mwi-set", "cphs_mwi"): "CPHS voicemail flag is not 23.040; we do not interpret it",
    (
        "and-cphs-mwi-clear-1",
        "cphs_mwi",
    ): "CPHS voicemail flag is not 23.040; we do not interpret it",
    (
        "and-cphs-mwi-clear-2",
        "cphs_mwi",
    ): "CPHS voicemail flag is not 23.040; we do not interpret it",
    ("gmm-sr-invalid-tz-nibble", "timestamp"): (
        "zone octet 0xC2 is not BCD; we read it as UTC (as FrontlineSMS does), not +08:00"
    ),
}
# Keys that record information, not assertions.
INFORMATIONAL = {"notes_expected_recipient"}
# parse_only vectors that only parse in non-strict mode, beyond those tagged 'lenient'.
STRICT_REJECTS = {
    "gammu-at-sms-39": "30 octets of garbage after the user data, inside the +CMGR length",
}

TON = {"unknown": 0, "international": 1, "national": 2, "alphanumeric": 5}
NPI = {"unknown": 0, "isdn": 1}


def _strict(vector: dict) -> bool:
    return "lenient" not in vector["categories"]


def _decode(vector: dict, *, strict: bool | None = None):
    return decode(
        vector["pdu_hex"],
        smsc=vector["includes_smsc"],
        strict=_strict(vector) if strict is None else strict,
    )


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _same_instant_and_zone(actual: datetime, expected: str) -> None:
    wanted = _when(expected)
    assert actual == wanted
    assert actual.utcoffset() == wanted.utcoffset()


def _address(message, role: str) -> tuple[str, int, int]:
    if isinstance(message, Deliver):
        return message.sender, message.sender_ton, message.sender_npi
    if isinstance(message, Submit):
        return message.destination, message.destination_ton, message.destination_npi
    return message.recipient, message.recipient_ton, message.recipient_npi


def _ud_octets(message) -> int:
    if message.encoding is Encoding.GSM7:
        return (message.udl * 7 + 7) // 8
    return message.udl


def _udhl(message) -> int:
    return sum(2 + len(element.data) for element in message.udh)


def _group(vector: dict) -> list[dict]:
    group_id = vector["group"]["id"]
    members = [v for v in VECTORS if v.get("group", {}).get("id") == group_id]
    return sorted(members, key=lambda v: v["group"]["index"])


def _check_key(vector: dict, message, key: str, value) -> None:  # noqa: C901, PLR0912, PLR0915 - one branch per expected key
    role_keys = {"originator", "destination", "recipient"}
    base = key.split("_", maxsplit=1)[0]
    if key in role_keys:
        assert _address(message, key)[0] == value
    elif base in role_keys and key.endswith("_digits"):
        assert _address(message, base)[0].lstrip("+") == value
    elif base in role_keys and key.endswith("_ton"):
        assert _address(message, base)[1] == TON[value]
    elif base in role_keys and key.endswith("_npi"):
        assert _address(message, base)[2] == NPI[value]
    elif key == "smsc":
        assert message.smsc == value
    elif key == "smsc_digits":
        assert message.smsc.lstrip("+") == value
    elif key == "smsc_ton":
        assert message.smsc_ton == TON[value]
    elif key == "smsc_npi":
        assert message.smsc_npi == NPI[value]
    elif key == "text":
        assert message.text == value
    elif key == "data_hex":
        assert message.data == bytes.fromhex(value)
    elif key == "data_as_text":
        assert message.data.decode("ascii") == value
    elif key == "encoding":
        assert message.encoding is Encoding(value)
    elif key in {"pid", "dcs", "udl", "status"}:
        assert getattr(message, key) == value
    elif key in {"reference", "mr"}:
        assert message.reference == value
    elif key == "udhl":
        assert _udhl(message) == value
    elif key == "ud_octets":
        assert _ud_octets(message) == value
    elif key == "udh_iei_sequence":
        assert value.startswith("text formatting (0x0A)")
        assert message.udh
        assert {element.iei for element in message.udh} == {0x0A}
    elif key == "concat":
        assert message.concat is not None
        assert message.concat.reference == value["ref"]
        assert message.concat.total == value["total"]
        assert message.concat.sequence == value["seq"]
        assert message.concat.bits == value.get("ref_bits", message.concat.bits)
    elif key == "ports":
        assert message.ports is not None
        assert message.ports.destination == value["dst"]
        assert message.ports.source == value.get("src", message.ports.source)
        assert message.ports.bits == value["bits"]
    elif key == "multipart":
        concat = getattr(message, "concat", None)
        assert (concat is not None and concat.total > 1) == value
    elif key == "assembles":
        reassembler: Reassembler[str] = Reassembler(timeout=60)
        result = None
        for member in _group(vector):
            part = _decode(member)
            result = reassembler.add(part.sender, part.concat, part.text, now=0) or result
        assert result is not None
        assert all(result)
        assert value is True
    elif key == "timestamp":
        _same_instant_and_zone(message.timestamp, value)
    elif key in {"timestamp_utc", "scts_utc", "scts_utc_as_asserted"}:
        assert message.timestamp == _when(value)
    elif key == "scts_local":
        assert message.timestamp.replace(tzinfo=None) == _when(value)
    elif key == "discharge_time":
        _same_instant_and_zone(message.discharge_time, value)
    elif key == "discharge_time_utc":
        assert message.discharge_time == _when(value)
    elif key == "discharge_time_local":
        assert message.discharge_time.replace(tzinfo=None) == _when(value)
    elif key == "delivered":
        assert message.delivered == value
    elif key == "status_class":
        assert message.status_class is StatusClass[value.upper()]
    elif key == "status_not_in":
        assert message.status not in value
    elif key == "vpf":
        assert (
            message.validity_format
            == {"none": 0, "enhanced": 1, "relative": 2, "absolute": 3}[value]
        )
    elif key == "vp_relative":
        assert message.validity_octets == bytes((value,))
    elif key == "vp_relative_timedelta_seconds":
        assert message.validity == timedelta(seconds=value)
    elif key == "vp_absolute":
        _same_instant_and_zone(message.validity, value)
    elif key == "pid_replace":
        assert (0x41 <= message.pid <= 0x47 or message.pid == 0x5F) == value
    elif key == "mwi_active":
        assert message.waiting is not None
        assert message.waiting.active == value
    elif key == "mwi_discard":
        assert message.waiting is not None
        assert (not message.waiting.store) == value
    else:
        pytest.fail(f"unhandled expected key {key!r}")


def _ids(kind: str) -> list[str]:
    return [vector["id"] for vector in VECTORS if kind in vector["checks"]]


@pytest.mark.parametrize("vector_id", _ids("decode"))
def test_decode(vector_id: str) -> None:
    vector = BY_ID[vector_id]
    message = _decode(vector)
    expected_type = {"deliver": Deliver, "submit": Submit, "status_report": StatusReport}
    assert isinstance(message, expected_type[vector["direction"]])
    for key, value in vector["expected"].items():
        if key in INFORMATIONAL or (vector_id, key) in KNOWN_DIFFERENCES:
            continue
        _check_key(vector, message, key, value)


def _validity(spec: dict | None):
    if spec is None:
        return None
    if "absolute" in spec:
        return _when(spec["absolute"])
    if "absolute_naive" in spec:
        assert spec["encodes_tz_octet"] == "00"
        return _when(spec["absolute_naive"]).replace(tzinfo=UTC)
    if "relative_minutes" in spec:
        return timedelta(minutes=spec["relative_minutes"])
    if "relative_timedelta_seconds" in spec:
        return timedelta(seconds=spec["relative_timedelta_seconds"])
    # oFono's default relative period: octet 167 = 24 hours
    assert spec["tp_vp_octet"] == 167
    return timedelta(hours=24)


def _toa_override(implied: dict, key: str) -> int | None:
    value = implied.get(key)
    if value is None:
        return None
    return int(value, 16) if value.upper() == "A1" else None


@pytest.mark.parametrize("vector_id", _ids("encode"))
def test_encode(vector_id: str) -> None:
    vector = BY_ID[vector_id]
    inputs = vector["encode_inputs"]
    implied = inputs["implied_by_expected_pdu"]
    kwargs = {}
    if inputs["encoding"].startswith("8bit"):
        kwargs["data"] = inputs["text"].encode("ascii")
        text = None
    else:
        text = inputs["text"]
    if "concat_ref" in inputs:
        kwargs["concat_reference"] = inputs["concat_ref"]
        kwargs["concat_16bit"] = inputs["concat_ref_bits"] == 16
    parts = encode_submit(
        inputs["destination"],
        text,
        smsc=inputs["smsc"],
        reference=inputs["mr"],
        request_status_report=inputs["request_status_report"],
        reject_duplicates=inputs["reject_duplicates"],
        validity=_validity(inputs["validity"]),
        message_class=inputs["message_class"],
        destination_toa=_toa_override(implied, "destination_toa"),
        smsc_toa=_toa_override(implied, "smsc_toa"),
        **kwargs,
    )
    assert len(parts) == inputs.get("output_part_count", 1)
    part = parts[inputs.get("output_part_index", 1) - 1]
    assert part.hex == vector["pdu_hex"].upper()
    if vector.get("tpdu_length") is not None:
        assert part.tpdu_length == vector["tpdu_length"]
    if "expected_tpdu_offset" in inputs:
        assert len(part.pdu) - part.tpdu_length == inputs["expected_tpdu_offset"]
    # whatever the source asserted about the decoded form holds as well
    message = _decode(vector)
    for key, value in vector["expected"].items():
        _check_key(vector, message, key, value)


@pytest.mark.parametrize("vector_id", _ids("roundtrip"))
def test_roundtrip(vector_id: str) -> None:
    vector = BY_ID[vector_id]
    message = _decode(vector)
    encoded = encode(message)
    pdu = encoded.pdu if vector["includes_smsc"] else encoded.pdu[1:]
    assert pdu == bytes.fromhex(vector["pdu_hex"])
    assert decode(encoded.pdu) == message


@pytest.mark.parametrize("vector_id", _ids("group_concat"))
def test_group_concat(vector_id: str) -> None:
    vector = BY_ID[vector_id]
    members = _group(vector)
    assert [member["group"]["index"] for member in members] == list(
        range(1, vector["group"]["count"] + 1)
    )
    parts = [_decode(member) for member in members]
    assert "".join(part.text for part in parts) == vector["group"]["concatenated_text"]
    totals = {part.concat.total for part in parts if part.concat}
    assert totals == {len(parts)}


@pytest.mark.parametrize("vector_id", _ids("error"))
def test_error(vector_id: str) -> None:
    vector = BY_ID[vector_id]
    assert vector["expect_error"] is True
    with pytest.raises(PDUError):
        _decode(vector, strict=True)


@pytest.mark.parametrize("vector_id", _ids("parse_only"))
def test_parse_only(vector_id: str) -> None:
    vector = BY_ID[vector_id]
    message = _decode(vector, strict=False)
    assert isinstance(message, Deliver | Submit | StatusReport)
    if _strict(vector) and vector_id not in STRICT_REJECTS:
        assert _decode(vector, strict=True) == message


def test_every_vector_has_a_check() -> None:
    assert len(VECTORS) == 223
    kinds = {"decode", "encode", "roundtrip", "group_concat", "error", "parse_only"}
    assert all(set(vector["checks"]) <= kinds for vector in VECTORS)


def test_known_differences_name_real_keys() -> None:
    for vector_id, key in KNOWN_DIFFERENCES:
        assert key in BY_ID[vector_id]["expected"]
    for vector_id in STRICT_REJECTS:
        with pytest.raises(PDUError):
            _decode(BY_ID[vector_id], strict=True)
