#!/usr/bin/python3
"""`l7 mail serve` as a relay: the outgoing queue, MX routing, retries, delivery status
notifications and crash safety, against l7 itself, Python's smtplib and a real Postfix.

  * two l7 mail servers (crepes.fr with alice, hamburger.edu with bob) and `l7 dns serve`
    for hamburger.edu's MX: alice submits with AUTH, the message reaches bob's Maildir once,
    with a Received field for each hop, and crepes' queue is empty afterwards;
  * MX preference order (the zone lists the records worst first), a best MX that refuses
    connections (127.0.0.2, nothing listening), and a domain without MX (its A record);
    the servers listen on 127.0.0.3 and 127.0.0.4 (Linux routes all of 127/8 to lo);
  * a destination that is down: the message stays queued and `l7 mail queue list` shows it
    with its recipient and the reason; `l7 mail queue flush` (retry delay 1 h) or the retry
    itself (1 s) delivers it once the destination is up; the queue survives a restart, and
    `l7 mail queue delete` removes a message without a report;
  * a permanent failure (550 5.1.1 for an unknown user) and an expired message
    (--queue-lifetime 4s): a multipart/report DSN in the sender's Maildir, parsed with the
    email module: Final-Recipient, Action: failed, Status 5.x.x or 4.4.7; routing failures
    (an MX loop back to ourselves, a null MX, NXDOMAIN) bounce at once; a report that fails
    in turn is dropped, never reported;
  * the exact bytes through the relay (dot-stuffing on each hop, 998-octet lines, 8BITMIME);
  * a scripted peer (Python sockets) for the replies real servers give in trouble: 451 at
    RCPT (listed, then delivered by flush), 450 until the queue lifetime ends (4.4.7 with
    the last reply), 452 for all but the first recipient (the others retried alone), no
    8BITMIME (no 8-bit data sent) and no SMTPUTF8 (a UTF-8 address bounces, 5.6.7);
  * relaying without AUTH from a client not in --relay-networks is refused;
  * Postfix 3.x as a peer both ways: a private instance (`postfix -c DIR start`, its own
    main.cf/master.cf, queue and data directories, smtpd on a free 127.0.0.1 port,
    virtual(8) delivery into a Maildir, relayhost = [127.0.0.1]:L7PORT) receives from l7's
    queue (--smarthost), relays to l7, and refuses an unknown user, which l7 bounces. Needs
    root (Postfix's master runs as root and drops to the postfix user) and the Debian
    postfix package; skipped otherwise;
  * crash safety: 200 messages over several connections, some for other domains (queued,
    their destination down); kill -9 after about 50 were accepted, restart on the same
    Maildir, queue and port, finish; every message that got 250 after DATA is in the
    Maildir or the queue exactly once, and nothing is there twice;
  * `l7 mail send`: its documented exit statuses (0 sent, 1 refused, 2 usage, 6 name does
    not resolve, 7 no connection) and AUTH with --user/--password-file on submission.

Everything listens on 127.0.0.0/8; each test has its own directories and servers. Retry
delays are seconds, not minutes; the waits are hang guards, not performance assertions."""

import collections
import email
import email.policy
import os
import pwd
import re
import signal
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import l7test
from l7test import IO_TIMEOUT, START_TIMEOUT, STOP_TIMEOUT, Deadline, wait_until

LISTEN_RE = r"listening on tcp ([0-9.]+):(\d+) \(%s\)"
DNS_LISTEN_RE = r"listening on %s 127\.0\.0\.1:(\d+) \(dns\)"
DELIVERY_TIMEOUT = 40.0  # for a relayed message to arrive (the queue scans every 5 s)
CLIENT = "client.example"  # what our SMTP clients say in EHLO

CREPES, CREPES_HOST = "crepes.fr", "mx.crepes.fr"
HAMBURGER, HAMBURGER_HOST = "hamburger.edu", "mx.hamburger.edu"
ALICE_PASSWORD = "wonder-land-42"
BOB_PASSWORD = "b0b-s3cret"

POSTFIX = "/usr/sbin/postfix"


# --- l7 ----------------------------------------------------------------------------------


class MailServer(l7test.L7Process):
    """`l7 mail serve` for `domains`, with its Maildir and queue under `workdir`, started and
    listening: .smtp_port (MX) and .submission_port."""

    def __init__(self, workdir, domains, hostname, users, smtp="127.0.0.1:0", args=()):
        self.maildir = os.path.join(workdir, "mail")
        self.queue = os.path.join(workdir, "queue")
        full = ["mail", "serve"]
        for d in domains:
            full += ["--domain", d]
        full += ["--hostname", hostname, "--maildir", self.maildir, "--queue", self.queue,
                 "--smtp", smtp, "--submission", "127.0.0.1:0", "--pop3", "127.0.0.1:0",
                 "--imap", "127.0.0.1:0", "--threads", "1"]
        for user, password in users.items():
            full += ["--user", "%s:%s" % (user, password)]
        super().__init__(full + list(args))
        try:
            m = self.wait_for(LISTEN_RE % "smtp")
            self.smtp_host, self.smtp_port = m.group(1), int(m.group(2))
            self.submission_port = int(self.wait_for(LISTEN_RE % "submission").group(2))
        except BaseException:
            self.close()
            raise

    def mailbox(self, user):
        return maildir_messages(os.path.join(self.maildir, user))

    def queued_ids(self):
        env = os.path.join(self.queue, "env")
        return sorted(n for n in os.listdir(env) if not n.startswith(".")) \
            if os.path.isdir(env) else []


class DnsServer(l7test.L7Process):
    """`l7 dns serve` for one zone on 127.0.0.1:0 (UDP and TCP on the same port)."""

    def __init__(self, origin, zone_file):
        super().__init__(["dns", "serve", "--listen", "127.0.0.1:0", "--threads", "1",
                          "--zone", "%s=%s" % (origin, zone_file)])
        try:
            self.port = int(self.wait_for(DNS_LISTEN_RE % "udp").group(1))
            tcp = int(self.wait_for(DNS_LISTEN_RE % "tcp").group(1))
        except BaseException:
            self.close()
            raise
        if tcp != self.port:
            self.close()
            raise AssertionError("UDP port %d and TCP port %d differ" % (self.port, tcp))

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port


def zone(origin, records):
    """A zone file's text: SOA and NS, then `records` (lines relative to the origin)."""
    return ("$ORIGIN %s.\n$TTL 60\n"
            "@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 60\n"
            "@ IN NS ns\nns IN A 127.0.0.1\n" % (origin, origin, origin)
            + "".join(r + "\n" for r in records))


# --- Maildirs, messages, reports ---------------------------------------------------------


def delivery_order(name):
    m = re.match(r"^(\d+)\.M(\d+)", name)
    return (0, int(m.group(1)), int(m.group(2)), name) if m else (1, 0, 0, name)


def maildir_messages(box):
    """The bytes of every message in a Maildir's new/ and cur/, in delivery order."""
    found = []
    for sub in ("new", "cur"):
        d = os.path.join(box, sub)
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            if name.startswith("."):
                continue
            with open(os.path.join(d, name), "rb") as f:
                found.append((delivery_order(name), f.read()))
    return [data for _, data in sorted(found)]


def message(subject, sender="Alice <alice@crepes.fr>", to="Bob <bob@hamburger.edu>",
            body=b"Do you like ketchup?\r\n"):
    token = re.sub(r"[^A-Za-z0-9]+", ".", subject)
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Mon, 30 Nov 2026 12:00:00 +0100\r\n"
            "Message-ID: <%s@crepes.fr>\r\n\r\n" % (sender, to, subject, token)).encode() + body


