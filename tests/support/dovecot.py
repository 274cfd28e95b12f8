"""A private Dovecot (Debian's `dovecot-imapd`) for tests that poll a real IMAP mailbox: its
own config, a free loopback port, one user with a plain password, mail in a temp folder."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.services import free_port, missing

USER, PASSWORD = "bounces", "imap-test-password"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


@dataclass(frozen=True)
class Dovecot:
    port: int
    root: Path

    @property
    def url(self) -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"


@contextmanager
def private_dovecot() -> Iterator[Dovecot]:
    if shutil.which("dovecot") is None:
        missing("Dovecot (Debian package `dovecot-imapd`; .ci/run installs it)")
    root = Path(tempfile.mkdtemp(prefix="briefing-dovecot-"))
    os.chmod(root, 0o755)
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    port = free_port()
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    # Dovecot refuses to run mail processes as root: the mailbox belongs to `nobody`.
    owner = pwd.getpwnam("nobody")
    os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port, uid=owner.pw_uid,
                                                     gid=owner.pw_gid))
    proc = subprocess.Popen(["dovecot", "-F", "-c", str(root / "dovecot.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(port, proc, root)
        yield Dovecot(port, root)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if not os.environ.get('KEEP_DOVECOT'):
            shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int, proc: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot exited: {proc.stderr.read() if proc.stderr else ''}"
                               f"{log[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("dovecot did not listen")
