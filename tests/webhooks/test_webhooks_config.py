"""The [webhooks] section: defaults, values, mistakes, rendering."""

from __future__ import annotations

import pytest

from smsd.config import ConfigError, WebhooksConfig, load_config, render


def write(tmp_path, text: str):
    path = tmp_path / "smsd.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_absent(tmp_path) -> None:
    config = load_config(write(tmp_path, "[daemon]\n"))
    assert config.webhooks == WebhooksConfig()
    assert config.webhooks.allow_link_local is False


def test_values(tmp_path) -> None:
    config = load_config(
        write(
            tmp_path,
            "[webhooks]\ntimeout = 3\nmax_age = 3600\nconcurrency = 2\nper_target = 1\n"
            "retry_initial = 0.5\nretry_max = 30\nreply_window = 0\nretention = 60\n"
            "allow_link_local = true\n",
        )
    )
    assert config.webhooks == WebhooksConfig(
        timeout=3.0, max_age=3600.0, concurrency=2, per_target=1, retry_initial=0.5,
        retry_max=30.0, reply_window=0.0, retention=60.0, allow_link_local=True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("timeout = 0", "webhooks.timeout: must be a positive number"),
        ("concurrency = 0", "webhooks.concurrency"),
        ("allow_link_local = 1", "webhooks.allow_link_local"),
        ("max_age = -1", "webhooks.max_age"),
        ("retries = 3", "webhooks.retries: unknown key"),
    ],
)
def test_mistakes(tmp_path, line, fragment) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_config(write(tmp_path, f"[webhooks]\n{line}\n"))


def test_render_round_trips(tmp_path) -> None:
    config = load_config(write(tmp_path, "[webhooks]\nallow_link_local = true\ntimeout = 2.5\n"))
    text = render(config, mask=False)
    assert "[webhooks]" in text
    again = load_config(write(tmp_path, text))
    assert again.webhooks == config.webhooks
