"""A private, local-only Postfix (Debian's package) for tests that need a real mail server's
own bounces: it listens on a free loopback port, relays nothing, delivers `@mail.example.net` to
local users (so an unknown one bounces) and hands the bounce domain to an LMTP port."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.services import free_port, missing

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n - 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = mail.example.net
mydomain = mail.example.net
myorigin = mail.example.net
mydestination = mail.example.net
mynetworks = 127.0.0.0/8
# Accept every local address at SMTP time, so an unknown user is bounced by Postfix itself
# (a DSN to the envelope sender) rather than refused in the session.
local_recipient_maps =
alias_maps =
alias_database =
relay_domains = {bounce_domain}
transport_maps = inline:{{ {bounce_domain}=lmtp:inet:127.0.0.1:{lmtp_port} }}
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file_prefixes = {root}
maillog_file = {root}/maillog
smtputf8_enable = no
biff = no
"""


@dataclass(frozen=True)
class Postfix:
    root: Path
    smtp_port: int

    def log(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def private_postfix(bounce_domain: str, lmtp_port: int) -> Iterator[Postfix]:
    if shutil.which("postfix") is None:
        missing("Postfix (Debian package `postfix`; .ci/run installs it)")
    # Postfix's daemons run as the postfix user: the folder must be theirs to enter.
    root = Path(tempfile.mkdtemp(prefix="briefing-postfix-"))
    os.chmod(root, 0o755)
    port = free_port()
    (root / "etc").mkdir()
    (root / "queue").mkdir()
    (root / "data").mkdir()
    shutil.chown(root / "data", "postfix")
    (root / "etc" / "main.cf").write_text(MAIN_CF.format(
        root=root, bounce_domain=bounce_domain, lmtp_port=lmtp_port))
    (root / "etc" / "master.cf").write_text(MASTER_CF.format(port=port))
    postfix = Postfix(root, port)
    _run(root, "start")
    try:
        _wait_for_port(port, postfix)
        yield postfix
    finally:
        subprocess.run(["postfix", "-c", str(root / "etc"), "stop"], capture_output=True)
        time.sleep(0.5)
        shutil.rmtree(root, ignore_errors=True)


def _run(root: Path, command: str) -> None:
    done = subprocess.run(["postfix", "-c", str(root / "etc"), command], capture_output=True,
                          text=True)
    if done.returncode != 0:
        log = (root / "maillog").read_text() if (root / "maillog").exists() else ""
        raise RuntimeError(f"postfix {command} failed: {done.stderr}\n{log[-2000:]}")


def _wait_for_port(port: int, postfix: Postfix) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"Postfix did not listen on {port}:\n{postfix.log()[-2000:]}")
