#!/usr/bin/python3
"""`l7 mail serve` and its Maildir against real third-party mail software.

The Maildir format (cr.yp.to/proto/maildir.html) is an interface: whatever l7 writes, other
programs read and change, and the other way round. These tests put l7 next to the programs a
user would run on the same mailboxes:

  * Dovecot reads l7's Maildir over IMAP: the exact stored bytes, RFC822.SIZE (from l7's
    ",S=" in the name), delivery order; a flag Dovecot sets renames the file into cur/ with
    ":2,S", and l7's POP3 still serves every message there, under the same UIDL;
  * dovecot-lda writes into the Maildir (LF line ends, its own name fields): l7's POP3 lists,
    RETRs (as CRLF), keeps the UIDL across sessions and deletes at QUIT, and Dovecot's IMAP
    sees the message go;
  * msmtp submits on l7's submission port with AUTH PLAIN (and fails on a wrong password);
  * s-nail sends on l7's MX port without AUTH (and fails for another domain's recipient);
  * mutt (driven in tmux) shows l7's Maildir in its index and pager, and marks a message
    read (cur/NAME:2,S), which l7's POP3 still serves.

Tools (Debian packages): dovecot-core and dovecot-imapd (/usr/sbin/dovecot,
/usr/lib/dovecot/dovecot-lda), msmtp, s-nail, mutt, tmux. A test whose tool is missing is
skipped. Runs as root or not: as root, l7 and Dovecot's mail processes run as `nobody` (Dovecot
refuses mail access as root), Dovecot's own services as `dovecot`/`dovenull`; otherwise all of
it runs as the current user. Everything listens on 127.0.0.1 (l7 on ephemeral ports, Dovecot
on a free one), lives in one temporary directory per test, and is stopped at the end. The
Dovecot harness is dovecot_helpers.py, shared with mail_fetch.py."""

import os
import poplib
import re
import smtplib
import subprocess
import tempfile
import unittest

import l7test
from dovecot_helpers import DOVECOT, DOVECOT_LDA, Dovecot, Identity, have
from l7test import IO_TIMEOUT

DOMAIN = "hamburger.edu"
HOSTNAME = "mx.hamburger.edu"
# No shell or config-file metacharacters: the passwords go into msmtp's and Dovecot's files.
BOB_PASSWORD = "b0b-s3cret"
ALICE_PASSWORD = "wonder-land-42"
USERS = {"bob": BOB_PASSWORD, "alice": ALICE_PASSWORD}

SMTP_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(smtp\)"
SUBMISSION_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(submission\)"
POP3_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(pop3\)"

TOOL_TIMEOUT = 30.0  # for one run of msmtp, s-nail or tmux


# --- l7 ----------------------------------------------------------------------------------


class MailServer(l7test.L7Process):
    """`l7 mail serve` with MX, submission and POP3 on ephemeral ports, started and
    listening, running as the mailbox owner."""

    def __init__(self, maildir, identity):
        args = ["mail", "serve", "--domain", DOMAIN, "--hostname", HOSTNAME,
                "--maildir", maildir, "--smtp", "127.0.0.1:0", "--submission", "127.0.0.1:0",
                "--pop3", "127.0.0.1:0", "--imap", "127.0.0.1:0", "--threads", "1"]
        for user, password in USERS.items():
            args += ["--user", "%s:%s" % (user, password)]
        super().__init__(args, preexec_fn=identity.drop_privileges)
        try:
            self.smtp_port = int(self.wait_for(SMTP_LISTEN_RE).group(1))
            self.submission_port = int(self.wait_for(SUBMISSION_LISTEN_RE).group(1))
            self.pop3_port = int(self.wait_for(POP3_LISTEN_RE).group(1))
        except BaseException:
            self.close()
            raise


# --- messages and Maildirs -------------------------------------------------------------