def split_received(data):
    """([each leading Received field, unfolded], the rest of the message)."""
    fields = []
    lines = data.split(b"\r\n")
    n = 0
    while n < len(lines) and lines[n].startswith(b"Received: "):
        start = n
        n += 1
        while n < len(lines) and lines[n][:1] in (b" ", b"\t"):
            n += 1
        fields.append(re.sub(r"\s+", " ", b" ".join(lines[start:n]).decode("utf-8", "replace")))
    return fields, b"\r\n".join(lines[n:])


def parse(data):
    return email.message_from_bytes(data, policy=email.policy.compat32)


def global_status_blocks(data, boundary):
    """The field blocks of a message/global-delivery-status part (UTF-8), as Messages."""
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    parts = text.split("\n--%s" % boundary)
    for part in parts:
        head, _, body = part.partition("\n\n")
        if re.search(r"(?im)^content-type: *message/global-delivery-status", head):
            return [email.message_from_string(b.strip("\n") + "\n")
                    for b in re.split(r"\n\s*\n", body) if b.strip()]
    raise AssertionError("no message/global-delivery-status part:\n" + text[:2000])


class Report:
    """A DSN (RFC 3464) as the email module parses it."""

    def __init__(self, data):
        self.raw = data
        self.msg = parse(data)
        if self.msg.get_content_type() != "multipart/report":
            raise AssertionError("not a multipart/report:\n%s" % data[:2000])
        self.parts = self.msg.get_payload()
        if len(self.parts) < 2:
            raise AssertionError("a report with %d parts:\n%s" % (len(self.parts), data[:2000]))
        self.status_part = self.parts[1]
        blocks = self.status_part.get_payload()
        if self.status_part.get_content_type() == "message/global-delivery-status":
            # The email module reads this type (RFC 6533) as one message: split it by hand.
            blocks = global_status_blocks(data, self.msg.get_boundary())
        self.per_message = blocks[0] if blocks else None
        self.recipients = blocks[1:]

    def recipient(self, address):
        """The per-recipient block whose Final-Recipient is `address`."""
        for block in self.recipients:
            final = block.get("Final-Recipient", "")
            if final.split(";", 1)[-1].strip().lower() == address.lower():
                return block
        raise AssertionError("no Final-Recipient %s in:\n%s"
                             % (address, self.raw.decode("utf-8", "replace")))


# --- Postfix -------------------------------------------------------------------------------


POSTFIX_MAIN_CF = """\
# A private Postfix for one test: smtpd on 127.0.0.1:{port}, virtual(8) delivery of
# postfix.test into Maildirs under {dir}/mail, everything else to relayhost.
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.postfix.test
mydomain = postfix.test
myorigin = postfix.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = postfix.test
virtual_mailbox_base = {dir}/mail
virtual_mailbox_maps = texthash:{dir}/conf/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_minimum_uid = 1
relayhost = [127.0.0.1]:{relay_port}
smtp_dns_support_level = disabled
alias_maps =
alias_database =
biff = no
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
"""

# No chroot (the queue directory is not set up for it), and only the services we use.
POSTFIX_MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
smtp      unix  - - n -     - smtp
relay     unix  - - n -     - smtp
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
virtual   unix  - n n -     - virtual
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def postfix_usable():
    if os.geteuid() != 0:
        return False
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return False
    return os.access(POSTFIX, os.X_OK) and os.path.isdir("/usr/lib/postfix/sbin")


