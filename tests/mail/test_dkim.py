"""DKIM signatures verify and cover the one-click unsubscribe headers."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import dkim
import pytest

from briefing.mail.dkim_signing import DkimSigner
from briefing.mail.prepared import Reader, prepare
from briefing.mail.slots import NAME_SLOT, UNSUBSCRIBE_SLOT


@pytest.fixture(scope="module")
def key_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make a test key")
    folder = tmp_path_factory.mktemp("dkim")
    private = folder / "private.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(private), "2048"], check=True,
                   capture_output=True)
    public_der = subprocess.run(["openssl", "rsa", "-in", str(private), "-pubout",
                                 "-outform", "DER"], check=True, capture_output=True).stdout
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public_der)
    return private, record


def test_signed_briefing_verifies_and_covers_list_unsubscribe(key_pair: tuple[Path, bytes]
                                                              ) -> None:
    private, record = key_pair
    message = prepare(from_address="news@example.org", from_name="News", reply_to=None,
                      subject="Daily · Zoë's news", list_name="Daily", list_slug="daily",
                      unsubscribe_mailto="mailto:news@example.org",
                      text=f"Hi {NAME_SLOT}\n{UNSUBSCRIBE_SLOT}\n",
                      html=f"<p>Hi {NAME_SLOT} <a href='{UNSUBSCRIBE_SLOT}'>x</a></p>")
    envelope = message.for_reader(Reader("r@example.com", "Rea", "https://x/unsubscribe/t",
                                         "https://x/u/t", "https://x/preferences/t",
                                         "<m1@example.org>"))
    signed = DkimSigner.from_file(private, "briefing", "example.org").sign(envelope)
    head = signed.data.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"dkim-signature:")
    signature = head.split(b"\r\n")[0:4]
    assert b"list-unsubscribe:list-unsubscribe-post" in b"".join(signature).replace(b" ", b"")

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"briefing._domainkey.example.org."
        return record

    assert dkim.verify(signed.data, dnsfunc=dns)
    tampered = signed.data.replace(b"https://x/u/t", b"https://evil/u/t")
    assert not dkim.verify(tampered, dnsfunc=dns)
