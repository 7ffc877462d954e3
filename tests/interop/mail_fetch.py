#!/usr/bin/python3
"""`l7 mail fetch`, the POP3 (RFC 1939) and IMAP (RFC 3501) mail reader, against two servers,
with Python's poplib and imaplib as the reference readers:

  * l7's own `l7 mail serve` (three messages delivered with smtplib: a plain one, one whose
    lines start with "." (byte-stuffing on the POP3 wire), a multipart one with an 8-bit body,
    an encoded-word Subject and a 5000-octet line);
  * Dovecot, the real third-party server (imap and pop3 on 127.0.0.1, a passwd-file user,
    three messages delivered with dovecot-lda: LF line ends on disk, one of about 1 MB).

Over POP3 and over IMAP, on both: --list lists the three messages with the numbers (POP3) or
UIDs (IMAP) and sizes the reference reader sees; --maildir saves them into DIR/new byte for
byte as poplib's RETR / imaplib's FETCH BODY.PEEK[] return them, and keeps them on the server
(POP3 STAT still 3; IMAP: EXAMINE and BODY.PEEK, so no \\Seen flag appears); --delete removes
them (POP3 STAT 0, IMAP SELECT EXISTS 0 afterwards, and a second run finds an empty mailbox);
--trace shows "C: USER bob" / "C: PASS <credentials hidden>" or "C: TAG LOGIN bob
<credentials hidden>" and the password appears nowhere in the output, nor in --trace-file.

Errors: a wrong password (exit 67, one line on stderr), nothing listening (exit 7), --pop3 and
--imap both or neither, --delete without --maildir, no password (exit 2), a server that
greets with garbage (exit 1, no hang) and servers that stall (before the greeting, or after
it) with --timeout 1s (exit 1; the tests' guard is generous, nothing asserts speed).

Tools (Debian packages): dovecot-core, dovecot-imapd, dovecot-pop3d (/usr/sbin/dovecot,
/usr/lib/dovecot/dovecot-lda); the Dovecot tests are skipped without them. As root, Dovecot's
mail processes run as `nobody` (Dovecot refuses mail access as root); the Dovecot harness
is dovecot_helpers.py, shared with mail_peers.py."""

import base64
import imaplib
import os
import poplib
import random
import re
import smtplib
import socket
import tempfile
import threading
import time
import unittest

import l7test
from dovecot_helpers import (DOVECOT, DOVECOT_IMAP, DOVECOT_LDA, DOVECOT_POP3, Dovecot,
                             Identity, have)
from l7test import IO_TIMEOUT

DOMAIN = "hamburger.edu"
# A space and double quotes: IMAP LOGIN must quote it (RFC 3501 4.3), POP3 PASS takes the rest
# of the line (RFC 1939 7). No ':' (the --user and passwd-file separator).
PASSWORD = 'b0b "s3cret" pw'
SECRET = "s3cret"  # no output may contain this

SMTP_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(smtp\)"
POP3_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(pop3\)"
IMAP_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(imap\)"

STALL_GUARD = 30.0  # hang guard for l7 against a stalling server (it is told --timeout 1s)

# poplib refuses lines over 2048 octets (a guard of its own, not a POP3 limit); the test
# messages have a 5000-octet line.
poplib._MAXLINE = 1 << 20

LINE_RE = re.compile(r"^\s*(\d+)\s+(\d+)(?:  (.*))?$")
SUMMARY_RE = re.compile(r"^(\d+) messages?(?:, (\d+) saved in (.+?))?"
                        r"(?:, (\d+) deleted on the server)?$")


HAVE_DOVECOT = all(have(p) for p in (DOVECOT, DOVECOT_LDA, DOVECOT_POP3, DOVECOT_IMAP))


# --- the messages ----------------------------------------------------------------------