def message(subject, body, extra=b"", date="Mon, 30 Nov 2026 12:00:00 +0100"):
    return (b"From: Alice <alice@crepes.fr>\r\nTo: Bob <bob@hamburger.edu>\r\nSubject: "
            + subject.encode() + b"\r\nDate: " + date.encode() + b"\r\nMessage-ID: <"
            + subject.replace(" ", ".").encode() + b"@crepes.fr>\r\n" + extra + b"\r\n" + body)


def split_received(data):
    """(l7's Received field, the rest): the field's first line and its continuation lines."""
    lines = data.split(b"\r\n")
    if not lines[0].startswith(b"Received: "):
        raise AssertionError("no Received field first: %r" % data[:200])
    n = 1
    while n < len(lines) and lines[n][:1] in (b" ", b"\t"):
        n += 1
    return b"\r\n".join(lines[:n]) + b"\r\n", b"\r\n".join(lines[n:])


def delivery_order(name):
    """Maildir names start "SECONDS.M<micros>"; this sorts them in delivery order."""
    m = re.match(r"^(\d+)\.M(\d+)", name)
    return (0, int(m.group(1)), int(m.group(2)), name) if m else (1, 0, 0, name)


def base_name(name):
    """A Maildir name without its ":2,FLAGS" info part."""
    return name.split(":", 1)[0]


class Box:
    """One user's Maildir as files: {"new": [names], "cur": [names]} and their bytes."""

    def __init__(self, root):
        self.root = root

    def names(self, sub):
        d = os.path.join(self.root, sub)
        return sorted(os.listdir(d), key=delivery_order) if os.path.isdir(d) else []

    def messages(self):
        """[(sub, name, bytes)] from new/ and cur/, in delivery order (dot files skipped)."""
        out = []
        for sub in ("new", "cur"):
            for name in self.names(sub):
                if name.startswith("."):
                    continue
                with open(os.path.join(self.root, sub, name), "rb") as f:
                    out.append((sub, name, f.read()))
        return sorted(out, key=lambda m: delivery_order(m[1]))

    def contents(self):
        return [data for _, _, data in self.messages()]

    def listing(self):
        return "new/: %s\ncur/: %s" % (self.names("new"), self.names("cur"))


def pop3_retr_bytes(lines):
    """poplib's RETR lines (stuffing undone, CRLF removed) as the message's bytes."""
    return b"".join(line + b"\r\n" for line in lines)


def close_quietly(imap):
    """Closes an imaplib connection that may already be logged out."""
    try:
        imap.shutdown()
    except OSError:
        pass


def imap_ok(result, what):
    typ, data = result
    if typ != "OK":
        raise AssertionError("IMAP %s: %s %r" % (what, typ, data))
    return data


# --- the tests ---------------------------------------------------------------------------