class Postfix:
    """A private Postfix instance (master as root, its daemons as `postfix`), delivering
    carol@postfix.test into DIR/mail/carol/ (as `nobody`) and relaying everything else to
    [127.0.0.1]:relay_port."""

    def __init__(self, workdir, port, relay_port):
        self.dir = os.path.join(workdir, "postfix")
        self.conf = os.path.join(self.dir, "conf")
        for sub in ("conf", "queue", "data", "mail"):
            os.makedirs(os.path.join(self.dir, sub))
        for d in (workdir, self.dir):
            os.chmod(d, 0o755)  # the postfix user must reach its queue
        postfix_user = pwd.getpwnam("postfix")
        nobody = pwd.getpwnam("nobody")
        os.chown(os.path.join(self.dir, "data"), postfix_user.pw_uid, postfix_user.pw_gid)
        os.chown(os.path.join(self.dir, "mail"), nobody.pw_uid, nobody.pw_gid)
        self.port = port
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write(POSTFIX_MAIN_CF.format(dir=self.dir, port=self.port, relay_port=relay_port,
                                           uid=nobody.pw_uid, gid=nobody.pw_gid))
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write(POSTFIX_MASTER_CF.format(port=self.port))
        with open(os.path.join(self.conf, "vmailbox"), "w") as f:
            f.write("carol@postfix.test carol/\n")
        self.started = False
        cp = self._postfix("start")
        self.started = True  # stop() also when start failed half-way
        if cp.returncode != 0:
            self.stop()
            raise AssertionError("postfix start failed (%d): %s %s\n%s"
                                 % (cp.returncode, cp.stdout, cp.stderr, self.log()))
        try:
            wait_until(self._greets, START_TIMEOUT, interval=0.1, what="Postfix's greeting")
        except AssertionError as e:
            self.stop()
            raise AssertionError("%s\n%s" % (e, self.log()))

    def _postfix(self, verb):
        try:
            return subprocess.run([POSTFIX, "-c", self.conf, verb], stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=l7test.RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError("postfix %s did not finish:\n%s" % (verb, self.log()))

    def _greets(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=IO_TIMEOUT) as s:
                data, _ = l7test.recv_until(s, lambda d: b"\r\n" in d)
                return data.startswith(b"220 ")
        except OSError:
            return False

    def log(self):
        try:
            with open(os.path.join(self.dir, "maillog"), "rb") as f:
                return "--- Postfix maillog ---\n" + f.read().decode("utf-8", "replace")[-6000:]
        except FileNotFoundError:
            return "(no Postfix maillog)"

    def master_pid(self):
        try:
            with open(os.path.join(self.dir, "queue", "pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self):
        if not self.started:
            return
        self.started = False
        pid = self.master_pid()
        self._postfix("stop")

        def gone():
            if pid is None:
                return True
            try:
                os.kill(pid, 0)
                return False
            except ProcessLookupError:
                return True

        deadline = Deadline(STOP_TIMEOUT)
        while not gone() and not deadline.expired():
            time.sleep(0.1)
        if not gone():
            os.kill(pid, signal.SIGKILL)

    def mailbox(self, user):
        return maildir_messages(os.path.join(self.dir, "mail", user))


# --- a scripted SMTP peer ----------------------------------------------------------------


class ScriptedPeer:
    """A minimal SMTP server (stdlib sockets, one thread per connection) on 127.0.0.1:0
    whose RCPT reply is `rcpt_reply(connection_number, rcpt_number)` (both from 1): for the
    replies a real server gives only when it is in trouble. It offers the EHLO `keywords`.
    Records each message's data (dot-stuffing undone) in .messages and every command line
    in .commands."""

    def __init__(self, rcpt_reply, keywords=("8BITMIME", "ENHANCEDSTATUSCODES")):
        self.rcpt_reply = rcpt_reply
        self.keywords = list(keywords)
        self.commands = []
        self.messages = []
        self.connections = 0
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._threads = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
                number = self.connections
            t = threading.Thread(target=self._serve, args=(conn, number), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, conn, number):
        conn.settimeout(IO_TIMEOUT)
        buf = b""

        def line():
            nonlocal buf
            while b"\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    raise EOFError
                buf += chunk
            first, buf = buf.split(b"\r\n", 1)
            return first

        rcpts = 0
        try:
            conn.sendall(b"220 peer.example ESMTP\r\n")
            while not self._stop.is_set():
                command = line()
                with self.lock:
                    self.commands.append(command)
                verb = command.split(b" ", 1)[0].upper()
                if verb == b"EHLO":
                    lines = ["peer.example"] + self.keywords
                    conn.sendall("".join("250%s%s\r\n" % ("-" if i < len(lines) - 1 else " ", x)
                                         for i, x in enumerate(lines)).encode())
                elif verb == b"RCPT":
                    rcpts += 1
                    conn.sendall(self.rcpt_reply(number, rcpts).encode() + b"\r\n")
                elif verb == b"RSET":
                    rcpts = 0
                    conn.sendall(b"250 2.0.0 ok\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    lines = []
                    while True:
                        data_line = line()
                        if data_line == b".":
                            break
                        lines.append(data_line[1:] if data_line.startswith(b".") else data_line)
                    with self.lock:
                        self.messages.append(b"".join(x + b"\r\n" for x in lines))
                    rcpts = 0
                    conn.sendall(b"250 2.0.0 taken\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 2.0.0 bye\r\n")
                    return
                else:  # HELO, MAIL, NOOP
                    conn.sendall(b"250 2.0.0 ok\r\n")
        except (OSError, EOFError):
            pass
        finally:
            conn.close()

    def close(self):
        self._stop.set()
        self.sock.close()
        self._accepter.join(timeout=5)
        for t in self._threads:
            t.join(timeout=5)


# --- the tests ---------------------------------------------------------------------------


class RelayTestCase(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="l7-mail-relay-")
        self.addCleanup(self.tmp.cleanup)

    def path(self, *parts):
        return os.path.join(self.tmp.name, *parts)

    def crepes(self, *args, name="crepes", smtp="127.0.0.1:0"):
        """The sender's server: crepes.fr, alice, short retry delays unless `args` say."""
        defaults = {"--retry-delay": "1s", "--max-retry-delay": "2s"}
        full = list(args)
        for k, v in defaults.items():
            if k not in full:
                full += [k, v]
        return self.mail_server(name, [CREPES], CREPES_HOST, {"alice": ALICE_PASSWORD}, full,
                                smtp=smtp)

    def hamburger(self, *args, name="hamburger", domains=(HAMBURGER,), smtp="127.0.0.1:0"):
        """The recipient's server: hamburger.edu, bob (and alice: a second local user)."""
        return self.mail_server(name, list(domains), HAMBURGER_HOST,
                                {"bob": BOB_PASSWORD, "alice": ALICE_PASSWORD}, list(args),
                                smtp=smtp)

    def mail_server(self, name, domains, hostname, users, args, smtp="127.0.0.1:0"):
        s = MailServer(self.path(name), domains, hostname, users, smtp=smtp, args=args)
        self._procs.append(s)
        return s

    def dns(self, origin, records):
        path = self.path("%s.zone" % origin)
        with open(path, "w") as f:
            f.write(zone(origin, records))
        # `--listen 127.0.0.1:0` takes a UDP port and then the same number over TCP, which
        # another socket may hold: a few tries (as dns_helpers.py does).
        for attempt in range(3):
            try:
                srv = DnsServer(origin, path)
                break
            except AssertionError as e:
                if "already in use" not in str(e) or attempt == 2:
                    raise
        self._procs.append(srv)
        return srv

    def submit(self, server, sender, recipients, data, user="alice", password=ALICE_PASSWORD):
        """Sends over `server`'s submission port after AUTH; every recipient must be taken."""
        with smtplib.SMTP("127.0.0.1", server.submission_port, local_hostname=CLIENT,
                          timeout=IO_TIMEOUT) as s:
            s.login(user, password)
            self.assertEqual(s.sendmail(sender, recipients, data), {})

    def wait_for_mail(self, server, user, count=1, what=None):
        """Waits until USER's Maildir holds at least `count` messages; returns them."""
        try:
            return wait_until(lambda: len(server.mailbox(user)) >= count and
                              server.mailbox(user), DELIVERY_TIMEOUT, interval=0.1,
                              what=what or "%d message(s) for %s" % (count, user))
        except AssertionError as e:
            raise AssertionError("%s\n%s" % (e, self.describe_all()))

    def wait_queue_empty(self, server):
        try:
            wait_until(lambda: not server.queued_ids(), DELIVERY_TIMEOUT, interval=0.1,
                       what="the queue to empty")
        except AssertionError as e:
            raise AssertionError("%s\n%s\n%s" % (e, self.queue_list(server).stdout,
                                                 self.describe_all()))
        cp = self.queue_list(server)
        self.assertEqual((cp.returncode, cp.stdout, cp.stderr), (0, "Mail queue is empty\n", ""))

    def queue_list(self, server):
        return l7test.run_l7(["mail", "queue", "list", "--queue", server.queue])

    def wait_listing(self, server, pattern, what):
        """Waits until `l7 mail queue list` prints something matching `pattern`; returns
        the listing."""
        last = [""]

        def check():
            cp = self.queue_list(server)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            last[0] = cp.stdout
            return re.search(pattern, cp.stdout, re.M) and cp.stdout

        try:
            return wait_until(check, DELIVERY_TIMEOUT, interval=0.2, what=what)
        except AssertionError as e:
            raise AssertionError("%s; the listing:\n%s\n%s" % (e, last[0], self.describe_all()))

    def describe_all(self):
        return "\n".join(p.describe() for p in self._procs)

    def assertReport(self, data, recipient, action, status_re, sender="alice@crepes.fr",
                     subject=None):
        """`data` is a DSN to `sender` about `recipient`: Action `action`, a Status matching
        `status_re`; returns (Report, the recipient's block)."""
        r = Report(data)
        where = data.decode("utf-8", "replace")
        self.assertEqual(r.msg.get_param("report-type"), "delivery-status", where)
        self.assertIn(sender, r.msg["To"], where)
        self.assertRegex(r.msg["From"], r"(?i)MAILER-DAEMON@", where)
        self.assertEqual(r.parts[0].get_content_type(), "text/plain", where)
        self.assertEqual(r.status_part.get_content_type(), "message/delivery-status", where)
        self.assertIsNotNone(r.per_message, where)
        self.assertRegex(r.per_message.get("Reporting-MTA", ""), r"^dns; ?\S+", where)
        block = r.recipient(recipient)
        self.assertEqual(block.get("Action", "").strip().lower(), action, where)
        self.assertRegex(block.get("Status", "").strip(), status_re, where)
        if subject is not None:
            returned = r.parts[2] if len(r.parts) > 2 else None
            self.assertIsNotNone(returned, where)
            self.assertIn(subject, returned.as_string(), where)
        return r, block


class MxRelayTest(RelayTestCase):
    """Case 1 and 2: two l7 servers and an l7 DNS server with hamburger.edu's MX."""

    def test_alice_submits_and_crepes_relays_to_bob_by_mx(self):
        bob_server = self.hamburger()
        dns = self.dns(HAMBURGER, ["@ IN MX 10 mail", "mail IN A 127.0.0.1"])
        crepes = self.crepes("--resolver", dns.address, "--relay-port", str(bob_server.smtp_port))
        sent = message("relayed by MX")
        self.submit(crepes, "alice@crepes.fr", ["bob@hamburger.edu"], sent)

        self.wait_for_mail(bob_server, "bob")
        self.wait_queue_empty(crepes)
        [stored] = bob_server.mailbox("bob")  # exactly once, and the queue has nothing left
        fields, rest = split_received(stored)
        self.assertEqual(rest, sent)
        self.assertEqual(len(fields), 2, fields)
        # Newest first: bob's server got it from crepes' (EHLO mx.crepes.fr), which got it
        # from alice's client over submission (ESMTPA).
        self.assertRegex(fields[0], r"^Received: from %s \(\[127\.0\.0\.1\]\) by %s with ESMTP "
                         r"id \w+ for <bob@hamburger\.edu>; "
                         % (re.escape(CREPES_HOST), re.escape(HAMBURGER_HOST)))
        self.assertRegex(fields[1], r"^Received: from %s \(\[127\.0\.0\.1\]\) by %s with ESMTPA "
                         % (re.escape(CLIENT), re.escape(CREPES_HOST)))
        self.assertEqual(crepes.mailbox("alice"), [])  # no report
        self.assertEqual(bob_server.queued_ids(), [])
        self.assertStillRunning(crepes)

    def test_the_relay_keeps_the_exact_bytes(self):
        # Leading dots (stuffed on each hop, RFC 5321 4.5.2), a line of 998 octets, 8-bit
        # text (BODY=8BITMIME both ways), a CRLF . CRLF look-alike, trailing empty lines.
        bob_server = self.hamburger()
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % bob_server.smtp_port)
        body = (b".a dot\r\n..two dots\r\n.\r\n" + b"x" * 998 + b"\r\n"
                + "Grüße aus Paris, ça va ?\r\n".encode() + b"\r\n.\r\n\r\n\r\n")
        sent = message("exact bytes", body=body)
        with smtplib.SMTP("127.0.0.1", crepes.submission_port, local_hostname=CLIENT,
                          timeout=IO_TIMEOUT) as s:
            s.login("alice", ALICE_PASSWORD)
            self.assertEqual(s.sendmail("alice@crepes.fr", ["bob@hamburger.edu"], sent,
                                        mail_options=["BODY=8BITMIME"]), {})
        self.wait_for_mail(bob_server, "bob")
        self.wait_queue_empty(crepes)
        [stored] = bob_server.mailbox("bob")
        fields, rest = split_received(stored)
        self.assertEqual(len(fields), 2, fields)
        self.assertEqual(rest, sent)

    def test_routing_failures_bounce_at_once(self):
        # RFC 5321 5.1: an MX that is this host (a loop, 5.4.6); RFC 7505: a null MX
        # (5.1.10); a domain that does not exist (5.1.2). None of them is retried.
        dns = self.dns(HAMBURGER, ["loop IN MX 10 %s." % CREPES_HOST, "nullmx IN MX 0 ."])
        crepes = self.crepes("--resolver", dns.address, "--relay-port", "9",
                             "--retry-delay", "1h", "--max-retry-delay", "1h")
        rcpts = {"bob@loop.hamburger.edu": "5.4.6", "bob@nullmx.hamburger.edu": "5.1.10",
                 "bob@nosuch.hamburger.edu": "5.1.2"}
        self.submit(crepes, "alice@crepes.fr", sorted(rcpts), message("cannot be routed"))
        self.wait_queue_empty(crepes)
        reports = [Report(m) for m in crepes.mailbox("alice")]
        self.assertGreaterEqual(len(reports), 1)
        got = {}
        for r in reports:
            for block in r.recipients:
                address = block["Final-Recipient"].split(";", 1)[1].strip()
                self.assertNotIn(address, got, "reported twice")
                self.assertEqual(block["Action"].strip(), "failed")
                got[address] = block["Status"].strip()
        self.assertEqual(got, rcpts)

    def test_mx_preference_a_refused_best_mx_and_a_domain_without_mx(self):
        # A: the right server, on 127.0.0.3; B: a decoy on 127.0.0.4, same port. The zone
        # lists the MXs worst first: 30 -> B, 20 -> A, 10 -> 127.0.0.2 where nothing listens.
        a = self.hamburger(name="a", domains=(HAMBURGER, "nomx." + HAMBURGER),
                           smtp="127.0.0.3:0")
        self.assertEqual(a.smtp_host, "127.0.0.3")
        b = self.hamburger(name="b", domains=(HAMBURGER, "nomx." + HAMBURGER),
                           smtp="127.0.0.4:%d" % a.smtp_port)
        dns = self.dns(HAMBURGER, [
            "@ IN MX 30 mx-c", "@ IN MX 20 mx-b", "@ IN MX 10 mx-a",
            "mx-a IN A 127.0.0.2", "mx-b IN A 127.0.0.3", "mx-c IN A 127.0.0.4",
            "nomx IN A 127.0.0.3",
        ])
        crepes = self.crepes("--resolver", dns.address, "--relay-port", str(a.smtp_port))
        by_mx = message("by preference")
        by_a = message("no MX, by the A record", to="bob@nomx.hamburger.edu")
        self.submit(crepes, "alice@crepes.fr", ["bob@hamburger.edu"], by_mx)
        self.submit(crepes, "alice@crepes.fr", ["bob@nomx.hamburger.edu"], by_a)

        self.wait_for_mail(a, "bob", 2)
        self.wait_queue_empty(crepes)
        got = sorted(split_received(m)[1] for m in a.mailbox("bob"))
        self.assertEqual(got, sorted([by_mx, by_a]))
        self.assertEqual(b.mailbox("bob"), [], "the worst MX got mail")
        self.assertEqual(crepes.mailbox("alice"), [])
        # The best MX was tried first and refused the connection, then the second took it.
        log = crepes.stderr()
        self.assertRegex(log, r"mx-a\.hamburger\.edu: 127\.0\.0\.2:%d" % a.smtp_port)
        self.assertRegex(log, r"<bob@hamburger\.edu> delivered via mx-b\.hamburger\.edu")
        self.assertLess(log.index("mx-a.hamburger.edu"), log.index("via mx-b.hamburger.edu"))


class QueueTest(RelayTestCase):
    """Case 3: a destination that is down, then up; `l7 mail queue list` and `flush`."""

    def queue_then_start_destination(self, retry_delay, more=()):
        """Queues a message for bob (and `more`: (recipients, data) pairs) while
        hamburger.edu's server is down, checks the listing after their first attempts, then
        starts that server; returns (crepes, bob's server, the first message)."""
        port = l7test.free_port()
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % port, "--retry-delay", retry_delay,
                             "--max-retry-delay", retry_delay)
        sent = message("waits in the queue")
        self.submit(crepes, "alice@crepes.fr", ["bob@hamburger.edu"], sent)
        [qid] = crepes.queued_ids()
        for rcpts, data in more:
            self.submit(crepes, "alice@crepes.fr", rcpts, data)
        n = 1 + len(more)
        listing = self.wait_listing(crepes, r"(?s)(^    attempts [1-9].*){%d}" % n,
                                    "a failed attempt of each message in the listing")
        self.assertRegex(listing, r"(?m)^%s +\d+ .*alice@crepes\.fr$" % re.escape(qid))
        self.assertRegex(listing, r"(?m)^    bob@hamburger\.edu$")
        # The reason: the reply made up for the refused connection (451 4.4.1).
        self.assertRegex(listing, r"(?m)^    \(451 4\.4\.1 .*\)$")
        pending = 1 + sum(len(rcpts) for rcpts, _ in more)
        self.assertRegex(listing, r"-- %d messages?, %d recipients? pending" % (n, pending))
        bob_server = self.hamburger(smtp="127.0.0.1:%d" % port)
        return crepes, bob_server, sent

    def test_flush_delivers_what_waited_for_a_destination_that_was_down(self):
        # Next try in an hour: only the flush can deliver them within the test. Three
        # messages for one domain, one of them for two users there.
        more = [message("second in the queue"), message("to both", to="bob, alice")]
        crepes, bob_server, sent = self.queue_then_start_destination("1h", more=[
            (["bob@hamburger.edu"], more[0]),
            (["bob@hamburger.edu", "alice@hamburger.edu"], more[1])])
        self.assertEqual(bob_server.mailbox("bob"), [])
        cp = l7test.run_l7(["mail", "queue", "flush", "--queue", crepes.queue])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertRegex(cp.stdout, r"^3 message\(s\) due now")
        self.wait_for_mail(bob_server, "bob", 3)
        self.wait_for_mail(bob_server, "alice", 1)
        self.wait_queue_empty(crepes)
        self.assertEqual(sorted(split_received(m)[1] for m in bob_server.mailbox("bob")),
                         sorted([sent] + more))
        self.assertEqual([split_received(m)[1] for m in bob_server.mailbox("alice")], [more[1]])
        self.assertEqual(crepes.mailbox("alice"), [])

    def test_the_retry_delivers_once_the_destination_is_up(self):
        crepes, bob_server, sent = self.queue_then_start_destination("1s")
        self.wait_for_mail(bob_server, "bob")
        self.wait_queue_empty(crepes)
        [stored] = bob_server.mailbox("bob")
        self.assertEqual(split_received(stored)[1], sent)
        self.assertEqual(crepes.mailbox("alice"), [])

    def test_the_queue_survives_a_restart(self):
        port = l7test.free_port()
        args = ("--smarthost", "127.0.0.1:%d" % port, "--retry-delay", "1h",
                "--max-retry-delay", "1h")
        crepes = self.crepes(*args)
        sent = message("outlives its server")
        self.submit(crepes, "alice@crepes.fr", ["bob@hamburger.edu"], sent)
        before = self.wait_listing(crepes, r"^    attempts 1", "the first attempt")
        self.assertStopsCleanly(crepes)
        bob_server = self.hamburger(smtp="127.0.0.1:%d" % port)
        crepes = self.crepes(*args)  # the same Maildir and queue
        after = self.queue_list(crepes).stdout
        self.assertEqual(after, before)  # nothing tried again before it is due
        cp = l7test.run_l7(["mail", "queue", "flush", "--queue", crepes.queue])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.wait_for_mail(bob_server, "bob")
        self.wait_queue_empty(crepes)
        [stored] = bob_server.mailbox("bob")
        self.assertEqual(split_received(stored)[1], sent)

    def test_delete_of_an_unknown_id_is_a_usage_error(self):
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % l7test.free_port())
        args = ["mail", "queue", "delete", "--queue", crepes.queue, "1796081245M298518P1Q1"]
        cp = l7test.run_l7(args)
        self.assertUsageError(cp, args)
        self.assertIn("no such message in the queue", cp.stderr)

    # Like delete: an unknown or malformed id is the user's mistake (exit 2).
    def test_flush_of_an_unknown_id_is_a_usage_error(self):
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % l7test.free_port())
        args = ["mail", "queue", "flush", "--queue", crepes.queue, "1796081245M298518P1Q1"]
        cp = l7test.run_l7(args)
        self.assertUsageError(cp, args)
        self.assertIn("no such message in the queue", cp.stderr)

    def test_delete_removes_a_message_without_a_report(self):
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % l7test.free_port(),
                             "--retry-delay", "1h", "--max-retry-delay", "1h")
        self.submit(crepes, "alice@crepes.fr", ["bob@hamburger.edu"], message("to delete"))
        self.wait_listing(crepes, r"^    attempts [1-9]", "a failed attempt")
        [qid] = crepes.queued_ids()
        cp = l7test.run_l7(["mail", "queue", "delete", "--queue", crepes.queue, qid])
        self.assertEqual((cp.returncode, cp.stdout), (0, "%s: deleted\n" % qid), cp.stderr)
        self.wait_queue_empty(crepes)
        self.assertEqual(crepes.mailbox("alice"), [])


