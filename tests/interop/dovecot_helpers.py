"""Shared helpers for the mail interop tests that run a real Dovecot (mail_peers.py,
mail_fetch.py): who owns the mailboxes and runs Dovecot's services (Identity), and a private
`dovecot -F` (Dovecot) serving IMAP and/or POP3 on free 127.0.0.1 ports, with passwd-file
users, a Maildir root laid out as l7 writes it (ROOT/USER/{new,cur,tmp}) and dovecot-lda for
deliveries.

Dovecot refuses mail access as root: as root, the mailboxes belong to `nobody` (and Dovecot's
mail processes run as it), Dovecot's own services run as `dovecot`/`dovenull`; otherwise all
of it runs as the current user. Tools: Debian's dovecot-core, dovecot-imapd, dovecot-pop3d."""

import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time

import l7test
from l7test import IO_TIMEOUT, START_TIMEOUT, STOP_TIMEOUT

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVECOT_LDA = "/usr/lib/dovecot/dovecot-lda"
DOVECOT_IMAP = "/usr/lib/dovecot/imap"
DOVECOT_POP3 = "/usr/lib/dovecot/pop3"
LDA_TIMEOUT = 30.0  # for one run of dovecot-lda

# What each protocol's server sends first, at the start of its greeting line.
GREETINGS = {"imap": b"* OK", "pop3": b"+OK"}


def have(path_or_name):
    return os.access(path_or_name, os.X_OK) or shutil.which(path_or_name) is not None


class Identity:
    """The uid/gid that owns the mailboxes (l7 and Dovecot's mail processes run as it) and
    the users Dovecot's own services run as. Dovecot refuses mail access as root, so a root
    test drops l7 and the mail processes to `nobody`."""

    def __init__(self):
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.mail_uid, self.mail_gid = nobody.pw_uid, nobody.pw_gid
            self.internal_user, self.internal_group = "dovecot", "dovecot"
            self.login_user = "dovenull"
        else:
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()
            self.internal_user = self.login_user = pwd.getpwuid(os.getuid()).pw_name
            self.internal_group = grp.getgrgid(os.getgid()).gr_name

    @property
    def as_root(self):
        return os.geteuid() == 0

    def chown(self, path):
        if self.as_root:
            os.chown(path, self.mail_uid, self.mail_gid)

    def drop_privileges(self):
        """A preexec_fn: the child runs as the mailbox owner (a no-op when not root)."""
        if self.as_root:
            os.setgroups([])
            os.setgid(self.mail_gid)
            os.setuid(self.mail_uid)


DOVECOT_CONF = """\
# A private Dovecot for one test ({protocols}) on 127.0.0.1, plaintext logins, no TLS.
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = {protocols}
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 1
first_valid_gid = 1
# l7's layout: MAILROOT/USER/{{new,cur,tmp}} is the user's INBOX (Maildir++).
mail_location = maildir:{mailroot}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={homes}/%u
}}
{listeners}service anvil {{
  chroot =
}}
{extra}{non_root}
"""

DOVECOT_LISTENER = """\
service {protocol}-login {{
  chroot =
  inet_listener {protocol} {{
    address = 127.0.0.1
    port = {port}
  }}
}}
"""

# Without root, every service must run as the current user (nothing can change users).
DOVECOT_NON_ROOT = """\
service auth-worker {
  user = $default_internal_user
}
"""


