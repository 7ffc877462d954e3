#!/usr/bin/python3
"""`l7 mail serve --imap`: the IMAP4rev1 server (RFC 3501, with IDLE, UIDPLUS, MOVE, LITERAL+,
NAMESPACE, SASL-IR, ENABLE, UNSELECT, CHILDREN) against real clients. Mail comes in over SMTP
(smtplib) into MAILDIR/bob/, a Maildir++ tree with one SQLite index per folder.

  1. Python's imaplib, scripted: every command (CAPABILITY, LOGIN, AUTHENTICATE PLAIN/LOGIN,
     NAMESPACE, LIST/LSUB, CREATE/RENAME/DELETE/(UN)SUBSCRIBE, SELECT/EXAMINE, STATUS, APPEND
     with APPENDUID, FETCH of every kind of item with exact values, STORE and the Maildir
     file names' ":2,<flags>", COPY/MOVE with COPYUID, the UID variants, SEARCH keys, EXPUNGE,
     CLOSE, UNSELECT, CHECK, NOOP, LOGOUT), and LITERAL+ by hand on a raw socket.
  2. Two sessions: deliveries, flag changes and expunges of one seen by the other.
  3. IDLE (raw socket): "+ idling", a delivery arriving as "* N EXISTS", DONE.
  4. POP3 and IMAP on one Maildir: a POP3 DELE shows up as an IMAP EXPUNGE.
  5. curl's imap:// client (STATUS, fetch by UID, LIST, upload = APPEND).
  6. fetchmail over IMAP (keep, then delete).
  7. mbsync (isync) into a local Maildir, flags both ways, a near-side message uploaded.
  8. neomutt (or mutt) over IMAP in tmux: the index lists the subjects; a flag set there.
  9. Bad input: an over-long line, a too big literal, garbage, too many bad commands.
Also: other programs' changes to the Maildir files, UIDs and keywords across a restart, a
stop ending an IDLE with BYE, folders another session looks at, an index removed under a
session.

Tools: /usr/bin/python3 (stdlib only), curl, fetchmail, mbsync (isync 1.4), neomutt or mutt,
tmux. A test whose tool is missing is skipped.

Run: /usr/bin/python3 tests/interop/mail_imap.py PATH/TO/l7 [-v]
"""

import base64
import datetime
import imaplib
import os
import poplib
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest

import l7test
from l7test import IO_TIMEOUT

DOMAIN = "hamburger.edu"
BOB_PASSWORD = "b0b pass"
USERS = ("bob:" + BOB_PASSWORD, "alice:alice pass")

SMTP_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(smtp\)"
POP3_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(pop3\)"
IMAP_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(imap\)"

# The server looks at an idling client's folder every 2 s; this is a hang guard only.
IDLE_WAIT = 15.0

# imaplib knows neither MOVE (RFC 6851) nor IDLE; teach it the states they are allowed in.
imaplib.Commands.setdefault("MOVE", ("SELECTED",))
imaplib.Commands.setdefault("IDLE", ("AUTH", "SELECTED"))


class MailServer(l7test.L7Process):
    def __init__(self, maildir):
        args = ["mail", "serve", "--domain", DOMAIN, "--maildir", maildir,
                "--smtp", "127.0.0.1:0", "--submission", "127.0.0.1:0",
                "--pop3", "127.0.0.1:0", "--imap", "127.0.0.1:0", "--threads", "1",
                "--trace"]
        for u in USERS:
            args += ["--user", u]
        super().__init__(args)
        try:
            self.smtp_port = int(self.wait_for(SMTP_LISTEN_RE).group(1))
            self.pop3_port = int(self.wait_for(POP3_LISTEN_RE).group(1))
            self.imap_port = int(self.wait_for(IMAP_LISTEN_RE).group(1))
        except BaseException:
            self.close()
            raise


# ---- Messages ------------------------------------------------------------------------------


def message(subject, body, sender="alice@crepes.fr", date=None):
    head = "From: %s\r\nTo: bob@%s\r\nSubject: %s\r\n" % (sender, DOMAIN, subject)
    if date:
        head += "Date: %s\r\n" % date
    return (head + "\r\n" + body).encode()


TEXT_BODY = b"Hello Bob,\r\nthe report is attached.\r\n"
ATTACHMENT_BODY = b"AAECAwQFBgcICQ==\r\n"
ATTACHMENT_MIME = (b"Content-Type: application/octet-stream; name=\"report.bin\"\r\n"
                   b"Content-Transfer-Encoding: base64\r\n"
                   b"Content-Disposition: attachment; filename=\"report.bin\"\r\n\r\n")
MULTIPART = (b"From: Alice <alice@crepes.fr>\r\n"
             b"To: bob@hamburger.edu\r\n"
             b"Subject: multipart test\r\n"
             b"Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n"
             b"Message-ID: <mp1@crepes.fr>\r\n"
             b"MIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n"
             b"\r\n"
             b"This is a preamble.\r\n"
             b"--XYZ\r\n"
             b"Content-Type: text/plain; charset=us-ascii\r\n"
             b"\r\n" + TEXT_BODY + b"\r\n"
             b"--XYZ\r\n" + ATTACHMENT_MIME + ATTACHMENT_BODY + b"\r\n"
             b"--XYZ--\r\n")


def to_crlf(data):
    """The message as IMAP sends it: every bare LF as CRLF."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


def to_lf(data):
    return data.replace(b"\r\n", b"\n")


def without_tuid(data):
    """The message without the X-TUID field mbsync adds to those it propagates."""
    return re.sub(rb"(?m)^X-TUID: [^\n]*\n", b"", data)


def epoch_of(internal_date):
    """Unix seconds of an INTERNALDATE ("14-Jul-2021 08:20:30 +0000")."""
    text = internal_date.decode() if isinstance(internal_date, bytes) else internal_date
    return int(datetime.datetime.strptime(text.strip(), "%d-%b-%Y %H:%M:%S %z").timestamp())


# ---- Reading IMAP responses ----------------------------------------------------------------


class Atom(str):
    """An atom or number of a response (strings and literals are bytes, NIL is None)."""


_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n")


def parse_value(data, pos=0):
    """One value of a response at data[pos:]: (value, position after it)."""
    while pos < len(data) and data[pos] == 0x20:
        pos += 1
    if pos >= len(data):
        raise ValueError("value expected at the end of %r" % data[-200:])
    c = data[pos]
    if c == 0x28:  # (
        items, pos = [], pos + 1
        while True:
            while pos < len(data) and data[pos] == 0x20:
                pos += 1
            if pos >= len(data):
                raise ValueError("unterminated list in %r" % data[-200:])
            if data[pos] == 0x29:  # )
                return items, pos + 1
            value, pos = parse_value(data, pos)
            items.append(value)
    if c == 0x22:  # "
        out, pos = bytearray(), pos + 1
        while pos < len(data):
            ch = data[pos]
            if ch == 0x5C:  # backslash
                out.append(data[pos + 1])
                pos += 2
            elif ch == 0x22:
                return bytes(out), pos + 1
            else:
                out.append(ch)
                pos += 1
        raise ValueError("unterminated string in %r" % data[-200:])
    if c == 0x7B:  # {
        m = _LITERAL.match(data, pos)
        if not m:
            raise ValueError("bad literal at %r" % data[pos:pos + 40])
        start = m.end()
        end = start + int(m.group(1))
        if end > len(data):
            raise ValueError("literal runs past the end")
        return data[start:end], end
    start = pos
    while pos < len(data) and data[pos] not in b" ()":
        if data[pos] == 0x5B:  # '[': a section, spaces and parentheses included
            pos = data.index(b"]", pos) + 1
        else:
            pos += 1
    if pos == start:
        raise ValueError("unexpected %r" % data[pos:pos + 40])
    atom = data[start:pos].decode("latin-1")
    return (None if atom.upper() == "NIL" else Atom(atom)), pos


def parse_all(data):
    """Every value of data, in order."""
    values, pos = [], 0
    while True:
        while pos < len(data) and data[pos] == 0x20:
            pos += 1
        if pos >= len(data):
            return values
        value, pos = parse_value(data, pos)
        values.append(value)


def parse_fetch(line):
    """"* 3 FETCH (...)" (raw) or "3 (...)" (imaplib): (3, {ITEM: value}) with upper-case
    item names."""
    m = re.match(rb"(?:\* )?(\d+) (?:FETCH )?", line)
    if not m:
        raise ValueError("not a FETCH response: %r" % line[:200])
    items, end = parse_value(line, m.end())
    if not isinstance(items, list) or len(items) % 2:
        raise ValueError("bad FETCH list: %r" % line[:300])
    return int(m.group(1)), {items[i].upper(): items[i + 1] for i in range(0, len(items), 2)}


def imaplib_responses(data):
    """imaplib's split responses (a tuple per literal, then the rest of the line) joined back
    into their wire form."""
    responses, current, continued = [], None, False
    for item in data:
        if item is None:
            continue
        if not continued:
            if current is not None:
                responses.append(current)
            current = b""
        if isinstance(item, tuple):
            current += item[0] + b"\r\n" + item[1]
            continued = True
        else:
            current += item
            continued = False
    if current is not None:
        responses.append(current)
    return responses


def flags_of(attributes):
    """A FETCH's FLAGS as a set, without \\Recent (which is per session)."""
    return {f for f in attributes["FLAGS"] if f.lower() != "\\recent"}


def maildir_info(name):
    """The flag letters of a Maildir file name ("x:2,FS" -> "FS"); None without ":2,"."""
    return name.split(":2,", 1)[1] if ":2," in name else None


