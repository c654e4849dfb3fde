"""smsd: a self-hosted SMS gateway daemon for USB GSM modems."""

__version__ = "0.1.0"
