"""Builders and parsers with real modem response strings (Huawei, ZTE, SIMCom, Quectel)."""

import pytest

from smsd.at import commands as c
from smsd.at.errors import MalformedResponse, ProtocolViolation, UsageError
from smsd.at.params import Param, split_params

PDU = "07913396050066F0040B913366554433F20000522181114550800AE8329BFD4697D9EC37"


# ---------------------------------------------------------------- params


@pytest.mark.parametrize(
    ("value", "fields"),
    [
        ('"SM",3', [Param("SM", True), Param("3")]),
        ("1,0,,23", [Param("1"), Param("0"), Param(""), Param("23")]),
        ('0,"a, b",15', [Param("0"), Param("a, b", True), Param("15")]),
        ('"" , 5', [Param("", True), Param("5")]),
        ("", [Param("")]),
    ],
)
def test_split_params(value, fields):
    assert split_params(value) == fields


@pytest.mark.parametrize("value", ['"open', '"a"b,1'])
def test_split_params_malformed(value):
    with pytest.raises(MalformedResponse):
        split_params(value)


def test_quote():
    assert c.quote("*100#") == '"*100#"'
    for bad in ['a"b', "a\rb", "a\nb", "a\x1ab", "a\x1bb", "é", "\x00"]:
        with pytest.raises(UsageError):
            c.quote(bad)


# ---------------------------------------------------------------- builders


def test_builders():
    assert c.cmgs(23) == "AT+CMGS=23"
    assert c.cmgw(23, 2) == "AT+CMGW=23,2"
    assert c.cmgw(23) == "AT+CMGW=23"
    assert c.cmgl() == "AT+CMGL=4"
    assert c.cmgr(0) == "AT+CMGR=0"
    assert c.cmgd(3) == "AT+CMGD=3"
    assert c.cmgd(1, 4) == "AT+CMGD=1,4"
    assert c.cpms("me", "ME", "sm") == 'AT+CPMS="ME","ME","SM"'
    assert c.cnmi(2, 1, 0, 2, 0) == "AT+CNMI=2,1,0,2,0"
    assert c.csca("+33609001390") == 'AT+CSCA="+33609001390",145'
    assert c.csca("0609001390") == 'AT+CSCA="0609001390",129'
    assert c.cpin("1234") == 'AT+CPIN="1234"'
    assert c.cpin("12345678", "0000") == 'AT+CPIN="12345678","0000"'
    assert c.cusd("*100#") == 'AT+CUSD=1,"*100#",15'


@pytest.mark.parametrize(
    "build",
    [
        lambda: c.cmgs(0),
        lambda: c.cmgs(177),
        lambda: c.cmgw(10, 7),
        lambda: c.cmgl(5),
        lambda: c.cmgr(-1),
        lambda: c.cmgd(1, 9),
        lambda: c.cpms("XX"),
        lambda: c.cnmi(4, 1),
        lambda: c.csca("+33 6"),
        lambda: c.csca("+336", 12),
        lambda: c.cpin("12a4"),
        lambda: c.cpin('1234"'),
        lambda: c.cusd("*100#", 300),
        lambda: c.cusd('*1"#'),
    ],
)
def test_builders_refuse(build):
    with pytest.raises(UsageError):
        build()


# ---------------------------------------------------------------- signal / registration


@pytest.mark.parametrize(
    ("lines", "rssi", "ber", "dbm"),
    [
        (["+CSQ: 17,99"], 17, None, -79),
        (["+CSQ: 31,0"], 31, 0, -51),
        (["+CSQ: 0,7"], 0, 7, -113),
        (["+CSQ: 99,99"], None, None, None),
        (["+CSQ: 100,99"], 100, None, -116),
        (["^RSSI: 3", "+CSQ: 20,99"], 20, None, -73),
    ],
)
def test_csq(lines, rssi, ber, dbm):
    assert c.parse_csq(lines) == c.SignalQuality(rssi, ber, dbm)