def l7_messages():
    """[(subject as listed, bytes)] for l7's server: CRLF line ends (SMTP)."""
    def msg(subject, body, extra=b""):
        return (b"From: Alice <alice@crepes.fr>\r\nTo: Bob <bob@hamburger.edu>\r\n"
                b"Subject: " + subject + b"\r\nDate: Mon, 30 Nov 2026 12:00:00 +0100\r\n"
                + extra + b"\r\n" + body)

    long_line = ("Grüße " * 1000).encode()[:5000].rstrip(b"\xc3") + b"\r\n"
    attachment = base64.encodebytes(bytes(range(256)) * 8).replace(b"\n", b"\r\n")
    multipart = (b"--b0undary\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 b"Content-Transfer-Encoding: 8bit\r\n\r\n"
                 + "Grüße aus Hamburg — ünïcödé ✓\r\n".encode() + long_line
                 + b".a dot in the multipart body\r\n"
                 b"--b0undary\r\nContent-Type: application/octet-stream\r\n"
                 b"Content-Transfer-Encoding: base64\r\n\r\n" + attachment
                 + b"--b0undary--\r\n")
    return [
        ("plain one", msg(b"plain one", b"Hello Bob.\r\n")),
        ("dotted", msg(b"dotted", b".starts with a dot\r\n..two dots\r\n.\r\n"
                                  b"after a lone dot\r\n.\r\n")),
        ("Grüße aus Hamburg", msg(
            b"=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_Hamburg?=", multipart,
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"b0undary\"\r\n")),
    ]


def dovecot_messages():
    """[(subject, bytes)] for dovecot-lda: LF line ends, as a local delivery agent reads
    them; the third about 1 MB."""
    def msg(subject, body):
        return (b"From: Carol <carol@crepes.fr>\nTo: bob@hamburger.edu\nSubject: "
                + subject.encode() + b"\nMessage-ID: <" + subject.replace(" ", ".").encode()
                + b"@crepes.fr>\n\n" + body)

    rnd = random.Random(1939)
    big = base64.encodebytes(bytes(rnd.getrandbits(8) for _ in range(760 * 1024)))
    return [
        ("small one", msg("small one", b"Delivered by dovecot-lda.\n")),
        ("dotted lda", msg("dotted lda", b".a line with a dot\n..two\n.\nlast line\n")),
        ("big one", msg("big one", b"About a megabyte follows.\n" + big + b"the end\n")),
    ]


# --- l7's server -------------------------------------------------------------------------


class MailServer(l7test.L7Process):
    """`l7 mail serve` with SMTP, submission, POP3 and IMAP on ephemeral ports."""

    def __init__(self, maildir):
        super().__init__(["mail", "serve", "--domain", DOMAIN, "--user", "bob:" + PASSWORD,
                          "--maildir", maildir, "--smtp", "127.0.0.1:0",
                          "--submission", "127.0.0.1:0", "--pop3", "127.0.0.1:0",
                          "--imap", "127.0.0.1:0", "--threads", "1"])
        try:
            self.smtp_port = int(self.wait_for(SMTP_LISTEN_RE).group(1))
            self.pop3_port = int(self.wait_for(POP3_LISTEN_RE).group(1))
            self.imap_port = int(self.wait_for(IMAP_LISTEN_RE).group(1))
        except BaseException:
            self.close()
            raise


# --- a scripted peer -------------------------------------------------------------------


class StubServer:
    """A TCP server on 127.0.0.1:0 that sends `greeting` (None: nothing) to each connection,
    then reads what comes and never answers, until close(). It never closes a connection
    itself, so a client cannot end on an EOF: it must judge the greeting, or time out."""

    def __init__(self, greeting):
        self.greeting = greeting
        self.received = b""
        self.connections = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._conns = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                self._read_all()
                continue
            except OSError:
                return
            self.connections += 1
            conn.settimeout(0.05)
            self._conns.append(conn)
            if self.greeting is not None:
                try:
                    conn.sendall(self.greeting)
                except OSError:
                    pass

    def _read_all(self):
        for conn in self._conns:
            try:
                self.received += conn.recv(65536)
            except (socket.timeout, OSError):
                pass

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._conns:
            conn.close()
        self.sock.close()


# --- helpers -----------------------------------------------------------------------------


def imap_ok(result, what):
    typ, data = result
    if typ != "OK":
        raise AssertionError("IMAP %s: %s %r" % (what, typ, data))
    return data


