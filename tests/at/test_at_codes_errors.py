"""Result-code classification and the named CMS/CME tables."""

import pytest

from smsd.at import codes
from smsd.at.errors import (
    CME_NAMES,
    CMS_NAMES,
    UNKNOWN_CODE,
    AtTimeout,
    CmeError,
    CmsError,
    CommandFailed,
    cme_code,
    cme_name,
    cms_code,
    cms_name,
)


@pytest.mark.parametrize(
    ("line", "code", "name"),
    [
        ("+CMS ERROR: 500", 500, "unknown error"),
        ("+CMS ERROR: 322", 322, "memory full"),
        ("+CMS ERROR: 331", 331, "no network service"),
        ("+CMS ERROR: 38", 38, "network out of order"),
        ("+CMS ERROR:304", 304, "invalid PDU mode parameter"),
        ("+CMS ERROR: 350", 350, "reserved error 350"),
        ("+CMS ERROR: 513", 513, "manufacturer-specific error 513"),
        ("+CMS ERROR: 200", 200, "reserved TP-Failure-Cause 200"),
        ("+CMS ERROR: 2", 2, "unspecified RP cause 2"),
        ("+CMS ERROR: SMSC address unknown", 330, "SMSC address unknown"),
        ("+CMS ERROR: (U)SIM busy", 314, "(U)SIM busy"),
        ("+CMS ERROR: SIM busy", 314, "(U)SIM busy"),
        ("+CMS ERROR: Memory Capacity Exceeded", 22, "memory capacity exceeded"),
        ("+CMS ERROR: vendor words", UNKNOWN_CODE, "vendor words"),
    ],
)
def test_cms_final(line, code, name):
    final = codes.final_result(line, "AT+CMGS=19")
    assert final is not None
    assert not final.ok
    assert isinstance(final.error, CmsError)
    assert (final.error.code, final.error.name, final.error.command) == (code, name, "AT+CMGS=19")
    assert name in str(final.error)


@pytest.mark.parametrize(
    ("line", "code", "name"),
    [
        ("+CME ERROR: 10", 10, "SIM not inserted"),
        ("+CME ERROR: 11", 11, "SIM PIN required"),
        ("+CME ERROR: 14", 14, "SIM busy"),
        ("+CME ERROR: 16", 16, "incorrect password"),
        ("+CME ERROR: 515", 515, "manufacturer-specific error 515"),
        ("+CME ERROR: 300", 300, "reserved error 300"),
        ("+CME ERROR: SIM PIN required", 11, "SIM PIN required"),
        ("+CME ERROR: SIM not inserted", 10, "SIM not inserted"),
        ("+CME ERROR: incorrect password", 16, "incorrect password"),
        ("+CME ERROR: operation not allowed", 3, "operation not allowed"),
        ("+CME ERROR: Invalid parameters", 50, "incorrect parameters"),
        ("+CME ERROR: unknown error", 100, "unknown"),
    ],
)
def test_cme_final(line, code, name):
    final = codes.final_result(line, "AT+CPIN?")
    assert final is not None
    assert isinstance(final.error, CmeError)
    assert (final.error.code, final.error.name) == (code, name)
    assert f"+CME ERROR: {code} ({name})" in str(final.error)


@pytest.mark.parametrize(
    ("line", "dial", "ok"),
    [
        ("OK", False, True),
        ("ERROR", False, False),
        ("COMMAND NOT SUPPORT", False, False),
        ("TOO MANY PARAMETERS", False, False),
        ("NO CARRIER", True, False),
        ("BUSY", True, False),
        ("NO ANSWER", True, False),
        ("NO DIALTONE", True, False),
        ("CONNECT 9600", True, True),
        ("CONNECT", True, True),
    ],
)
def test_finals(line, dial, ok):
    final = codes.final_result(line, "ATD123;" if dial else "AT", dial=dial)
    assert final is not None
    assert final.ok is ok
    assert (final.error is None) is ok
    assert final.line == line


