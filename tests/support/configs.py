"""Configurations the tests need beyond the shipped one."""

from __future__ import annotations

import socket
from pathlib import Path

from hub.config import Config, load_config


def unreachable_smtp_config(config_path: Path) -> Config:
    """The configuration of `config_path` sending by SMTP to a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    text = config_path.read_text(encoding="utf-8")
    text = text.replace('host = "localhost"\nport = 587\nsecurity = "starttls"', "")
    text = text.replace("[smtp]", f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"')
    config_path.write_text(text, encoding="utf-8")
    config = load_config(config_path, env={"HUB_MAIL_BACKEND": "smtp"})
    assert (config.smtp.port, config.mail.backend) == (port, "smtp")
    return config