class RawImap:
    """An IMAP client on a plain socket, for what imaplib hides: the exact lines, their order,
    literals, IDLE, bad input. Every read has a deadline."""

    def __init__(self, port, timeout=IO_TIMEOUT):
        self.sock = l7test.tcp_connect(("127.0.0.1", port), timeout)
        self.buf = b""
        self.eof = False
        self.tags = 0
        self.greeting = self.read_line(timeout)

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def _more(self, deadline):
        """Reads what is there; False at EOF."""
        if self.eof:
            return False
        while True:
            if deadline.expired():
                raise AssertionError("no complete response within the deadline; got %r"
                                     % self.buf[-500:])
            self.sock.settimeout(max(0.01, deadline.remaining()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
                return False
            self.buf += chunk
            return True

    def read_line(self, timeout=IO_TIMEOUT):
        """One response line, its literals inlined as on the wire, without the final CRLF;
        None at EOF."""
        deadline = l7test.Deadline(timeout)
        scan = 0
        while True:
            i = self.buf.find(b"\r\n", scan)
            if i < 0:
                if not self._more(deadline):
                    rest, self.buf = self.buf, b""
                    return rest or None
                continue
            m = re.search(rb"\{(\d+)\}$", self.buf[scan:i])
            if m:
                need = i + 2 + int(m.group(1))
                if need > (64 << 20):
                    raise AssertionError("a literal of %s octets" % m.group(1))
                while len(self.buf) < need:
                    if not self._more(deadline):
                        raise AssertionError("EOF inside a literal: %r" % self.buf[-300:])
                scan = need
                continue
            line, self.buf = self.buf[:i], self.buf[i + 2:]
            return line

    def next_tag(self):
        self.tags += 1
        return "T%d" % self.tags

    def command(self, text, timeout=IO_TIMEOUT):
        """Sends "TAG text" and reads up to the tagged reply: (untagged lines, tagged line)."""
        tag = self.next_tag()
        self.send(tag + " " + text + "\r\n")
        return self.until_tagged(tag, timeout)

    def until_tagged(self, tag, timeout=IO_TIMEOUT):
        untagged = []
        deadline = l7test.Deadline(timeout)
        prefix = tag.encode() + b" "
        while True:
            line = self.read_line(max(0.01, deadline.remaining()))
            if line is None:
                raise AssertionError("connection closed before %s's reply; got %r"
                                     % (tag, untagged))
            if line.startswith(prefix):
                return untagged, line
            untagged.append(line)

    def ok(self, text, timeout=IO_TIMEOUT):
        """A command that must succeed; its untagged lines."""
        untagged, tagged = self.command(text, timeout)
        if not re.match(rb"\S+ OK", tagged):
            raise AssertionError("%s -> %r (untagged %r)" % (text, tagged, untagged))
        return untagged

    def login(self, user="bob", password=BOB_PASSWORD):
        return self.ok('LOGIN %s "%s"' % (user, password))

    def read_until(self, predicate, timeout):
        """Reads lines until predicate(line); returns all of them (the matching one last)."""
        deadline = l7test.Deadline(timeout)
        lines = []
        while True:
            if deadline.expired():
                raise AssertionError("nothing matched within %.0f s; got %r" % (timeout, lines))
            line = self.read_line(max(0.01, deadline.remaining()))
            if line is None:
                raise AssertionError("connection closed; got %r" % lines)
            lines.append(line)
            if predicate(line):
                return lines


# ---- The fixture ---------------------------------------------------------------------------


class ImapTestCase(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.maildir = tempfile.mkdtemp(prefix="l7-imap-")
        self.addCleanup(shutil.rmtree, self.maildir, True)
        self.server = MailServer(self.maildir)
        self._procs.append(self.server)

    def tearDown(self):
        died = None if self.server.running() else self.server.describe()
        super().tearDown()
        self.assertIsNone(died, "the server died")

    # -- SMTP in, files on disk --

    def send(self, *messages):
        with smtplib.SMTP("127.0.0.1", self.server.smtp_port, timeout=IO_TIMEOUT) as s:
            for m in messages:
                self.assertEqual(s.sendmail("alice@crepes.fr", ["bob@" + DOMAIN], m), {})

    def folder_dir(self, folder="INBOX"):
        root = os.path.join(self.maildir, "bob")
        return root if folder == "INBOX" else os.path.join(root, "." + folder)

    def files(self, folder="INBOX"):
        """{"new/NAME" or "cur/NAME": bytes} of a folder."""
        out = {}
        for sub in ("new", "cur"):
            d = os.path.join(self.folder_dir(folder), sub)
            for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                with open(os.path.join(d, name), "rb") as f:
                    out[sub + "/" + name] = f.read()
        return out

    def file_of(self, subject, folder="INBOX"):
        """(sub/name, bytes) of the one file whose Subject is `subject`."""
        needle = b"\nSubject: " + subject.encode() + b"\r\n"
        found = [(k, v) for k, v in self.files(folder).items() if needle in b"\n" + v]
        self.assertEqual(len(found), 1, "files with Subject %r in %s: %r"
                         % (subject, folder, list(self.files(folder))))
        return found[0]

    def delivered(self):
        """bob's INBOX files' bytes in delivery order (names start with the time)."""
        def when(item):
            # "SECONDS.M<micros>P...": numbers, so M99999 comes before M100000.
            m = re.match(r"(\d+)\.M(\d+)P\d+Q(\d+)", item[0][4:])
            return tuple(int(x) for x in m.groups()) if m else (0, 0, 0)
        return [v for _, v in sorted(self.files().items(), key=when)]

    # -- clients --

    def imap(self, login=True):
        m = imaplib.IMAP4("127.0.0.1", self.server.imap_port, timeout=IO_TIMEOUT)
        self.addCleanup(self._shutdown, m)
        if login:
            self.assertEqual(m.login("bob", BOB_PASSWORD)[0], "OK")
        return m

    @staticmethod
    def _shutdown(m):
        try:
            m.shutdown()
        except OSError:
            pass

    def raw(self, login=True, select=None):
        r = RawImap(self.server.imap_port)
        self.addCleanup(r.close)
        self.assertTrue(r.greeting.startswith(b"* OK"), r.greeting)
        if login:
            r.login()
        if select:
            r.ok("SELECT " + select)
        return r

    def fetch(self, m, message_set, items, uid=False):
        """{sequence number: {ITEM: value}} of an imaplib FETCH (or UID FETCH)."""
        if uid:
            typ, data = m.uid("FETCH", message_set, items)
        else:
            typ, data = m.fetch(message_set, items)
        self.assertEqual(typ, "OK", data)
        out = {}
        for response in imaplib_responses(data):
            seq, attributes = parse_fetch(response)
            out.setdefault(seq, {}).update(attributes)
        return out

    def search(self, m, *criteria, uid=False):
        typ, data = m.uid("SEARCH", *criteria) if uid else m.search(None, *criteria)
        self.assertEqual(typ, "OK", data)
        return [int(x) for x in b" ".join(d for d in data if d).split()]

    def uidvalidity(self, m, folder):
        typ, data = m.status(folder, "(UIDVALIDITY)")
        self.assertEqual(typ, "OK", data)
        return int(parse_all(data[0])[1][1])


# ---- 1. imaplib, every command -------------------------------------------------------------


class ImaplibTest(ImapTestCase):
    def test_capability_login_and_authenticate(self):
        m = self.imap(login=False)
        before = {"IMAP4REV1", "LITERAL+", "SASL-IR", "ENABLE", "IDLE", "AUTH=PLAIN",
                  "AUTH=LOGIN"}
        self.assertLessEqual(before, set(m.capabilities))  # from the greeting
        typ, data = m.capability()
        self.assertEqual(typ, "OK")
        self.assertLessEqual(before, set(data[0].decode().upper().split()))
        self.assertNotIn("STARTTLS", data[0].decode().upper().split())
        with self.assertRaises(imaplib.IMAP4.error) as e:
            m.login("bob", "wrong")
        self.assertIn(b"[AUTHENTICATIONFAILED]", e.exception.args[0])
        with self.assertRaises(imaplib.IMAP4.error):
            m.login("nobody", BOB_PASSWORD)
        self.assertEqual(m.login("bob", BOB_PASSWORD)[0], "OK")  # the third try
        typ, data = m.capability()
        after = set(data[0].decode().upper().split())
        self.assertLessEqual({"IMAP4REV1", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT",
                              "CHILDREN", "IDLE"}, after)
        self.assertFalse([c for c in after if c.startswith("AUTH=")], after)
        typ, data = m.enable("CONDSTORE")  # nothing to enable here, but OK
        self.assertEqual(typ, "OK", data)
        self.assertEqual(m.logout()[0], "BYE")

        # AUTHENTICATE PLAIN (RFC 4616): imaplib sends the command, answers the "+ ".
        m = self.imap(login=False)
        with self.assertRaises(imaplib.IMAP4.error):
            m.authenticate("PLAIN", lambda _: b"\0bob\0wrong")
        typ, data = m.authenticate("PLAIN", lambda _: b"\0bob\0" + BOB_PASSWORD.encode())
        self.assertEqual(typ, "OK", data)
        self.assertEqual(m.select("INBOX")[0], "OK")
        m.logout()

        # AUTHENTICATE LOGIN: "Username:" and "Password:" challenges.
        m = self.imap(login=False)
        asked = []

        def answer(challenge):
            asked.append(challenge)
            return b"bob" if b"user" in challenge.lower() else BOB_PASSWORD.encode()

        self.assertEqual(m.authenticate("LOGIN", answer)[0], "OK")
        self.assertEqual([c.lower().rstrip(b":") for c in asked], [b"username", b"password"])
        m.logout()

        # An unknown mechanism: NO, and the session goes on.
        m = self.imap(login=False)
        with self.assertRaises(imaplib.IMAP4.error):
            m.authenticate("CRAM-MD5", lambda _: b"x")
        self.assertEqual(m.login("bob", BOB_PASSWORD)[0], "OK")

    def test_namespace_list_lsub_create_rename_delete_subscribe(self):
        m = self.imap()
        self.assertEqual(m.namespace(), ("OK", [b'(("" ".")) NIL NIL']))

        def listing(verb="list", reference='""', pattern="*"):
            typ, data = getattr(m, verb)(reference, pattern)
            self.assertEqual(typ, "OK", data)
            out = {}
            for line in data:
                if line is None:
                    continue
                attributes, delimiter, name = parse_all(line)
                self.assertEqual(delimiter, b".")
                name = name.decode() if isinstance(name, bytes) else str(name)
                out[name] = {a.lower() for a in attributes}
            return out

        # LIST "" "": the hierarchy delimiter and the root (RFC 3501 6.3.8).
        typ, data = m.list('""', '""')
        self.assertEqual(typ, "OK")
        self.assertEqual(parse_all(data[0]), [[Atom("\\Noselect")], b".", b""])
        self.assertEqual(listing(), {"INBOX": {"\\hasnochildren"}})

        for name in ("Work", "Lists.l7", "Lists.rust", '"Old Stuff"'):
            self.assertEqual(m.create(name)[0], "OK", name)
        typ, data = m.create("Work")
        self.assertEqual(typ, "NO", data)
        self.assertIn(b"[ALREADYEXISTS]", data[0])
        self.assertEqual(m.create("INBOX")[0], "NO")
        self.assertTrue(os.path.isdir(os.path.join(self.folder_dir("Lists.l7"), "cur")))
        self.assertTrue(os.path.isdir(os.path.join(self.folder_dir("Old Stuff"), "new")))
        self.assertEqual(listing(), {
            "INBOX": {"\\hasnochildren"},
            "Lists": {"\\haschildren"},  # created as a superior name (RFC 3501 6.3.3)
            "Lists.l7": {"\\hasnochildren"},
            "Lists.rust": {"\\hasnochildren"},
            "Old Stuff": {"\\hasnochildren"},
            "Work": {"\\hasnochildren"},
        })
        self.assertEqual(set(listing(pattern="%")), {"INBOX", "Lists", "Old Stuff", "Work"})
        self.assertEqual(set(listing(pattern="Lists.%")), {"Lists.l7", "Lists.rust"})
        self.assertEqual(set(listing(reference="Lists.", pattern="%")),
                         {"Lists.l7", "Lists.rust"})
        self.assertEqual(set(listing(pattern="*l7")), {"Lists.l7"})
        self.assertEqual(set(listing(pattern="inbox")), {"INBOX"})  # INBOX in any case
        self.assertEqual(listing(pattern="Nothing*"), {})

        # SUBSCRIBE / LSUB / UNSUBSCRIBE, kept in MAILDIR/bob/subscriptions.
        self.assertEqual(listing("lsub"), {})
        self.assertEqual(m.subscribe("Work")[0], "OK")
        self.assertEqual(m.subscribe("Lists.l7")[0], "OK")
        self.assertEqual(set(listing("lsub")), {"Work", "Lists.l7"})
        # "%" stops at the delimiter: the unsubscribed parent of Lists.l7 shows as \Noselect
        # (RFC 3501 6.3.9).
        self.assertEqual(listing("lsub", pattern="%"),
                         {"Work": {"\\hasnochildren"}, "Lists": {"\\noselect"}})
        with open(os.path.join(self.folder_dir(), "subscriptions")) as f:
            self.assertEqual(set(f.read().split("\n")) - {""}, {"Work", "Lists.l7"})
        self.assertEqual(m.unsubscribe("Work")[0], "OK")
        self.assertEqual(set(listing("lsub")), {"Lists.l7"})

        # RENAME, with the children (RFC 3501 6.3.5); messages go along.
        m.append("Lists.l7", None, None, message("kept", "across a rename\r\n"))
        self.assertEqual(m.rename("Lists", "Groups")[0], "OK")
        self.assertEqual(set(listing()), {"INBOX", "Groups", "Groups.l7", "Groups.rust",
                                          "Old Stuff", "Work"})
        self.file_of("kept", "Groups.l7")
        self.assertFalse(os.path.exists(self.folder_dir("Lists.l7")))
        typ, data = m.rename("Nope", "Other")
        self.assertEqual(typ, "NO", data)
        self.assertEqual(m.rename("Work", "Groups")[0], "NO")  # the target exists

        # DELETE: the folder goes; its children stay, the parent becomes \Noselect.
        self.assertEqual(m.delete('"Old Stuff"')[0], "OK")
        self.assertFalse(os.path.exists(self.folder_dir("Old Stuff")))
        self.assertEqual(m.delete("Groups")[0], "OK")
        self.assertEqual(listing(), {
            "INBOX": {"\\hasnochildren"},
            "Groups": {"\\noselect", "\\haschildren"},
            "Groups.l7": {"\\hasnochildren"},
            "Groups.rust": {"\\hasnochildren"},
            "Work": {"\\hasnochildren"},
        })
        typ, data = m.delete("Nope")
        self.assertEqual(typ, "NO", data)
        typ, data = m.delete("INBOX")
        self.assertEqual(typ, "NO", data)
        self.assertEqual(m.select("Groups")[0], "NO")  # \Noselect

    # RFC 3501 6.3.9: with "%", a subscribed child's unsubscribed parent is listed \Noselect.
    def test_lsub_percent_shows_the_parent_of_a_subscribed_child(self):
        m = self.imap()
        m.create("Lists.l7")
        m.subscribe("Lists.l7")
        typ, data = m.lsub('""', "%")
        self.assertEqual(typ, "OK", data)
        lines = [parse_all(l) for l in data if l]
        self.assertEqual([(str(n), "\\noselect" in {a.lower() for a in attrs})
                          for attrs, _, n in lines], [("Lists", True)], data)

    # More keywords than the index allows per message (32): all or nothing, with RFC 5530's
    # [LIMIT].
    def test_too_many_keywords_are_refused_with_limit(self):
        self.send(message("kw", "x\r\n"))
        m = self.imap()
        m.select("INBOX")
        typ, data = m.store("1", "+FLAGS", "(%s)" % " ".join("$k%d" % i for i in range(33)))
        self.assertEqual(typ, "NO", data)
        self.assertEqual(flags_of(self.fetch(m, "1", "(FLAGS)")[1]), set())  # all or nothing
        self.assertIn(b"[LIMIT]", data[0])

    def test_select_examine_status(self):
        self.send(message("one", "first\r\n"), message("two", "second\r\n"))
        m = self.imap()
        typ, data = m.status("INBOX", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")
        self.assertEqual(typ, "OK", data)
        name, items = parse_all(data[0])
        self.assertEqual(name, "INBOX")
        status = {items[i]: int(items[i + 1]) for i in range(0, len(items), 2)}
        uidvalidity = status.pop("UIDVALIDITY")
        self.assertGreater(uidvalidity, 0)
        # This session is the first to see both deliveries: \Recent to it (RFC 3501 2.3.2).
        self.assertEqual(status, {"MESSAGES": 2, "RECENT": 2, "UIDNEXT": 3, "UNSEEN": 2})

        self.assertEqual(m.select("INBOX"), ("OK", [b"2"]))
        u = m.untagged_responses
        self.assertEqual(u["RECENT"], [b"2"])
        self.assertEqual(u["UIDVALIDITY"], [str(uidvalidity).encode()])
        self.assertEqual(u["UIDNEXT"], [b"3"])
        self.assertEqual(u["UNSEEN"], [b"1"])
        self.assertIn("READ-WRITE", u)
        self.assertLessEqual({"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"},
                             set(parse_all(u["FLAGS"][0])[0]))
        self.assertIn("\\*", parse_all(u["PERMANENTFLAGS"][0])[0])

        # Another session: EXAMINE is read-only, \Recent was this one's, UIDVALIDITY stays.
        other = self.imap()
        self.assertEqual(other.select("INBOX", readonly=True), ("OK", [b"2"]))
        u = other.untagged_responses
        self.assertIn("READ-ONLY", u)
        self.assertEqual(u["RECENT"], [b"0"])
        self.assertEqual(u["UIDVALIDITY"], [str(uidvalidity).encode()])
        got = self.fetch(other, "1", "(BODY[] FLAGS)")
        self.assertEqual(got[1]["BODY[]"], to_crlf(self.delivered()[0]))
        self.assertNotIn("\\Seen", flags_of(got[1]))  # EXAMINE sets no \Seen
        self.assertNotIn("S", maildir_info(self.file_of("one")[0].split("/")[1]) or "")
        typ, data = other.store("1", "+FLAGS", "(\\Flagged)")
        self.assertEqual(typ, "NO", data)
        typ, data = other.expunge()
        self.assertEqual(typ, "NO", data)

        typ, data = m.status("INBOX", "(MESSAGES UNSEEN)")  # STATUS of the selected folder
        self.assertEqual(parse_all(data[0])[1], ["MESSAGES", "2", "UNSEEN", "2"])
        typ, data = m.status("Nope", "(MESSAGES)")
        self.assertEqual(typ, "NO", data)
        typ, data = m.select("Nope")
        self.assertEqual(typ, "NO", data)
        self.assertIn(b"[NONEXISTENT]", data[0])

    def test_append_with_flags_and_date(self):
        m = self.imap()
        first = message("appended", "with flags and a date\r\n")
        typ, data = m.append("INBOX", "(\\Seen \\Flagged)", '"14-Jul-2021 10:20:30 +0200"',
                             first)
        self.assertEqual(typ, "OK", data)
        uidvalidity = self.uidvalidity(m, "INBOX")
        self.assertEqual(m.response("APPENDUID"), ("APPENDUID", [b"%d 1" % uidvalidity]))
        name, stored = self.file_of("appended")
        self.assertEqual(stored, first)
        self.assertTrue(name.startswith("cur/"), name)  # it has flags: not new
        self.assertEqual(maildir_info(name), "FS")
        when = epoch_of("14-Jul-2021 08:20:30 +0000")
        self.assertEqual(int(os.stat(os.path.join(self.folder_dir(), name)).st_mtime), when)

        second = message("plain append", "no flags\r\n")
        self.assertEqual(m.append("INBOX", None, None, second)[0], "OK")
        self.assertEqual(m.response("APPENDUID")[1], [b"%d 2" % uidvalidity])
        self.assertEqual(m.append("INBOX", "($Forwarded)", None, message("kw", "x\r\n"))[0],
                         "OK")
        typ, data = m.append("Nope", None, None, second)
        self.assertEqual(typ, "NO", data)
        self.assertIn(b"[TRYCREATE]", data[0])

        m.select("INBOX")
        got = self.fetch(m, "1:3", "(UID FLAGS INTERNALDATE RFC822.SIZE)")
        self.assertEqual(int(got[1]["UID"]), 1)
        self.assertEqual(flags_of(got[1]), {"\\Seen", "\\Flagged"})
        self.assertEqual(epoch_of(got[1]["INTERNALDATE"]), when)
        self.assertEqual(int(got[1]["RFC822.SIZE"]), len(first))
        self.assertEqual(flags_of(got[2]), set())
        self.assertEqual(flags_of(got[3]), {"$Forwarded"})
        self.assertEqual(self.fetch(m, "2", "(BODY.PEEK[])")[2]["BODY[]"], second)

    def test_fetch_items_of_a_multipart_message(self):
        self.send(MULTIPART)
        name, stored = self.file_of("multipart test")
        wire = to_crlf(stored)
        m = self.imap()
        m.select("INBOX")
        got = self.fetch(m, "1", "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)")[1]
        self.assertEqual(int(got["UID"]), 1)
        self.assertEqual(flags_of(got), set())
        self.assertEqual(int(got["RFC822.SIZE"]), len(wire))
        self.assertEqual(len(wire), len(stored))  # delivered with CRLF line ends
        self.assertEqual(epoch_of(got["INTERNALDATE"]),
                         int(os.stat(os.path.join(self.folder_dir(), name)).st_mtime))
        # RFC 3501 7.4.2: Sender and Reply-To default to From.
        alice = [[b"Alice", None, b"alice", b"crepes.fr"]]
        self.assertEqual(got["ENVELOPE"], [
            b"Mon, 30 Nov 2026 10:00:00 +0000", b"multipart test", alice, alice, alice,
            [[None, None, b"bob", b"hamburger.edu"]], None, None, None, b"<mp1@crepes.fr>"])
        self.check_bodystructure(got["BODYSTRUCTURE"])

        # Nothing read with PEEK sets \Seen.
        header = wire[:wire.index(b"\r\n\r\n") + 4]
        got = self.fetch(m, "1", "(BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[HEADER] "
                                 "BODY.PEEK[TEXT] BODY.PEEK[]<0.10> BODY.PEEK[1] "
                                 "BODY.PEEK[2] BODY.PEEK[2.MIME] BODY.PEEK[1]<5.1000>)")[1]
        self.assertEqual(got["BODY[HEADER.FIELDS (SUBJECT)]"], b"Subject: multipart test\r\n\r\n")
        self.assertEqual(got["BODY[HEADER]"], header)
        self.assertEqual(got["BODY[TEXT]"], wire[len(header):])
        self.assertEqual(got["BODY[]<0>"], wire[:10])
        self.assertEqual(got["BODY[1]"], TEXT_BODY)
        self.assertEqual(got["BODY[2]"], ATTACHMENT_BODY)
        self.assertEqual(got["BODY[2.MIME]"], ATTACHMENT_MIME)
        self.assertEqual(got["BODY[1]<5>"], TEXT_BODY[5:])  # shorter than asked: what is there
        self.assertNotIn("FLAGS", got)
        self.assertEqual(flags_of(self.fetch(m, "1", "(FLAGS)")[1]), set())
        self.assertNotIn("S", maildir_info(self.file_of("multipart test")[0]) or "")

        # BODY[] sets \Seen, and says so with FLAGS (RFC 3501 6.4.5).
        got = self.fetch(m, "1", "(BODY[])")[1]
        self.assertEqual(got["BODY[]"], wire)
        self.assertIn("\\Seen", flags_of(got))
        name, _ = self.file_of("multipart test")
        self.assertTrue(name.startswith("cur/"), name)
        self.assertEqual(maildir_info(name), "S")

        # The macros, and a message that does not exist.
        got = self.fetch(m, "1", "ALL")[1]
        self.assertEqual(set(got), {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"})
        got = self.fetch(m, "1", "FAST")[1]
        self.assertEqual(set(got), {"FLAGS", "INTERNALDATE", "RFC822.SIZE"})
        with self.assertRaises(imaplib.IMAP4.error):
            m.fetch("5", "(FLAGS)")

    def check_bodystructure(self, bs):
        def upper(x):
            return x.upper() if isinstance(x, (bytes, str)) else x

        def params(p):
            return {upper(p[i]): p[i + 1] for i in range(0, len(p), 2)}

        self.assertIsInstance(bs, list, bs)
        text, attachment = bs[0], bs[1]
        self.assertEqual(upper(bs[2]), b"MIXED", bs)
        self.assertEqual(params(bs[3]), {b"BOUNDARY": b"XYZ"}, bs)
        # text/plain: type, subtype, parameters, id, description, encoding, size, lines.
        self.assertEqual([upper(text[0]), upper(text[1]), params(text[2]), text[3], text[4],
                          upper(text[5]), int(text[6]), int(text[7])],
                         [b"TEXT", b"PLAIN", {b"CHARSET": b"us-ascii"}, None, None, b"7BIT",
                          len(TEXT_BODY), 2], bs)
        # The attachment: ..., size, then the extension data: MD5, disposition.
        self.assertEqual([upper(attachment[0]), upper(attachment[1]), params(attachment[2]),
                          attachment[3], attachment[4], upper(attachment[5]),
                          int(attachment[6])],
                         [b"APPLICATION", b"OCTET-STREAM", {b"NAME": b"report.bin"}, None, None,
                          b"BASE64", len(ATTACHMENT_BODY)], bs)
        self.assertGreaterEqual(len(attachment), 9, "no disposition in %r" % attachment)
        self.assertIsNone(attachment[7])
        disposition = attachment[8]
        self.assertEqual([upper(disposition[0]), params(disposition[1])],
                         [b"ATTACHMENT", {b"FILENAME": b"report.bin"}], bs)

    def test_seen_and_store_rename_the_maildir_files(self):
        self.send(message("flags", "x\r\n"), message("peek", "y\r\n"))
        m = self.imap()
        m.select("INBOX")
        self.assertTrue(self.file_of("flags")[0].startswith("new/"))

        def info():
            return maildir_info(self.file_of("flags")[0])

        def store(command, flags):
            typ, data = m.store("1", command, flags)
            self.assertEqual(typ, "OK", data)
            return {s: a for r in imaplib_responses(data) for s, a in [parse_fetch(r)]}

        got = store("+FLAGS", "(\\Seen)")
        self.assertEqual(flags_of(got[1]), {"\\Seen"})
        self.assertTrue(self.file_of("flags")[0].startswith("cur/"))
        self.assertEqual(info(), "S")
        self.assertEqual(flags_of(store("+FLAGS", "(\\Flagged \\Answered)")[1]),
                         {"\\Seen", "\\Flagged", "\\Answered"})
        self.assertEqual(info(), "FRS")
        self.assertEqual(flags_of(store("-FLAGS", "(\\Seen)")[1]), {"\\Flagged", "\\Answered"})
        self.assertEqual(info(), "FR")
        self.assertEqual(store("+FLAGS.SILENT", "(\\Draft)"), {})  # no FETCH: .SILENT
        self.assertEqual(info(), "DFR")
        self.assertEqual(flags_of(store("FLAGS", "($Work \\Seen)")[1]), {"$Work", "\\Seen"})
        self.assertEqual(info(), "S")  # keywords live in the index only
        self.assertEqual(store("FLAGS.SILENT", "()"), {})
        self.assertEqual(info(), "")
        store("FLAGS.SILENT", "($Work \\Deleted)")
        self.assertEqual(info(), "T")

        # A keyword survives the session and shows in FLAGS at SELECT.
        other = self.imap()
        other.select("INBOX")
        self.assertIn("$Work", parse_all(other.untagged_responses["FLAGS"][0])[0])
        self.assertEqual(flags_of(self.fetch(other, "1", "(FLAGS)")[1]), {"$Work", "\\Deleted"})

    def test_copy_and_move(self):
        self.send(message("a", "1\r\n"), message("b", "2\r\n"), message("c", "3\r\n"))
        m = self.imap()
        m.create("Work")
        work = self.uidvalidity(m, "Work")
        m.select("INBOX")
        m.store("1", "+FLAGS", "(\\Seen)")
        typ, data = m.copy("1", "Work")
        self.assertEqual(typ, "OK", data)
        self.assertTrue(data[0].startswith(b"[COPYUID %d 1 1]" % work), data)
        name, copied = self.file_of("a", "Work")
        self.assertEqual(copied, self.file_of("a")[1])
        self.assertEqual(maildir_info(name), "S")  # with its flags
        self.assertEqual(len(self.files()), 3)  # COPY leaves the original

        moved = self.file_of("b")[1]
        m.untagged_responses.clear()
        typ, data = m._simple_command("MOVE", "2", "Work")
        self.assertEqual(typ, "OK", data)
        # RFC 6851 4.3: COPYUID in an untagged OK, then the EXPUNGE.
        self.assertEqual(m.untagged_responses.get("COPYUID"), [b"%d 2 2" % work])
        self.assertEqual(m.untagged_responses.get("EXPUNGE"), [b"2"])
        self.assertEqual(self.file_of("b", "Work")[1], moved)
        self.assertEqual(len(self.files()), 2)
        self.assertEqual(self.search(m, "ALL"), [1, 2])

        typ, data = m.copy("1", "Nope")
        self.assertEqual(typ, "NO", data)
        self.assertIn(b"[TRYCREATE]", data[0])
        typ, data = m._simple_command("MOVE", "1", "Nope")
        self.assertEqual(typ, "NO", data)
        self.assertEqual(len(self.files()), 2)

        m.select("Work")
        got = self.fetch(m, "1:*", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual([(int(a["UID"]), a["BODY[HEADER.FIELDS (SUBJECT)]"])
                          for _, a in sorted(got.items())],
                         [(1, b"Subject: a\r\n\r\n"), (2, b"Subject: b\r\n\r\n")])

    def test_uid_commands(self):
        self.send(*[message("m%d" % i, "body %d\r\n" % i) for i in range(1, 6)])
        m = self.imap()
        m.select("INBOX")
        # UIDs ascend in delivery order (RFC 3501 2.3.1.1), also within one second.
        got = self.fetch(m, "1:*", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual([(int(a["UID"]), a["BODY[HEADER.FIELDS (SUBJECT)]"])
                          for _, a in sorted(got.items())],
                         [(i, b"Subject: m%d\r\n\r\n" % i) for i in range(1, 6)])
        m.create("Work")
        work = self.uidvalidity(m, "Work")
        m.select("INBOX")
        # Expunge the first: from now on sequence number n is UID n+1.
        m.store("1", "+FLAGS", "(\\Deleted)")
        m.expunge()

        got = self.fetch(m, "2:3", "(FLAGS)", uid=True)
        self.assertEqual({s: int(a["UID"]) for s, a in got.items()}, {1: 2, 2: 3})
        # "100:*" is "5:100" (RFC 3501 9, seq-range): the last message.
        got = self.fetch(m, "100:*", "(FLAGS)", uid=True)
        self.assertEqual({s: int(a["UID"]) for s, a in got.items()}, {4: 5})
        self.assertEqual(self.fetch(m, "1", "(FLAGS)", uid=True), {})  # expunged: nothing

        typ, data = m.uid("STORE", "3", "+FLAGS", "(\\Flagged)")
        self.assertEqual(typ, "OK", data)
        seq, attributes = parse_fetch(imaplib_responses(data)[0])
        self.assertEqual((seq, int(attributes["UID"]), flags_of(attributes)),
                         (2, 3, {"\\Flagged"}))
        self.assertEqual(self.search(m, "FLAGGED", uid=True), [3])
        self.assertEqual(self.search(m, "FLAGGED"), [2])

        m.untagged_responses.clear()
        typ, data = m.uid("COPY", "2:3", "Work")
        self.assertEqual(typ, "OK", data)
        self.assertEqual(m.untagged_responses.get("COPYUID"), [b"%d 2:3 1:2" % work])

        m.untagged_responses.clear()
        typ, data = m.uid("MOVE", "4", "Work")
        self.assertEqual(typ, "OK", data)
        self.assertEqual(m.untagged_responses.get("COPYUID"), [b"%d 4 3" % work])
        self.assertEqual(m.untagged_responses.get("EXPUNGE"), [b"3"])

        # UID EXPUNGE (RFC 4315 2.1): only the named messages among the \Deleted ones.
        m.uid("STORE", "2,3", "+FLAGS.SILENT", "(\\Deleted)")
        m.untagged_responses.clear()
        typ, data = m.uid("EXPUNGE", "3")
        self.assertEqual(typ, "OK", data)
        self.assertEqual(m.untagged_responses.get("EXPUNGE"), [b"2"])
        got = self.fetch(m, "1:*", "(FLAGS)", uid=True)
        self.assertEqual({s: (int(a["UID"]), "\\Deleted" in flags_of(a))
                          for s, a in got.items()}, {1: (2, True), 2: (5, False)})
        self.assertEqual(len(self.files()), 2)
        self.assertEqual(len(self.files("Work")), 3)

    def test_search(self):
        m = self.imap()
        m.create("S")
        # A first message expunged, so that UIDs are sequence numbers + 1.
        m.append("S", None, None, message("dummy", "x\r\n"))
        m.select("S")
        m.store("1", "+FLAGS", "(\\Deleted)")
        m.expunge()
        padding = "quarterly numbers\r\n" + ("x" * 70 + "\r\n") * 70
        for subject, sender, body, date, flags in (
                ("lunch", "alice@crepes.fr", "pizza\r\n", "01-Jan-2020", "(\\Seen)"),
                ("report", "carol@crepes.fr", padding, "01-Jun-2021", None),
                ("Re: report", "alice@crepes.fr", "thanks\r\n", "01-Jan-2022", "(\\Flagged)"),
                ("lunch again", "dave@crepes.fr", "sushi\r\n", "01-Jan-2023", None)):
            typ, data = m.append("S", flags, '"%s 12:00:00 +0000"' % date,
                                 message(subject, body, sender=sender))
            self.assertEqual(typ, "OK", data)
        m.select("S")

        cases = [
            (["ALL"], [1, 2, 3, 4]),
            (["UNSEEN"], [2, 3, 4]),
            (["SEEN"], [1]),
            (["FLAGGED"], [3]),
            (["UNFLAGGED", "UNSEEN"], [2, 4]),
            (["FROM", "alice"], [1, 3]),
            (["FROM", "ALICE@CREPES"], [1, 3]),
            (["SUBJECT", "report"], [2, 3]),
            (["SUBJECT", '"lunch again"'], [4]),
            (["BODY", "sushi"], [4]),
            (["BODY", "QUARTERLY"], [2]),
            (["TEXT", "pizza"], [1]),
            (["TEXT", "Re:"], [3]),
            (["HEADER", "Subject", "again"], [4]),
            (["SINCE", "1-Jan-2022"], [3, 4]),
            (["BEFORE", "1-Jun-2021"], [1]),
            (["ON", "1-Jun-2021"], [2]),
            (["LARGER", "4000"], [2]),
            (["SMALLER", "4000"], [1, 3, 4]),
            (["OR", "FROM", "carol", "BODY", "sushi"], [2, 4]),
            (["NOT", "FROM", "alice"], [2, 4]),
            (["FROM", "alice", "UNSEEN"], [3]),
            (["(OR", "SEEN", "FLAGGED)", "SINCE", "1-Jan-2021"], [3]),
            (["2,4"], [2, 4]),
            (["2:*"], [2, 3, 4]),
            (["UID", "3:4"], [2, 3]),
            (["UID", "4:*"], [3, 4]),
            (["NOT", "UID", "2"], [2, 3, 4]),
            (["SUBJECT", "nothing-like-this"], []),
        ]
        for criteria, expected in cases:
            self.assertEqual(self.search(m, *criteria), expected, criteria)
        self.assertEqual(self.search(m, "FROM", "alice", uid=True), [2, 4])
        self.assertEqual(self.search(m, "UID", "3:4", uid=True), [3, 4])
        self.assertEqual(self.search(m, "1:2", uid=True), [2, 3])
        typ, data = m.search("UTF-8", "SUBJECT", "lunch")
        self.assertEqual((typ, data), ("OK", [b"1 4"]))
        typ, data = m.search("KOI8-R", "SUBJECT", "lunch")
        self.assertEqual(typ, "NO", data)
        self.assertIn(b"[BADCHARSET", data[0])
        with self.assertRaises(imaplib.IMAP4.error):
            m.search(None, "FROBNICATE")

    def test_expunge_close_unselect_check_noop_logout(self):
        self.send(message("one", "1\r\n"), message("two", "2\r\n"), message("three", "3\r\n"))
        m = self.imap()
        m.select("INBOX")
        m.store("1,3", "+FLAGS", "(\\Deleted)")
        typ, data = m.expunge()
        self.assertEqual(typ, "OK", data)
        # Each EXPUNGE renumbers: applied in order, only "two" remains.
        remaining = ["one", "two", "three"]
        for n in data:
            del remaining[int(n) - 1]
        self.assertEqual(remaining, ["two"])
        self.assertEqual(len(self.files()), 1)
        self.file_of("two")

        self.send(message("four", "4\r\n"))
        m.untagged_responses.clear()
        self.assertEqual(m.noop()[0], "OK")
        self.assertEqual(m.untagged_responses.get("EXISTS"), [b"2"])
        self.assertEqual(m.check()[0], "OK")

        # UNSELECT (RFC 3691): no expunge.
        m.store("1", "+FLAGS", "(\\Deleted)")
        self.assertEqual(m.unselect()[0], "OK")
        self.assertEqual(len(self.files()), 2)
        # CLOSE: the \Deleted messages go, silently (RFC 3501 6.4.2).
        m.select("INBOX")
        m.untagged_responses.clear()
        self.assertEqual(m.close()[0], "OK")
        self.assertNotIn("EXPUNGE", m.untagged_responses)
        self.assertEqual(len(self.files()), 1)
        self.file_of("four")
        # CLOSE after EXAMINE expunges nothing.
        m.select("INBOX")
        m.store("1", "+FLAGS", "(\\Deleted)")
        m.select("INBOX", readonly=True)
        self.assertEqual(m.close()[0], "OK")
        self.assertEqual(len(self.files()), 1)

        typ, data = m.logout()
        self.assertEqual(typ, "BYE", data)
        # By hand: "* BYE", the tagged OK, then the server closes (RFC 3501 6.1.3).
        r = self.raw()
        untagged, tagged = r.command("LOGOUT")
        self.assertEqual([l[:6] for l in untagged], [b"* BYE "])
        self.assertTrue(re.match(rb"T\d+ OK", tagged), tagged)
        self.assertIsNone(r.read_line())

    def test_literals_by_hand(self):
        r = self.raw(login=False)
        # LITERAL+ (RFC 7888) in LOGIN: no "+" to wait for.
        r.send("A0 LOGIN {3+}\r\nbob {%d+}\r\n%s\r\n" % (len(BOB_PASSWORD), BOB_PASSWORD))
        untagged, tagged = r.until_tagged("A0")
        self.assertEqual(untagged, [])
        self.assertTrue(tagged.startswith(b"A0 OK"), tagged)
        first = message("literal plus", "sent in one go\r\n")
        r.send(b"A1 APPEND INBOX (\\Seen) {%d+}\r\n%s\r\n" % (len(first), first))
        untagged, tagged = r.until_tagged("A1")
        self.assertEqual(untagged, [], "no continuation for {N+}")
        m = re.match(rb"A1 OK \[APPENDUID (\d+) 1\]", tagged)
        self.assertTrue(m, tagged)
        uidvalidity = int(m.group(1))
        # A synchronizing literal: the "+" first, then the octets.
        second = message("synchronizing", "after the plus\r\n")
        r.send(b"A2 APPEND INBOX {%d}\r\n" % len(second))
        self.assertTrue(r.read_line().startswith(b"+"))
        r.send(second + b"\r\n")
        untagged, tagged = r.until_tagged("A2")
        self.assertTrue(tagged.startswith(b"A2 OK [APPENDUID %d 2]" % uidvalidity), tagged)
        self.assertEqual(self.file_of("literal plus")[1], first)
        self.assertEqual(maildir_info(self.file_of("literal plus")[0]), "S")
        self.assertEqual(self.file_of("synchronizing")[1], second)
        # SASL-IR (RFC 4959): AUTHENTICATE with the initial response, no "+".
        r2 = self.raw(login=False)
        ir = base64.b64encode(b"\0bob\0" + BOB_PASSWORD.encode()).decode()
        untagged, tagged = r2.command("AUTHENTICATE PLAIN " + ir)
        self.assertTrue(tagged.startswith(b"T1 OK"), (untagged, tagged))
        self.assertFalse([l for l in untagged if l.startswith(b"+")], untagged)


# ---- 2. Two sessions -----------------------------------------------------------------------


class TwoSessionsTest(ImapTestCase):
    def test_deliveries_flags_and_expunges_reach_the_other_session(self):
        self.send(message("first", "1\r\n"))
        a = self.raw(select="INBOX")
        b = self.raw(select="INBOX")
        self.send(message("second", "2\r\n"))
        self.assertIn(b"* 2 EXISTS", a.ok("NOOP"))
        self.assertIn(b"* 2 EXISTS", b.ok("NOOP"))

        b.ok("STORE 1 +FLAGS (\\Flagged)")
        updates = [parse_fetch(l) for l in a.ok("NOOP") if b" FETCH " in l]
        self.assertEqual([(s, flags_of(x)) for s, x in updates], [(1, {"\\Flagged"})])

        b.ok("STORE 2 +FLAGS (\\Deleted)")
        self.assertIn(b"* 2 EXPUNGE", b.ok("EXPUNGE"))
        untagged = a.ok("NOOP")
        self.assertIn(b"* 2 EXPUNGE", untagged)
        self.assertFalse([l for l in untagged if l.endswith(b"EXISTS")], untagged)

        # RFC 3501 7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH; at NOOP then.
        self.send(message("third", "3\r\n"))
        self.assertIn(b"* 2 EXISTS", a.ok("NOOP"))
        b.ok("NOOP")
        b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
        b.ok("EXPUNGE")
        for command in ("FETCH 1:* (FLAGS)", "STORE 2 +FLAGS (\\Seen)", "SEARCH ALL"):
            untagged = a.ok(command)
            self.assertFalse([l for l in untagged if l.endswith(b"EXPUNGE")],
                             (command, untagged))
        untagged = a.ok("NOOP")
        self.assertEqual([l for l in untagged if l.endswith(b"EXPUNGE")], [b"* 1 EXPUNGE"])
        got = [parse_fetch(l) for l in a.ok("FETCH 1:* (UID FLAGS)")]
        self.assertEqual([(s, int(x["UID"]), flags_of(x)) for s, x in got],
                         [(1, 3, {"\\Seen"})])

    # STATUS selects nothing (RFC 3501 6.3.10): it leaves no hold on a folder that would
    # stop another session's DELETE or RENAME (6.3.4, 6.3.5).
    def test_delete_and_rename_of_folders_another_session_asked_status_about(self):
        a = self.raw()
        a.ok("CREATE Tmp")
        a.ok("CREATE Ren")
        b = self.raw()
        b.ok("STATUS Tmp (MESSAGES)")
        b.ok("STATUS Ren (MESSAGES)")
        for command in ("DELETE Tmp", "RENAME Ren Ren2"):
            tagged = a.command(command)[1]
            self.assertTrue(re.match(rb"T\d+ OK", tagged), (command, tagged))

    # Refusing is allowed, with RFC 5530's [INUSE].
    def test_delete_of_a_folder_selected_elsewhere_is_ok_or_inuse(self):
        a = self.raw()
        a.ok("CREATE Work")
        b = self.raw(select="Work")
        tagged = a.command("DELETE Work")[1]
        self.assertTrue(re.match(rb"T\d+ (OK|NO \[INUSE\])", tagged), tagged)

    # A folder's index (l7-imap.sqlite) removed under a session that has the folder selected:
    # UIDVALIDITY may not change within a session (RFC 3501 2.3.1.1), so the session ends
    # with BYE, and a new session sees the folder with a new UIDVALIDITY.
    def test_a_removed_index_ends_the_sessions_that_use_it(self):
        self.send(message("indexed", "x\r\n"))
        a = self.raw(select="INBOX")
        old = int(re.search(rb"UIDVALIDITY (\d+)", b"\n".join(a.ok("STATUS INBOX (UIDVALIDITY)")))
                  .group(1))
        for suffix in ("", "-wal", "-shm"):
            path = os.path.join(self.folder_dir(), "l7-imap.sqlite" + suffix)
            if os.path.exists(path):
                os.unlink(path)
        a.send("N1 NOOP\r\n")
        lines = []
        while True:  # up to the tagged reply or the end
            line = a.read_line()
            if line is None:
                break
            lines.append(line)
            self.assertLess(len(lines), 10, lines)
            if line.startswith(b"N1 "):
                break
        self.assertTrue(any(l.startswith(b"* BYE") for l in lines), lines)
        self.assertIsNone(a.read_line())  # and closed
        b = self.raw()
        untagged = b.ok("SELECT INBOX")
        self.assertIn(b"* 1 EXISTS", untagged)
        new = int(re.search(rb"UIDVALIDITY (\d+)", b"\n".join(untagged)).group(1))
        self.assertGreater(new, old)


# ---- 3. IDLE -------------------------------------------------------------------------------


class IdleTest(ImapTestCase):
    def test_idle_reports_deliveries_flags_and_expunges(self):
        a = self.raw(select="INBOX")
        a.send("I1 IDLE\r\n")
        self.assertEqual(a.read_line(), b"+ idling")
        self.send(message("while idling", "hello\r\n"))
        lines = a.read_until(lambda l: l == b"* 1 EXISTS", IDLE_WAIT)
        self.assertFalse([l for l in lines if l.startswith(b"I1 ")], lines)
        a.send("DONE\r\n")
        untagged, tagged = a.until_tagged("I1")
        self.assertTrue(tagged.startswith(b"I1 OK"), (untagged, tagged))

        # Another session's flag change and expunge, told while idling.
        b = self.raw(select="INBOX")
        a.send("I2 IDLE\r\n")
        self.assertEqual(a.read_line(), b"+ idling")
        b.ok("STORE 1 +FLAGS (\\Answered)")
        lines = a.read_until(lambda l: b" FETCH " in l, IDLE_WAIT)
        self.assertEqual(flags_of(parse_fetch(lines[-1])[1]), {"\\Answered"})
        b.ok("STORE 1 +FLAGS (\\Deleted)")
        b.ok("EXPUNGE")
        a.read_until(lambda l: l == b"* 1 EXPUNGE", IDLE_WAIT)
        a.send("done\r\n")  # any case
        untagged, tagged = a.until_tagged("I2")
        self.assertTrue(tagged.startswith(b"I2 OK"), (untagged, tagged))
        self.assertEqual(a.ok("NOOP"), [])

        # Anything but DONE ends IDLE with BAD.
        a.send("I3 IDLE\r\n")
        self.assertEqual(a.read_line(), b"+ idling")
        a.send("NOOP\r\n")
        untagged, tagged = a.until_tagged("I3")
        self.assertTrue(tagged.startswith(b"I3 BAD"), tagged)
        a.ok("NOOP")


    def test_a_stop_ends_an_idling_session_with_bye(self):
        a = self.raw(select="INBOX")
        a.send("I1 IDLE\r\n")
        self.assertEqual(a.read_line(), b"+ idling")
        self.server.send_signal(signal.SIGTERM)
        line = a.read_line()
        self.assertTrue(line and line.startswith(b"* BYE"), line)
        self.assertIsNone(a.read_line())  # closed
        self.assertEqual(self.server.wait(), 0, self.server.describe())
        self.server = MailServer(self.maildir)  # for tearDown's check
        self._procs.append(self.server)


# ---- 4. POP3 and IMAP on one Maildir -------------------------------------------------------


class Pop3CoexistenceTest(ImapTestCase):
    def test_a_pop3_delete_is_an_imap_expunge(self):
        self.send(message("pop first", "1\r\n"), message("pop second", "2\r\n"))
        a = self.raw(select="INBOX")
        subject = "BODY[HEADER.FIELDS (SUBJECT)]"
        listing = a.ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        imap_seq = {x[subject]: s for s, x in (parse_fetch(l) for l in listing)}
        p = poplib.POP3("127.0.0.1", self.server.pop3_port, timeout=IO_TIMEOUT)
        self.addCleanup(p.close)
        p.user("bob")
        p.pass_(BOB_PASSWORD)
        self.assertEqual(p.stat()[0], 2)
        # POP3 numbers need not be IMAP's sequence numbers: find "pop first" by its Subject.
        [first] = [i for i in (1, 2) if b"Subject: pop first" in p.retr(i)[1]]
        p.dele(first)
        p.quit()
        self.assertEqual(len(self.files()), 1)
        self.assertIn(b"* %d EXPUNGE" % imap_seq[b"Subject: pop first\r\n\r\n"], a.ok("NOOP"))
        got = [parse_fetch(l) for l in a.ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")]
        self.assertEqual([x["BODY[HEADER.FIELDS (SUBJECT)]"] for _, x in got],
                         [b"Subject: pop second\r\n\r\n"])

        # IMAP's flags rename the file; POP3 still finds it, and sees an IMAP expunge.
        a.ok("STORE 1 +FLAGS (\\Seen)")
        p = poplib.POP3("127.0.0.1", self.server.pop3_port, timeout=IO_TIMEOUT)
        self.addCleanup(p.close)
        p.user("bob")
        p.pass_(BOB_PASSWORD)
        _, lines, _ = p.retr(1)
        self.assertEqual(b"\r\n".join(lines) + b"\r\n", self.file_of("pop second")[1])
        p.quit()
        a.ok("STORE 1 +FLAGS (\\Deleted)")
        a.ok("EXPUNGE")
        p = poplib.POP3("127.0.0.1", self.server.pop3_port, timeout=IO_TIMEOUT)
        self.addCleanup(p.close)
        p.user("bob")
        p.pass_(BOB_PASSWORD)
        self.assertEqual(p.stat()[0], 0)
        p.quit()


class MaildirTest(ImapTestCase):
    def test_other_programs_changes_to_the_maildir(self):
        """What mutt or Dovecot would do to the files: a rename for flags, an unlink, a new
        file in new/; seen at the next NOOP as FETCH FLAGS, EXPUNGE and EXISTS."""
        self.send(message("renamed", "1\r\n"), message("removed", "2\r\n"))
        a = self.raw(select="INBOX")
        root = self.folder_dir()
        name, _ = self.file_of("renamed")
        os.rename(os.path.join(root, name),
                  os.path.join(root, "cur", name.split("/")[1].split(":")[0] + ":2,FS"))
        os.unlink(os.path.join(root, self.file_of("removed")[0]))
        outside = message("dropped in", "by another program\r\n")
        with open(os.path.join(root, "tmp", "1.outside.local"), "wb") as f:
            f.write(outside)
        os.rename(os.path.join(root, "tmp", "1.outside.local"),
                  os.path.join(root, "new", "1.outside.local"))
        untagged = a.ok("NOOP")
        self.assertIn(b"* 2 EXPUNGE", untagged)
        self.assertIn(b"* 2 EXISTS", untagged)
        updates = [parse_fetch(l) for l in untagged if b" FETCH " in l]
        self.assertEqual([(s, flags_of(x)) for s, x in updates], [(1, {"\\Flagged", "\\Seen"})])
        got = [parse_fetch(l) for l in a.ok("UID FETCH 1:* (UID BODY.PEEK[])")]
        self.assertEqual([(s, int(x["UID"])) for s, x in got], [(1, 1), (2, 3)])
        self.assertEqual(got[1][1]["BODY[]"], outside)

    def test_uids_flags_and_keywords_survive_a_restart(self):
        self.send(message("one", "1\r\n"), message("two", "2\r\n"), message("three", "3\r\n"))
        m = self.imap()
        m.select("INBOX")
        m.store("1", "+FLAGS", "(\\Deleted)")
        m.expunge()
        m.store("2", "+FLAGS", "($Label \\Answered)")
        before = self.fetch(m, "1:*", "(UID FLAGS)")
        uidvalidity = self.uidvalidity(m, "INBOX")
        m.logout()
        self.assertStopsCleanly(self.server)
        self.server = MailServer(self.maildir)
        self._procs.append(self.server)
        m = self.imap()
        self.assertEqual(m.select("INBOX"), ("OK", [b"2"]))
        self.assertEqual(m.untagged_responses["UIDVALIDITY"], [str(uidvalidity).encode()])
        self.assertEqual(m.untagged_responses["UIDNEXT"], [b"4"])
        after = self.fetch(m, "1:*", "(UID FLAGS)")
        self.assertEqual({s: (a["UID"], flags_of(a)) for s, a in after.items()},
                         {s: (a["UID"], flags_of(a)) for s, a in before.items()})
        self.assertEqual(flags_of(after[2]), {"$Label", "\\Answered"})
        self.assertEqual(after[2]["UID"], "3")


# ---- 5. curl -------------------------------------------------------------------------------


@unittest.skipUnless(shutil.which("curl"), "curl is not installed")
class CurlTest(ImapTestCase):
    def curl(self, path, *args):
        cp = subprocess.run(["curl", "-sS", "--max-time", "10", "--user", "bob:" + BOB_PASSWORD,
                             "imap://127.0.0.1:%d/%s" % (self.server.imap_port, path)]
                            + list(args), capture_output=True, timeout=30)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        return cp.stdout

    def test_curl_status_fetch_list_and_append(self):
        self.send(message("curl one", "first\r\n"), message("curl two", "second\r\n"))
        first = self.delivered()[0]
        self.assertEqual(self.curl("INBOX", "-X", "STATUS INBOX (MESSAGES UNSEEN)").strip(),
                         b"* STATUS INBOX (MESSAGES 2 UNSEEN 2)")
        self.assertEqual(self.curl("INBOX;UID=1"), to_crlf(first))
        self.assertEqual(self.curl("INBOX", "-X", "STATUS INBOX (UNSEEN)").strip(),
                         b"* STATUS INBOX (UNSEEN 1)")  # curl's FETCH BODY[] set \Seen
        self.assertEqual(self.curl("").strip(), b'* LIST (\\HasNoChildren) "." INBOX')
        upload = os.path.join(self.maildir, "upload.eml")
        with open(upload, "wb") as f:
            f.write(message("curl upload", "appended by curl\r\n"))
        self.curl("INBOX", "-T", upload)
        with open(upload, "rb") as f:
            self.assertEqual(self.file_of("curl upload")[1], f.read())
        self.assertIn(b"SEARCH 3", self.curl("INBOX?SUBJECT%20upload"))


# ---- 6. fetchmail --------------------------------------------------------------------------


@unittest.skipUnless(shutil.which("fetchmail"), "fetchmail is not installed")
class FetchmailTest(ImapTestCase):
    def fetchmail(self, keep, fetchall=False):
        home = tempfile.mkdtemp(prefix="l7-fetchmail-")
        self.addCleanup(shutil.rmtree, home, True)
        out = os.path.join(home, "out.mbox")
        rc = os.path.join(home, "rc")
        with open(rc, "w") as f:
            f.write('poll 127.0.0.1 protocol IMAP port %d auth password user "bob" '
                    'password "%s" %s %s sslproto \'\' mda "/bin/sh -c \'cat >> %s\'"\n'
                    % (self.server.imap_port, BOB_PASSWORD, "keep" if keep else "nokeep",
                       "fetchall" if fetchall else "", out))
        os.chmod(rc, 0o600)  # fetchmail refuses a readable rc file
        env = dict(os.environ, FETCHMAILHOME=home, HOME=home)
        # --pidfile: as root, fetchmail's lock is /var/run/fetchmail.pid whatever FETCHMAILHOME
        # says, and a concurrent test's fetchmail would make this one exit with 8.
        cp = subprocess.run(["fetchmail", "-f", rc, "-v", "--nosyslog", "--pidfile",
                             os.path.join(home, "fetchmail.pid")], capture_output=True, env=env,
                            timeout=60)
        got = b""
        if os.path.exists(out):
            with open(out, "rb") as f:
                got = f.read()
        return cp.returncode, got, cp.stdout.decode() + cp.stderr.decode()

    def test_fetchmail_keeps_then_deletes(self):
        self.send(message("fm one", "first body\r\n"), MULTIPART)
        stored = self.delivered()
        code, got, log = self.fetchmail(keep=True)
        self.assertEqual(code, 0, log)
        for m in stored:
            # Handed to the MDA with LF line ends, after a Received field of fetchmail's own.
            self.assertIn(to_lf(m), got, log)
        self.assertEqual(len(self.files()), 2)  # kept, and now \Seen
        self.assertEqual(sorted(maildir_info(k) for k in self.files()), ["S", "S"])
        code, got, log = self.fetchmail(keep=True)
        self.assertEqual(code, 1, log)  # 1: no new mail (the \Seen ones are old)
        self.assertEqual(got, b"")
        code, got, log = self.fetchmail(keep=False, fetchall=True)
        self.assertEqual(code, 0, log)
        self.assertIn(b"Subject: multipart test\n", got)
        self.assertEqual(self.files(), {})  # \Deleted and expunged


# ---- 7. mbsync -----------------------------------------------------------------------------


@unittest.skipUnless(shutil.which("mbsync"), "mbsync (isync) is not installed")
class MbsyncTest(ImapTestCase):
    def mbsync(self):
        cp = subprocess.run(["mbsync", "-c", self.rc, "-V", "l7"], capture_output=True,
                            timeout=60, env=dict(os.environ, HOME=self.home))
        log = cp.stdout.decode() + cp.stderr.decode()
        self.assertEqual(cp.returncode, 0, log + "\n" + self.server.describe())
        return log

    def local(self):
        """{file name: bytes} of the near side's INBOX."""
        out = {}
        for sub in ("new", "cur"):
            d = os.path.join(self.near, sub)
            for name in os.listdir(d) if os.path.isdir(d) else []:
                with open(os.path.join(d, name), "rb") as f:
                    out[sub + "/" + name] = f.read()
        return out

    def local_of(self, subject):
        found = [k for k, v in self.local().items() if b"Subject: " + subject in v]
        self.assertEqual(len(found), 1, (subject, list(self.local())))
        return found[0]

    def test_mbsync_syncs_messages_and_flags_both_ways(self):
        self.home = tempfile.mkdtemp(prefix="l7-mbsync-")
        self.addCleanup(shutil.rmtree, self.home, True)
        self.near = os.path.join(self.home, "mail", "INBOX")
        self.rc = os.path.join(self.home, "mbsyncrc")
        os.makedirs(self.near)
        with open(self.rc, "w") as f:
            f.write("""IMAPAccount l7
Host 127.0.0.1
Port %d
User bob
Pass "%s"
SSLType None
AuthMechs LOGIN
Timeout 10

IMAPStore far
Account l7

MaildirStore near
Path %s/mail/
Inbox %s
SubFolders Verbatim

Channel l7
Far :far:
Near :near:
Patterns INBOX
Create Near
Sync All
Expunge Both
SyncState *
""" % (self.server.imap_port, BOB_PASSWORD, self.home, self.near))
        self.send(message("sync one", "first\r\n"), MULTIPART)
        self.mbsync()
        local = self.local()
        self.assertEqual(len(local), 2, list(local))
        # mbsync stores with LF line ends, and adds an X-TUID field of its own.
        self.assertEqual(without_tuid(to_lf(local[self.local_of(b"multipart test")])),
                         to_lf(self.file_of("multipart test")[1]))

        # Far side flags reach the near side at the next sync.
        m = self.imap()
        m.select("INBOX")
        m.store("1", "+FLAGS", "(\\Flagged)")
        m.store("2", "+FLAGS", "(\\Seen \\Answered)")
        self.mbsync()
        self.assertEqual(maildir_info(self.local_of(b"sync one")), "F")
        self.assertEqual(maildir_info(self.local_of(b"multipart test")), "RS")

        # Near side: a flag and a new message go up (APPEND, UIDPLUS).
        name = self.local_of(b"sync one")
        os.rename(os.path.join(self.near, name),
                  os.path.join(self.near, "cur", name.split("/")[1].replace(":2,F", ":2,FS")))
        new = message("from the near side", "uploaded by mbsync\r\n").replace(b"\r\n", b"\n")
        with open(os.path.join(self.near, "new", "%d.l7test.local" % int(time.time())),
                  "wb") as f:
            f.write(new)
        self.mbsync()
        self.assertEqual(maildir_info(self.file_of("sync one")[0]), "FS")
        self.assertEqual(without_tuid(to_lf(self.file_of("from the near side")[1])), new)
        m.noop()
        got = self.fetch(m, "1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(len(got), 3)
        self.assertEqual(flags_of(got[1]), {"\\Flagged", "\\Seen"})

        # An expunge on the far side removes the near copy.
        m.store("2", "+FLAGS", "(\\Deleted)")
        m.expunge()
        self.mbsync()
        self.assertEqual(len(self.local()), 2, list(self.local()))


# ---- 8. neomutt / mutt ---------------------------------------------------------------------


MUTT = shutil.which("neomutt") or shutil.which("mutt")


@unittest.skipUnless(MUTT and shutil.which("tmux"), "neomutt/mutt or tmux is not installed")
class MuttTest(ImapTestCase):
    def tmux(self, *args, check=True):
        # A private server (-S), no user configuration, not nested in a caller's tmux.
        env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        cp = subprocess.run(["tmux", "-S", self.socket, "-f", "/dev/null"] + list(args),
                            capture_output=True, timeout=10, env=env)
        if check:
            self.assertEqual(cp.returncode, 0, cp.stderr)
        return cp.stdout.decode("utf-8", "replace")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "mutt", check=False)

    def wait_screen(self, predicate, what, timeout=20):
        return l7test.wait_until(lambda: predicate(self.screen()), timeout, interval=0.2,
                                 what="%s on the screen; last screen:\n%s" % (what, self.screen()))

    def test_mutt_shows_the_index_and_sets_a_flag(self):
        self.send(message("mutt first", "one\r\n"), message("mutt second", "two\r\n"))
        home = tempfile.mkdtemp(prefix="l7-mutt-")
        self.addCleanup(shutil.rmtree, home, True)
        self.socket = os.path.join(home, "tmux.sock")
        rc = os.path.join(home, "muttrc")
        with open(rc, "w") as f:
            f.write("""set imap_user="bob"
set imap_pass="%s"
set folder="imap://127.0.0.1:%d/"
set spoolfile="+INBOX"
set record=""
set postponed=""
set ssl_starttls=no
set ssl_force_tls=no
set imap_check_subscribed=no
set header_cache=""
set message_cachedir=""
set mail_check=1
set timeout=1
set sort=date
set index_format="IDX %%4C %%s"
set quit=yes
set move=no
set delete=yes
set confirmappend=no
set wait_key=no
set charset="utf-8"
""" % (BOB_PASSWORD, self.server.imap_port))
        command = "env HOME=%s TERM=xterm %s -n -F %s" % (home, MUTT, rc)
        self.tmux("new-session", "-d", "-s", "mutt", "-x", "200", "-y", "50", command)
        self.addCleanup(self.tmux, "kill-server", check=False)

        self.wait_screen(lambda s: "mutt first" in s and "mutt second" in s, "both subjects")
        self.assertEqual(len([l for l in self.screen().splitlines() if "IDX" in l]), 2,
                         self.screen())
        # Flag the current message ("F"), write the change back ("$"): STORE over IMAP.
        self.tmux("send-keys", "-t", "mutt", "F")
        self.tmux("send-keys", "-t", "mutt", "$")
        m = self.imap()
        m.select("INBOX", readonly=True)

        def flagged():
            m.noop()
            got = self.fetch(m, "1:*", "(FLAGS)")
            return [s for s, a in got.items() if "\\Flagged" in flags_of(a)]

        self.assertEqual(len(l7test.wait_until(flagged, 20, interval=0.3,
                                               what="a \\Flagged message")), 1)
        self.tmux("send-keys", "-t", "mutt", "q")
        l7test.wait_until(lambda: "mutt" not in self.tmux("list-sessions", check=False), 15,
                          interval=0.2, what="mutt to quit")
        self.assertEqual(len(self.files()), 2)  # nothing deleted
        self.assertEqual(sorted(maildir_info(k) or "" for k in self.files()).count("F"), 1)


# ---- 9. Bad input --------------------------------------------------------------------------


class BadInputTest(ImapTestCase):
    def test_long_line_big_literal_and_garbage(self):
        r = self.raw()
        r.send(b"L1 NOOP " + b"x" * (100 * 1024) + b"\r\n")
        line = r.read_line()
        self.assertTrue(line.startswith(b"L1 BAD"), line[:200])
        r.ok("NOOP")  # the connection still works

        r.send(b"L2 APPEND INBOX {999999999}\r\n")
        line = r.read_line()
        self.assertTrue(line.startswith(b"L2 NO [TOOBIG]"), line)  # no "+" first
        r.ok("NOOP")
        self.assertEqual(self.files(), {})

        for garbage in (b"\x00\x01\xff\xfe\x80 \r\n", b")(\r\n", b"L3 \r\n", b"L4 FETCH\r\n",
                        b"L5 FROBNICATE INBOX\r\n", b'L6 LOGIN "unterminated\r\n',
                        b"L7 SELECT INBOX extra\r\n"):
            r.send(garbage)
            line = r.read_line()
            self.assertTrue(re.match(rb"\S+ BAD", line or b""), (garbage, line))
        r.ok("NOOP")
        # Wrong state: FETCH needs a selected mailbox.
        untagged, tagged = r.command("FETCH 1 (FLAGS)")
        self.assertTrue(re.match(rb"T\d+ (BAD|NO)", tagged), tagged)
        r.ok("SELECT INBOX")
        untagged, tagged = r.command("SELECT Nope")  # a failed SELECT deselects
        self.assertTrue(re.match(rb"T\d+ NO", tagged), tagged)
        untagged, tagged = r.command("FETCH 1 (FLAGS)")
        self.assertTrue(re.match(rb"T\d+ (BAD|NO)", tagged), tagged)

        # Before login, only CAPABILITY, NOOP, LOGOUT, STARTTLS, AUTHENTICATE, LOGIN.
        s = self.raw(login=False)
        untagged, tagged = s.command("SELECT INBOX")
        self.assertTrue(re.match(rb"T\d+ (BAD|NO)", tagged), tagged)
        untagged, tagged = s.command("STARTTLS")
        self.assertTrue(re.match(rb"T\d+ (BAD|NO)", tagged), tagged)  # no TLS here

    def test_too_many_bad_commands_end_the_connection(self):
        r = self.raw()
        r.send(b"".join(b"B%d XYZZY\r\n" % i for i in range(25)))
        lines = []
        while True:
            line = r.read_line()
            if line is None:
                break
            lines.append(line)
            self.assertLess(len(lines), 100, lines)
        bads = [l for l in lines if re.match(rb"B\d+ BAD", l)]
        self.assertTrue(1 <= len(bads) <= 25, lines)
        self.assertTrue(lines[-1].startswith(b"* BYE"), lines)

    def test_failed_logins_end_the_connection(self):
        r = self.raw(login=False)
        r.send(b"".join(b'F%d LOGIN bob "wrong"\r\n' % i for i in range(5)))
        lines = []
        while True:
            line = r.read_line()
            if line is None:
                break
            lines.append(line)
            self.assertLess(len(lines), 20, lines)
        nos = [l for l in lines if re.match(rb"F\d+ NO", l)]
        self.assertTrue(1 <= len(nos) < 5, lines)  # l7 allows 3
        self.assertTrue(lines[-1].startswith(b"* BYE"), lines)
        self.assertEqual(lines[:-1], nos, lines)


if __name__ == "__main__":
    l7test.main()
