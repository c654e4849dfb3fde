"""The settings: frozen dataclasses for each section, their defaults and the fixed values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from smsd.config.doors import SmsPartnerConfig

if TYPE_CHECKING:
    from pathlib import Path

    from smsd.config.inbound import EmailInConfig, RuleConfig, SmtpConfig
    from smsd.matching import Command

__all__ = [
    "BAUDRATES",
    "DEFAULT_DATABASE",
    "DEFAULT_PHONE",
    "DIALECTS",
    "EXAMPLE_API_KEY",
    "INTEGRITY_CHECKS",
    "LOG_FORMATS",
    "LOG_LEVELS",
    "MIN_API_KEY",
    "VIRTUAL",
    "ApiConfig",
    "BillingConfig",
    "Config",
    "DaemonConfig",
    "HotplugConfig",
    "IntegrityCheck",
    "LimitConfig",
    "LogFormat",
    "LogLevel",
    "MqttConfig",
    "PhoneConfig",
    "QuietHoursConfig",
    "StopConfig",
    "TcpListen",
    "UnixListen",
    "UserConfig",
    "WebhooksConfig",
    "default_config",
]

LogFormat = Literal["auto", "console", "journal", "json"]
LogLevel = Literal["debug", "info", "warning", "error"]
LOG_FORMATS: Final = ("auto", "console", "journal", "json")
LOG_LEVELS: Final = ("debug", "info", "warning", "error")
IntegrityCheck = Literal["quick", "full", "none"]
INTEGRITY_CHECKS: Final = ("quick", "full", "none")
VIRTUAL: Final = "virtual"
DEFAULT_PHONE: Final = "virtual-1"
DEFAULT_DATABASE: Final = "smsd.sqlite3"
EXAMPLE_API_KEY: Final = "change-me-to-at-least-32-random-characters"
"""The placeholder key of ``config.example.toml``: refused, so that nobody deploys it."""
MIN_API_KEY: Final = 32
# Rates a Linux tty accepts (termios B50 ... B4000000).
BAUDRATES: Final = frozenset({
    50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600,
    115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000,
    2500000, 3000000, 3500000, 4000000,
})  # fmt: skip


@dataclass(frozen=True)
class TcpListen:
    """The API listens on a TCP address (port 0 picks a free port)."""

    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class UnixListen:
    """The API listens on a Unix stream socket."""

    path: Path

    def __str__(self) -> str:
        return f"unix:{self.path}"


@dataclass(frozen=True)
class DaemonConfig:
    """``[daemon]``: storage, logging and delivery semantics."""

    database: Path
    log_format: LogFormat = "auto"
    log_level: LogLevel = "info"
    at_least_once: bool = False
    """Resend a segment interrupted by a crash (``True``) or mark it ``interrupted`` (default)."""
    report_window_hours: float = 72.0
    """Hours during which a status report can still be matched to a sent message."""
    part_timeout: float = 1800.0
    """Seconds to wait for missing parts of a concatenated incoming message before storing it."""
    integrity_check: IntegrityCheck = "quick"
    """Check of the database file at start: ``quick_check`` (about 2 s per 300 MB on a small
    machine), the full ``integrity_check``, or none."""


@dataclass(frozen=True)
class ApiConfig:
    """``[api]``: the HTTP server."""

    listen: TcpListen | UnixListen = TcpListen("127.0.0.1", 8080)
    prefix: str = "/raspisms"
    """Routes answer under this prefix and at the root; ``""`` for the root only."""
    html_escape: bool = True
    """Escape ``&``, ``<``, ``>`` in JSON text, as RaspiSMS does."""
    max_body_bytes: int = 8 * 1024 * 1024
    default_region: str | None = None
    """ISO 3166 region (``"FR"``) whose national numbers are accepted (``None``: international
    numbers only, as RaspiSMS)."""
    public: bool = False
    """Listening on a non-loopback address is intended (otherwise smsd warns at start)."""
    socket_mode: int = 0o660
    """Permissions of the Unix socket file (``listen = "unix:…"``): owner and group only."""
    max_auth_failures: int = 10
    """Unknown API keys tolerated per client address and window before HTTP 429 (0: no limit)."""
    auth_failure_window: float = 60.0
    """Seconds of the sliding window of ``max_auth_failures``."""
    dialects: tuple[str, ...] = ("raspisms", "gatewaysms", "smsgateway24", "smspartner")
    """The front doors served (:data:`DIALECTS`); all by default."""
    session_lifetime: float = 7 * 24 * 3600.0
    """Seconds a login session (a token answered for an e-mail and a password) lasts."""
    smspartner: SmsPartnerConfig = field(default_factory=SmsPartnerConfig)
    """``[api.smspartner]``: the SMSPartner-compatible door."""


DIALECTS: Final = ("raspisms", "gatewaysms", "smsgateway24", "smspartner")
"""Every HTTP front door: RaspiSMS (``/api/…``), Gateway SMS (``/messages…``), SMSGateway24
(``/getdata/…``), SMSPartner (``/v1/…``)."""


@dataclass(frozen=True)
class UserConfig:
    """``[[users]]``: an API user and its key."""

    email: str
    api_key: str = field(repr=False)
    admin: bool = False
    transfer: bool | None = None
    """RaspiSMS's ``transfer`` setting: mail every received SMS to ``email`` (absent: unchanged)."""