class BounceTest(RelayTestCase):
    """Cases 4 and 5: delivery status notifications into the sender's Maildir."""

    def test_an_unknown_remote_user_is_bounced_and_the_other_recipient_delivered(self):
        bob_server = self.hamburger()
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % bob_server.smtp_port)
        sent = message("half of it bounces")
        self.submit(crepes, "alice@crepes.fr", ["nobody@hamburger.edu", "bob@hamburger.edu"],
                    sent)
        [report] = self.wait_for_mail(crepes, "alice", what="the bounce")
        self.wait_queue_empty(crepes)
        self.assertEqual(len(crepes.mailbox("alice")), 1)
        [stored] = bob_server.mailbox("bob")
        self.assertEqual(split_received(stored)[1], sent)

        r, block = self.assertReport(report, "nobody@hamburger.edu", "failed",
                                     r"^5\.\d{1,3}\.\d{1,3}$", subject="half of it bounces")
        self.assertEqual(block["Status"].strip(), "5.1.1", report)  # what bob's server said
        self.assertRegex(block.get("Diagnostic-Code", ""), r"^smtp; ?550[ -]", report)
        self.assertEqual(len(r.recipients), 1, "only the failed recipient is reported")
        self.assertEqual(r.msg["Subject"], "Undelivered Mail Returned to Sender")

    def test_a_message_that_outlives_the_queue_lifetime_bounces_with_4_4_7(self):
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % l7test.free_port(),
                             "--queue-lifetime", "4s", "--retry-delay", "1s",
                             "--max-retry-delay", "1s")
        self.submit(crepes, "alice@crepes.fr", ["bob@hamburger.edu"], message("never arrives"))
        [report] = self.wait_for_mail(crepes, "alice", what="the expiry bounce")
        self.wait_queue_empty(crepes)
        self.assertEqual(len(crepes.mailbox("alice")), 1)
        r, block = self.assertReport(report, "bob@hamburger.edu", "failed", r"^4\.4\.7$",
                                     subject="never arrives")
        self.assertEqual(len(r.recipients), 1)

    def test_a_bounce_that_fails_is_not_bounced(self):
        # carol@remote.example (a --relay-networks client) writes to an unknown user: her
        # report goes out from <> to remote.example, through the same smarthost, which refuses
        # to relay it (550 5.7.1). A report about a report is never made (RFC 3464 2, RFC 5321
        # 6.1): the queue empties and nobody gets anything.
        bob_server = self.hamburger()
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % bob_server.smtp_port,
                             "--relay-networks", "127.0.0.0/8")
        with smtplib.SMTP("127.0.0.1", crepes.smtp_port, local_hostname=CLIENT,
                          timeout=IO_TIMEOUT) as s:
            self.assertEqual(s.sendmail("carol@remote.example", ["nobody@hamburger.edu"],
                                        message("from afar", sender="carol@remote.example")), {})
        try:
            wait_until(lambda: "a delivery report failed too" in crepes.stderr(),
                       DELIVERY_TIMEOUT, interval=0.1, what="the failed report")
        except AssertionError as e:
            raise AssertionError("%s\n%s" % (e, self.describe_all()))
        self.wait_queue_empty(crepes)
        self.assertEqual(crepes.mailbox("alice"), [])
        self.assertEqual(bob_server.mailbox("bob"), [])
        self.assertEqual(bob_server.mailbox("alice"), [])

    def peer(self, rcpt_reply, **kwargs):
        p = ScriptedPeer(rcpt_reply, **kwargs)
        self.addCleanup(p.close)
        return p

    def test_a_temporary_rcpt_failure_is_listed_then_delivered_by_flush(self):
        peer = self.peer(lambda c, r: "451 4.2.1 come back later" if c == 1 else "250 2.1.5 ok")
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % peer.port,
                             "--retry-delay", "1h", "--max-retry-delay", "1h")
        sent = message("greylisted")
        self.submit(crepes, "alice@crepes.fr", ["bob@peer.example"], sent)
        listing = self.wait_listing(crepes, r"^    \(451 4\.2\.1 come back later\)$",
                                    "the peer's 451 in the listing")
        self.assertRegex(listing, r"(?m)^    attempts 1, ")
        self.assertRegex(listing, r"(?m)^    bob@peer\.example$")
        self.assertEqual(peer.messages, [])
        cp = l7test.run_l7(["mail", "queue", "flush", "--queue", crepes.queue])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.wait_queue_empty(crepes)
        self.assertEqual(len(peer.messages), 1)
        self.assertEqual(split_received(peer.messages[0])[1], sent)
        self.assertEqual(crepes.mailbox("alice"), [])

    def test_expiry_after_temporary_replies_reports_the_last_one(self):
        peer = self.peer(lambda c, r: "450 4.2.0 mailbox busy")
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % peer.port,
                             "--queue-lifetime", "4s", "--retry-delay", "1s",
                             "--max-retry-delay", "1s")
        self.submit(crepes, "alice@crepes.fr", ["bob@peer.example"], message("busy"))
        [report] = self.wait_for_mail(crepes, "alice", what="the expiry bounce")
        self.wait_queue_empty(crepes)
        _, block = self.assertReport(report, "bob@peer.example", "failed", r"^4\.4\.7$",
                                     subject="busy")
        self.assertRegex(block.get("Diagnostic-Code", ""), r"^smtp; ?450 4\.2\.0 mailbox busy")
        self.assertRegex(block.get("Remote-MTA", ""), r"^dns; ?127\.0\.0\.1")
        self.assertGreaterEqual(peer.connections, 2, "it was not retried")
        self.assertEqual(peer.messages, [])

    def test_recipients_refused_with_452_are_retried_alone(self):
        # RFC 5321 4.5.3.1.10: 452 for too many recipients is temporary; the next try must
        # carry only those, and each recipient gets the message once.
        peer = self.peer(lambda c, r: "452 4.5.3 too many recipients" if r >= 2 else "250 2.1.5 ok")
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % peer.port)
        rcpts = ["a@peer.example", "b@peer.example", "c@peer.example"]
        self.submit(crepes, "alice@crepes.fr", rcpts, message("three recipients"))
        self.wait_queue_empty(crepes)
        rcpt_lines = [c.decode() for c in peer.commands if c.startswith(b"RCPT")]
        # Each transaction: the first RCPT is taken, the others deferred.
        self.assertEqual(len(peer.messages), 3, peer.commands)
        self.assertEqual(rcpt_lines, ["RCPT TO:<%s>" % r for r in rcpts + rcpts[1:] + rcpts[2:]],
                         peer.commands)
        self.assertEqual(crepes.mailbox("alice"), [])

    def send_8bit(self, crepes, rcpt, subject, body, options):
        with smtplib.SMTP("127.0.0.1", crepes.submission_port, local_hostname=CLIENT,
                          timeout=IO_TIMEOUT) as s:
            s.login("alice", ALICE_PASSWORD)
            data = message(subject, to=rcpt, body=body.encode())
            self.assertEqual(s.sendmail("alice@crepes.fr", [rcpt], data, mail_options=options),
                             {})

    def reports_by_recipient(self, server, user="alice"):
        out = {}
        for data in server.mailbox(user):
            for block in Report(data).recipients:
                out[block["Final-Recipient"].split(";", 1)[1].strip()] = block
        return out

    def test_8bit_data_never_reaches_a_peer_without_8bitmime(self):
        # RFC 6152 3: no 8-bit data to a server that did not offer 8BITMIME: the relay
        # converts the message to 7 bits or returns it (5.6.3).
        peer = self.peer(lambda c, r: "250 2.1.5 ok", keywords=["ENHANCEDSTATUSCODES"])
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % peer.port)
        self.send_8bit(crepes, "bob@peer.example", "8-bit", "Grüße\r\n", ["BODY=8BITMIME"])
        self.wait_queue_empty(crepes)
        for data in peer.messages:
            self.assertTrue(data.isascii(), data)
        self.assertFalse(any(b"BODY=8BITMIME" in c for c in peer.commands), peer.commands)
        reports = self.reports_by_recipient(crepes)
        if reports:  # returned rather than converted
            self.assertEqual(list(reports), ["bob@peer.example"])
            self.assertEqual(reports["bob@peer.example"]["Action"].strip(), "failed")
            self.assertEqual(reports["bob@peer.example"]["Status"].strip(), "5.6.3")
            self.assertEqual(peer.messages, [])
        else:
            self.assertEqual(len(peer.messages), 1)

    def test_a_utf8_address_never_reaches_a_peer_without_smtputf8(self):
        # RFC 6531 3.4: a UTF-8 address needs SMTPUTF8; without it the message goes back to
        # its sender, Status 5.6.7, in a global report (RFC 6533).
        peer = self.peer(lambda c, r: "250 2.1.5 ok",
                         keywords=["8BITMIME", "ENHANCEDSTATUSCODES"])
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % peer.port)
        self.send_8bit(crepes, "jösé@peer.example", "UTF-8", "¡Hola!\r\n",
                       ["SMTPUTF8", "BODY=8BITMIME"])
        self.wait_queue_empty(crepes)
        self.assertEqual(peer.messages, [])
        self.assertTrue(all(c.isascii() for c in peer.commands), peer.commands)
        [report] = crepes.mailbox("alice")
        self.assertEqual(Report(report).msg.get_param("report-type"), "global-delivery-status")
        block = self.reports_by_recipient(crepes)["jösé@peer.example"]
        self.assertEqual(block["Action"].strip(), "failed")
        self.assertEqual(block["Status"].strip(), "5.6.7")

    def test_relaying_without_auth_is_refused(self):
        crepes = self.crepes("--smarthost", "127.0.0.1:%d" % l7test.free_port())
        with smtplib.SMTP("127.0.0.1", crepes.smtp_port, local_hostname=CLIENT,
                          timeout=IO_TIMEOUT) as s:
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
                s.sendmail("mallory@evil.example", ["bob@hamburger.edu"], message("relay me"))
            [(code, text)] = cm.exception.recipients.values()
            self.assertIn(code, (550, 554), text)
        # Submission without AUTH does not relay either.
        with smtplib.SMTP("127.0.0.1", crepes.submission_port, local_hostname=CLIENT,
                          timeout=IO_TIMEOUT) as s:
            with self.assertRaises(smtplib.SMTPException):
                s.sendmail("alice@crepes.fr", ["bob@hamburger.edu"], message("relay me too"))
        self.assertEqual(crepes.queued_ids(), [])