class PeersTestCase(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.identity = Identity()
        self.dir = tempfile.TemporaryDirectory(prefix="l7-mail-peers-")
        self.addCleanup(self.dir.cleanup)
        # The mailbox owner (nobody, when we are root) must reach the Maildirs and Dovecot's
        # auth process its passwd file.
        os.chmod(self.dir.name, 0o755)
        self.mailroot = os.path.join(self.dir.name, "mail")
        os.mkdir(self.mailroot)
        self.identity.chown(self.mailroot)
        self.server = MailServer(self.mailroot, self.identity)
        self._procs.append(self.server)
        self.bob = Box(os.path.join(self.mailroot, "bob"))
        self.alice = Box(os.path.join(self.mailroot, "alice"))

    def start_dovecot(self):
        d = Dovecot(self.dir.name, self.identity, USERS, mailroot=self.mailroot,
                    protocols=("imap",))
        self.addCleanup(d.stop)
        return d

    def smtp_send(self, *messages, to="bob", mail_options=()):
        with smtplib.SMTP("127.0.0.1", self.server.smtp_port, local_hostname="client.example",
                          timeout=IO_TIMEOUT) as s:
            for m in messages:
                refused = s.sendmail("alice@crepes.fr", ["%s@%s" % (to, DOMAIN)], m,
                                     mail_options=list(mail_options))
                self.assertEqual(refused, {})

    def pop(self, user="bob"):
        """A POP3 session logged in as USER. A session that just ended may hold the mailbox
        lock a moment longer (l7 drops it as that connection closes): [IN-USE] is retried."""
        def attempt():
            p = poplib.POP3("127.0.0.1", self.server.pop3_port, timeout=IO_TIMEOUT)
            try:
                p.user(user)
                p.pass_(USERS[user])
                return p
            except poplib.error_proto as e:
                p.close()
                if b"[IN-USE]" in e.args[0]:
                    return None
                raise

        p = l7test.wait_until(attempt, 10, interval=0.05, what="the POP3 mailbox lock")
        self.addCleanup(p.close)
        return p

    def pop_uids(self):
        p = self.pop()
        _, uids, _ = p.uidl()
        p.quit()
        return [u.split()[1].decode() for u in uids]

    def assertNoDovecotProblems(self, dovecot):
        self.assertEqual(dovecot.problems(), [], dovecot.describe())


class DovecotReadsL7Test(PeersTestCase):
    """Case 1: l7 writes, Dovecot reads and flags, l7's POP3 reads again."""

    @unittest.skipUnless(have(DOVECOT), "dovecot (dovecot-core, dovecot-imapd) not installed")
    def test_dovecot_imap_reads_l7s_maildir_and_flags_it(self):
        sent = [
            message("plain one", b"Hello Bob.\r\n"),
            message("dotted", b"line one\r\n.starts with a dot\r\n..two dots\r\n.\r\n"
                              b"after a lone dot\r\n"),
            message("utf-8 body", "Grüße aus Hamburg — ünïcödé ✓\r\n".encode(),
                    b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    b"Content-Transfer-Encoding: 8bit\r\n"),
        ]
        for m in sent:  # one session each: three distinct delivery times
            self.smtp_send(m, mail_options=["BODY=8BITMIME"])
        files = self.bob.messages()
        self.assertEqual([sub for sub, _, _ in files], ["new"] * 3, self.bob.listing())
        stored = [data for _, _, data in files]
        for data, m in zip(stored, sent):
            self.assertEqual(split_received(data)[1], m)
        uids_before = self.pop_uids()  # also leaves l7's lock file in the Maildir
        self.assertEqual(len(uids_before), 3)

        dovecot = self.start_dovecot()
        imap = dovecot.imap()
        self.addCleanup(close_quietly, imap)
        self.assertEqual(imap_ok(imap.select("INBOX"), "SELECT"), [b"3"])
        # l7's own dot files in the Maildir (its POP3 lock) are no folders to Dovecot.
        self.assertTrue([f for f in os.listdir(self.bob.root) if f.startswith(".")])
        folders = imap_ok(imap.list(), "LIST")
        self.assertEqual([f.rsplit(b" ", 1)[1] for f in folders], [b"INBOX"], folders)
        meta = imap_ok(imap.fetch("1:3", "(RFC822.SIZE FLAGS)"), "FETCH")
        self.assertEqual(len(meta), 3, meta)
        for n, line in enumerate(meta, 1):
            m = re.search(rb"RFC822\.SIZE (\d+)", line)
            self.assertIsNotNone(m, line)
            # Dovecot takes the size from l7's ",S=" in the name: it must be exact.
            self.assertEqual(int(m.group(1)), len(stored[n - 1]), line)
            self.assertNotIn(b"\\Seen", line)
        for n in (1, 2, 3):
            data = imap_ok(imap.fetch(str(n), "(BODY.PEEK[])"), "FETCH BODY.PEEK[]")
            self.assertEqual(data[0][1], stored[n - 1], "message %d" % n)

        imap_ok(imap.store("2", "+FLAGS", "(\\Seen)"), "STORE")
        flags = imap_ok(imap.fetch("1:3", "(FLAGS)"), "FETCH FLAGS")
        self.assertEqual(["\\Seen" in f.decode() for f in flags], [False, True, False], flags)
        imap.logout()

        # Dovecot keeps the flag in the file name, as the Maildir format says: cur/NAME:2,S.
        names = {base_name(name): (sub, name) for sub, name, _ in self.bob.messages()}
        second = base_name(files[1][1])
        self.assertEqual(names[second], ("cur", second + ":2,S"), self.bob.listing())
        self.assertEqual(len(names), 3, self.bob.listing())
        self.assertEqual(self.bob.contents(), stored)  # renamed, never rewritten

        # l7's POP3 reads cur/ too, with the same UIDs as before the renames.
        self.assertEqual(self.pop_uids(), uids_before)
        p = self.pop()
        self.assertEqual(p.stat(), (3, sum(len(m) for m in stored)))
        _, listing, _ = p.list()
        self.assertEqual([l.decode() for l in listing],
                         ["%d %d" % (n, len(m)) for n, m in enumerate(stored, 1)])
        for n in (1, 2, 3):
            _, lines, octets = p.retr(n)
            self.assertEqual(pop3_retr_bytes(lines), stored[n - 1], "RETR %d" % n)
            self.assertEqual(octets, len(stored[n - 1]))
        p.quit()
        self.assertNoDovecotProblems(dovecot)


class L7ReadsDovecotTest(PeersTestCase):
    """Case 2: dovecot-lda writes, l7's POP3 reads and deletes, Dovecot sees it go."""

    LDA_MESSAGE = (b"From: Carol <carol@crepes.fr>\nTo: bob@hamburger.edu\n"
                   b"Subject: via dovecot-lda\nMessage-ID: <lda.1@crepes.fr>\n\n"
                   b"Delivered by Dovecot's LDA, with LF line ends.\n.a line with a dot\n"
                   b".\nlast line\n")

    def deliver_with_lda(self, dovecot):
        cp = dovecot.lda("bob", "carol@crepes.fr", self.LDA_MESSAGE)
        self.assertEqual(cp.returncode, 0, "dovecot-lda: %r %r\n%s"
                         % (cp.stdout, cp.stderr, dovecot.describe()))
        [lda_file] = [(sub, name, data) for sub, name, data in self.bob.messages()
                      if b"via dovecot-lda" in data]
        return lda_file

    @unittest.skipUnless(have(DOVECOT) and have(DOVECOT_LDA), "dovecot-lda not installed")
    def test_l7_pop3_reads_and_deletes_what_dovecot_lda_delivered(self):
        ours = message("from l7", b"Delivered by l7.\r\n")
        self.smtp_send(ours)
        dovecot = self.start_dovecot()
        sub, name, on_disk = self.deliver_with_lda(dovecot)
        self.assertEqual(sub, "new", self.bob.listing())
        # dovecot-lda adds its Return-Path (and maybe Delivered-To) and keeps LF line ends.
        self.assertTrue(on_disk.endswith(self.LDA_MESSAGE), on_disk)
        self.assertNotIn(b"\r\n", on_disk)
        as_sent = on_disk.replace(b"\n", b"\r\n")  # RFC 1939 3: CRLF lines on the wire

        imap = dovecot.imap()
        self.addCleanup(close_quietly, imap)
        self.assertEqual(imap_ok(imap.select("INBOX"), "SELECT"), [b"2"])
        # dovecot-lda gave its message the first UID before Dovecot saw l7's file.
        [imap_seq] = imap_ok(imap.search(None, "SUBJECT", '"via dovecot-lda"'), "SEARCH")

        p = self.pop()
        self.assertEqual(p.stat()[0], 2)
        subjects = []
        for n in (1, 2):
            _, lines, octets = p.retr(n)
            subjects.append([l for l in lines if l.startswith(b"Subject: ")])
            if b"Subject: via dovecot-lda" in lines:
                lda_index = n
                self.assertEqual(pop3_retr_bytes(lines), as_sent)
                self.assertEqual(octets, len(as_sent))
            else:
                self.assertEqual(split_received(pop3_retr_bytes(lines))[1], ours)
        self.assertEqual(sorted(subjects), [[b"Subject: from l7"], [b"Subject: via dovecot-lda"]])
        _, uids_first, _ = p.uidl()
        p.quit()
        p = self.pop()
        _, uids_second, _ = p.uidl()
        self.assertEqual(uids_second, uids_first)  # stable across sessions
        self.assertEqual(len({u.split()[1] for u in uids_second}), 2)
        p.dele(lda_index)
        self.assertTrue(p.quit().startswith(b"+OK"))
        self.assertFalse(os.path.exists(os.path.join(self.bob.root, sub, name)))
        self.assertEqual(len(self.bob.messages()), 1, self.bob.listing())

        # Dovecot notices the file is gone: NOOP reports the expunge, and SELECT shows 1.
        imap_ok(imap.noop(), "NOOP")
        typ, expunged = imap.response("EXPUNGE")
        self.assertEqual(expunged, [imap_seq])
        self.assertEqual(imap_ok(imap.select("INBOX"), "SELECT"), [b"1"])
        body = imap_ok(imap.fetch("1", "(BODY.PEEK[])"), "FETCH")[0][1]
        self.assertEqual(split_received(body)[1], ours)
        imap.logout()
        self.assertNoDovecotProblems(dovecot)

    # RFC 1939 11: a server whose files end lines with LF alone "simply counts each occurrence
    # of this character in a message as two octets" for STAT and LIST. Dovecot writes that
    # CRLF size as ",W=" in the name beside the file's size ",S="; l7 must take ",W=".
    @unittest.skipUnless(have(DOVECOT) and have(DOVECOT_LDA), "dovecot-lda not installed")
    def test_list_counts_an_lf_message_as_sent_with_crlf(self):
        dovecot = self.start_dovecot()
        _, _, on_disk = self.deliver_with_lda(dovecot)
        as_sent = on_disk.replace(b"\n", b"\r\n")
        p = self.pop()
        _, lines, octets = p.retr(1)
        self.assertEqual(octets, len(as_sent))
        self.assertEqual(p.list(1).split()[2], str(len(as_sent)).encode())
        self.assertEqual(p.stat(), (1, len(as_sent)))
        p.quit()


class SubmissionClientsTest(PeersTestCase):
    """Cases 3 and 4: msmtp on the submission port, s-nail on the MX port."""

    def msmtprc(self):
        path = os.path.join(self.dir.name, "msmtprc")
        common = ("host 127.0.0.1\nport %d\ntls off\nauth plain\nuser bob\n"
                  "from bob@%s\ntimeout 10\nsyslog off\n" % (self.server.submission_port, DOMAIN))
        with open(path, "w") as f:
            f.write("account good\n%spassword %s\n\n" % (common, BOB_PASSWORD))
            f.write("account bad\n%spassword not-%s\n" % (common, BOB_PASSWORD))
        os.chmod(path, 0o600)  # msmtp refuses a password file others can read
        return path

    def msmtp(self, account, recipient, data):
        try:
            return subprocess.run(["msmtp", "--file=" + self.msmtprc(), "--account=" + account,
                                   recipient], input=data, capture_output=True,
                                  timeout=TOOL_TIMEOUT, env=dict(os.environ, HOME=self.dir.name))
        except subprocess.TimeoutExpired:
            raise AssertionError("msmtp did not finish:\n" + self.server.describe())

    @unittest.skipUnless(have("msmtp"), "msmtp not installed")
    def test_msmtp_submits_with_auth_plain_and_a_wrong_password_fails(self):
        # msmtp reads the message as a local file (LF line ends) and sends CRLF lines.
        sent = (b"From: Bob <bob@hamburger.edu>\nTo: Alice <alice@hamburger.edu>\n"
                b"Subject: from msmtp\nDate: Mon, 30 Nov 2026 12:00:00 +0100\n"
                b"Message-ID: <msmtp.1@hamburger.edu>\n\nHi Alice,\n.a dotted line\nBob\n")
        cp = self.msmtp("good", "alice@" + DOMAIN, sent)
        self.assertEqual(cp.returncode, 0, "%r %r\n%s" % (cp.stdout, cp.stderr,
                                                          self.server.describe()))
        [stored] = self.alice.contents()
        field, rest = split_received(stored)
        self.assertEqual(rest, sent.replace(b"\n", b"\r\n"))
        self.assertIn(b" with ESMTPA id ", re.sub(rb"\r\n[ \t]+", b" ", field))
        self.assertEqual(self.bob.contents(), [])

        cp = self.msmtp("bad", "alice@" + DOMAIN, sent.replace(b"from msmtp", b"refused"))
        self.assertNotEqual(cp.returncode, 0, "%r %r" % (cp.stdout, cp.stderr))
        self.assertIn(b"535", cp.stderr)  # msmtp quotes the server's reply
        self.assertEqual(self.alice.contents(), [stored])
        self.assertEqual(self.bob.contents(), [])

    def s_nail(self, recipient, subject, body):
        env = dict(os.environ, HOME=self.dir.name, LC_ALL="C.UTF-8", MAILRC="/dev/null")
        args = ["s-nail", "-:/", "-S", "v15-compat", "-S", "sendwait",
                "-S", "mta=smtp://127.0.0.1:%d" % self.server.smtp_port,
                "-S", "smtp-auth=none", "-S", "from=alice@crepes.fr",
                "-S", "DEAD=" + os.path.join(self.dir.name, "dead.letter"),
                "-s", subject, recipient]
        try:
            return subprocess.run(args, input=body, capture_output=True, timeout=TOOL_TIMEOUT,
                                  env=env)
        except subprocess.TimeoutExpired:
            raise AssertionError("s-nail did not finish:\n" + self.server.describe())

    @unittest.skipUnless(have("s-nail"), "s-nail not installed")
    def test_s_nail_sends_over_the_mx_port_and_another_domain_is_refused(self):
        cp = self.s_nail("bob@" + DOMAIN, "hello from s-nail", b"Body from s-nail.\n")
        self.assertEqual(cp.returncode, 0, "%r %r\n%s" % (cp.stdout, cp.stderr,
                                                          self.server.describe()))
        [stored] = self.bob.contents()
        field, rest = split_received(stored)
        # s-nail without AUTH greets with HELO: "with SMTP" (RFC 3848).
        self.assertIn(b" with SMTP id ", re.sub(rb"\r\n[ \t]+", b" ", field))
        header, body = rest.split(b"\r\n\r\n", 1)
        fields = header.split(b"\r\n")
        self.assertIn(b"Subject: hello from s-nail", fields)
        self.assertIn(b"From: alice@crepes.fr", fields)
        self.assertIn(b"To: bob@" + DOMAIN.encode(), fields)
        self.assertEqual(body, b"Body from s-nail.\r\n")

        cp = self.s_nail("someone@crepes.fr", "relay me", b"No.\n")
        self.assertNotEqual(cp.returncode, 0, "%r %r" % (cp.stdout, cp.stderr))
        self.assertEqual(self.bob.contents(), [stored])
        # Delivered nowhere else (".queue", the outgoing queue, holds nothing: relaying was
        # refused).
        self.assertEqual([n for n in os.listdir(self.mailroot) if not n.startswith(".")],
                         ["bob"])


MUTTRC = """\
set mbox_type=Maildir
set folder={mailroot}
set spoolfile={mailroot}/bob
set move=no
set quit=yes
set mark_old=no
set wait_key=no
set beep=no
set header_cache=""
set sort=date-sent
set index_format="%4C %Z [%s]"
set charset=utf-8
"""


class MuttTest(PeersTestCase):
    """Case 5: mutt, driven in a private tmux server, reads and flags l7's Maildir."""

    SESSION = "l7mutt"

    def tmux(self, *args, check=True):
        try:
            cp = subprocess.run(["tmux", "-S", self.tmux_socket, "-f", "/dev/null"] + list(args),
                                capture_output=True, timeout=TOOL_TIMEOUT, env=self.tmux_env)
        except subprocess.TimeoutExpired:
            raise AssertionError("tmux %s did not finish" % " ".join(args))
        if check and cp.returncode != 0:
            raise AssertionError("tmux %s: %r" % (" ".join(args), cp.stderr))
        return cp

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", self.SESSION).stdout.decode("utf-8",
                                                                                  "replace")

    def wait_for_screen(self, predicate, what):
        last = [""]

        def check():
            last[0] = self.screen()
            return predicate(last[0])

        try:
            l7test.wait_until(check, 20, interval=0.1, what=what)
            return last[0]
        except AssertionError as e:
            raise AssertionError("%s; the screen:\n%s" % (e, last[0]))

    @unittest.skipUnless(have("mutt") and have("tmux"), "mutt or tmux not installed")
    def test_mutt_lists_reads_and_flags_l7s_maildir(self):
        subjects = ["first from l7", "second from l7", "third from l7"]
        for n, s in enumerate(subjects):  # distinct dates: mutt's index sorts by them
            self.smtp_send(message(s, ("Body of the %s message, ✓.\r\n" % s).encode(),
                                   date="Mon, 30 Nov 2026 12:00:0%d +0100" % n))
        before = self.bob.messages()
        self.assertEqual(len(before), 3)

        home = os.path.join(self.dir.name, "mutt-home")
        os.mkdir(home)
        muttrc = os.path.join(home, "muttrc")
        with open(muttrc, "w") as f:
            f.write(MUTTRC.format(mailroot=self.mailroot))
        self.tmux_socket = os.path.join(self.dir.name, "tmux.sock")
        self.tmux_env = dict(os.environ, HOME=home, LANG="C.UTF-8", LC_ALL="C.UTF-8",
                             TERM="xterm", TMUX="")
        # When root, mutt runs as root too: it reads and renames nobody's files all the same.
        self.tmux("new-session", "-d", "-s", self.SESSION, "-x", "200", "-y", "50",
                  "mutt -n -F %s -f %s" % (muttrc, self.bob.root))
        self.addCleanup(lambda: self.tmux("kill-server", check=False))

        # The index: three new messages (N), with their subjects.
        screen = self.wait_for_screen(lambda s: all("[%s]" % x in s for x in subjects),
                                      "mutt's index to show the three subjects")
        for x in subjects:
            self.assertRegex(screen, r"\d+ N\s+\[%s\]" % re.escape(x))

        # Enter opens the first message in the pager (UTF-8 shown as such); q returns.
        self.tmux("send-keys", "-t", self.SESSION, "Enter")
        self.wait_for_screen(lambda s: "Body of the first from l7 message, ✓." in s,
                             "mutt's pager to show the first message")
        self.tmux("send-keys", "-t", self.SESSION, "q")
        self.wait_for_screen(lambda s: re.search(r"\d+\s+\[first from l7\]", s),
                             "the first message to be shown as read")
        # $ writes the flags back: the file moves to cur/ with ":2,S".
        self.tmux("send-keys", "-t", self.SESSION, "$")
        first = before[0][1]
        l7test.wait_until(lambda: os.path.exists(os.path.join(self.bob.root, "cur",
                                                              first + ":2,S")),
                          20, interval=0.1, what="mutt to rename the first message")
        self.tmux("send-keys", "-t", self.SESSION, "q")
        l7test.wait_until(lambda: self.tmux("has-session", "-t", self.SESSION,
                                            check=False).returncode != 0,
                          20, interval=0.1, what="mutt to exit")

        self.assertEqual(self.bob.contents(), [data for _, _, data in before])
        p = self.pop()
        self.assertEqual(p.stat()[0], 3)
        for n, (_, _, data) in enumerate(before, 1):
            self.assertEqual(pop3_retr_bytes(p.retr(n)[1]), data)
        p.quit()


if __name__ == "__main__":
    l7test.main()