@dataclass(frozen=True)
class LimitConfig:
    """At most ``volume`` segments sent since ``startpoint`` (a RaspiSMS start point)."""

    volume: int
    startpoint: str


DEFAULT_BALANCE_PATTERN: Final = r"(-?\d+(?:[.,]\d+)?)"
"""The first number of the answer (``Your balance is 12,50 EUR`` -> ``12,50``)."""


@dataclass(frozen=True)
class PhoneConfig:
    """``[[phones]]``: one modem and how to use it."""

    name: str
    device: str
    baudrate: int = 115200
    pin: str | None = field(default=None, repr=False)
    priority: int = 0
    delivery_reports: bool = True
    poll_interval: float = 60.0
    health_interval: float = 30.0
    submit_timeout: float = 60.0
    command_timeout: float = 5.0
    min_interval: float = 0.0
    retries: int = 3
    hangup_calls: bool = True
    """Reject incoming voice calls once the caller is known (they are recorded either way)."""
    limits: tuple[LimitConfig, ...] = ()
    segment_price: str | None = None
    """What one segment costs through this phone (decimal text); ``None``: ``[billing]``'s."""
    ussd_timeout: float = 30.0
    """Seconds to wait for the network's USSD answer (or for a menu reply) before cancelling."""
    balance_ussd: str | None = None
    """USSD code that asks the SIM's balance (``"*100#"``); ``None``: no balance watch."""
    balance_interval: float = 3600.0
    """Seconds between two balance checks."""
    balance_pattern: str = DEFAULT_BALANCE_PATTERN
    """Regular expression with one group capturing the amount (a decimal comma reads as a point)."""
    balance_min: float | None = None
    """Below this amount the phone is parked as ``no_credit``; ``None``: never parked."""
    balance_check_every: int = 0
    """Also check after this many segments sent (0: on schedule only)."""


@dataclass(frozen=True)
class HotplugConfig:
    """``[hotplug]``: device globs watched for modems appearing and disappearing."""

    devices: tuple[str, ...] = ()
    baudrate: int = 115200


@dataclass(frozen=True)
class WebhooksConfig:
    """``[webhooks]``: delivery of webhook events (RaspiSMS webhooks, url_dlr, url_response)."""

    timeout: float = 10.0
    """Seconds one delivery attempt may take (connect, send, answer)."""
    max_age: float = 86400.0
    """Seconds after its creation an undelivered event is given up (marked dead, logged once)."""
    concurrency: int = 8
    """Deliveries in flight at once, over all receivers."""
    per_target: int = 2
    """Deliveries in flight at once to one receiver (a slow one cannot take every slot)."""
    retry_initial: float = 2.0
    """Seconds before the first retry; each further retry waits twice as long."""
    retry_max: float = 600.0
    """Longest wait between two attempts, in seconds."""
    reply_window: float = 259200.0
    """Seconds after a send during which a message from its recipient goes to url_response."""
    retention: float = 604800.0
    """Seconds delivered and dead events are kept (for inspection) before being deleted."""
    allow_link_local: bool = False
    """Allow link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, ...)."""