def delivery_order(name):
    """Maildir names start "SECONDS.M<micros>"; this sorts them in delivery order."""
    m = re.match(r"^(\d+)\.M(\d+)", name)
    return (0, int(m.group(1)), int(m.group(2)), name) if m else (1, 0, 0, name)


class FetchTestCase(l7test.TestCase):
    """Runs `l7 mail fetch` and reads the same mailbox with poplib and imaplib."""

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="l7-mail-fetch-")
        self.addCleanup(self.tmp.cleanup)
        os.chmod(self.tmp.name, 0o755)  # Dovecot's processes (as nobody) work below it
        self.password_file = os.path.join(self.tmp.name, "password")
        with open(self.password_file, "w") as f:
            f.write(PASSWORD + "\n")

    # Subclasses set these.
    pop3_port = imap_port = None

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def fetch(self, proto, *args, port=None, trace=False, env=None, password_file=True,
              timeout=l7test.RUN_TIMEOUT):
        """`l7 mail fetch --PROTO 127.0.0.1:PORT --user bob ARGS`; the password from the file
        (or from `env`). POP3: a session that finds the mailbox still locked by the reference
        reader's session, which the server drops a moment after it ended ([IN-USE], RFC 2449
        8.1.1), is tried again."""
        if port is None:
            port = self.pop3_port if proto == "pop3" else self.imap_port
        argv = ["mail", "fetch", "--" + proto, "127.0.0.1:%d" % port, "--user", "bob"]
        if password_file:
            argv += ["--password-file", self.password_file]
        trace_file = None
        if trace:
            trace_file = self.path("trace-%d.jsonl" % len(os.listdir(self.tmp.name)))
            argv += ["--trace", "--trace-file", trace_file]
        argv += list(args)
        deadline = l7test.Deadline(10)
        while True:
            cp = l7test.run_l7(argv, env=env, timeout=timeout)
            if not ("[IN-USE]" in cp.stderr and cp.returncode != 0 and not deadline.expired()):
                break
            time.sleep(0.05)
        cp.argv = argv
        cp.where = "l7 %s\nexit %d\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            " ".join(argv), cp.returncode, cp.stdout[-3000:], cp.stderr[-6000:])
        for text in (cp.stdout, cp.stderr):
            self.assertNotIn(SECRET, text, cp.where)
        if trace_file is not None:
            with open(trace_file, "rb") as f:
                self.assertNotIn(SECRET.encode(), f.read())
            self.assertTrace(proto, cp)
        return cp

    def assertTrace(self, proto, cp):
        lines = cp.stderr.splitlines()
        if proto == "pop3":
            self.assertIn("C: USER bob", lines, cp.where)
            self.assertIn("C: PASS <credentials hidden>", lines, cp.where)
        else:
            self.assertTrue([l for l in lines
                             if re.match(r"^C: \S+ LOGIN bob <credentials hidden>$", l)],
                            cp.where)

    def parse(self, cp):
        """(listing [(number, size, rest)], summary match) from fetch's stdout."""
        lines = [l for l in cp.stdout.splitlines() if l.strip()]
        self.assertTrue(lines, cp.where)
        summary = SUMMARY_RE.match(lines[-1])
        self.assertIsNotNone(summary, cp.where)
        listing = []
        for line in lines[:-1]:
            m = LINE_RE.match(line)
            self.assertIsNotNone(m, "line %r\n%s" % (line, cp.where))
            listing.append((int(m.group(1)), int(m.group(2)), m.group(3) or ""))
        self.assertEqual(int(summary.group(1)), len(listing), cp.where)
        return listing, summary

    def saved(self, maildir):
        """The messages in MAILDIR/new in delivery order, [(name, bytes)]; tmp/ must be
        empty and cur/ too (a fetched message is new to the local reader)."""
        self.assertEqual(os.listdir(os.path.join(maildir, "tmp")), [])
        self.assertEqual(os.listdir(os.path.join(maildir, "cur")), [])
        out = []
        new = os.path.join(maildir, "new")
        for name in sorted(os.listdir(new), key=delivery_order):
            with open(os.path.join(new, name), "rb") as f:
                data = f.read()
            out.append((name, data))
            # Maildir++: the size in the name, where given, must be the file's.
            size = re.search(r",S=(\d+)", name)
            if size:
                self.assertEqual(int(size.group(1)), len(data), name)
        return out

    # --- the reference readers ----------------------------------------------------------

    def poplib_session(self):
        """A poplib session as bob; [IN-USE] (l7's fetch session just ended) is retried."""
        def attempt():
            p = poplib.POP3("127.0.0.1", self.pop3_port, timeout=IO_TIMEOUT)
            try:
                p.user("bob")
                p.pass_(PASSWORD)
                return p
            except poplib.error_proto as e:
                p.close()
                if b"[IN-USE]" in e.args[0]:
                    return None
                raise

        p = l7test.wait_until(attempt, 10, interval=0.05, what="the POP3 mailbox lock")
        self.addCleanup(p.close)
        return p

    def pop3_reference(self):
        """[(number, size, uidl, bytes)] as poplib reads them (STAT, LIST, UIDL, RETR)."""
        p = self.poplib_session()
        count, total = p.stat()
        _, listing, _ = p.list()
        _, uidls, _ = p.uidl()
        sizes = dict(tuple(int(x) for x in l.split()) for l in listing)
        ids = {int(u.split()[0]): u.split()[1].decode() for u in uidls}
        out = []
        for n in range(1, count + 1):
            _, lines, octets = p.retr(n)
            data = b"".join(line + b"\r\n" for line in lines)  # stuffing undone, CRLF lines
            out.append((n, sizes[n], ids[n], data))
        p.quit()
        self.assertEqual(len(sizes), count)
        self.assertEqual(sum(sizes.values()), total)
        return out

    def pop3_stat(self):
        p = self.poplib_session()
        stat = p.stat()
        p.quit()
        return stat

    def imaplib_session(self):
        m = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=IO_TIMEOUT)
        self.addCleanup(self._close_imap, m)
        imap_ok(m.login("bob", PASSWORD), "LOGIN")
        return m

    @staticmethod
    def _close_imap(m):
        try:
            m.shutdown()
        except OSError:
            pass

    def imap_reference(self):
        """[(uid, size, flags, bytes)] as imaplib reads them: EXAMINE INBOX, UID FETCH
        (RFC822.SIZE FLAGS) and BODY.PEEK[] for each."""
        m = self.imaplib_session()
        [exists] = imap_ok(m.select("INBOX", readonly=True), "EXAMINE")
        out = []
        if int(exists):
            meta = imap_ok(m.uid("FETCH", "1:*", "(UID RFC822.SIZE FLAGS)"), "UID FETCH")
            for line in meta:
                if isinstance(line, tuple):
                    line = line[0]
                uid = int(re.search(rb"UID (\d+)", line).group(1))
                size = int(re.search(rb"RFC822\.SIZE (\d+)", line).group(1))
                flags = re.search(rb"FLAGS \(([^)]*)\)", line).group(1).decode().split()
                data = imap_ok(m.uid("FETCH", str(uid), "(BODY.PEEK[])"), "UID FETCH BODY")
                bodies = [d[1] for d in data if isinstance(d, tuple)]
                self.assertEqual(len(bodies), 1, data[:3])
                out.append((uid, size, flags, bodies[0]))
        m.logout()
        self.assertEqual(len(out), int(exists))
        return sorted(out)

    def imap_exists(self):
        m = self.imaplib_session()
        [exists] = imap_ok(m.select("INBOX"), "SELECT")
        m.logout()
        return int(exists)

    def reference(self, proto):
        """[(number or UID, size, bytes)] for PROTO, checked for consistency."""
        if proto == "pop3":
            out = [(n, size, data) for n, size, _, data in self.pop3_reference()]
        else:
            out = [(uid, size, data) for uid, size, _, data in self.imap_reference()]
        for n, size, data in out:
            self.assertEqual(size, len(data), "the server's own size of message %d" % n)
        return out


