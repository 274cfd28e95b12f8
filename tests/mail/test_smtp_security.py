"""STARTTLS, implicit TLS and SMTP AUTH against a real aiosmtpd server with a test CA.

Production relays want port 587 with STARTTLS and a login, or 465 with TLS from the first
byte. The CA is made per test (trustme) and trusted through SSL_CERT_FILE, which the
default SSL context reads, so the client code under test is the production code.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import DeliveryStatus, EditionStatus
from briefing.delivery import send_edition as deliver
from briefing.editions.compose import build_edition
from briefing.editions.service import ensure_edition
from tests.support.briefing_data import add_news, add_readers, deliveries, list_database
from tests.support.databases import make_settings
from tests.support.services import free_port
from tests.support.smtp import Recorder

USER, PASSWORD = "briefing", "s3cret-passw0rd"


@dataclass
class Logins:
    seen: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                 auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.seen.append((login, password))
        # handled=False: aiosmtpd answers a failure with 535 itself.
        return AuthResult(success=(login, password) == (USER, PASSWORD), handled=False)


@dataclass
class TLSServer:
    recorder: Recorder
    logins: Logins
    port: int
    security: str

    def env(self, password: str = PASSWORD) -> dict[str, str]:
        return {"BRIEFING_SMTP_HOST": "127.0.0.1", "BRIEFING_SMTP_PORT": str(self.port),
                "BRIEFING_SMTP_SECURITY": self.security, "BRIEFING_SMTP_TIMEOUT": "10",
                "BRIEFING_SMTP_USER": USER, "BRIEFING_SMTP_PASSWORD": password}


@pytest.fixture
def ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return authority


def server_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture(params=["starttls", "tls"])
def tls_server(request: pytest.FixtureRequest, ca: trustme.CA) -> Iterator[TLSServer]:
    server = TLSServer(Recorder(), Logins(), free_port(), request.param)
    context = server_context(ca)
    options: dict[str, Any] = {"authenticator": server.logins}
    if server.security == "starttls":  # no AUTH offered before STARTTLS
        options.update(tls_context=context, require_starttls=True, auth_require_tls=True)
    else:  # TLS from the first byte (aiosmtpd cannot tell, so it must not require STARTTLS)
        options.update(ssl_context=context, auth_require_tls=False)
    controller = Controller(server.recorder, hostname="127.0.0.1", port=server.port,
                            server_hostname="127.0.0.1", **options)
    controller.start()
    yield server
    controller.stop()


def queued_edition(tmp_path: Path, env: dict[str, str]) -> tuple[Database, Settings, int]:
    settings = make_settings(tmp_path / "var", **env)
    with list_database(settings) as db:
        add_readers(db, "daily", 3)
        add_news(db, settings, 1)
        edition_id, _ = ensure_edition(db, "daily")
        assert build_edition(db, edition_id, settings) == EditionStatus.SENDING
    return Database(settings.database_url), settings, edition_id


def test_a_briefing_goes_out_encrypted_after_logging_in(
        tmp_path: Path, tls_server: TLSServer) -> None:
    db, settings, edition_id = queued_edition(tmp_path, tls_server.env())
    result = deliver.send_some(db, edition_id, settings)
    assert (result.sent, result.stopped) == (3, None)
    assert len(tls_server.recorder.messages) == 3
    assert set(tls_server.logins.seen) == {(USER, PASSWORD)}
    db.dispose()


def test_a_refused_login_pauses_sending_and_fails_no_reader(
        tmp_path: Path, tls_server: TLSServer) -> None:
    db, settings, edition_id = queued_edition(tmp_path, tls_server.env(password="wrong"))
    result = deliver.send_some(db, edition_id, settings)
    assert result.sent == 0 and result.stopped and "login refused" in result.stopped
    assert {d.status for d in deliveries(db, edition_id)} == {DeliveryStatus.QUEUED}
    assert tls_server.recorder.messages == []
    db.dispose()


def test_an_untrusted_certificate_sends_nothing(
        tmp_path: Path, tls_server: TLSServer, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("SSL_CERT_FILE", str(other))  # the server's CA is no longer trusted
    db, settings, edition_id = queued_edition(tmp_path, tls_server.env())
    result = deliver.send_some(db, edition_id, settings)
    assert result.sent == 0 and result.stopped
    assert {d.status for d in deliveries(db, edition_id)} == {DeliveryStatus.QUEUED}
    assert tls_server.recorder.messages == [] and tls_server.logins.seen == []
    db.dispose()