class Dovecot:
    """A private `dovecot -F -c WORKDIR/dovecot/dovecot.conf`, started and greeting.

    protocols: "imap" and/or "pop3", each on its own free 127.0.0.1 port (self.ports, also
    self.imap_port / self.pop3_port, None for one not served). users: {name: password}, the
    passwd-file (no ':' in them). mailroot: the Maildir root, MAILROOT/USER being USER's
    INBOX; None makes WORKDIR/dovecot/mail, owned by the mailbox owner. extra: more lines for
    dovecot.conf. Its processes form their own process group, which stop() ends."""

    def __init__(self, workdir, identity, users, mailroot=None, protocols=("imap",), extra=""):
        self.users = dict(users)
        self.dir = os.path.join(workdir, "dovecot")
        homes = os.path.join(self.dir, "home")
        os.makedirs(homes)
        if mailroot is None:
            mailroot = os.path.join(self.dir, "mail")
            os.makedirs(mailroot)
            identity.chown(mailroot)
        identity.chown(homes)
        self.mailroot = mailroot
        self.ports = {}
        for protocol in protocols:
            if protocol not in GREETINGS:
                raise ValueError("no such Dovecot protocol here: %r" % protocol)
            port = l7test.free_port()
            for _ in range(20):
                if port not in self.ports.values():
                    break
                port = l7test.free_port()
            self.ports[protocol] = port
        self.imap_port = self.ports.get("imap")
        self.pop3_port = self.ports.get("pop3")
        self.conf = os.path.join(self.dir, "dovecot.conf")
        self.log_path = os.path.join(self.dir, "dovecot.log")
        with open(self.conf, "w") as f:
            f.write(DOVECOT_CONF.format(
                protocols=" ".join(self.ports), dir=self.dir, mailroot=mailroot, homes=homes,
                listeners="".join(DOVECOT_LISTENER.format(protocol=p, port=port)
                                  for p, port in self.ports.items()),
                uid=identity.mail_uid, gid=identity.mail_gid,
                internal_user=identity.internal_user, internal_group=identity.internal_group,
                login_user=identity.login_user,
                extra=extra.rstrip("\n") + "\n" if extra else "",
                non_root="" if identity.as_root else DOVECOT_NON_ROOT))
        passwd = os.path.join(self.dir, "passwd")
        with open(passwd, "w") as f:
            for user, password in self.users.items():
                f.write("%s:{PLAIN}%s\n" % (user, password))
        os.chmod(passwd, 0o644)  # the auth process runs as the internal user
        self._out = open(os.path.join(self.dir, "stdout"), "wb")
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        try:
            for protocol, port in self.ports.items():
                l7test.wait_until(lambda: self._greets(port, GREETINGS[protocol]),
                                  START_TIMEOUT, interval=0.05,
                                  what="Dovecot's %s greeting" % protocol.upper())
        except BaseException as e:
            self.stop()
            raise AssertionError("%s\n%s" % (e, self.describe()))

    def _greets(self, port, prefix):
        if self.proc.poll() is not None:
            raise AssertionError("dovecot exited with %s" % self.proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as s:
                data, _ = l7test.recv_until(s, lambda d: b"\r\n" in d)
                return data.startswith(prefix)
        except OSError:
            return False

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def describe(self):
        with open(os.path.join(self.dir, "stdout"), "rb") as f:
            out = f.read().decode("utf-8", "replace")
        return "--- dovecot output ---\n%s\n--- dovecot.log ---\n%s" % (out[-2000:],
                                                                       self.log()[-4000:])

    def problems(self, warnings=True):
        """The log's errors; with `warnings`, also its warnings other than the one about our
        SIGTERM."""
        if not warnings:
            return [line for line in self.log().splitlines()
                    if re.search(r": (Error|Fatal|Panic):", line)]
        return [line for line in self.log().splitlines()
                if re.search(r": (Error|Fatal|Panic|Warning):", line)
                and "Killed with signal" not in line]

    def imap(self, user="bob"):
        """An imaplib session logged in as USER."""
        m = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=IO_TIMEOUT)
        typ, _ = m.login(user, self.users[user])
        if typ != "OK":
            raise AssertionError("IMAP LOGIN failed:\n" + self.describe())
        return m

    def lda(self, user, sender, message, check=False):
        """Delivers `message` (bytes) into USER's Maildir with dovecot-lda; returns its
        CompletedProcess (with `check`, a failure raises AssertionError)."""
        try:
            cp = subprocess.run([DOVECOT_LDA, "-c", self.conf, "-d", user, "-f", sender],
                                input=message, capture_output=True, timeout=LDA_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError("dovecot-lda did not finish:\n" + self.describe())
        if check and cp.returncode != 0:
            raise AssertionError("dovecot-lda: %r %r\n%s" % (cp.stdout, cp.stderr,
                                                             self.describe()))
        return cp

    def stop(self):
        """SIGTERM to the master, which stops its children; anything of the group left after
        STOP_TIMEOUT is killed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        deadline = l7test.Deadline(STOP_TIMEOUT)
        while self._group_alive() and not deadline.expired():
            time.sleep(0.05)
        if self._group_alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.wait(timeout=STOP_TIMEOUT)
        self._out.close()

    def _group_alive(self):
        try:
            os.killpg(self.proc.pid, 0)
            return True
        except ProcessLookupError:
            return False