class FetchCases:
    """The cases run against each server (mixed into a FetchTestCase whose setUp starts the
    server and delivers three messages; self.subjects are their subjects as l7 lists them,
    self.on_server() their bytes as the server stores them, as sent on the wire)."""

    def check_list(self, proto):
        ref = self.reference(proto)
        self.assertEqual(len(ref), 3)
        cp = self.fetch(proto, "--list")
        self.assertEqual(cp.returncode, 0, cp.where)
        listing, summary = self.parse(cp)
        self.assertEqual([(n, size) for n, size, _ in listing],
                         [(n, size) for n, size, _ in ref], cp.where)
        self.assertEqual(summary.group(0), "3 messages", cp.where)
        if proto == "pop3":  # the UIDL next to the size
            ids = [uid for _, _, uid, _ in self.pop3_reference()]
            self.assertEqual([rest for _, _, rest in listing], ids, cp.where)
        for _, _, rest in listing:  # nothing downloaded: no From, no Subject
            self.assertNotIn("@crepes.fr", rest)
        # Listing reads nothing: the same messages afterwards.
        self.assertEqual(self.reference(proto), ref)

    def check_keep(self, proto):
        if proto == "pop3":
            ref = self.reference(proto)  # first: the reference (Dovecot's RETR sets \Seen)
        maildir = self.path("kept")
        cp = self.fetch(proto, "--maildir", maildir, trace=True)
        self.assertEqual(cp.returncode, 0, cp.where)
        listing, summary = self.parse(cp)
        if proto == "imap":
            # l7 read with EXAMINE and BODY.PEEK[]: no message got the \Seen flag.
            self.assertTrue(re.search(r"^C: \S+ EXAMINE ", cp.stderr, re.M), cp.where)
            meta = self.imap_reference()
            for uid, _, flags, _ in meta:
                self.assertNotIn("\\Seen", flags, "UID %d after l7's fetch" % uid)
            ref = self.reference(proto)
        else:
            self.assertEqual(self.pop3_stat(), (3, sum(size for _, size, _ in ref)))
            self.assertNotIn("DELE", cp.stderr, cp.where)
        self.assertEqual(len(ref), 3)
        self.assertEqual([(n, size) for n, size, _ in listing],
                         [(n, size) for n, size, _ in ref], cp.where)
        for (_, _, rest), subject in zip(listing, self.subjects):
            self.assertIn(subject, rest, cp.where)
            self.assertIn(self.sender, rest, cp.where)
        self.assertEqual((summary.group(1), summary.group(2), summary.group(3),
                          summary.group(4)),
                         ("3", "3", os.path.abspath(maildir), None), cp.where)
        saved = self.saved(maildir)
        self.assertEqual(len(saved), 3, saved)
        for (name, data), (n, _, expected) in zip(saved, ref):
            self.assertEqual(data, expected, "message %d, saved as %s" % (n, name))
        self.assertEqual([data for _, data in saved], self.on_server())
        self.assertEqual(len(self.on_server()), 3)  # kept on the server

    def check_delete(self, proto):
        ref = self.reference(proto)
        self.assertEqual(len(ref), 3)
        maildir = self.path("moved")
        cp = self.fetch(proto, "--maildir", maildir, "--delete", trace=True)
        self.assertEqual(cp.returncode, 0, cp.where)
        listing, summary = self.parse(cp)
        self.assertEqual([(n, size) for n, size, _ in listing],
                         [(n, size) for n, size, _ in ref], cp.where)
        self.assertEqual(summary.group(0), "3 messages, 3 saved in %s, 3 deleted on the server"
                         % os.path.abspath(maildir), cp.where)
        saved = self.saved(maildir)
        self.assertEqual([data for _, data in saved], [data for _, _, data in ref])
        if proto == "pop3":
            dele = [l for l in cp.stderr.splitlines() if l.startswith("C: DELE ")]
            self.assertEqual(dele, ["C: DELE 1", "C: DELE 2", "C: DELE 3"], cp.where)
        # Gone, for both protocols.
        self.assertEqual(self.pop3_stat(), (0, 0))
        self.assertEqual(self.imap_exists(), 0)
        self.assertEqual(self.on_server(), [])
        # Another run finds the mailbox empty: no error, nothing saved.
        again = self.path("again")
        cp = self.fetch(proto, "--maildir", again, "--delete")
        self.assertEqual(cp.returncode, 0, cp.where)
        listing, summary = self.parse(cp)
        self.assertEqual(listing, [])
        self.assertEqual(summary.group(0), "0 messages, 0 saved in %s, 0 deleted on the server"
                         % os.path.abspath(again), cp.where)
        self.assertEqual(os.listdir(os.path.join(again, "new")), [])

    def check_wrong_password(self, proto):
        bad = self.path("bad-password")
        with open(bad, "w") as f:
            f.write("not the " + SECRET + "\n")
        cp = self.fetch(proto, "--list", password_file=False,
                        env={"L7_MAIL_PASSWORD": "wrong-" + SECRET})
        self.assertEqual(cp.returncode, 67, cp.where)
        self.assertEqual(len(l7test.stderr_lines(cp.stderr)), 1, cp.where)
        cp = self.fetch(proto, "--list", "--password-file", bad, password_file=False)
        self.assertEqual(cp.returncode, 67, cp.where)
        self.assertEqual(len(l7test.stderr_lines(cp.stderr)), 1, cp.where)
        # The right one in the environment works.
        cp = self.fetch(proto, "--list", password_file=False, env={"L7_MAIL_PASSWORD": PASSWORD})
        self.assertEqual(cp.returncode, 0, cp.where)
        self.assertEqual(len(self.parse(cp)[0]), 3, cp.where)

    def test_pop3_list(self):
        self.check_list("pop3")

    def test_imap_list(self):
        self.check_list("imap")

    def test_pop3_keep(self):
        self.check_keep("pop3")

    def test_imap_keep(self):
        self.check_keep("imap")

    def test_pop3_delete(self):
        self.check_delete("pop3")

    def test_imap_delete(self):
        self.check_delete("imap")

    def test_pop3_wrong_password(self):
        self.check_wrong_password("pop3")

    def test_imap_wrong_password(self):
        self.check_wrong_password("imap")


