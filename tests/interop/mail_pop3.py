#!/usr/bin/python3
"""`l7 mail serve --pop3`: mail delivered over SMTP (smtplib), read back over POP3 with
Python's poplib (RFC 1939, 2449): USER/PASS, STAT, LIST, UIDL, RETR (the exact stored bytes,
byte-stuffing undone by the client), TOP, DELE + QUIT (the file is gone from the Maildir),
DELE + RSET and a dropped connection (nothing deleted), the mailbox locked for a second
session ([IN-USE]), a wrong password ([AUTH]), CAPA, and UIDs stable across sessions; and
curl's pop3:// client (LIST, RETR); fetchmail downloading and keeping, then downloading and
deleting."""

import os
import poplib
import smtplib
import subprocess
import tempfile

import l7test
from l7test import IO_TIMEOUT

DOMAIN = "hamburger.edu"
BOB_PASSWORD = "b0b pass"
USERS = ("bob:" + BOB_PASSWORD, "alice:alice pass")

SMTP_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(smtp\)"
POP3_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(pop3\)"


class MailServer(l7test.L7Process):
    def __init__(self, maildir):
        args = ["mail", "serve", "--domain", DOMAIN, "--maildir", maildir,
                "--smtp", "127.0.0.1:0", "--submission", "127.0.0.1:0",
                "--pop3", "127.0.0.1:0", "--imap", "127.0.0.1:0", "--threads", "1"]
        for u in USERS:
            args += ["--user", u]
        super().__init__(args)
        try:
            self.smtp_port = int(self.wait_for(SMTP_LISTEN_RE).group(1))
            self.pop3_port = int(self.wait_for(POP3_LISTEN_RE).group(1))
        except BaseException:
            self.close()
            raise


def message(subject, body):
    return ("From: alice@crepes.fr\r\nTo: bob@%s\r\nSubject: %s\r\n\r\n%s" %
            (DOMAIN, subject, body)).encode()