@pytest.mark.parametrize("lines", [[], ["+CSQ: x,99"], ["+CSQ: 17"], ["+CSQ: 250,99"]])
def test_csq_malformed(lines):
    with pytest.raises(MalformedResponse):
        c.parse_csq(lines)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+CREG: 0,1", c.Registration(0, c.RegStatus.REGISTERED_HOME)),
        (
            '+CREG: 2,5,"1A2B","00AB12CD",7',
            c.Registration(2, c.RegStatus.REGISTERED_ROAMING, 0x1A2B, 0xAB12CD, 7),
        ),
        ("1", c.Registration(None, c.RegStatus.REGISTERED_HOME)),
        ("2", c.Registration(None, c.RegStatus.SEARCHING)),
        (
            '1,"1A2B","00AB12CD",2',
            c.Registration(None, c.RegStatus.REGISTERED_HOME, 0x1A2B, 0xAB12CD, 2),
        ),
        (
            '+CGREG: 2,1,"1A2B","01234567",7,"01"',
            c.Registration(2, c.RegStatus.REGISTERED_HOME, 0x1A2B, 0x1234567, 7),
        ),
        (
            '+CEREG: 2,1,"0C1D","0A1B2C3D",7',
            c.Registration(2, c.RegStatus.REGISTERED_HOME, 0xC1D, 0xA1B2C3D, 7),
        ),
        ("+CEREG: 0,3", c.Registration(0, c.RegStatus.DENIED)),
        (
            "+CREG: 2,1, 1A2B, 0000ABCD",
            c.Registration(2, c.RegStatus.REGISTERED_HOME, 0x1A2B, 0xABCD),
        ),
        ("+CREG: 1,6", c.Registration(1, c.RegStatus.REGISTERED_SMS_ONLY_HOME)),
    ],
)
def test_creg(text, expected):
    assert c.parse_creg(text) == expected


def test_reg_status_registered():
    assert c.RegStatus.REGISTERED_ROAMING.registered
    assert c.RegStatus.REGISTERED_SMS_ONLY_HOME.registered
    assert not c.RegStatus.SEARCHING.registered
    assert not c.RegStatus.DENIED.registered
    assert c.parse_creg("+CREG: 0,5").registered
    assert not c.parse_creg("+CREG: 0,2").registered


@pytest.mark.parametrize("text", ["", "+CREG: ", "+CREG: 0,12", "+CREG: x", '1,"ZZZZ"'])
def test_creg_malformed(text):
    with pytest.raises(MalformedResponse):
        c.parse_creg(text)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (['+COPS: 0,0,"Orange F",7'], c.Operator(0, 0, "Orange F", 7)),
        (['+COPS: 0,2,"20801",2'], c.Operator(0, 2, "20801", 2)),
        (["+COPS: 0"], c.Operator(0, None, None, None)),
        (['+COPS: 1,0,"CHINA MOBILE"'], c.Operator(1, 0, "CHINA MOBILE", None)),
    ],
)
def test_cops(lines, expected):
    assert c.parse_cops(lines) == expected


# ---------------------------------------------------------------- SIM / identity


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        (["+CPIN: READY"], "READY"),
        (["+CPIN: SIM PIN"], "SIM PIN"),
        (["+CPIN: SIM PUK"], "SIM PUK"),
        (['+CPIN: "READY"'], "READY"),
        (["READY"], "READY"),
        (["^SIMST: 1", "+CPIN: NOT READY"], "NOT READY"),
    ],
)
def test_cpin(lines, code):
    assert c.parse_cpin(lines) == code


def test_cpin_malformed():
    with pytest.raises(MalformedResponse):
        c.parse_cpin([])


@pytest.mark.parametrize(
    "lines",
    [
        ["356789012345678"],
        ["+CGSN: 356789012345678"],
        ['+CGSN: "356789012345678"'],
        ["IMEI: 356789012345678"],
        ["^RSSI: 5", "356789012345678"],
    ],
)
def test_cgsn(lines):
    assert c.parse_cgsn(lines) == "356789012345678"