@unittest.skipUnless(postfix_usable(), "needs root and Postfix (/usr/sbin/postfix)")
class PostfixTest(RelayTestCase):
    """Case 6: a private Postfix instance sends to and receives from l7."""

    def setUp(self):
        super().setUp()
        self.postfix_port = l7test.free_port()
        self.l7 = self.hamburger("--smarthost", "127.0.0.1:%d" % self.postfix_port,
                                 "--retry-delay", "1s", "--max-retry-delay", "2s")
        try:
            self.postfix = Postfix(self.tmp.name, self.postfix_port,
                                   relay_port=self.l7.smtp_port)
        except BaseException:
            self.tearDown()  # unittest skips tearDown when setUp fails: stop l7 here
            raise
        self.addCleanup(self.postfix.stop)

    def describe_all(self):
        return super().describe_all() + "\n" + self.postfix.log()

    def test_l7_relays_to_postfix(self):
        sent = message("l7 to Postfix", sender="Bob <bob@hamburger.edu>",
                       to="Carol <carol@postfix.test>")
        self.submit(self.l7, "bob@hamburger.edu", ["carol@postfix.test"], sent, user="bob",
                    password=BOB_PASSWORD)
        try:
            [stored] = wait_until(lambda: self.postfix.mailbox("carol"), DELIVERY_TIMEOUT,
                                  interval=0.1, what="the message in Postfix's Maildir")
        except AssertionError as e:
            raise AssertionError("%s\n%s" % (e, self.describe_all()))
        self.wait_queue_empty(self.l7)
        stored = stored.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # Postfix writes LF
        self.assertTrue(stored.endswith(sent), stored)
        unfolded = re.sub(rb"\r\n[ \t]+", b" ", stored).decode("utf-8", "replace")
        # Postfix's Received: from l7's EHLO name; l7's own Received (submission) below it.
        self.assertRegex(unfolded, r"(?m)^Received: from %s \(localhost \[127\.0\.0\.1\]\) "
                         r"by mx\.postfix\.test \(Postfix\) with ESMTP" % re.escape(HAMBURGER_HOST))
        self.assertRegex(unfolded, r"(?m)^Received: from %s \(\[127\.0\.0\.1\]\) by %s with ESMTPA"
                         % (re.escape(CLIENT), re.escape(HAMBURGER_HOST)))
        self.assertIn("Return-Path: <bob@hamburger.edu>", unfolded)

    def test_postfix_relays_to_l7(self):
        sent = message("Postfix to l7", sender="Carol <carol@postfix.test>")
        with smtplib.SMTP("127.0.0.1", self.postfix.port, local_hostname=CLIENT,
                          timeout=IO_TIMEOUT) as s:
            self.assertEqual(s.sendmail("carol@postfix.test", ["bob@hamburger.edu"], sent), {})
        [stored] = self.wait_for_mail(self.l7, "bob", what="Postfix's message in bob's Maildir")
        fields, rest = split_received(stored)
        self.assertRegex(fields[0], r"^Received: from mx\.postfix\.test \(\[127\.0\.0\.1\]\) by "
                         r"%s with ESMTP id \w+ for <bob@hamburger\.edu>; "
                         % re.escape(HAMBURGER_HOST))
        self.assertRegex(fields[1], r"^Received: from %s \(localhost \[127\.0\.0\.1\]\) by "
                         r"mx\.postfix\.test \(Postfix\) with ESMTP" % re.escape(CLIENT))
        self.assertEqual(rest, sent)
        self.assertEqual(self.l7.queued_ids(), [])

    def test_postfix_refuses_an_unknown_user_and_l7_bounces(self):
        sent = message("to nobody at Postfix", sender="bob@hamburger.edu",
                       to="nobody@postfix.test")
        self.submit(self.l7, "bob@hamburger.edu", ["nobody@postfix.test"], sent, user="bob",
                    password=BOB_PASSWORD)
        [report] = self.wait_for_mail(self.l7, "bob", what="the bounce")
        self.wait_queue_empty(self.l7)
        _, block = self.assertReport(report, "nobody@postfix.test", "failed", r"^5\.1\.1$",
                                     sender="bob@hamburger.edu", subject="to nobody at Postfix")
        self.assertRegex(block.get("Diagnostic-Code", ""), r"^smtp; ?550[ -]5\.1\.1 ")
        self.assertEqual(self.postfix.mailbox("carol"), [])


