#!/usr/bin/python3
"""`l7 mail serve` against real SMTP clients: Python's smtplib and swaks. Delivery over the MX
port with the exact bytes in the Maildir (a Received field, then the message as sent), one copy
per user, unknown users (550 5.1.1), case and postmaster, relaying (550 5.7.1 or 451);
submission with AUTH PLAIN and LOGIN (530 before it, 535 for a wrong password, 421 after three);
swaks with pipelining, AUTH, --quit-after, dot-stuffing and 8-bit bodies; SMTPUTF8; the EHLO
keywords and the small commands; the limits (SIZE, recipients, bare LF, long lines, a client
gone mid-DATA); --trace without passwords; and a server that keeps serving and stops on
SIGTERM."""

import base64
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import threading
import unittest

import l7test
from l7test import IO_TIMEOUT, RUN_TIMEOUT, Deadline, tcp_connect

DOMAIN = "hamburger.edu"
HOSTNAME = "mx.hamburger.edu"
CLIENT = "client.example"  # the name our clients give in EHLO
BOB_PASSWORD = "b0b's s3cret pass"
ALICE_PASSWORD = "wonder-land-42"
USERS = ("bob:" + BOB_PASSWORD, "alice:" + ALICE_PASSWORD)

SMTP_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(smtp\)"
SUBMISSION_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(submission\)"
MAX_REPLY = 64 * 1024  # a reply longer than this is a server fault, not a slow reader


class MailServer(l7test.L7Process):
    """`l7 mail serve` on ephemeral MX and submission ports, started and listening."""

    def __init__(self, maildir, args):
        super().__init__(["mail", "serve", "--domain", DOMAIN, "--hostname", HOSTNAME,
                          "--maildir", maildir, "--smtp", "127.0.0.1:0",
                          "--submission", "127.0.0.1:0", "--pop3", "127.0.0.1:0",
                          "--imap", "127.0.0.1:0", "--threads", "1"] + list(args))
        try:
            self.smtp_port = int(self.wait_for(SMTP_LISTEN_RE).group(1))
            self.submission_port = int(self.wait_for(SUBMISSION_LISTEN_RE).group(1))
        except BaseException:
            self.close()
            raise