class Pop3Test(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.maildir = tempfile.mkdtemp(prefix="l7-pop3-")
        self.addCleanup(lambda: __import__("shutil").rmtree(self.maildir, ignore_errors=True))
        self.server = MailServer(self.maildir)
        self._procs.append(self.server)

    def send(self, *messages):
        with smtplib.SMTP("127.0.0.1", self.server.smtp_port, timeout=IO_TIMEOUT) as s:
            for m in messages:
                self.assertEqual(s.sendmail("alice@crepes.fr", ["bob@" + DOMAIN], m), {})

    def pop(self, user="bob", password=BOB_PASSWORD):
        p = poplib.POP3("127.0.0.1", self.server.pop3_port, timeout=IO_TIMEOUT)
        self.addCleanup(p.close)
        p.user(user)
        p.pass_(password)
        return p

    def stored(self):
        """bob's stored messages (name -> bytes), from new/ and cur/."""
        out = {}
        for sub in ("new", "cur"):
            d = os.path.join(self.maildir, "bob", sub)
            for name in os.listdir(d) if os.path.isdir(d) else []:
                with open(os.path.join(d, name), "rb") as f:
                    out[name] = f.read()
        return out

    def test_stat_list_uidl_retr_top(self):
        bodies = [b"first\r\n", b"line one\r\n.starts with a dot\r\n.\r\nafter a lone dot\r\n"]
        self.send(message("one", bodies[0].decode()), message("two", bodies[1].decode()))
        stored = [v for _, v in sorted(self.stored().items())]
        self.assertEqual(len(stored), 2)
        p = self.pop()
        count, size = p.stat()
        self.assertEqual(count, 2)
        self.assertEqual(size, sum(len(m) for m in stored))
        _, listing, _ = p.list()
        self.assertEqual([l.decode() for l in listing],
                         ["1 %d" % len(stored[0]), "2 %d" % len(stored[1])])
        _, uids, _ = p.uidl()
        self.assertEqual(len(uids), 2)
        self.assertEqual(len({u.split()[1] for u in uids}), 2)  # unique
        for i in (1, 2):
            _, lines, octets = p.retr(i)
            # poplib undoes the byte-stuffing and splits at CRLF.
            self.assertEqual(b"\r\n".join(lines) + b"\r\n", stored[i - 1])
        _, top, _ = p.top(2, 1)
        text = b"\r\n".join(top)
        self.assertIn(b"Subject: two", text)
        self.assertTrue(text.endswith(b"\r\n\r\nline one") or text.endswith(b"\r\nline one"),
                        text)
        self.assertNotIn(b"after a lone dot", text)
        p.quit()
        self.assertEqual(len(self.stored()), 2)  # reading deletes nothing

    def test_dele_then_quit_removes_the_file_and_rset_or_a_drop_does_not(self):
        self.send(message("a", "1\r\n"), message("b", "2\r\n"), message("c", "3\r\n"))
        p = self.pop()
        p.dele(1)
        with self.assertRaises(poplib.error_proto):
            p.retr(1)  # deleted
        self.assertEqual(p.stat()[0], 2)
        p.rset()
        self.assertEqual(p.stat()[0], 3)
        p.dele(2)
        p.close()  # no QUIT: no UPDATE state, nothing deleted (RFC 1939 6)
        l7test.wait_until(lambda: self.pop_once_possible(), 10, what="the lock to go")
        self.assertEqual(len(self.stored()), 3)
        p = self.pop()
        _, uids_before, _ = p.uidl()
        p.dele(2)
        self.assertTrue(p.quit().startswith(b"+OK"))
        self.assertEqual(len(self.stored()), 2)
        p = self.pop()
        _, uids_after, _ = p.uidl()
        before = [u.split()[1] for u in uids_before]
        after = [u.split()[1] for u in uids_after]
        self.assertEqual(after, [before[0], before[2]])  # the same UIDs as before
        p.quit()

    def pop_once_possible(self):
        try:
            p = poplib.POP3("127.0.0.1", self.server.pop3_port, timeout=IO_TIMEOUT)
            p.user("bob")
            p.pass_(BOB_PASSWORD)
            p.quit()
            return True
        except poplib.error_proto:
            return False

    def test_the_mailbox_is_locked_for_a_second_session(self):
        self.send(message("x", "y\r\n"))
        first = self.pop()
        second = poplib.POP3("127.0.0.1", self.server.pop3_port, timeout=IO_TIMEOUT)
        self.addCleanup(second.close)
        second.user("bob")
        with self.assertRaises(poplib.error_proto) as e:
            second.pass_(BOB_PASSWORD)
        self.assertIn(b"[IN-USE]", e.exception.args[0])
        first.quit()
        l7test.wait_until(lambda: self.pop_once_possible(), 10, what="the lock to go")

    def test_wrong_password_and_capa(self):
        p = poplib.POP3("127.0.0.1", self.server.pop3_port, timeout=IO_TIMEOUT)
        self.addCleanup(p.close)
        caps = p.capa()
        for cap in ("USER", "UIDL", "TOP", "PIPELINING", "RESP-CODES"):
            self.assertIn(cap, caps)
        p.user("bob")
        with self.assertRaises(poplib.error_proto) as e:
            p.pass_("wrong")
        self.assertIn(b"[AUTH]", e.exception.args[0])
        p.user("bob")
        p.pass_(BOB_PASSWORD)  # the session goes on after a failure
        self.assertEqual(p.stat()[0], 0)  # an empty mailbox
        p.quit()
        self.assertTrue(self.server.running())


class CurlTest(Pop3Test):
    def curl(self, path):
        cp = subprocess.run(["curl", "-sS", "--max-time", "10", "--user", "bob:" + BOB_PASSWORD,
                             "pop3://127.0.0.1:%d/%s" % (self.server.pop3_port, path)],
                            capture_output=True, timeout=30)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        return cp.stdout

    def test_curl_lists_and_retrieves(self):
        self.send(message("via curl", "hello curl\r\n"))
        [stored] = self.stored().values()
        self.assertEqual(self.curl("").decode().split(), ["1", str(len(stored))])
        self.assertEqual(self.curl("1"), stored)

    # The inherited tests run once, in Pop3Test.
    test_stat_list_uidl_retr_top = None
    test_dele_then_quit_removes_the_file_and_rset_or_a_drop_does_not = None
    test_the_mailbox_is_locked_for_a_second_session = None
    test_wrong_password_and_capa = None


class FetchmailTest(Pop3Test):
    def fetchmail(self, keep):
        home = tempfile.mkdtemp(prefix="l7-fetchmail-")
        self.addCleanup(lambda: __import__("shutil").rmtree(home, ignore_errors=True))
        out = os.path.join(home, "out.mbox")
        rc = os.path.join(home, "rc")
        with open(rc, "w") as f:
            f.write('poll 127.0.0.1 protocol POP3 port %d auth password user "bob" '
                    'password "%s" %s sslproto \'\' mda "/bin/sh -c \'cat >> %s\'"\n'
                    % (self.server.pop3_port, BOB_PASSWORD, "keep" if keep else "nokeep", out))
        os.chmod(rc, 0o600)  # fetchmail refuses a readable rc file
        env = dict(os.environ, FETCHMAILHOME=home)
        cp = subprocess.run(["fetchmail", "-f", rc, "-a", "-v"], capture_output=True, env=env,
                            timeout=60)
        self.assertEqual(cp.returncode, 0, cp.stdout.decode() + cp.stderr.decode())
        with open(out, "rb") as f:
            return f.read()

    def test_fetchmail_keeps_then_deletes(self):
        self.send(message("one", "first body\r\n"),
                  message("two", "line\r\n.dotted line\r\n"))
        stored = sorted(self.stored().values())
        got = self.fetchmail(keep=True)
        for m in stored:
            # fetchmail hands the MDA each message with LF line ends, after a Received field
            # of its own.
            self.assertIn(m.replace(b"\r\n", b"\n"), got)
        self.assertEqual(len(self.stored()), 2)  # kept
        got = self.fetchmail(keep=False)
        self.assertIn(b".dotted line\n", got)
        self.assertEqual(self.stored(), {})  # deleted at QUIT

    test_stat_list_uidl_retr_top = None
    test_dele_then_quit_removes_the_file_and_rset_or_a_drop_does_not = None
    test_the_mailbox_is_locked_for_a_second_session = None
    test_wrong_password_and_capa = None


if __name__ == "__main__":
    l7test.main()