class CrashTest(RelayTestCase):
    """Case 7: kill -9 in the middle of a stream of messages."""

    TOTAL = 200
    PER_CONNECTION = 30  # the kill (after 50) falls inside the second connection
    KILL_AFTER = 50

    @staticmethod
    def recipients(n):
        """Every fourth message goes to another domain only, every fourth both ways; each
        remote recipient names its token so that the queue listing shows it."""
        remote = "carol+tok%03d@remote.example" % n
        return {0: [remote], 1: ["bob@hamburger.edu", remote]}.get(n % 4, ["bob@hamburger.edu"])

    def test_kill_9_loses_nothing_accepted_and_duplicates_nothing(self):
        port = l7test.free_port()
        dead = l7test.free_port()  # nothing listens here: remote mail stays queued
        args = ["--relay-networks", "127.0.0.0/8", "--smarthost", "127.0.0.1:%d" % dead,
                "--retry-delay", "1h", "--max-retry-delay", "1h"]
        first = self.hamburger(*args, smtp="127.0.0.1:%d" % port)

        accepted = []  # tokens answered 250 after DATA
        broken = []  # tokens whose transaction the kill cut off: their fate is unknown
        lock = threading.Lock()
        problems = []
        give_up = threading.Event()  # the test failed: the sender stops

        def sender():
            n = 0
            deadline = Deadline(90)
            while n < self.TOTAL and not deadline.expired() and not give_up.is_set():
                try:
                    s = smtplib.SMTP("127.0.0.1", port, local_hostname=CLIENT, timeout=IO_TIMEOUT)
                except OSError:
                    time.sleep(0.05)  # the server is down: try again
                    continue
                try:
                    for _ in range(self.PER_CONNECTION):
                        if n >= self.TOTAL:
                            break
                        token = "tok%03d" % n
                        rcpts = self.recipients(n)
                        n += 1  # each token is sent once, whatever happens to it
                        data = message("crash test %s" % token,
                                       body=("token %s\r\n" % token).encode())
                        refused = s.sendmail("alice@crepes.fr", rcpts, data)
                        if refused:
                            problems.append((token, refused))
                            continue
                        with lock:
                            accepted.append(token)
                    s.quit()
                except (smtplib.SMTPException, OSError):
                    broken.append("tok%03d" % (n - 1))  # the kill: this token's fate is unknown
                finally:
                    s.close()

        thread = threading.Thread(target=sender, daemon=True)
        thread.start()
        try:
            wait_until(lambda: len(accepted) >= self.KILL_AFTER or not thread.is_alive(), 60,
                       interval=0.005, what="%d accepted messages" % self.KILL_AFTER)
            first.proc.send_signal(signal.SIGKILL)
            self.assertEqual(first.wait(), -signal.SIGKILL)
            with lock:
                before_kill = len(accepted)
            self.assertGreaterEqual(before_kill, self.KILL_AFTER)
            self.assertLess(before_kill, self.TOTAL, "the kill came after the last message")
            # The same Maildir, queue and port.
            second = MailServer(self.path("hamburger"), [HAMBURGER], HAMBURGER_HOST,
                                {"bob": BOB_PASSWORD, "alice": ALICE_PASSWORD},
                                smtp="127.0.0.1:%d" % port, args=args)
            self._procs.append(second)
        except BaseException:
            give_up.set()
            raise
        finally:
            thread.join(timeout=120)
        self.assertFalse(thread.is_alive(), "the sender thread hangs")
        self.assertEqual(problems, [])
        self.assertGreater(len(accepted), before_kill, "nothing was accepted after the restart")
        self.assertNotEqual(broken, [], "the kill did not interrupt a connection")

        sent_local = {"tok%03d" % n for n in range(self.TOTAL)
                      if "bob@hamburger.edu" in self.recipients(n)}
        sent_remote = {"tok%03d" % n for n in range(self.TOTAL) if n % 4 in (0, 1)}
        # bob's Maildir: every accepted token once, nothing twice.
        in_box = collections.Counter()
        for data in second.mailbox("bob"):
            m = re.search(rb"\r\ntoken (tok\d{3})\r\n", data)
            self.assertIsNotNone(m, data[:500])
            in_box[m.group(1).decode()] += 1
        twice = {t: c for t, c in in_box.items() if c > 1}
        self.assertEqual(twice, {}, "delivered more than once")
        self.assertTrue(set(in_box) <= sent_local, set(in_box) - sent_local)
        lost = sorted(t for t in accepted if t in sent_local and in_box[t] != 1)
        self.assertEqual(lost, [], "accepted (250) but not in the Maildir")

        # The queue: `l7 mail queue list` shows each accepted remote recipient once.
        cp = self.queue_list(second)
        self.assertEqual((cp.returncode, cp.stderr), (0, ""))
        queued = collections.Counter(re.findall(r"(?m)^    carol\+(tok\d{3})@remote\.example$",
                                                cp.stdout))
        twice = {t: c for t, c in queued.items() if c > 1}
        self.assertEqual(twice, {}, "queued more than once:\n" + cp.stdout)
        self.assertTrue(set(queued) <= sent_remote, set(queued) - sent_remote)
        lost = sorted(t for t in accepted if t in sent_remote and queued[t] != 1)
        self.assertEqual(lost, [], "accepted (250) but not queued:\n" + cp.stdout)
        self.assertEqual(len(second.queued_ids()), sum(queued.values()))
        # The queued data is the message itself, one data file per envelope.
        data_dir = os.path.join(second.queue, "data")
        for qid in second.queued_ids():
            with open(os.path.join(data_dir, qid), "rb") as f:
                self.assertRegex(f.read(), rb"\r\ntoken tok\d{3}\r\n")
        self.assertStillRunning(second)