class L7ServerTest(FetchCases, FetchTestCase):
    """Case 1: l7 fetch reads l7's own POP3 and IMAP server."""

    sender = "Alice <alice@crepes.fr>"

    def setUp(self):
        super().setUp()
        self.mailroot = self.path("server")
        self.server = MailServer(self.mailroot)
        self._procs.append(self.server)
        self.pop3_port, self.imap_port = self.server.pop3_port, self.server.imap_port
        sent = l7_messages()
        self.subjects = [s for s, _ in sent]
        for _, m in sent:  # one session each: distinct delivery times
            with smtplib.SMTP("127.0.0.1", self.server.smtp_port, timeout=IO_TIMEOUT) as s:
                self.assertEqual(s.sendmail("alice@crepes.fr", ["bob@" + DOMAIN], m,
                                            mail_options=["BODY=8BITMIME"]), {})
        stored = self.on_server()
        self.assertEqual(len(stored), 3)
        for data, (_, m) in zip(stored, sent):
            self.assertTrue(data.endswith(m), data[:300])  # after l7's Received field

    def on_server(self):
        """bob's messages in l7's Maildir (new/ and cur/), in delivery order."""
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(self.mailroot, "bob", sub)
            for name in os.listdir(d) if os.path.isdir(d) else []:
                with open(os.path.join(d, name), "rb") as f:
                    out.append((delivery_order(name), f.read()))
        return [data for _, data in sorted(out)]


