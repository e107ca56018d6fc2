"""SMTP delivery from a `smtp://`, `smtp+starttls://` or `smtps://` URL."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import msgspec


class SmtpTarget(msgspec.Struct, frozen=True):
    host: str
    port: int
    security: str  # "plain", "starttls" or "tls"
    username: str | None = None
    password: str | None = None


class SmtpUrlError(ValueError):
    """VOLTWAY_SMTP_URL cannot be understood."""


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    schemes = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
    if parts.scheme not in schemes or not parts.hostname:
        raise SmtpUrlError("VOLTWAY_SMTP_URL must look like smtp://host:port, smtp+starttls://... or smtps://...")
    security, default_port = schemes[parts.scheme]
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def send_message(target: SmtpTarget, sender: str, to: str, subject: str, body: str, timeout: float = 10.0) -> None:
    """Deliver one plain-text message; blocking, so callers run it in a thread."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if target.security == "tls":
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=timeout)
    with client:
        if target.security == "starttls":
            client.starttls(context=context)
        if target.username:
            client.login(target.username, target.password or "")
        client.send_message(message)