class SendTest(RelayTestCase):
    """Case 8: `l7 mail send` and its exit statuses."""

    def send(self, *args, env=None):
        full = ["mail", "send", "--from", "alice@crepes.fr", "--subject", "Hello Bob",
                "--body", "Do you like ketchup?", "--connect-timeout", "5s"] + list(args)
        return l7test.run_l7(full, env=env), full

    def test_exit_statuses(self):
        server = self.hamburger()
        mx = "127.0.0.1:%d" % server.smtp_port

        cp, args = self.send("--to", "bob@hamburger.edu", "--server", mx)
        self.assertEqual(cp.returncode, 0, "%s\n%s" % (args, cp.stderr))
        self.assertIn("<bob@hamburger.edu>: accepted", cp.stdout)
        [stored] = server.mailbox("bob")
        m = parse(split_received(stored)[1])
        self.assertEqual(m["Subject"], "Hello Bob")
        self.assertEqual(m.get_payload(decode=True).decode().rstrip("\r\n"), "Do you like ketchup?")

        cp, args = self.send("--to", "nobody@hamburger.edu", "--server", mx)
        self.assertEqual(cp.returncode, 1, "%s\n%s %s" % (args, cp.stdout, cp.stderr))
        self.assertRegex(cp.stderr, r"<nobody@hamburger\.edu>: refused: 550")
        self.assertEqual(len(server.mailbox("bob")), 1)

        # One refused of two: still 1, and the other one gets the message.
        cp, args = self.send("--to", "bob@hamburger.edu", "--to", "nobody@hamburger.edu",
                             "--server", mx)
        self.assertEqual(cp.returncode, 1, "%s\n%s %s" % (args, cp.stdout, cp.stderr))
        self.assertEqual(len(server.mailbox("bob")), 2)

        cp, args = self.send("--to", "bob@hamburger.edu", "--server",
                             "127.0.0.1:%d" % l7test.free_port())
        self.assertEqual(cp.returncode, 7, "%s\n%s %s" % (args, cp.stdout, cp.stderr))
        self.assertIn("cannot connect", cp.stderr)

        cp, args = self.send("--to", "bob@hamburger.edu", "--server", mx, "--no-such-option")
        self.assertEqual(cp.returncode, 2, "%s\n%s %s" % (args, cp.stdout, cp.stderr))
        self.assertEqual(cp.stdout, "")
        cp, args = self.send("--server", mx)  # no recipient
        self.assertEqual(cp.returncode, 2, "%s\n%s %s" % (args, cp.stdout, cp.stderr))
        self.assertEqual(len(server.mailbox("bob")), 2)

    def test_server_names_resolve_through_l7_resolver(self):
        server = self.hamburger()
        dns = self.dns(HAMBURGER, ["mail IN A 127.0.0.1"])
        env = {"L7_RESOLVER": dns.address}
        cp, args = self.send("--to", "bob@hamburger.edu", "--server",
                             "mail.hamburger.edu:%d" % server.smtp_port, env=env)
        self.assertEqual(cp.returncode, 0, "%s\n%s %s" % (args, cp.stdout, cp.stderr))
        self.assertEqual(len(server.mailbox("bob")), 1)
        cp, args = self.send("--to", "bob@hamburger.edu", "--server",
                             "nosuch.hamburger.edu:%d" % server.smtp_port, env=env)
        self.assertEqual(cp.returncode, 6, "%s\n%s %s" % (args, cp.stdout, cp.stderr))
        self.assertEqual(len(server.mailbox("bob")), 1)

    def test_auth_with_a_password_file_on_submission(self):
        server = self.hamburger()
        good = self.path("password")
        with open(good, "w") as f:
            f.write(ALICE_PASSWORD + "\n")
        bad = self.path("wrong-password")
        with open(bad, "w") as f:
            f.write("not-" + ALICE_PASSWORD + "\n")
        sub = "127.0.0.1:%d" % server.submission_port
        common = ["--to", "bob@hamburger.edu", "--server", sub, "--user", "alice"]

        cp, args = self.send(*common, "--password-file", good)
        self.assertEqual(cp.returncode, 0, "%s\n%s %s" % (args, cp.stdout, cp.stderr))
        [stored] = server.mailbox("bob")
        fields, _ = split_received(stored)
        self.assertRegex(fields[0], r" by %s with ESMTPA " % re.escape(HAMBURGER_HOST))

        cp, args = self.send(*common, "--password-file", bad)
        self.assertEqual(cp.returncode, 1, "%s\n%s %s" % (args, cp.stdout, cp.stderr))
        self.assertIn("535", cp.stderr)
        # Without --user, submission takes nothing (530 before AUTH).
        cp, args = self.send("--to", "bob@hamburger.edu", "--server", sub)
        self.assertEqual(cp.returncode, 1, "%s\n%s %s" % (args, cp.stdout, cp.stderr))
        self.assertEqual(len(server.mailbox("bob")), 1)


if __name__ == "__main__":
    l7test.main()