@unittest.skipUnless(HAVE_DOVECOT, "Dovecot (dovecot-core, -imapd, -pop3d) not installed")
class DovecotTest(FetchCases, FetchTestCase):
    """Case 2: l7 fetch reads Dovecot's POP3 and IMAP."""

    sender = "Carol <carol@crepes.fr>"

    def setUp(self):
        super().setUp()
        self.dovecot = Dovecot(self.tmp.name, Identity(), {"bob": PASSWORD},
                               protocols=("imap", "pop3"))
        self.addCleanup(self.dovecot.stop)
        self.pop3_port, self.imap_port = self.dovecot.pop3_port, self.dovecot.imap_port
        sent = dovecot_messages()
        self.subjects = [s for s, _ in sent]
        for _, m in sent:
            self.dovecot.lda("bob", "carol@crepes.fr", m, check=True)
        stored = self.on_server()
        self.assertEqual(len(stored), 3)
        for data, (_, m) in zip(stored, sent):
            self.assertTrue(data.endswith(m.replace(b"\n", b"\r\n")), data[:300])
        self.assertGreater(len(stored[2]), 1000000)

    def on_server(self):
        """bob's messages in Dovecot's Maildir, in delivery order, as sent on the wire: the
        files have LF line ends, POP3 and IMAP send CRLF (RFC 1939 3, RFC 3501 2.2)."""
        root = os.path.join(self.dovecot.mailroot, "bob")
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(root, sub)
            for name in os.listdir(d) if os.path.isdir(d) else []:
                with open(os.path.join(d, name), "rb") as f:
                    out.append((delivery_order(name), f.read().replace(b"\n", b"\r\n")))
        return [data for _, data in sorted(out)]

    def tearDown(self):
        problems = self.dovecot.problems(warnings=False)
        super().tearDown()
        self.assertEqual(problems, [], self.dovecot.describe())