@pytest.mark.parametrize("lines", [[], ["ERROR?"], ["35678901234567890123"], ["+CGSN: abc"]])
def test_cgsn_malformed(lines):
    with pytest.raises(MalformedResponse):
        c.parse_cgsn(lines)


def test_cimi():
    assert c.parse_cimi(["208011234567890"]) == "208011234567890"
    assert c.parse_cimi(["+CIMI: 208011234567890"]) == "208011234567890"
    with pytest.raises(MalformedResponse):
        c.parse_cimi(["20801A"])


ICCID = "8933150319001234567"


@pytest.mark.parametrize(
    "lines",
    [
        [f"+CCID: {ICCID}"],  # Quectel/ZTE
        [f'+CCID: "{ICCID}"'],  # quoted
        [ICCID],  # SIMCom AT+CCID: bare line
        [f"{ICCID}F"],  # F padding
        [f"+ICCID: {ICCID}"],  # Sierra
        [f"+QCCID: {ICCID}F"],  # Quectel AT+QCCID
        ["^ICCID: 983351309100214365F7"],  # Huawei: nibble-swapped as stored on the card
    ],
)
def test_ccid(lines):
    assert c.parse_ccid(lines) == ICCID


def test_ccid_malformed():
    with pytest.raises(MalformedResponse):
        c.parse_ccid(["+CCID: 1234"])


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (['+CNUM: "","+33612345678",145'], [c.SubscriberNumber("", "+33612345678", 145)]),
        (['+CNUM: "Voice","33612345678",145'], [c.SubscriberNumber("Voice", "+33612345678", 145)]),
        (['+CNUM: ,"0612345678",129'], [c.SubscriberNumber("", "0612345678", 129)]),
        (
            ['+CNUM: "Line 1","+4915112345678",145', '+CNUM: "Fax","+4915112345679",145'],
            [
                c.SubscriberNumber("Line 1", "+4915112345678", 145),
                c.SubscriberNumber("Fax", "+4915112345679", 145),
            ],
        ),
        ([], []),
        (['+CNUM: "",""'], []),
    ],
)
def test_cnum(lines, expected):
    assert c.parse_cnum(lines) == expected


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (['+CSCA: "+33609001390",145'], c.ServiceCentre("+33609001390", 145)),
        (['+CSCA: "33609001390",145'], c.ServiceCentre("+33609001390", 145)),
        (['+CSCA: "0609001390",129'], c.ServiceCentre("0609001390", 129)),
        (['+CSCA: "",129'], c.ServiceCentre("", 129)),
        (
            ['+CSCA: "002B00330033003600300039003000300031003300390030",145'],
            c.ServiceCentre("+33609001390", 145),
        ),
        (['+CSCA: "+8613800100500"'], c.ServiceCentre("+8613800100500", None)),
    ],
)
def test_csca(lines, expected):
    assert c.parse_csca(lines) == expected


def test_csca_malformed():
    with pytest.raises(MalformedResponse):
        c.parse_csca(['+CSCA: "SMSC?",145'])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('0,"Your balance is 5.00 EUR",15', c.Ussd(0, "Your balance is 5.00 EUR", 15)),
        ('+CUSD: 1,"00420061006C",72', c.Ussd(1, "00420061006C", 72)),
        ("2", c.Ussd(2, None, None)),
        ('0,"Line 1\nLine 2",15', c.Ussd(0, "Line 1\nLine 2", 15)),
    ],
)
def test_cusd(value, expected):
    assert c.parse_cusd(value) == expected


# ---------------------------------------------------------------- SMS