class RawClient:
    """An SMTP client on a plain socket, for what a library will not send: bare LFs, long
    lines, commands out of order, a connection dropped mid-DATA."""

    def __init__(self, port):
        self.sock = tcp_connect(("127.0.0.1", port))
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self, timeout=IO_TIMEOUT):
        """The next whole reply: (code, [text of each line]). Fails on EOF or a deadline."""
        deadline = Deadline(timeout)
        lines = []
        while True:
            while b"\r\n" in self.buf:
                line, self.buf = self.buf.split(b"\r\n", 1)
                text = line.decode("utf-8", "replace")
                if not re.match(r"^\d{3}[ -]", text):
                    raise AssertionError("not an SMTP reply line: %r" % text)
                lines.append(text[4:])
                if text[3] == " ":
                    return int(text[:3]), lines
            if len(self.buf) > MAX_REPLY or deadline.expired():
                raise AssertionError("no whole reply; received: %r" % self.buf[-500:])
            self.sock.settimeout(max(0.01, deadline.remaining()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise AssertionError("connection closed; received: %r" % (self.buf[-500:],))
            self.buf += chunk

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def expect(self, line, code, enhanced=None):
        """Sends a command; its reply must have `code` (and the enhanced code first)."""
        got, text = self.cmd(line) if line is not None else self.reply()
        where = "%r -> %d %r" % (line, got, text)
        if got != code:
            raise AssertionError("expected %d: %s" % (code, where))
        if enhanced is not None and not text[-1].startswith(enhanced + " "):
            raise AssertionError("expected enhanced code %s: %s" % (enhanced, where))
        return text

    def closed(self, timeout=IO_TIMEOUT):
        """Waits until the server closes (fails if it does not); returns True. What came
        before the close is kept in .buf."""
        rest = l7test.recv_to_eof(self.sock, timeout)
        self.buf += rest
        return True


def split_received(data):
    """(the Received field, the rest): the field is its first line and the lines that
    continue it (starting with a space or tab)."""
    lines = data.split(b"\r\n")
    if not lines[0].startswith(b"Received: "):
        raise AssertionError("the file does not start with a Received field: %r" % data[:200])
    n = 1
    while n < len(lines) and lines[n][:1] in (b" ", b"\t"):
        n += 1
    return b"\r\n".join(lines[:n]) + b"\r\n", b"\r\n".join(lines[n:])


def delivery_order(name):
    """A Maildir file name's time ("SECONDS.MMICROS..."), so that files sort in delivery order;
    names of another form after them, by name."""
    m = re.match(r"^(\d+)\.M(\d+)", name)
    return (0, int(m.group(1)), int(m.group(2)), name) if m else (1, 0, 0, name)


def unfold(field):
    return re.sub(rb"\r\n[ \t]+", b" ", field).decode("utf-8", "replace")


def swaks(*args):
    """Runs swaks to completion; returns CompletedProcess with text output."""
    try:
        cp = subprocess.run(["swaks", "--timeout", "10"] + list(args), stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError("swaks %s did not finish" % " ".join(args))
    cp.stdout = cp.stdout.decode("utf-8", "replace")
    cp.stderr = cp.stderr.decode("utf-8", "replace")
    return cp


class MailTestCase(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.TemporaryDirectory(prefix="l7-mail-smtp-")
        self.addCleanup(self.dir.cleanup)
        self.maildir = os.path.join(self.dir.name, "mail")

    def start(self, *args, users=USERS):
        user_args = []
        for u in users:
            user_args += ["--user", u]
        server = MailServer(self.maildir, user_args + list(args))
        self._procs.append(server)
        return server

    def smtp(self, port):
        s = smtplib.SMTP("127.0.0.1", port, local_hostname=CLIENT, timeout=IO_TIMEOUT)
        self.addCleanup(s.close)
        return s

    def raw(self, port):
        c = RawClient(port)
        self.addCleanup(c.close)
        c.expect(None, 220)
        return c

    def delivered(self, user):
        """The contents of USER's new/ files, oldest first; tmp/ must be empty."""
        box = os.path.join(self.maildir, user)
        if not os.path.isdir(box):
            return []
        self.assertEqual(os.listdir(os.path.join(box, "tmp")), [], "leftovers in tmp/")
        out = []
        for name in sorted(os.listdir(os.path.join(box, "new")), key=delivery_order):
            with open(os.path.join(box, "new", name), "rb") as f:
                out.append(f.read())
        return out

    def all_delivered(self):
        if not os.path.isdir(self.maildir):
            return {}
        # Names starting with "." are not users: the outgoing queue (.queue) lives there too.
        return {u: self.delivered(u) for u in os.listdir(self.maildir)
                if not u.startswith(".") and self.delivered(u)}

    def queued(self, queue):
        """`l7 mail queue list` of QUEUE: its output, which must be a success."""
        cp = l7test.run_l7(["mail", "queue", "list", "--queue", queue])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        return cp.stdout

    def assertReceived(self, stored, message, recipient=None, protocol="ESMTP"):
        """`stored` is a Received field naming us, then exactly `message`."""
        field, rest = split_received(stored)
        self.assertEqual(rest, message)
        text = unfold(field)
        self.assertRegex(text, r"^Received: from %s \(\[127\.0\.0\.1\]\) by %s with %s id \w+"
                         % (re.escape(CLIENT), re.escape(HOSTNAME), protocol))
        if recipient is None:
            self.assertNotIn(" for <", text)
        else:
            self.assertIn(" for <%s>; " % recipient, text)
        self.assertRegex(text, r"; \w{3}, \d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}\r\n$")

    def assertServesAndStops(self, server):
        """One more message gets through, then SIGTERM ends the server with 0."""
        before = len(self.delivered("bob"))
        s = self.smtp(server.smtp_port)
        last = b"Subject: last\r\n\r\nx\r\n"
        self.assertEqual(s.sendmail("a@crepes.fr", ["bob@" + DOMAIN], last), {})
        s.quit()
        self.assertEqual(len(self.delivered("bob")), before + 1)
        self.assertStopsCleanly(server)


def message(subject, body=b"Hello Bob.\r\n"):
    return (b"From: Alice <alice@crepes.fr>\r\nTo: Bob <bob@hamburger.edu>\r\nSubject: "
            + subject.encode() + b"\r\nMessage-ID: <1@crepes.fr>\r\n\r\n" + body)


class DeliveryTest(MailTestCase):
    def test_smtplib_delivers_a_received_field_and_the_exact_bytes(self):
        server = self.start()
        msg = message("first", b"Hello Bob.\r\n\r\n.a line with a dot\r\n \tspaces kept \r\n")
        s = self.smtp(server.smtp_port)
        code, _ = s.ehlo()
        self.assertEqual(code, 250)
        self.assertFalse(s.has_extn("auth"))  # an MX offers no AUTH
        self.assertEqual(s.sendmail("alice@crepes.fr", ["bob@" + DOMAIN], msg), {})
        self.assertEqual(s.quit()[0], 221)
        [stored] = self.delivered("bob")
        self.assertReceived(stored, msg, recipient="bob@" + DOMAIN)
        self.assertEqual(self.delivered("alice"), [])
        self.assertEqual(os.listdir(os.path.join(self.maildir, "bob", "cur")), [])
        self.assertRegex(server.stderr(), r"from <alice@crepes\.fr> to bob, %d bytes" % len(stored))

    def test_several_recipients_get_one_copy_per_user(self):
        server = self.start()
        msg = message("to all")
        s = self.smtp(server.smtp_port)
        rcpts = ["bob@" + DOMAIN, "alice@" + DOMAIN, "bob@" + DOMAIN]
        self.assertEqual(s.sendmail("carol@crepes.fr", rcpts, msg), {})
        s.quit()
        [to_bob] = self.delivered("bob")
        [to_alice] = self.delivered("alice")
        # No "for": one copy must not tell the others' addresses.
        self.assertReceived(to_bob, msg)
        self.assertEqual(to_bob, to_alice)

    def test_an_unknown_user_gets_550_5_1_1_and_the_others_the_message(self):
        server = self.start()
        s = self.smtp(server.smtp_port)
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            s.sendmail("a@crepes.fr", ["nobody@" + DOMAIN], message("lost"))
        code, text = cm.exception.recipients["nobody@" + DOMAIN]
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith(b"5.1.1 "), text)
        s.rset()
        refused = s.sendmail("a@crepes.fr", ["nobody@" + DOMAIN, "alice@" + DOMAIN],
                             message("found"))
        self.assertEqual(list(refused), ["nobody@" + DOMAIN])
        self.assertEqual(refused["nobody@" + DOMAIN][0], 550)
        s.quit()
        [stored] = self.delivered("alice")
        self.assertReceived(stored, message("found"), recipient="alice@" + DOMAIN)
        self.assertEqual(self.delivered("bob"), [])
        self.assertFalse(os.path.exists(os.path.join(self.maildir, "nobody")))

    def test_domain_and_user_case_and_postmaster(self):
        server = self.start("--postmaster", "alice")
        s = self.smtp(server.smtp_port)
        self.assertEqual(s.sendmail("a@crepes.fr", ["Bob@Hamburger.EDU"], message("case")), {})
        self.assertEqual(s.sendmail("a@crepes.fr", ["postmaster"], message("pm")), {})
        self.assertEqual(s.sendmail("a@crepes.fr", ["PostMaster@" + DOMAIN], message("pm2")), {})
        # The null reverse-path (a bounce) is taken too (RFC 5321 4.5.5).
        self.assertEqual(s.sendmail("<>", ["bob@" + DOMAIN], message("bounce")), {})
        s.quit()
        to_bob = self.delivered("bob")
        self.assertEqual(len(to_bob), 2)
        self.assertReceived(to_bob[0], message("case"), recipient="Bob@Hamburger.EDU")
        to_alice = self.delivered("alice")
        self.assertEqual(len(to_alice), 2)
        self.assertReceived(to_alice[0], message("pm"), recipient="postmaster")
        self.assertReceived(to_alice[1], message("pm2"), recipient="PostMaster@" + DOMAIN)

    # RFC 5321 4.1.2: "all quoted forms MUST be treated as equivalent" when comparing
    # local-parts, so <"bob"@hamburger.edu> is bob's mailbox (RFC 5322 3.2.4: the quotes are
    # not part of the string).
    def test_a_quoted_local_part_is_the_same_mailbox(self):
        server = self.start()
        c = self.raw(server.smtp_port)
        c.expect("EHLO " + CLIENT, 250)
        c.expect("MAIL FROM:<a@crepes.fr>", 250)
        c.expect('RCPT TO:<"bob"@%s>' % DOMAIN, 250, "2.1.5")
        c.expect('RCPT TO:<"\\a\\l\\i\\c\\e"@%s>' % DOMAIN, 250, "2.1.5")
        c.expect("DATA", 354)
        c.send(b"Subject: quoted\r\n\r\nx\r\n.\r\n")
        c.expect(None, 250)
        self.assertEqual(len(self.delivered("bob")), 1)
        self.assertEqual(len(self.delivered("alice")), 1)

    def test_postmaster_defaults_to_the_first_user(self):
        server = self.start()
        s = self.smtp(server.smtp_port)
        self.assertEqual(s.sendmail("a@crepes.fr", ["postmaster"], message("pm")), {})
        s.quit()
        self.assertEqual(len(self.delivered("bob")), 1)
        self.assertEqual(self.delivered("alice"), [])

    def test_relaying_is_refused_550_5_7_1_on_the_mx(self):
        server = self.start()
        s = self.smtp(server.smtp_port)
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            s.sendmail("bob@" + DOMAIN, ["someone@crepes.fr"], message("relay"))
        code, text = cm.exception.recipients["someone@crepes.fr"]
        self.assertEqual((code, text[:6]), (550, b"5.7.1 "))
        s.quit()
        self.assertEqual(self.all_delivered(), {})

    def test_relay_networks_and_authenticated_users_relay_through_the_queue(self):
        # The smarthost refuses connections: the messages stay queued (the relay's own
        # tests, mail_relay.py, deliver them).
        queue_a = os.path.join(self.dir.name, "queue-a")
        server = self.start("--relay-networks", "127.0.0.0/8", "--queue", queue_a,
                            "--smarthost", "127.0.0.1:9")
        s = self.smtp(server.smtp_port)
        self.assertEqual(s.sendmail("bob@" + DOMAIN, ["someone@crepes.fr"], message("relay")), {})
        s.quit()
        self.assertRegex(self.queued(queue_a), r"(?m)^\s+someone@crepes\.fr$")
        # Without --relay-networks only an authenticated user may relay.
        queue_b = os.path.join(self.dir.name, "queue-b")
        other = self.start("--queue", queue_b, "--smarthost", "127.0.0.1:9")
        s = self.smtp(other.submission_port)
        s.login("bob", BOB_PASSWORD)
        self.assertEqual(s.sendmail("bob@" + DOMAIN, ["alice@" + DOMAIN, "someone@crepes.fr"],
                                    message("relay")), {})
        s.quit()
        self.assertRegex(self.queued(queue_b), r"(?m)^\s+someone@crepes\.fr$")
        self.assertEqual(len(self.all_delivered()["alice"]), 1)  # local: delivered at once


class SubmissionTest(MailTestCase):
    def test_ehlo_offers_auth_plain_login_on_submission_only(self):
        server = self.start()
        mx = self.smtp(server.smtp_port)
        mx.ehlo()
        self.assertFalse(mx.has_extn("auth"))
        code, text = mx.docmd("AUTH", "PLAIN " + base64.b64encode(
            b"\0bob\0" + BOB_PASSWORD.encode()).decode())
        self.assertEqual((code, text[:6]), (502, b"5.5.1 "))
        sub = self.smtp(server.submission_port)
        sub.ehlo()
        self.assertEqual(sub.esmtp_features.get("auth", "").split(), ["PLAIN", "LOGIN"])

    def test_mail_before_auth_gets_530_5_7_0(self):
        server = self.start()
        s = self.smtp(server.submission_port)
        with self.assertRaises(smtplib.SMTPSenderRefused) as cm:
            s.sendmail("bob@" + DOMAIN, ["alice@" + DOMAIN], message("no auth"))
        self.assertEqual(cm.exception.smtp_code, 530)
        self.assertTrue(cm.exception.smtp_error.startswith(b"5.7.0 "), cm.exception.smtp_error)
        s.quit()
        self.assertEqual(self.all_delivered(), {})

    def test_login_with_auth_plain_and_with_auth_login_then_send(self):
        server = self.start()
        for mechanism in ("PLAIN", "LOGIN"):
            s = self.smtp(server.submission_port)
            s.ehlo()
            s.user, s.password = "alice", ALICE_PASSWORD
            authobject = s.auth_plain if mechanism == "PLAIN" else s.auth_login
            # Without an initial response: the full challenge dialogue (334 first).
            code, text = s.auth(mechanism, authobject, initial_response_ok=False)
            self.assertEqual((code, text[:6]), (235, b"2.7.0 "))
            msg = message("via " + mechanism)
            self.assertEqual(s.sendmail("alice@" + DOMAIN, ["bob@" + DOMAIN], msg), {})
            s.quit()
        # smtplib's login(), which sends PLAIN with its initial response.
        s = self.smtp(server.submission_port)
        self.assertEqual(s.login("bob", BOB_PASSWORD)[0], 235)
        self.assertEqual(s.sendmail("bob@" + DOMAIN, ["alice@" + DOMAIN], message("login")), {})
        # AUTH again once authenticated: 503 (RFC 4954 section 4).
        self.assertEqual(s.docmd("AUTH", "PLAIN")[0], 503)
        s.quit()
        to_bob = self.delivered("bob")
        self.assertEqual(len(to_bob), 2)
        self.assertReceived(to_bob[0], message("via PLAIN"), "bob@" + DOMAIN, "ESMTPA")
        self.assertReceived(to_bob[1], message("via LOGIN"), "bob@" + DOMAIN, "ESMTPA")
        [to_alice] = self.delivered("alice")
        self.assertReceived(to_alice, message("login"), "alice@" + DOMAIN, "ESMTPA")

    def test_wrong_password_gets_535_5_7_8(self):
        server = self.start()
        s = self.smtp(server.submission_port)
        s.ehlo()
        s.user, s.password = "bob", "not the password"
        for mechanism, authobject in (("PLAIN", s.auth_plain), ("LOGIN", s.auth_login)):
            with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
                s.auth(mechanism, authobject)
            self.assertEqual(cm.exception.smtp_code, 535)
            self.assertTrue(cm.exception.smtp_error.startswith(b"5.7.8 "))
        # Two failures so far: a good login still works.
        self.assertEqual(s.login("bob", BOB_PASSWORD)[0], 235)
        s.quit()
        self.assertIn("authentication failed for 'bob'", server.stderr())

    def test_three_failures_close_the_connection_with_421(self):
        server = self.start()
        c = self.raw(server.submission_port)
        c.expect("EHLO " + CLIENT, 250)
        bad = base64.b64encode(b"\0bob\0wrong").decode()
        c.expect("AUTH PLAIN " + bad, 535, "5.7.8")
        c.expect("AUTH PLAIN " + base64.b64encode(b"\0mallory\0" + BOB_PASSWORD.encode()).decode(),
                 535, "5.7.8")
        c.expect("AUTH LOGIN", 334)
        c.expect(base64.b64encode(b"bob").decode(), 334)
        c.expect(base64.b64encode(b"wrong again").decode(), 535, "5.7.8")
        c.expect(None, 421, "4.7.0")
        self.assertTrue(c.closed())
        # A new connection may try again.
        s = self.smtp(server.submission_port)
        self.assertEqual(s.login("bob", BOB_PASSWORD)[0], 235)
        s.quit()
        self.assertServesAndStops(server)


class SwaksTest(MailTestCase):
    def setUp(self):
        super().setUp()
        if shutil.which("swaks") is None:
            self.fail("swaks is missing: run scripts/deps.sh")

    def swaks_to(self, port, *args):
        return swaks("--server", "127.0.0.1:%d" % port, "--helo", CLIENT, *args)

    def test_a_plain_send(self):
        server = self.start()
        cp = self.swaks_to(server.smtp_port, "--from", "alice@crepes.fr", "--to", "bob@" + DOMAIN,
                           "--header", "Subject: swaks plain")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertRegex(cp.stdout, r"<-  250 2\.0\.0 OK: queued as \w+")
        [stored] = self.delivered("bob")
        field, rest = split_received(stored)
        self.assertIn("by %s with ESMTP id " % HOSTNAME, unfold(field))
        self.assertIn(b"\r\nSubject: swaks plain\r\n", b"\r\n" + rest)
        self.assertIn(b"\r\nX-Mailer: swaks ", rest)
        self.assertTrue(rest.endswith(b"\r\n"))
        self.assertNotIn(b"\n", rest.replace(b"\r\n", b""))  # CRLF line ends only

    def test_pipelining_several_recipients(self):
        server = self.start("--trace")
        rcpts = ["bob@" + DOMAIN, "alice@" + DOMAIN, "nobody@" + DOMAIN, "postmaster"]
        cp = self.swaks_to(server.smtp_port, "--pipeline", "--from", "carol@crepes.fr",
                           "--to", ",".join(rcpts), "--data", "Subject: pipelined\n\nhi\n.\n")
        out = cp.stdout
        self.assertEqual(cp.returncode, 0, out + cp.stderr)  # one recipient refused is no failure
        # The commands up to DATA went out as one batch before any reply came back.
        self.assertLess(out.rindex(" -> DATA"), out.index("<-  250 2.1.0"), out)
        self.assertRegex(out, r"<\*\* 550 5\.1\.1 ")
        self.assertRegex(out, r"<-  250 2\.0\.0 OK")
        # postmaster is bob (the first user): one copy for bob, one for alice.
        [to_bob] = self.delivered("bob")
        [to_alice] = self.delivered("alice")
        self.assertEqual(to_bob, to_alice)
        self.assertEqual(split_received(to_bob)[1], b"Subject: pipelined\r\n\r\nhi\r\n")
        # The server's view: the batch's commands, and the refusal in its place.
        log = server.stderr()
        self.assertRegex(log, r"\] C: MAIL FROM:<carol@crepes\.fr>\n")
        self.assertRegex(log, r"\] C: RCPT TO:<nobody@hamburger\.edu>\n(.*\n)*.*\] S: 550 5\.1\.1 ")

    def test_auth_plain_and_auth_login_on_submission(self):
        server = self.start()
        for mechanism in ("PLAIN", "LOGIN"):
            cp = self.swaks_to(server.submission_port, "--auth", mechanism, "--auth-user", "bob",
                               "--auth-password", BOB_PASSWORD, "--from", "bob@" + DOMAIN,
                               "--to", "alice@" + DOMAIN,
                               "--data", "Subject: %s\n\nhello\n.\n" % mechanism)
            self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
            self.assertIn("<-  235 2.7.0 Authentication successful", cp.stdout)
        cp = self.swaks_to(server.submission_port, "--auth", "LOGIN", "--auth-user", "bob",
                           "--auth-password", "wrong", "--from", "bob@" + DOMAIN,
                           "--to", "alice@" + DOMAIN)
        self.assertNotEqual(cp.returncode, 0)
        self.assertIn("<** 535 5.7.8", cp.stdout)
        stored = self.delivered("alice")
        self.assertEqual(len(stored), 2)
        for data, mechanism in zip(stored, ("PLAIN", "LOGIN")):
            self.assertIn(" with ESMTPA id ", unfold(split_received(data)[0]))
            self.assertEqual(split_received(data)[1],
                             ("Subject: %s\r\n\r\nhello\r\n" % mechanism).encode())

    def test_quit_after_rcpt_stores_nothing(self):
        server = self.start()
        cp = self.swaks_to(server.smtp_port, "--quit-after", "RCPT", "--from", "a@crepes.fr",
                           "--to", "bob@" + DOMAIN)
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("<-  250 2.1.5 Recipient OK", cp.stdout)
        self.assertIn("<-  221 2.0.0", cp.stdout)
        self.assertEqual(self.all_delivered(), {})
        self.assertServesAndStops(server)

    def test_lines_that_start_with_a_dot_are_stored_unstuffed(self):
        server = self.start()
        cp = self.swaks_to(server.smtp_port, "--from", "a@crepes.fr", "--to", "bob@" + DOMAIN,
                           "--data", "Subject: dots\n\n.leading\n..two\n.\n. space\nend\n.\n")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn(" -> ...two", cp.stdout)  # what went over the wire: stuffed
        [stored] = self.delivered("bob")
        self.assertReceived(stored, b"Subject: dots\r\n\r\n.leading\r\n..two\r\n.\r\n. space\r\n"
                            b"end\r\n", recipient="bob@" + DOMAIN)

    def test_an_8bit_utf8_body(self):
        server = self.start()
        body = "Grüße aus Hamburg, 東京 und Αθήνα\n"
        # This swaks (20201014) has no --8bitmime: it sends the 8-bit data without BODY=.
        cp = self.swaks_to(server.smtp_port, "--from", "a@crepes.fr", "--to", "bob@" + DOMAIN,
                           "--data", "Subject: utf-8\nContent-Type: text/plain; charset=utf-8\n\n"
                           + body + ".\n")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        # smtplib with BODY=8BITMIME (RFC 6152).
        msg = (b"Subject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\n"
               b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body.encode().replace(b"\n", b"\r\n")
               + b"\xff\xfe not even UTF-8\r\n")
        s = self.smtp(server.smtp_port)
        self.assertEqual(s.sendmail("a@crepes.fr", ["bob@" + DOMAIN], msg,
                                    mail_options=["BODY=8BITMIME"]), {})
        self.assertEqual(s.docmd("MAIL FROM:<a@crepes.fr> BODY=BINARYMIME")[0], 555)
        s.quit()
        first, second = self.delivered("bob")
        self.assertReceived(first, b"Subject: utf-8\r\nContent-Type: text/plain; charset=utf-8\r\n"
                            b"\r\n" + body.encode().replace(b"\n", b"\r\n"),
                            recipient="bob@" + DOMAIN)
        self.assertReceived(second, msg, recipient="bob@" + DOMAIN)

    def test_an_smtputf8_address(self):
        # swaks 20201014 has no SMTPUTF8 option: smtplib sends it.
        server = self.start()
        s = self.smtp(server.smtp_port)
        msg = "From: Jürgen <jürgen@crêpes.fr>\r\nSubject: ü\r\n\r\nHallo\r\n".encode()
        self.assertEqual(s.sendmail("jürgen@crêpes.fr", ["bob@" + DOMAIN], msg,
                                    mail_options=["SMTPUTF8"]), {})
        s.rset()
        # An unknown non-ASCII local part is refused like any other.
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            s.sendmail("a@crepes.fr", ["björn@" + DOMAIN], msg, mail_options=["SMTPUTF8"])
        self.assertEqual(cm.exception.recipients["björn@" + DOMAIN][0], 550)
        s.quit()
        [stored] = self.delivered("bob")
        self.assertReceived(stored, msg, recipient="bob@" + DOMAIN, protocol="UTF8SMTP")
        self.assertRegex(server.stderr(), r"from <jürgen@crêpes\.fr> to bob")
        # Without SMTPUTF8 a non-ASCII address is 553 5.6.7 (RFC 6531 3.6).
        c = self.raw(server.smtp_port)
        c.expect("EHLO " + CLIENT, 250)
        c.expect("MAIL FROM:<jürgen@crêpes.fr>", 553, "5.6.7")
        c.expect("MAIL FROM:<a@crepes.fr>", 250)
        c.expect("RCPT TO:<jürgen@%s>" % DOMAIN, 553, "5.6.7")


class CommandsTest(MailTestCase):
    def test_ehlo_keywords_and_the_small_commands(self):
        server = self.start("--max-message-size", "123456")
        c = self.raw(server.smtp_port)
        code, lines = c.cmd("EHLO " + CLIENT)
        self.assertEqual(code, 250)
        self.assertEqual(lines[0], HOSTNAME)
        keywords = lines[1:]
        for k in ("PIPELINING", "SIZE 123456", "8BITMIME", "ENHANCEDSTATUSCODES", "SMTPUTF8"):
            self.assertIn(k, keywords)
        self.assertFalse([k for k in keywords if k.startswith("AUTH")], keywords)
        c.expect("VRFY bob", 252, "2.5.2")
        c.expect("VRFY nobody@" + DOMAIN, 252, "2.5.2")  # neither confirms nor denies
        c.expect("EXPN staff", 502)
        c.expect("NOOP", 250, "2.0.0")
        c.expect("NOOP with an argument", 250, "2.0.0")
        c.expect("RSET", 250, "2.0.0")
        c.expect("HELP", 214)
        c.expect("FROB nicate", 500, "5.5.2")
        c.expect("RCPT TO:<bob@%s>" % DOMAIN, 503, "5.5.1")
        c.expect("DATA", 503, "5.5.1")
        c.expect("MAIL FROM:<a@crepes.fr>", 250, "2.1.0")
        c.expect("MAIL FROM:<a@crepes.fr>", 503, "5.5.1")  # nested
        c.expect("DATA", 554)  # no valid recipients
        c.expect("RCPT TO:<bob@%s> NOTIFY=NEVER" % DOMAIN, 555, "5.5.4")  # no DSN offered
        c.expect("RCPT TO:bob@" + DOMAIN, 501)  # no angle brackets
        c.expect("RSET", 250)
        c.expect("STARTTLS", 502)
        # HELO: no enhanced codes after it (RFC 2034 applies after EHLO only).
        code, lines = c.cmd("HELO " + CLIENT)
        self.assertEqual((code, lines), (250, [HOSTNAME]))
        self.assertEqual(c.expect("NOOP", 250), ["OK"])
        c.expect("QUIT", 221)
        self.assertTrue(c.closed())

    def test_commands_in_lower_case_and_mail_before_helo(self):
        server = self.start()
        c = self.raw(server.smtp_port)
        c.expect("MAIL FROM:<a@crepes.fr>", 503)  # HELO/EHLO first
        c.expect("ehlo " + CLIENT, 250)
        c.expect("mail from:<a@crepes.fr>", 250)
        c.expect("rcpt to:<bob@%s>" % DOMAIN, 250)
        c.expect("data", 354)
        c.send("Subject: lower\r\n\r\nx\r\n.\r\n")
        c.expect(None, 250, "2.0.0")
        c.expect("quit", 221)
        [stored] = self.delivered("bob")
        self.assertEqual(split_received(stored)[1], b"Subject: lower\r\n\r\nx\r\n")


class LimitsTest(MailTestCase):
    def test_a_message_over_max_message_size_gets_552_and_nothing_stored(self):
        server = self.start("--max-message-size", "10000")
        s = self.smtp(server.smtp_port)
        s.ehlo()
        self.assertEqual(s.esmtp_features["size"], "10000")
        fits = b"Subject: fits\r\n\r\n" + b"x" * (10000 - 19) + b"\r\n"
        self.assertEqual(len(fits), 10000)
        big = fits[:-2] + b"y\r\n"
        # smtplib announces SIZE=: refused at MAIL (RFC 1870).
        with self.assertRaises(smtplib.SMTPSenderRefused) as cm:
            s.sendmail("a@crepes.fr", ["bob@" + DOMAIN], big)
        self.assertEqual(cm.exception.smtp_code, 552)
        self.assertTrue(cm.exception.smtp_error.startswith(b"5.3.4 "))
        s.rset()
        # Without SIZE=: refused after the data.
        self.assertEqual(s.mail("a@crepes.fr")[0], 250)
        self.assertEqual(s.rcpt("bob@" + DOMAIN)[0], 250)
        code, text = s.data(big)
        self.assertEqual((code, text[:6]), (552, b"5.3.4 "))
        self.assertEqual(self.all_delivered(), {})
        # Exactly the limit fits.
        self.assertEqual(s.sendmail("a@crepes.fr", ["bob@" + DOMAIN], fits), {})
        s.quit()
        [stored] = self.delivered("bob")
        self.assertEqual(split_received(stored)[1], fits)

    def test_mail_with_a_size_over_the_limit_gets_552_at_mail(self):
        server = self.start("--max-message-size", "10000")
        c = self.raw(server.smtp_port)
        c.expect("EHLO " + CLIENT, 250)
        c.expect("MAIL FROM:<a@b> SIZE=10001", 552, "5.3.4")
        c.expect("MAIL FROM:<a@b> SIZE=99999999999999999999", 552, "5.3.4")
        c.expect("MAIL FROM:<a@b> SIZE=999999999999999999999", 501)  # 21 digits (RFC 1870)
        c.expect("MAIL FROM:<a@b> SIZE=-1", 501)
        c.expect("MAIL FROM:<a@b> SIZE=10000", 250)

    def test_the_recipient_over_max_recipients_gets_452_4_5_3(self):
        server = self.start("--max-recipients", "3")
        s = self.smtp(server.smtp_port)
        rcpts = ["bob@" + DOMAIN, "alice@" + DOMAIN, "Bob@" + DOMAIN, "postmaster"]
        refused = s.sendmail("a@crepes.fr", rcpts, message("many"))
        self.assertEqual(list(refused), ["postmaster"])
        code, text = refused["postmaster"]
        self.assertEqual((code, text[:6]), (452, b"4.5.3 "))
        s.quit()
        self.assertEqual(len(self.delivered("bob")), 1)
        self.assertEqual(len(self.delivered("alice")), 1)

    def test_ten_thousand_pipelined_recipients_get_452_past_the_limit(self):
        # The default limit is 100 recipients; a client that sends 10,000 in one pipelined
        # batch gets 250 for the first 100 and 452 4.5.3 for every other, in order, and the
        # message goes through once. A thread writes while this one reads the replies, as a
        # pipelining client must (the server does not read ahead without bound).
        server = self.start()
        c = self.raw(server.smtp_port)
        c.expect("EHLO " + CLIENT, 250)
        batch = ("MAIL FROM:<a@crepes.fr>\r\n" +
                 "".join("RCPT TO:<bob@%s>\r\n" % DOMAIN for _ in range(10000)) +
                 "DATA\r\n").encode()
        writer = threading.Thread(target=c.send, args=(batch,), daemon=True)
        writer.start()
        self.assertEqual(c.reply()[0], 250)
        codes = [c.reply()[0] for _ in range(10000)]
        self.assertEqual(codes, [250] * 100 + [452] * 9900)
        self.assertEqual(c.reply()[0], 354)
        writer.join(IO_TIMEOUT)
        c.send(b"Subject: many\r\n\r\nonce\r\n.\r\n")
        self.assertEqual(c.reply()[0], 250)
        c.expect("QUIT", 221)
        self.assertEqual(len(self.delivered("bob")), 1)

    def test_a_bare_lf_in_data_gets_550_5_6_0_and_nothing_stored(self):
        server = self.start()
        for data in (b"Subject: lf\r\n\r\nbare\nlf\r\n.\r\n",
                     b"Subject: cr\r\n\r\nbare\rcr\r\n.\r\n",
                     # SMTP smuggling: an end of data with bare LFs and a second message after
                     # it. Neither may be taken (RFC 5321 2.3.8, 4.1.1.4).
                     b"Subject: outer\r\n\r\nx\n.\nMAIL FROM:<evil@crepes.fr>\r\n"
                     b"RCPT TO:<alice@hamburger.edu>\r\nDATA\r\nSubject: smuggled\r\n\r\n.\r\n",
                     b"Subject: outer\r\n\r\nx\r\n.\nRCPT TO:<alice@hamburger.edu>\r\n.\r\n"):
            c = self.raw(server.smtp_port)
            c.expect("EHLO " + CLIENT, 250)
            c.expect("MAIL FROM:<a@crepes.fr>", 250)
            c.expect("RCPT TO:<bob@%s>" % DOMAIN, 250)
            c.expect("DATA", 354)
            c.send(data)
            c.expect(None, 550, "5.6.0")
            # The session goes on: the transaction is over, a new one works.
            c.expect("RCPT TO:<bob@%s>" % DOMAIN, 503)
            c.expect("NOOP", 250)
            c.expect("QUIT", 221)
            self.assertTrue(c.closed())
            self.assertEqual(c.buf, b"", "replies after QUIT")
        self.assertEqual(self.all_delivered(), {})
        self.assertServesAndStops(server)

    def test_an_over_long_command_line_gets_500_5_5_6_and_the_session_goes_on(self):
        server = self.start()
        c = self.raw(server.smtp_port)
        c.expect("EHLO " + CLIENT, 250)
        c.expect("NOOP " + "x" * 595, 500, "5.5.6")  # 602 octets with CRLF: over 512
        c.expect("MAIL FROM:<a@crepes.fr> " + "X" * 3000, 500, "5.5.6")  # over 2048
        c.expect("NOOP " + "x" * 500, 250)  # 507: fits
        c.expect("MAIL FROM:<%s@crepes.fr>" % ("a" * 64), 250)
        c.expect("RCPT TO:<bob@%s>" % DOMAIN, 250)
        c.expect("DATA", 354)
        # Data lines over 1000 octets are taken (see session.hpp).
        long_line = b"y" * 5000
        c.send(b"Subject: long\r\n\r\n" + long_line + b"\r\n.\r\n")
        c.expect(None, 250)
        c.expect("QUIT", 221)
        [stored] = self.delivered("bob")
        self.assertEqual(split_received(stored)[1], b"Subject: long\r\n\r\n" + long_line + b"\r\n")
        # A line without an end at all: answered, then dropped as it comes.
        c = self.raw(server.smtp_port)
        c.expect("EHLO " + CLIENT, 250)
        c.send(b"z" * 20000)
        c.expect(None, 500, "5.5.6")
        c.send(b"z" * 20000 + b"\r\n")
        c.expect("NOOP", 250)

    def test_a_client_gone_mid_data_leaves_nothing_and_the_next_is_served(self):
        server = self.start()
        for how in ("close", "shutdown"):
            c = self.raw(server.smtp_port)
            c.expect("EHLO " + CLIENT, 250)
            c.expect("MAIL FROM:<a@crepes.fr>", 250)
            c.expect("RCPT TO:<bob@%s>" % DOMAIN, 250)
            c.expect("DATA", 354)
            c.send(b"Subject: cut\r\n\r\nhalf a message\r\n.")
            if how == "close":
                c.close()
            else:
                c.sock.shutdown(socket.SHUT_WR)
                self.assertTrue(c.closed())
        self.assertEqual(self.all_delivered(), {})
        self.assertServesAndStops(server)
        self.assertEqual(len(self.delivered("bob")), 1)


class TraceTest(MailTestCase):
    def test_trace_shows_the_dialogue_but_never_a_password(self):
        server = self.start("--trace")
        s = self.smtp(server.submission_port)
        s.ehlo()
        s.user, s.password = "bob", BOB_PASSWORD
        s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        s.sendmail("bob@" + DOMAIN, ["alice@" + DOMAIN], message("traced"))
        s.quit()
        s = self.smtp(server.submission_port)
        s.login("alice", ALICE_PASSWORD)  # AUTH PLAIN with the initial response
        s.quit()
        s = self.smtp(server.submission_port)
        s.ehlo()
        s.user, s.password = "bob", "guessed-" + BOB_PASSWORD
        with self.assertRaises(smtplib.SMTPAuthenticationError):
            s.auth("PLAIN", s.auth_plain)
        s.quit()
        # The trace of a session is flushed as it closes, maybe after the client saw the 221.
        l7test.wait_until(lambda: server.stderr().count("] S: 221 ") == 3, IO_TIMEOUT,
                          what="the trace of all three sessions")
        log = server.stderr()
        self.assertRegex(log, r"\] C: (?i:mail from):<bob@hamburger\.edu> (?i:size)=\d+\n")
        self.assertRegex(log, r"\] S: 250 2\.1\.0 Sender OK\n")
        self.assertRegex(log, r"\] C: AUTH PLAIN <credentials hidden>\n")
        self.assertRegex(log, r"\] C: AUTH LOGIN\n.*\] S: 334 VXNlcm5hbWU6\n.*"
                              r"\] C: <credentials hidden>\n.*\] S: 334 UGFzc3dvcmQ6\n.*"
                              r"\] C: <credentials hidden>\n")
        self.assertRegex(log, r"\] C: Subject: traced\n")
        self.assertRegex(log, r"\] S: 235 2\.7\.0 ")
        self.assertRegex(log, r"\] S: 535 5\.7\.8 ")
        for secret in (BOB_PASSWORD, ALICE_PASSWORD):
            self.assertNotIn(secret, log)
            self.assertNotIn(base64.b64encode(secret.encode()).decode(), log)
            self.assertNotIn(base64.b64encode(b"\0bob\0" + secret.encode()).decode(), log)
        self.assertNotIn(base64.b64encode(b"\0alice\0" + ALICE_PASSWORD.encode()).decode(), log)
        self.assertNotIn("guessed-", log)
        self.assertNotIn(base64.b64encode(b"bob").decode() + "\n", log)  # the LOGIN user too


class LifecycleTest(MailTestCase):
    def test_keeps_serving_after_abuse_and_stops_on_sigterm(self):
        server = self.start()
        # Binary garbage (a TLS ClientHello's start): an error reply, the session goes on.
        c = self.raw(server.smtp_port)
        c.send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00\xff\r\n")
        c.expect(None, 500)
        c.expect("NOOP", 250)
        # An HTTP request (a browser, or a cross-protocol POST): 421 and closed at once.
        c = self.raw(server.smtp_port)
        c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n"
               b"MAIL FROM:<evil@crepes.fr>\r\n")
        c.expect(None, 421)
        self.assertTrue(c.closed())
        self.assertEqual(c.buf, b"")
        # A flood of NOOPs: 421 after the limit, not an endless session.
        c = self.raw(server.smtp_port)
        c.send(b"EHLO x\r\n" + b"NOOP\r\n" * 500)
        c.expect(None, 250)
        # The 101st command without a message still gets its 250, then the 421.
        replies = [c.reply()[0] for _ in range(102)]
        self.assertEqual(replies, [250] * 101 + [421])
        self.assertTrue(c.closed())
        # Twenty errors: 421 and the connection closed.
        c = self.raw(server.smtp_port)
        c.expect("EHLO " + CLIENT, 250)
        for _ in range(20):
            c.expect("BOGUS", 500, "5.5.2")
        c.expect(None, 421, "4.7.0")
        self.assertTrue(c.closed())
        # Mail still gets through.
        s = self.smtp(server.smtp_port)
        self.assertEqual(s.sendmail("a@crepes.fr", ["bob@" + DOMAIN], message("after")), {})
        s.quit()
        self.assertEqual(len(self.delivered("bob")), 1)
        # SIGTERM with an idle client and one in the middle of DATA: the idle one gets 421, the
        # message being sent may still be finished (then 421), and the server exits with 0.
        idle = self.raw(server.smtp_port)
        idle.expect("EHLO " + CLIENT, 250)
        busy = self.raw(server.submission_port)
        busy.expect("EHLO " + CLIENT, 250)
        busy.expect("AUTH PLAIN " + base64.b64encode(
            b"\0bob\0" + BOB_PASSWORD.encode()).decode(), 235)
        busy.expect("MAIL FROM:<bob@%s>" % DOMAIN, 250)
        busy.expect("RCPT TO:<alice@%s>" % DOMAIN, 250)
        busy.expect("DATA", 354)
        busy.send(b"Subject: in flight\r\n\r\n")
        server.send_signal(signal.SIGTERM)
        server.wait_for(r"shutting down")
        busy.send(b"sent while stopping\r\n.\r\n")
        busy.expect(None, 250, "2.0.0")
        busy.expect("QUIT", 421, "4.3.2")  # RFC 5321 3.8: after the message, 421
        idle.expect(None, 421, "4.3.2")
        self.assertTrue(idle.closed())
        self.assertEqual(server.wait(), 0, server.describe())
        self.assertIn("mail: stopped", server.stderr())
        [stored] = self.delivered("alice")
        self.assertReceived(stored, b"Subject: in flight\r\n\r\nsent while stopping\r\n",
                            recipient="alice@" + DOMAIN, protocol="ESMTPA")

    def test_a_client_cut_off_mid_data_by_sigterm_leaves_nothing(self):
        server = self.start()
        busy = self.raw(server.smtp_port)
        busy.expect("EHLO " + CLIENT, 250)
        busy.expect("MAIL FROM:<a@crepes.fr>", 250)
        busy.expect("RCPT TO:<alice@%s>" % DOMAIN, 250)
        busy.expect("DATA", 354)
        busy.send(b"Subject: never finished\r\n\r\n")
        server.send_signal(signal.SIGTERM)
        server.wait_for(r"shutting down")
        busy.close()
        self.assertEqual(server.wait(), 0, server.describe())
        self.assertEqual(self.all_delivered(), {})

    # RFC 5321 3.8: a server shut down by external means SHOULD send 421 to its clients: an
    # idle one at once, one sending data after its message (which is still taken).
    def test_clients_get_421_when_the_server_stops(self):
        server = self.start()
        idle = self.raw(server.smtp_port)
        idle.expect("EHLO " + CLIENT, 250)
        busy = self.raw(server.smtp_port)
        busy.expect("EHLO " + CLIENT, 250)
        busy.expect("MAIL FROM:<a@crepes.fr>", 250)
        busy.expect("RCPT TO:<alice@%s>" % DOMAIN, 250)
        busy.expect("DATA", 354)
        busy.send(b"Subject: in flight\r\n\r\n")
        server.send_signal(signal.SIGTERM)
        server.wait_for(r"shutting down")
        idle.expect(None, 421)
        self.assertTrue(idle.closed())
        busy.send(b"x\r\n.\r\n")
        busy.expect(None, 250)
        busy.expect("MAIL FROM:<a@crepes.fr>", 421)
        self.assertTrue(busy.closed())
        self.assertEqual(server.wait(), 0, server.describe())


class ConfigTest(MailTestCase):
    """`l7 mail serve --config FILE`: the same settings in TOML, flags winning over it."""

    def write_config(self, text):
        path = os.path.join(self.dir.name, "mail.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_a_config_file_sets_everything_and_a_flag_wins(self):
        path = self.write_config(
            'domains = ["%s"]\n'
            'maildir = "mail"\n'  # relative to the file: self.maildir
            'users = ["bob:%s", "alice:%s"]\n'
            'hostname = "%s"\n'
            'smtp = ["127.0.0.1:0"]\nsubmission = ["127.0.0.1:0"]\n'
            'pop3 = ["127.0.0.1:0"]\nimap = ["127.0.0.1:0"]\n'
            'max_recipients = 5\nthreads = 1\n'
            '[queue]\ndir = "q"\nsmarthost = "127.0.0.1:9"\nretry_delay = "1m"\n'
            % (DOMAIN, BOB_PASSWORD, ALICE_PASSWORD, HOSTNAME))
        server = l7test.L7Process(["mail", "serve", "--config", path, "--max-recipients", "1"])
        self._procs.append(server)
        port = int(server.wait_for(SMTP_LISTEN_RE).group(1))
        s = self.smtp(port)
        code, banner = s.ehlo()
        self.assertEqual(code, 250)
        self.assertTrue(banner.startswith(HOSTNAME.encode()), banner)
        refused = s.sendmail("alice@" + DOMAIN, ["bob@" + DOMAIN, "alice@" + DOMAIN],
                             message("from a config"))
        self.assertEqual(list(refused), ["alice@" + DOMAIN])  # --max-recipients 1 won
        self.assertEqual(refused["alice@" + DOMAIN][0], 452)
        s.quit()
        self.assertEqual(len(self.delivered("bob")), 1)
        self.assertTrue(os.path.isdir(os.path.join(self.dir.name, "q")), os.listdir(self.dir.name))

    def test_a_bad_config_names_the_file_line_and_key(self):
        path = self.write_config('domains = ["%s"]\nmaildir = "mail"\nusers = ["bob:x"]\n'
                                 '[queue]\nretry_delay = "soon"\n' % DOMAIN)
        cp = l7test.run_l7(["mail", "serve", "--config", path])
        self.assertEqual(cp.returncode, 2, cp.stderr)
        self.assertIn("mail.toml:5: key 'queue.retry_delay'", cp.stderr)
        path = self.write_config('domain = ["%s"]\n' % DOMAIN)
        cp = l7test.run_l7(["mail", "serve", "--config", path])
        self.assertEqual(cp.returncode, 2, cp.stderr)
        self.assertIn("mail.toml:1: key 'domain' is not known here", cp.stderr)
        cp = l7test.run_l7(["mail", "serve", "--maildir", self.maildir])
        self.assertEqual(cp.returncode, 2, cp.stderr)
        self.assertIn("--domain is required", cp.stderr)


if __name__ == "__main__":
    l7test.main()