def _email_in() -> EmailInConfig:
    from smsd.config.inbound import EmailInConfig  # noqa: PLC0415 - inbound imports this module

    return EmailInConfig()


@dataclass(frozen=True)
class BillingConfig:
    """``[billing]``: what one segment costs on the SIM plan, for doors that report a cost."""

    currency: str = "EUR"
    segment_price: str = "0"
    """A decimal number as text (``"0.05"``); a phone may set its own."""


@dataclass(frozen=True)
class QuietHoursConfig:
    """``[quiet_hours]``: when commercial messages are held (French rules by default)."""

    enabled: bool = True
    start: str = "20:00"
    end: str = "08:00"
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat")
    country: str = "FR"
    """ISO code of the country whose public holidays hold messages (``""``: none)."""


@dataclass(frozen=True)
class StopConfig:
    """``[stop]``: the STOP mention appended on request and the answer to a STOP."""

    mention: str = "STOP au numéro d'envoi"
    response: str = "Demande prise en compte, vous ne recevrez plus de messages."


@dataclass(frozen=True)
class MqttConfig:
    """``[mqtt]``: the MQTT bridge and Home Assistant discovery (off unless ``enabled``)."""

    enabled: bool = False
    host: str = "localhost"
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str = "smsd"
    """The session's name at the broker (persistent: commands sent while smsd is away wait)."""
    keepalive: int = 60
    tls: bool = False
    ca_file: Path | None = None
    """CA bundle that signs the broker's certificate (``None``: the system's)."""
    cert_file: Path | None = None
    key_file: Path | None = None
    tls_insecure: bool = False
    """Skip the check that the certificate names ``host`` (self-signed test brokers only)."""
    base_topic: str = "smsd"
    discovery: bool = True
    discovery_prefix: str = "homeassistant"
    user: str | None = None
    """E-mail of the user the bridge acts as (``None``: the owner of the configured phones)."""
    notify_to: str | None = None
    """E.164 number the Home Assistant notify entities send to (``None``: no notify entity)."""
    retain_state: bool = True
    retain_events: bool = False
    state_interval: float = 60.0
    """Seconds between two publications of a phone's state when only figures changed."""
    reconnect_max: float = 60.0
    """Longest wait between two connection attempts (the backoff doubles up to it)."""


@dataclass(frozen=True)
class WebConfig:
    """``[web]``: the dashboard served by the API's listener."""

    enabled: bool = True
    session_lifetime: float = 43200.0
    """Seconds a dashboard log-in lasts (a login session of :mod:`smsd.store.sessions`)."""
    refresh: float = 5.0
    """Seconds between two live updates of an open page (phones, queue, conversation)."""


@dataclass(frozen=True)
class Config:
    """The whole configuration; ``source`` is the file it came from (``None``: the default)."""

    daemon: DaemonConfig
    api: ApiConfig
    users: tuple[UserConfig, ...]
    phones: tuple[PhoneConfig, ...]
    hotplug: HotplugConfig
    source: Path | None = None
    webhooks: WebhooksConfig = WebhooksConfig()
    rules: tuple[RuleConfig, ...] = ()
    commands: tuple[Command, ...] = ()
    smtp: SmtpConfig | None = None
    email_in: EmailInConfig = field(default_factory=_email_in)
    billing: BillingConfig = field(default_factory=BillingConfig)
    quiet_hours: QuietHoursConfig = field(default_factory=QuietHoursConfig)
    stop: StopConfig = field(default_factory=StopConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    web: WebConfig = WebConfig()


def default_config(directory: Path) -> Config:
    """The embedded default: one virtual modem, ``smsd.sqlite3`` in ``directory``, no users."""
    return Config(
        daemon=DaemonConfig(database=directory.absolute() / DEFAULT_DATABASE),
        api=ApiConfig(),
        users=(),
        phones=(PhoneConfig(name=DEFAULT_PHONE, device=VIRTUAL),),
        hotplug=HotplugConfig(),
    )