def test_cmgs():
    assert c.parse_cmgs(["+CMGS: 12"]) == 12
    assert c.parse_cmgs(['+CMGS: 0,"26/11/23,10:00:00+04"']) == 0
    for bad in [[], ["+CMGS: 256"], ["+CMGS: x"], ["+CSN: 12"]]:
        with pytest.raises(MalformedResponse):
            c.parse_cmgs(bad)
    assert c.parse_cmgw(["+CMGW: 5"]) == 5


def test_cmgl():
    lines = [
        "+CMGL: 0,1,,36",
        PDU,
        '+CMGL: 3,0,"",36',
        PDU.lower(),
        "^RSSI: 9",  # stray vendor line between entries (became Info)
        '+CMGL: 4,0,"Alice",36',
        PDU,
    ]
    assert c.parse_cmgl(lines) == [
        c.StoredPdu(0, 1, 36, PDU),
        c.StoredPdu(3, 0, 36, PDU),
        c.StoredPdu(4, 0, 36, PDU),
    ]
    assert c.parse_cmgl([]) == []


@pytest.mark.parametrize(
    "lines",
    [
        ["+CMGL: 0,1,,36"],
        ["+CMGL: 0,1,,36", "XYZ"],
        ["+CMGL: 0,1,,36", "ABC"],
        ["+CMGL: 0,9,,36", PDU],
        ["+CMGL: 0"],
    ],
)
def test_cmgl_malformed(lines):
    with pytest.raises(MalformedResponse):
        c.parse_cmgl(lines)


def test_cmgr():
    assert c.parse_cmgr(["+CMGR: 0,,36", PDU], 7) == c.StoredPdu(7, 0, 36, PDU)
    assert c.parse_cmgr(['+CMGR: 1,"",36', PDU], 0) == c.StoredPdu(0, 1, 36, PDU)
    for empty in [[], ["+CMGR: 0,,0"], ["+CMGR: 0,,36"]]:
        with pytest.raises(MalformedResponse, match="stored message"):
            c.parse_cmgr(empty, 1)


def test_cpms():
    read = ['+CPMS: "SM",3,30,"SM",3,30,"SR",0,5']
    assert c.parse_cpms(read) == (
        c.StorageUsage("SM", 3, 30),
        c.StorageUsage("SM", 3, 30),
        c.StorageUsage("SR", 0, 5),
    )
    assert c.parse_cpms(["+CPMS: 1,50,1,50,1,50"]) == (c.StorageUsage(None, 1, 50),) * 3
    assert c.parse_cpms(['+CPMS: "ME",0,255']) == (c.StorageUsage("ME", 0, 255),)
    for bad in [["+CPMS: 1,50,1"], ['+CPMS: "SM",x,30']]:
        with pytest.raises(MalformedResponse):
            c.parse_cpms(bad)


def test_indications():
    assert c.parse_cmti('"SM",3') == ("SM", 3)
    assert c.parse_cmti('"ME",0') == ("ME", 0)
    assert c.parse_cmti('"SM",12,"MMS PUSH"') == ("SM", 12)
    assert c.parse_cdsi('"SR",1') == ("SR", 1)
    assert c.parse_cmt_header(",36") == 36
    assert c.parse_cmt_header('"",36') == 36
    assert c.parse_cds_header("25") == 25
    for bad in [
        lambda: c.parse_cmti("3"),
        lambda: c.parse_cmti('"SM",x'),
        lambda: c.parse_cds_header("1,2"),
    ]:
        with pytest.raises(MalformedResponse):
            bad()


def test_malformed_is_a_protocol_violation():
    with pytest.raises(ProtocolViolation):
        c.parse_cmt_header("")


def test_helpers_for_the_modem_layer():
    assert c.strip_prefix("+CGSN: 356789012345678") == "356789012345678"
    assert c.strip_prefix("^ICCID: 983351309100214365F7") == "983351309100214365F7"
    assert c.strip_prefix(" 356789012345678 ") == "356789012345678"
    assert c.parse_iccid(["983351309100214365F7"]) == ICCID
    assert c.parse_pdu_length(",36") == 36
    assert c.parse_pdu_length("25") == 25