class ErrorTest(FetchTestCase):
    """Case 3: usage errors, nothing listening, garbage and silence."""

    def test_usage_errors(self):
        for args in (["--list"],
                     ["--pop3", "127.0.0.1:1", "--imap", "127.0.0.1:1", "--list"],
                     ["--pop3", "127.0.0.1:1", "--delete"],
                     ["--imap", "127.0.0.1:1", "--delete", "--list"]):
            argv = ["mail", "fetch", "--user", "bob", "--password-file",
                    self.password_file] + args
            self.assertUsageError(l7test.run_l7(argv), argv)
        # No password: neither a file nor the environment (run_l7 drops L7_* variables).
        argv = ["mail", "fetch", "--pop3", "127.0.0.1:1", "--user", "bob", "--list"]
        self.assertUsageError(l7test.run_l7(argv), argv)
        argv += ["--password-file", self.path("no-such-file")]
        self.assertUsageError(l7test.run_l7(argv), argv)

    def test_nothing_listening(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # bound, not listening: connections are refused
            for proto in ("pop3", "imap"):
                cp = self.fetch(proto, "--list", port=port)
                self.assertEqual(cp.returncode, 7, cp.where)
                self.assertEqual(len(l7test.stderr_lines(cp.stderr)), 1, cp.where)

    def stub(self, greeting):
        s = StubServer(greeting)
        self.addCleanup(s.close)
        return s

    def test_garbage_greeting(self):
        for proto in ("pop3", "imap"):
            stub = self.stub(b"HELLO\r\n")
            cp = self.fetch(proto, "--list", port=stub.port)
            self.assertEqual(cp.returncode, 1, cp.where)
            self.assertEqual(stub.connections, 1)
            self.assertEqual(len(l7test.stderr_lines(cp.stderr)), 1, cp.where)
            # It sent no credentials to a server that is not what it should be.
            self.assertNotIn(SECRET.encode(), stub.received)

    def test_stall_after_the_greeting(self):
        for proto, greeting in (("pop3", b"+OK stub POP3 ready\r\n"),
                                ("imap", b"* OK stub IMAP4rev1 ready\r\n")):
            stub = self.stub(greeting)
            cp = self.fetch(proto, "--list", "--timeout", "1s", port=stub.port,
                            timeout=STALL_GUARD)
            self.assertEqual(cp.returncode, 1, cp.where)
            self.assertEqual(len(l7test.stderr_lines(cp.stderr)), 1, cp.where)
            l7test.wait_until(lambda: stub.received, 5, what="l7's first command")
            first = stub.received.split(b"\r\n")[0]
            self.assertRegex(first, rb"^USER bob$" if proto == "pop3"
                             else rb"^\S+ LOGIN bob .*$")

    def test_stall_before_the_greeting(self):
        for proto in ("pop3", "imap"):
            stub = self.stub(None)
            cp = self.fetch(proto, "--list", "--timeout", "1s", port=stub.port,
                            timeout=STALL_GUARD)
            self.assertEqual(cp.returncode, 1, cp.where)
            self.assertEqual(len(l7test.stderr_lines(cp.stderr)), 1, cp.where)
            self.assertEqual(stub.received, b"")


if __name__ == "__main__":
    l7test.main()