@pytest.mark.parametrize("line", ["NO CARRIER", "BUSY", "RING", '+CMTI: "SM",1', "OKAY", "ok", ""])
def test_not_final_without_dial(line):
    assert codes.final_result(line, "AT") is None
    assert not codes.is_final(line)


def test_plain_error_is_command_failed_not_subclass():
    final = codes.final_result("ERROR", "AT+FOO")
    assert final is not None
    assert type(final.error) is CommandFailed
    assert final.error.command == "AT+FOO"


@pytest.mark.parametrize(
    ("command", "prefix"),
    [
        ("AT+CREG?", "+CREG"),
        ("AT+CMGL=4", "+CMGL"),
        ("at+cmgr=3", "+CMGR"),
        ("AT^ICCID?", "^ICCID"),
        ("AT+CCID", "+CCID"),
        ("AT$QCSIMSTAT?", "$QCSIMSTAT"),
        ("ATI", None),
        ("AT", None),
        ("ATE0", None),
    ],
)
def test_response_prefix(command, prefix):
    assert codes.response_prefix(command) == prefix


@pytest.mark.parametrize(
    ("line", "split"),
    [
        ('+CMTI: "SM",3', ("+CMTI", '"SM",3')),
        ("^RSSI:17", ("^RSSI", "17")),
        ("+PACSP1", ("+PACSP1", "")),
        ("#QSS: 1", ("#QSS", "1")),
        ("Call Ready", ("", "Call Ready")),
        ("+ bad prefix: x", ("", "+ bad prefix: x")),
        ("", ("", "")),
    ],
)
def test_split_prefix(line, split):
    assert codes.split_prefix(line) == split


def test_prompt_and_dial_commands():
    assert codes.expects_prompt("AT+CMGS=23")
    assert codes.expects_prompt("at+cmgw=23,2")
    assert not codes.expects_prompt("AT+CMGS?")
    assert codes.is_dial("ATD+3361;")
    assert not codes.is_dial("AT+CSQ")


def test_tables_complete():
    for code in [*range(300, 306), *range(310, 319), 320, 321, 322, 330, 331, 332, 340, 500]:
        assert code in CMS_NAMES
    for code in [
        1,
        8,
        10,
        17,
        21,
        22,
        27,
        28,
        29,
        30,
        38,
        41,
        42,
        47,
        50,
        69,
        81,
        95,
        96,
        97,
        98,
        99,
        111,
        127,
    ]:
        assert code in CMS_NAMES
    for code in [*range(8), *range(10, 19), *range(20, 28), 30, 31, 32, *range(40, 64), 100]:
        assert code in CME_NAMES
    for code in [103, 106, 107, 111, 112, 113, 132, 133, 134, 148, 149, 150, 257, 264]:
        assert code in CME_NAMES


@pytest.mark.parametrize("code", [-5, 0, 2, 127, 128, 224, 255, 256, 511, 512, 9999])
def test_every_code_has_a_name(code):
    assert cms_name(code)
    assert cme_name(code)


def test_verbose_lookup():
    assert cms_code("memory full") == 322
    assert cme_code("  SIM   PUK required ") == 12
    assert cme_code("nonsense") == UNKNOWN_CODE


def test_errors_compare_by_value():
    assert CmsError("AT", 500) == CmsError("AT", 500)
    assert CmsError("AT", 500) != CmsError("AT", 501)
    assert CmsError("AT", 500) != CmeError("AT", 500)
    assert hash(CmsError("AT", 500)) == hash(CmsError("AT", 500))
    assert isinstance(CmsError("AT", 500), CommandFailed)
    timeout = AtTimeout("AT+CMGS=3", 60.0)
    assert (timeout.command, timeout.timeout) == ("AT+CMGS=3", 60.0)
    assert "60 s" in str(timeout)
