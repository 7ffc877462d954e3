#!/usr/bin/python3
"""`l7 ftp serve` (RFC 959, 2428, 3659, 2389, 7151, 1123 4.1.2.9) driven by real third-party
FTP clients:

  * Python's ftplib, a scripted session over every command the server knows: USER, PASS,
    ACCT, CWD, CDUP, PWD, LIST, NLST, MLSD, MLST, RETR, STOR, STOU, APPE, REST (resumed
    download and REST+STOR), DELE, RMD, MKD, RNFR/RNTO, TYPE A/I/E, MODE, STRU, PORT, PASV,
    EPRT, EPSV, ABOR (idle and during a download or an upload), STAT, SYST, NOOP, HELP,
    FEAT, OPTS, HOST, SIZE, MDTM, QUIT; and the error paths: commands before login, wrong
    passwords (421 after three), unknown commands, missing arguments, missing files,
    anonymous and --read-only writes, PORT/EPRT bounces to another address or a privileged
    port, REST beyond the end;
  * path confinement: "..", absolute paths and symbolic links (inside and outside the root);
  * bad clients on raw sockets: a PASV nobody connects to, uploads cut off mid-way (no file,
    no half file, no hidden staging file left), an over-long command line, binary garbage
    and Telnet IAC sequences, an idle connection;
  * curl (listing, download, upload, active mode, PASV, resumed download and upload,
    --ftp-create-dirs, -Q), lftp (mirror down and mirror -R up of a tree, compared byte for
    byte), tnftp (a batch session) and a 20 MB file down (sendfile) and up, by SHA-256.

Everything listens on 127.0.0.1 (l7 on an ephemeral port); each test has its own server and
temporary directories. A test whose client program is missing is skipped. One test waits out
the server's fixed 30 s data-connection deadline (a PASV nobody connects to); the others
take about 15 s together."""

import calendar
import ftplib
import hashlib
import io
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import unittest

import l7test
from l7test import IO_TIMEOUT

FTP_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(ftp\)"
USER, PASSWORD = "alice", "s3cret pass"
TOOL_TIMEOUT = 60.0  # for one run of curl, lftp or tnftp

CURL = shutil.which("curl")
LFTP = shutil.which("lftp")
TNFTP = shutil.which("tnftp")

# The fixture's files, relative to the root.
HELLO = b"hello ftp\n"
LF_TEXT = b"line one\nline two\n\nlast line\n"
DATA = bytes(range(256)) * 400  # 102400 bytes
INNER = b"inside sub\n"
FAKE_PASSWD = b"root:not the real one:0:0::/:/bin/false\n"
SECRET = b"outside the root, must never be served\n"
HELLO_MTIME = calendar.timegm((2021, 2, 3, 4, 5, 6))


class FtpServer(l7test.L7Process):
    """`l7 ftp serve --listen 127.0.0.1:0 ARGS...`, started and listening: .port."""

    def __init__(self, args):
        super().__init__(["ftp", "serve", "--listen", "127.0.0.1:0", "--threads", "1",
                          "--trace"] + list(args))
        try:
            self.port = int(self.wait_for(FTP_LISTEN_RE).group(1))
        except BaseException:
            self.close()
            raise

    def commands_seen(self):
        """The client commands in the trace ("C: VERB ARGS")."""
        return re.findall(r"\] C: (.*)$", self.stderr(), re.M)


class Control:
    """A raw control connection: send lines, read complete (multi-line) replies."""

    def __init__(self, port):
        self.sock = l7test.tcp_connect(("127.0.0.1", port))
        self.buf = b""
        self.greeting = self.reply()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        if isinstance(data, str):
            data = data.encode() + b"\r\n"
        self.sock.sendall(data)

    def _line(self, deadline):
        while b"\n" not in self.buf:
            if deadline.expired():
                raise AssertionError("no reply line within %.0f s; got %r"
                                     % (deadline.seconds, self.buf[-300:]))
            self.sock.settimeout(max(0.01, deadline.remaining()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise EOFError("connection closed; pending %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self, timeout=IO_TIMEOUT):
        """One reply: its lines joined with "\\n" (RFC 959 4.2: "ddd-" ... "ddd ")."""
        deadline = l7test.Deadline(timeout)
        first = self._line(deadline)
        if not re.match(r"^\d{3}[ -]", first):
            raise AssertionError("not a reply line: %r" % first)
        lines = [first]
        if first[3] == "-":
            while True:
                line = self._line(deadline)
                lines.append(line)
                if line.startswith(first[:3] + " "):
                    break
        return "\n".join(lines)

    def cmd(self, line):
        self.send(line)
        return self.reply()

    def code(self, line):
        return int(self.cmd(line)[:3])

    def login(self, user=USER, password=PASSWORD):
        assert self.cmd("USER " + user).startswith("331")
        reply = self.cmd("PASS " + password)
        assert reply.startswith("230"), reply

    def passive(self):
        """PASV; returns the connected data socket."""
        reply = self.cmd("PASV")
        assert reply.startswith("227"), reply
        host, port = ftplib.parse227(reply)
        return l7test.tcp_connect((host, port))

    def expect_eof(self, timeout=IO_TIMEOUT):
        rest = l7test.recv_to_eof(self.sock, timeout)
        return self.buf + rest


def refuses(address):
    """True if nothing accepts TCP connections on address (host, port) any more."""
    try:
        with socket.create_connection(address, timeout=IO_TIMEOUT):
            return False
    except ConnectionRefusedError:
        return True


def close_ftp(f):
    try:
        f.close()
    except OSError:
        pass


def reset_close(sock):
    """Closes a socket with a RST (SO_LINGER 0): an abrupt end, not an end of file."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def send_cmd(f, line):
    """ftplib sendcmd that returns error replies as text instead of raising."""
    try:
        return f.sendcmd(line)
    except ftplib.Error as e:
        return str(e.args[0])


def read_all(conn):
    data = l7test.recv_to_eof(conn)
    conn.close()
    return data


def tree(root):
    """{relative path: bytes for files, None for directories} below root."""
    out = {}
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        for name in dirs:
            out[os.path.normpath(os.path.join(rel, name))] = None
        for name in files:
            with open(os.path.join(d, name), "rb") as fh:
                out[os.path.normpath(os.path.join(rel, name))] = fh.read()
    return out


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class FtpHelpers:
    """What the test cases of l7's FTP server share: files under self.root, a raw control
    connection, a download through ftplib, a command expecting a reply code. Mixed into the
    TestCase classes here and in ftp_tls.py."""

    def p(self, rel):
        return os.path.join(self.root, rel)

    def write(self, rel, data):
        with open(self.p(rel), "wb") as fh:
            fh.write(data)

    def read(self, rel):
        with open(self.p(rel), "rb") as fh:
            return fh.read()

    def control(self, server=None):
        c = Control((server or self.server).port)
        self.addCleanup(c.close)
        return c

    def retr(self, f, path, **kw):
        chunks = []
        f.retrbinary("RETR " + path, chunks.append, **kw)
        return b"".join(chunks)

    def assertCode(self, f, line, code):
        reply = send_cmd(f, line)
        self.assertEqual(reply[:3], str(code), "%s -> %r\n%s"
                         % (line, reply, self.server.describe()))
        return reply


class FtpCase(FtpHelpers, l7test.TestCase):
    """A fixture tree, an outside directory, and an l7 FTP server on it."""

    # What NLST of / shows: the files, and the symbolic links that stay inside the root.
    VISIBLE = {"f.txt", "lf.txt", "data.bin", "sub", "etc", "in_dir", "in_file"}

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="l7-ftp-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.root = os.path.join(self.dir, "root")
        self.outside = os.path.join(self.dir, "outside")
        self.local = os.path.join(self.dir, "local")  # the clients' side
        for d in (self.root, self.outside, self.local, self.p("sub"), self.p("etc")):
            os.mkdir(d)
        self.write("f.txt", HELLO)
        os.utime(self.p("f.txt"), (HELLO_MTIME, HELLO_MTIME))
        self.write("lf.txt", LF_TEXT)
        self.write("data.bin", DATA)
        self.write("sub/inner.txt", INNER)
        self.write("etc/passwd", FAKE_PASSWD)
        with open(os.path.join(self.outside, "secret.txt"), "wb") as fh:
            fh.write(SECRET)
        os.symlink(self.outside, self.p("out_dir"))
        os.symlink(os.path.join(self.outside, "secret.txt"), self.p("out_file"))
        os.symlink("/etc", self.p("etc_link"))
        os.symlink("sub", self.p("in_dir"))
        os.symlink("f.txt", self.p("in_file"))
        self.server = self.start_server()

    def start_server(self, *extra):
        s = FtpServer(["--root", self.root, "--user", "%s:%s" % (USER, PASSWORD),
                       "--anonymous"] + list(extra))
        self._procs.append(s)
        return s


    def ftp(self, user=USER, password=PASSWORD, server=None):
        f = ftplib.FTP(timeout=IO_TIMEOUT)
        f.connect("127.0.0.1", (server or self.server).port)
        self.addCleanup(close_ftp, f)
        if user is not None:
            f.login(user, password)
        return f


    def transfer_reply(self, f, line, upload=None):
        """The reply to a data command (the transfer done, if it starts)."""
        try:
            conn = f.transfercmd(line)
        except ftplib.Error as e:
            return str(e.args[0])
        if upload is None:
            read_all(conn)
        else:
            conn.sendall(upload)
            conn.close()
        try:
            return f.getresp()
        except ftplib.Error as e:
            return str(e.args[0])

    def staged_files(self):
        """Hidden upload staging files anywhere on disk below the root."""
        found = []
        for d, dirs, files in os.walk(self.root):
            found += [os.path.join(d, n) for n in files if n.startswith(".l7-staged")]
        return found

    def assertNoStagedFiles(self):
        l7test.wait_until(lambda: not self.staged_files(), IO_TIMEOUT,
                          what="the hidden staging files to go: %s" % self.staged_files())

    def tearDown(self):
        try:
            self.assertTrue(self.server.running(), "the server died:\n" + self.server.describe())
        finally:
            super().tearDown()


# --- login and session -------------------------------------------------------------------


class LoginTest(FtpCase):
    def test_user_pass_acct_quit(self):
        f = self.ftp(user=None)
        self.assertTrue(f.welcome.startswith("220"), f.welcome)
        self.assertEqual(f.sendcmd("USER " + USER)[:3], "331")
        self.assertEqual(f.sendcmd("PASS " + PASSWORD)[:3], "230")
        self.assertCode(f, "ACCT project", 502)
        self.assertEqual(f.pwd(), "/")
        self.assertEqual(f.quit()[:3], "221")
        c = self.control()
        c.login()
        self.assertEqual(c.cmd("QUIT")[:3], "221")
        self.assertEqual(c.expect_eof(), b"")  # the server closes after 221

    def test_commands_before_login_are_530(self):
        f = self.ftp(user=None)
        for line in ("PWD", "CWD sub", "LIST", "RETR f.txt", "STOR x", "MKD x", "SIZE f.txt",
                     "PASV", "DELE f.txt"):
            self.assertCode(f, line, 530)
        f.login(USER, PASSWORD)
        self.assertEqual(f.pwd(), "/")
        self.assertTrue(os.path.exists(self.p("f.txt")))

    def test_bad_password_is_530_and_the_third_closes_with_421(self):
        c = self.control()
        for attempt in (1, 2):
            self.assertEqual(c.code("USER " + USER), 331)
            self.assertEqual(c.code("PASS wrong"), 530, "attempt %d" % attempt)
        self.assertEqual(c.code("USER " + USER), 331)
        self.assertEqual(c.code("PASS wrong"), 530)
        self.assertEqual(c.reply()[:3], "421")
        self.assertEqual(c.expect_eof(), b"")
        # Others can still log in.
        self.assertEqual(self.ftp().pwd(), "/")

    def test_a_wrong_password_then_the_right_one(self):
        f = self.ftp(user=None)
        with self.assertRaises(ftplib.error_perm) as e:
            f.login(USER, "nope")
        self.assertTrue(str(e.exception).startswith("530"), e.exception)
        self.assertCode(f, "PWD", 530)
        f.login(USER, PASSWORD)
        self.assertEqual(f.pwd(), "/")

    def test_unknown_user_is_530(self):
        f = self.ftp(user=None)
        with self.assertRaises(ftplib.error_perm) as e:
            f.login("mallory", PASSWORD)
        self.assertTrue(str(e.exception).startswith("530"), e.exception)

    def test_host_before_login_is_220_and_after_503(self):
        f = self.ftp(user=None)
        self.assertCode(f, "HOST localhost", 220)
        f.login(USER, PASSWORD)
        self.assertCode(f, "HOST localhost", 503)
        self.assertEqual(f.pwd(), "/")

    def test_idle_connection_is_closed_with_421(self):
        server = self.start_server("--idle-timeout", "1s")
        c = self.control(server)
        c.login()
        self.assertEqual(c.reply(timeout=15)[:3], "421")
        self.assertEqual(c.expect_eof(), b"")


# --- every command, ftplib ---------------------------------------------------------------


class CommandsTest(FtpCase):
    def test_syst_noop_help_feat_opts_stat(self):
        f = self.ftp()
        self.assertTrue(self.assertCode(f, "SYST", 215).startswith("215 UNIX"))
        self.assertCode(f, "NOOP", 200)
        help_ = f.sendcmd("HELP").split("\n")
        self.assertTrue(help_[0].startswith("214-") and help_[-1].startswith("214 "), help_)
        for verb in ("RETR", "STOR", "EPSV", "MLSD", "FEAT"):
            self.assertIn(verb, " ".join(help_[1:-1]).split())
        feat = f.sendcmd("FEAT").split("\n")
        self.assertTrue(feat[0].startswith("211-") and feat[-1].startswith("211 "), feat)
        features = [line[1:] for line in feat[1:-1]]
        for line in feat[1:-1]:
            self.assertTrue(line.startswith(" ") and not line.startswith("  "), line)  # RFC 2389
        for want in ("EPSV", "SIZE", "MDTM", "REST STREAM", "UTF8"):
            self.assertIn(want, features)
        self.assertTrue(any(x.startswith("MLST ") for x in features), features)
        self.assertCode(f, "OPTS UTF8 ON", 200)
        stat = f.sendcmd("STAT").split("\n")
        self.assertTrue(stat[0].startswith("211-") and stat[-1].startswith("211 "), stat)
        self.assertGreater(len(stat), 2)
        stat = f.sendcmd("STAT /").split("\n")
        self.assertTrue(stat[0].startswith("213-") and stat[-1].startswith("213 "), stat)
        names = {line.split()[-1] for line in stat[1:-1]}
        self.assertTrue({"f.txt", "sub", "data.bin"} <= names, stat)
        self.assertNotIn("out_file", names)

    def test_cwd_cdup_pwd(self):
        f = self.ftp()
        self.assertEqual(f.cwd("sub")[:3], "250")
        self.assertEqual(f.pwd(), "/sub")
        self.assertEqual(f.nlst(), ["inner.txt"])
        self.assertCode(f, "CDUP", 250)
        self.assertEqual(f.pwd(), "/")
        self.assertIn(send_cmd(f, "CDUP")[:3], ("250", "550"))  # at the top: stays there
        self.assertEqual(f.pwd(), "/")
        self.assertCode(f, "CWD nowhere", 550)
        self.assertCode(f, "CWD f.txt", 550)  # a file
        self.assertEqual(f.pwd(), "/")

    def test_list_nlst_mlsd_mlst(self):
        f = self.ftp()
        self.assertEqual(set(f.nlst()), self.VISIBLE)
        lines = []
        f.retrlines("LIST", lines.append)
        self.assertEqual({line.split()[-1] for line in lines}, self.VISIBLE, lines)
        by_name = {line.split()[-1]: line for line in lines}
        self.assertTrue(by_name["sub"].startswith("d"), by_name)
        self.assertTrue(by_name["f.txt"].startswith("-"), by_name)
        self.assertIn(" %d " % len(DATA), by_name["data.bin"])
        lines = []
        f.retrlines("LIST sub", lines.append)
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].endswith(" inner.txt"), lines)
        facts = {name: fx for name, fx in f.mlsd() if fx.get("type") not in ("cdir", "pdir")}
        self.assertEqual(set(facts), self.VISIBLE)
        self.assertEqual(facts["sub"]["type"], "dir")
        self.assertEqual(facts["data.bin"]["type"], "file")
        self.assertEqual(facts["data.bin"]["size"], str(len(DATA)))
        self.assertEqual(facts["f.txt"]["modify"], "20210203040506")
        reply = f.sendcmd("MLST f.txt").split("\n")
        self.assertTrue(reply[0].startswith("250-") and reply[-1].startswith("250 "), reply)
        self.assertEqual(len(reply), 3, reply)
        entry = reply[1]
        self.assertTrue(entry.startswith(" "), entry)  # RFC 3659 7.2
        fact_text, path = entry[1:].split(" ", 1)
        self.assertEqual(path, "/f.txt")
        mfacts = dict(x.split("=", 1) for x in fact_text.rstrip(";").split(";"))
        self.assertEqual(mfacts["type"], "file")
        self.assertEqual(mfacts["size"], str(len(HELLO)))
        self.assertEqual(mfacts["modify"], "20210203040506")
        reply = f.sendcmd("MLST sub")
        self.assertIn("type=dir", reply)
        self.assertCode(f, "MLST nope", 550)
        reply = self.transfer_reply(f, "MLSD f.txt")  # RFC 3659 7.2.1: directories only
        self.assertEqual(reply[0], "5", reply)

    def test_retr_stor_appe_dele(self):
        f = self.ftp()
        self.assertEqual(self.retr(f, "f.txt"), HELLO)
        self.assertEqual(self.retr(f, "sub/inner.txt"), INNER)
        body = os.urandom(70000)
        self.assertEqual(f.storbinary("STOR new.bin", io.BytesIO(body))[:3], "226")
        self.assertEqual(self.read("new.bin"), body)
        self.assertEqual(self.retr(f, "new.bin"), body)
        f.storbinary("STOR new.bin", io.BytesIO(b"replaced"))  # over an existing file
        self.assertEqual(self.read("new.bin"), b"replaced")
        self.assertEqual(f.storbinary("APPE new.bin", io.BytesIO(b" and appended"))[:3], "226")
        self.assertEqual(self.read("new.bin"), b"replaced and appended")
        f.storbinary("APPE fresh.txt", io.BytesIO(b"appended to nothing"))
        self.assertEqual(self.read("fresh.txt"), b"appended to nothing")
        self.assertEqual(f.delete("new.bin")[:3], "250")
        self.assertFalse(os.path.exists(self.p("new.bin")))
        self.assertCode(f, "DELE new.bin", 550)
        self.assertCode(f, "DELE sub", 550)  # a directory
        self.assertTrue(os.path.isdir(self.p("sub")))
        self.assertEqual(self.staged_files(), [])

    def test_names_with_spaces_and_utf8(self):
        f = self.ftp()
        self.assertCode(f, "OPTS UTF8 ON", 200)
        for name in ("with space.txt", "grüße ✓.txt"):  # ftplib sends UTF-8
            f.storbinary("STOR " + name, io.BytesIO(name.encode()))
            self.assertEqual(self.read(name), name.encode())
            self.assertEqual(self.retr(f, name), name.encode())
            self.assertIn(name, f.nlst())
        self.assertEqual(f.mkd("dir ü"), "/dir ü")
        self.assertTrue(os.path.isdir(self.p("dir ü")))

    def test_stou_names_the_file_in_the_150_reply(self):
        f = self.ftp()
        names = []
        for body in (b"first unique", b"second unique"):
            host, port = f.makepasv()
            conn = l7test.tcp_connect((host, port))
            reply = f.sendcmd("STOU")
            m = re.match(r"^150 FILE: (\S+)$", reply)  # RFC 1123 4.1.2.9
            self.assertIsNotNone(m, reply)
            conn.sendall(body)
            conn.close()
            self.assertEqual(f.voidresp()[:3], "226")
            names.append(m.group(1))
            self.assertEqual(self.read(m.group(1)), body)
        self.assertNotEqual(names[0], names[1])
        host, port = f.makepasv()
        conn = l7test.tcp_connect((host, port))
        m = re.match(r"^150 FILE: (\S+)$", f.sendcmd("STOU f.txt"))
        conn.sendall(b"not over f.txt")
        conn.close()
        f.voidresp()
        self.assertNotEqual(m.group(1), "f.txt")
        self.assertEqual(self.read(m.group(1)), b"not over f.txt")
        self.assertEqual(self.read("f.txt"), HELLO)

    def test_rest_resumes_a_download(self):
        f = self.ftp()
        self.assertEqual(self.retr(f, "data.bin", rest=40000), DATA[40000:])
        self.assertEqual(self.retr(f, "data.bin", rest=len(DATA)), b"")
        self.assertEqual(self.retr(f, "data.bin"), DATA)  # REST is used once

    def test_rest_then_stor_resumes_an_upload(self):
        f = self.ftp()
        tail = b"the new tail" * 100
        f.storbinary("STOR data.bin", io.BytesIO(tail), rest=40000)
        self.assertEqual(self.read("data.bin"), DATA[:40000] + tail)

    def test_rest_beyond_the_end_then_retr_is_554(self):
        f = self.ftp()
        self.assertCode(f, "REST %d" % (len(DATA) + 1), 350)
        with self.assertRaises(ftplib.error_perm) as e:
            f.transfercmd("RETR data.bin")
        self.assertTrue(str(e.exception).startswith("554"), e.exception)
        self.assertCode(f, "NOOP", 200)
        self.assertEqual(self.retr(f, "data.bin"), DATA)
        self.assertCode(f, "REST x", 501)

    def test_mkd_rmd(self):
        f = self.ftp()
        reply = self.assertCode(f, "MKD newdir", 257)
        self.assertTrue(reply.startswith('257 "/newdir"'), reply)
        self.assertTrue(os.path.isdir(self.p("newdir")))
        self.assertEqual(f.mkd("sub/deeper"), "/sub/deeper")
        self.assertTrue(os.path.isdir(self.p("sub/deeper")))
        # RFC 959 appendix II: a quote in the name is doubled in the 257 reply.
        reply = self.assertCode(f, 'MKD we"ird', 257)
        self.assertTrue(reply.startswith('257 "/we""ird"'), reply)
        self.assertTrue(os.path.isdir(self.p('we"ird')))
        self.assertCode(f, "MKD newdir", 550)  # exists
        self.assertCode(f, "RMD sub", 550)  # not empty
        self.assertTrue(os.path.isdir(self.p("sub")))
        self.assertCode(f, "RMD newdir", 250)
        self.assertFalse(os.path.exists(self.p("newdir")))
        self.assertCode(f, "RMD newdir", 550)
        self.assertCode(f, "RMD f.txt", 550)  # a file
        self.assertTrue(os.path.exists(self.p("f.txt")))

    def test_rnfr_rnto(self):
        f = self.ftp()
        self.assertCode(f, "RNFR f.txt", 350)
        self.assertCode(f, "RNTO sub/moved.txt", 250)
        self.assertFalse(os.path.exists(self.p("f.txt")))
        self.assertEqual(self.read("sub/moved.txt"), HELLO)
        f.rename("sub", "renamed_dir")  # a directory
        self.assertEqual(sorted(os.listdir(self.p("renamed_dir"))), ["inner.txt", "moved.txt"])
        self.assertCode(f, "RNTO anything", 503)  # without RNFR
        self.assertCode(f, "RNFR lf.txt", 350)
        self.assertCode(f, "NOOP", 200)
        self.assertCode(f, "RNTO late.txt", 503)  # RNTO must follow RNFR at once
        self.assertTrue(os.path.exists(self.p("lf.txt")))
        self.assertFalse(os.path.exists(self.p("late.txt")))
        self.assertCode(f, "RNFR missing", 550)

    def test_type_a_converts_line_ends(self):
        f = self.ftp()
        self.assertCode(f, "TYPE A", 200)
        conn = f.transfercmd("RETR lf.txt")
        wire = read_all(conn)
        f.voidresp()
        self.assertEqual(wire, LF_TEXT.replace(b"\n", b"\r\n"))
        lines = []
        f.retrlines("RETR lf.txt", lines.append)
        self.assertEqual(lines, LF_TEXT.decode().split("\n")[:-1])
        # An upload in TYPE A: CRLF on the wire, LF on disk.
        self.assertCode(f, "TYPE A", 200)
        conn = f.transfercmd("STOR ascii.txt")
        conn.sendall(b"one\r\ntwo\r\n\r\nthree\r\n")
        conn.close()
        f.voidresp()
        self.assertEqual(self.read("ascii.txt"), b"one\ntwo\n\nthree\n")
        f.storlines("STOR lines.txt", io.BytesIO(b"alpha\nbeta\n"))
        self.assertEqual(self.read("lines.txt"), b"alpha\nbeta\n")
        # TYPE I: the bytes as they are.
        self.assertCode(f, "TYPE I", 200)
        conn = f.transfercmd("RETR lf.txt")
        self.assertEqual(read_all(conn), LF_TEXT)
        f.voidresp()

    def test_size_and_mdtm(self):
        f = self.ftp()
        self.assertCode(f, "TYPE I", 200)
        self.assertEqual(self.assertCode(f, "SIZE data.bin", 213), "213 %d" % len(DATA))
        self.assertEqual(f.size("f.txt"), len(HELLO))
        self.assertEqual(self.assertCode(f, "MDTM f.txt", 213), "213 20210203040506")
        self.assertCode(f, "SIZE nope", 550)
        self.assertCode(f, "MDTM nope", 550)
        self.assertCode(f, "TYPE A", 200)
        self.assertCode(f, "SIZE data.bin", 550)  # l7 does not count ASCII sizes

    def test_type_mode_stru_parameters(self):
        f = self.ftp()
        self.assertCode(f, "TYPE E", 504)
        self.assertCode(f, "TYPE I", 200)
        self.assertCode(f, "MODE S", 200)
        self.assertCode(f, "MODE B", 504)
        self.assertCode(f, "STRU F", 200)
        self.assertCode(f, "STRU R", 504)
        self.assertEqual(self.retr(f, "data.bin"), DATA)  # still stream, file, image

    def test_port_pasv_eprt_epsv(self):
        f = self.ftp()
        # PASV (ftplib's default for IPv4).
        self.assertEqual(self.retr(f, "f.txt"), HELLO)
        # PORT.
        f.set_pasv(False)
        self.assertEqual(self.retr(f, "data.bin"), DATA)
        self.assertEqual(set(f.nlst()), self.VISIBLE)
        f.set_pasv(True)
        # EPRT (nlst left TYPE A behind).
        f.voidcmd("TYPE I")
        with socket.create_server(("127.0.0.1", 0)) as listener:
            listener.settimeout(IO_TIMEOUT)
            self.assertEqual(f.sendeprt("127.0.0.1", listener.getsockname()[1])[:3], "200")
            self.assertEqual(f.sendcmd("RETR f.txt")[:3], "150")
            conn, peer = listener.accept()
            self.assertEqual(peer[0], "127.0.0.1")
            self.assertEqual(read_all(conn), HELLO)
            self.assertEqual(f.voidresp()[:3], "226")
        # EPSV.
        reply = self.assertCode(f, "EPSV", 229)
        host, port = ftplib.parse229(reply, f.sock.getpeername())
        conn = l7test.tcp_connect((host, port))
        self.assertEqual(f.sendcmd("NLST sub")[:3], "150")
        self.assertIn(read_all(conn), (b"inner.txt\r\n", b"sub/inner.txt\r\n"))
        self.assertEqual(f.voidresp()[:3], "226")
        seen = " ".join(self.server.commands_seen())
        for verb in ("PASV", "PORT 127,0,0,1,", "EPRT |1|127.0.0.1|", "EPSV"):
            self.assertIn(verb, seen)
        # A data command without PORT/PASV: 425.
        self.assertCode(f, "RETR f.txt", 425)

    def test_abor_without_a_transfer(self):
        f = self.ftp()
        self.assertIn(f.abort()[:3], ("225", "226"))  # RFC 959 4.1.3, sent as urgent data
        self.assertCode(f, "NOOP", 200)
        address = f.makepasv()
        self.assertIn(f.abort()[:3], ("225", "226"))  # closes the passive listener
        l7test.wait_until(lambda: refuses(address), IO_TIMEOUT, interval=0.1,
                          what="the PASV port to close after ABOR")
        self.assertCode(f, "NOOP", 200)
        self.assertCode(f, "ABOR", 225)

    def test_abor_during_a_download(self):
        with open(self.p("sparse.bin"), "wb") as fh:
            fh.truncate(64 << 20)  # more than any socket buffers hold
        f = self.ftp()
        f.voidcmd("TYPE I")
        conn = f.transfercmd("RETR sparse.bin")
        data, eof = l7test.recv_until(conn, lambda d: len(d) >= 1000)
        self.assertFalse(eof)
        self.assertEqual(f.abort()[:3], "426")  # the transfer was cut
        conn.close()
        self.assertEqual(f.getresp()[:3], "226")  # then ABOR succeeded
        self.assertCode(f, "NOOP", 200)
        self.assertEqual(self.retr(f, "f.txt"), HELLO)

    def test_abor_during_an_upload_leaves_no_file(self):
        f = self.ftp()
        f.voidcmd("TYPE I")
        conn = f.transfercmd("STOR aborted.bin")
        conn.sendall(os.urandom(100000))
        l7test.wait_until(self.staged_files, IO_TIMEOUT, what="the upload's staging file")
        self.assertEqual(f.abort()[:3], "426")
        conn.close()
        self.assertEqual(f.getresp()[:3], "226")
        self.assertNoStagedFiles()
        self.assertFalse(os.path.exists(self.p("aborted.bin")))
        self.assertNotIn("aborted.bin", f.nlst())

    def test_xcwd_xpwd_xmkd_aliases_and_allo(self):
        f = self.ftp()
        self.assertCode(f, "XMKD xdir", 257)
        self.assertCode(f, "XCWD xdir", 250)
        self.assertTrue(self.assertCode(f, "XPWD", 257).startswith('257 "/xdir"'))
        self.assertCode(f, "XCUP", 250)
        self.assertCode(f, "XRMD xdir", 250)
        self.assertFalse(os.path.exists(self.p("xdir")))


# --- error paths and permissions ---------------------------------------------------------


class ErrorTest(FtpCase):
    def test_unknown_command_and_missing_arguments(self):
        f = self.ftp()
        self.assertCode(f, "FOO bar", 500)
        self.assertCode(f, "XYZZY", 500)
        for verb in ("RETR", "STOR", "CWD", "MKD", "RMD", "DELE", "RNFR", "SIZE", "MDTM",
                     "PORT", "EPRT"):
            self.assertCode(f, verb, 501)
        self.assertCode(f, "PORT 1,2,3", 501)
        self.assertCode(f, "NOOP", 200)

    def test_missing_files_are_550(self):
        f = self.ftp()
        with self.assertRaises(ftplib.error_perm) as e:
            self.retr(f, "missing.txt")
        self.assertTrue(str(e.exception).startswith("550"), e.exception)
        self.assertCode(f, "RETR sub", 550)  # a directory
        self.assertCode(f, "CWD f.txt", 550)
        self.assertCode(f, "LIST nowhere", 550)
        reply = send_cmd(f, "STOR nodir/x.txt")  # RFC 959: 550 or 553 (name not allowed)
        self.assertIn(reply[:3], ("550", "553"), reply)
        self.assertFalse(os.path.exists(self.p("nodir")))

    def test_anonymous_is_read_only(self):
        for name in ("anonymous", "ftp"):
            f = self.ftp(user=name, password="guest@example.org")
            self.assertEqual(self.retr(f, "f.txt"), HELLO)
            self.assertEqual(set(f.nlst()), self.VISIBLE)
            with self.assertRaises(ftplib.error_perm) as e:
                f.storbinary("STOR anon.txt", io.BytesIO(b"anonymous upload"))
            self.assertTrue(str(e.exception).startswith("550"), e.exception)
            for line in ("APPE f.txt", "STOU", "MKD anondir", "DELE f.txt", "RMD sub",
                         "RNFR f.txt"):
                self.assertEqual(send_cmd(f, line)[:3], "550", line)
            f.quit()
        self.assertFalse(os.path.exists(self.p("anon.txt")))
        self.assertFalse(os.path.exists(self.p("anondir")))
        self.assertEqual(self.read("f.txt"), HELLO)
        self.assertEqual(self.staged_files(), [])

    def test_anonymous_root_is_a_separate_tree(self):
        pub = os.path.join(self.dir, "pub")
        os.mkdir(pub)
        with open(os.path.join(pub, "readme.txt"), "wb") as fh:
            fh.write(b"public\n")
        server = self.start_server("--anonymous-root", pub)
        anon = self.ftp(user="anonymous", password="guest@", server=server)
        self.assertEqual(anon.nlst(), ["readme.txt"])
        self.assertEqual(self.retr(anon, "readme.txt"), b"public\n")
        self.assertEqual(send_cmd(anon, "RETR ../root/f.txt")[:3], "550")
        self.assertEqual(send_cmd(anon, "SIZE /f.txt")[:3], "550")
        alice = self.ftp(server=server)
        self.assertEqual(set(alice.nlst()), self.VISIBLE)

    def test_read_only_server_refuses_every_change(self):
        server = self.start_server("--read-only")
        f = self.ftp(server=server)
        self.assertEqual(self.retr(f, "f.txt"), HELLO)
        with self.assertRaises(ftplib.error_perm) as e:
            f.storbinary("STOR ro.txt", io.BytesIO(b"x"))
        self.assertTrue(str(e.exception).startswith("550"), e.exception)
        for line in ("MKD rodir", "DELE f.txt", "RMD sub", "RNFR f.txt"):
            self.assertEqual(send_cmd(f, line)[:3], "550", line)
        with self.assertRaises(ftplib.error_perm):
            f.storbinary("APPE f.txt", io.BytesIO(b"x"))
        self.assertFalse(os.path.exists(self.p("ro.txt")))
        self.assertEqual(self.read("f.txt"), HELLO)

    def test_port_and_eprt_to_another_address_are_refused(self):
        # RFC 2577 3: no data connection to an address other than the client's. 127.0.0.2
        # is another address of this host: a listener there tells whether l7 connected.
        c = self.control()
        c.login()
        with socket.create_server(("127.0.0.2", 0)) as listener:
            listener.setblocking(False)
            port = listener.getsockname()[1]
            commands = ["PORT 127,0,0,2,%d,%d" % (port >> 8, port & 255),
                        "EPRT |1|127.0.0.2|%d|" % port,
                        "PORT 10,0,0,1,4,1", "EPRT |1|10.0.0.1|1025|"]
            for line in commands:
                reply = c.cmd(line)
                self.assertEqual(reply[0], "5", "%s -> %r" % (line, reply))
                # Nothing was set up: a transfer now has no data connection.
                self.assertEqual(c.cmd("LIST")[:3], "425")
            with self.assertRaises(BlockingIOError):
                listener.accept()
        self.assertEqual(c.code("NOOP"), 200)

    def test_port_to_a_privileged_port_is_refused(self):
        c = self.control()
        c.login()
        for line in ("PORT 127,0,0,1,0,21", "PORT 127,0,0,1,3,255", "EPRT |1|127.0.0.1|80|"):
            reply = c.cmd(line)
            self.assertEqual(reply[0], "5", "%s -> %r" % (line, reply))
        self.assertEqual(c.cmd("LIST")[:3], "425")


# --- path confinement --------------------------------------------------------------------


class ConfinementTest(FtpCase):
    def test_dot_dot_stops_at_the_root(self):
        f = self.ftp()
        self.assertIn(send_cmd(f, "CWD ../../..")[:3], ("250", "550"))
        self.assertEqual(f.pwd(), "/")
        f.cwd("sub")
        send_cmd(f, "CWD ../../../..")
        self.assertEqual(f.pwd(), "/")
        self.assertEqual(set(f.nlst()), self.VISIBLE)

    def test_retr_dot_dot_etc_passwd_reads_inside_the_root_or_nothing(self):
        f = self.ftp()
        for path in ("../../etc/passwd", "/../../../etc/passwd", "sub/../../../etc/passwd"):
            try:
                got = self.retr(f, path)
            except ftplib.error_perm as e:
                self.assertTrue(str(e).startswith("550"), e)
                continue
            self.assertEqual(got, FAKE_PASSWD, path)  # the root's etc/passwd, never /etc's

    def test_absolute_paths_start_at_the_virtual_root(self):
        f = self.ftp()
        f.cwd("/sub")
        self.assertEqual(f.pwd(), "/sub")
        self.assertEqual(self.retr(f, "/f.txt"), HELLO)
        self.assertEqual(f.size("/sub/inner.txt"), len(INNER))
        self.assertEqual([n.rsplit("/", 1)[-1] for n in f.nlst("/etc")], ["passwd"])
        self.assertEqual(self.retr(f, "/etc/passwd"), FAKE_PASSWD)
        f.storbinary("STOR /sub/abs.txt", io.BytesIO(b"absolute"))
        self.assertEqual(self.read("sub/abs.txt"), b"absolute")
        f.cwd("/")
        self.assertEqual(f.pwd(), "/")

    def test_symbolic_links_outside_are_neither_listed_nor_readable(self):
        f = self.ftp()
        for listing in (f.nlst(), [n for n, _ in f.mlsd()]):
            for name in ("out_dir", "out_file", "etc_link"):
                self.assertNotIn(name, listing)
        lines = []
        f.retrlines("LIST", lines.append)
        self.assertFalse([l for l in lines if "out_" in l or "etc_link" in l], lines)
        for line in ("RETR out_file", "RETR out_dir/secret.txt", "RETR etc_link/hostname",
                     "CWD out_dir", "CWD etc_link", "SIZE out_file", "MDTM out_file",
                     "MLST out_file", "LIST out_dir", "NLST etc_link"):
            reply = send_cmd(f, line) if not line.startswith(("RETR", "LIST", "NLST")) \
                else self.transfer_reply(f, line)
            self.assertEqual(reply[:3], "550", "%s -> %r" % (line, reply))
        self.assertEqual(f.pwd(), "/")
        stat = f.sendcmd("STAT /")
        self.assertNotIn("out_", stat)

    def test_writes_through_links_outside_are_refused(self):
        f = self.ftp()
        for line in ("STOR out_file", "STOR out_dir/new.txt", "APPE out_file"):
            reply = self.transfer_reply(f, line, upload=b"overwritten")
            self.assertEqual(reply[0], "5", "%s -> %r" % (line, reply))
        for line in ("MKD out_dir/newdir", "DELE out_dir/secret.txt"):
            reply = send_cmd(f, line)
            self.assertEqual(reply[0], "5", "%s -> %r" % (line, reply))
        self.assertCode(f, "RNFR f.txt", 350)
        self.assertEqual(send_cmd(f, "RNTO out_dir/stolen.txt")[0], "5")
        with open(os.path.join(self.outside, "secret.txt"), "rb") as fh:
            self.assertEqual(fh.read(), SECRET)
        self.assertEqual(os.listdir(self.outside), ["secret.txt"])
        self.assertEqual(self.read("f.txt"), HELLO)

    def test_symbolic_links_inside_work(self):
        f = self.ftp()
        self.assertEqual(self.retr(f, "in_file"), HELLO)
        self.assertEqual(self.retr(f, "in_dir/inner.txt"), INNER)
        self.assertEqual([n.rsplit("/", 1)[-1] for n in f.nlst("in_dir")], ["inner.txt"])
        f.cwd("in_dir")
        self.assertEqual(f.nlst(), ["inner.txt"])
        facts = dict(f.mlsd("/"))
        self.assertEqual(facts["in_dir"]["type"], "dir")
        self.assertEqual(facts["in_file"]["size"], str(len(HELLO)))


# --- bad clients -------------------------------------------------------------------------


class BadClientTest(FtpCase):
    def test_pasv_nobody_connects_to_then_abor(self):
        c = self.control()
        c.login()
        reply = c.cmd("PASV")
        self.assertEqual(reply[:3], "227")
        c.send("RETR f.txt")  # the server now waits for a data connection that never comes
        c.send("ABOR")
        replies = [c.reply()[:3], c.reply()[:3]]
        self.assertEqual(replies[0][0], "4", replies)  # 425/426: no transfer
        self.assertEqual(replies[1], "226", replies)
        self.assertEqual(c.code("NOOP"), 200)
        data = c.passive()
        self.assertEqual(c.cmd("RETR f.txt")[:3], "150")
        self.assertEqual(read_all(data), HELLO)
        self.assertEqual(c.reply()[:3], "226")

    def test_pasv_nobody_connects_to_until_the_deadline(self):
        # The slow one: l7 gives up on a data connection after a fixed 30 s.
        c = self.control()
        c.login()
        address = ftplib.parse227(c.cmd("PASV"))
        c.send("RETR f.txt")
        self.assertEqual(c.reply(timeout=60)[:3], "425")
        self.assertEqual(c.code("NOOP"), 200)
        self.assertTrue(refuses(address))
        self.assertEqual(c.cmd("RETR f.txt")[:3], "425")  # the PASV was used up

    def test_abor_with_telnet_synch_during_a_download(self):
        # RFC 959 4.1.3, as BSD ftp and tnftp do it: Telnet IP, then the Synch (IAC as urgent
        # data, then DM), then ABOR; the server answers 426 for the transfer, then 226.
        with open(self.p("sparse.bin"), "wb") as fh:
            fh.truncate(64 << 20)
        c = self.control()
        c.login()
        self.assertEqual(c.code("TYPE I"), 200)
        data = c.passive()
        self.assertEqual(c.cmd("RETR sparse.bin")[:3], "150")
        got, eof = l7test.recv_until(data, lambda d: len(d) >= 1000)
        self.assertFalse(eof)
        c.sock.send(b"\xff\xf4\xff", socket.MSG_OOB)
        c.send(b"\xf2ABOR\r\n")
        self.assertEqual(c.reply()[:3], "426")
        self.assertEqual(c.reply()[:3], "226")
        data.close()
        self.assertEqual(c.code("NOOP"), 200)

    def test_a_second_pasv_closes_the_first_listener(self):
        c = self.control()
        c.login()
        first = ftplib.parse227(c.cmd("PASV"))
        second = ftplib.parse227(c.cmd("PASV"))
        self.assertNotEqual(first, second)
        l7test.wait_until(lambda: refuses(first), IO_TIMEOUT, interval=0.1,
                          what="the first PASV port to close")
        data = l7test.tcp_connect(second)
        self.assertEqual(c.cmd("NLST sub")[:3], "150")
        self.assertIn(read_all(data), (b"inner.txt\r\n", b"sub/inner.txt\r\n"))
        self.assertEqual(c.reply()[:3], "226")

    def cut_upload(self, name):
        """STOR NAME, some bytes, then control and data connections reset."""
        f = ftplib.FTP(timeout=IO_TIMEOUT)
        f.connect("127.0.0.1", self.server.port)
        f.login(USER, PASSWORD)
        f.voidcmd("TYPE I")
        conn = f.transfercmd("STOR " + name)
        conn.sendall(os.urandom(300000))
        l7test.wait_until(self.staged_files, IO_TIMEOUT, what="the upload's staging file")
        reset_close(conn)
        reset_close(f.sock)
        f.file.close()

    def test_an_upload_cut_off_leaves_no_file(self):
        self.cut_upload("cut.bin")
        self.assertNoStagedFiles()
        self.assertFalse(os.path.exists(self.p("cut.bin")))
        f = self.ftp()
        self.assertNotIn("cut.bin", f.nlst())
        self.assertEqual(self.retr(f, "f.txt"), HELLO)

    def test_an_upload_cut_off_keeps_the_old_file(self):
        self.cut_upload("data.bin")
        self.assertNoStagedFiles()
        self.assertEqual(self.read("data.bin"), DATA)

    def test_an_upload_whose_data_connection_is_reset_is_not_stored(self):
        f = self.ftp()
        f.voidcmd("TYPE I")
        conn = f.transfercmd("STOR reset.bin")
        conn.sendall(os.urandom(200000))
        l7test.wait_until(self.staged_files, IO_TIMEOUT, what="the upload's staging file")
        reset_close(conn)  # a reset is not an end of file: RFC 959 3.4.1 needs a close
        with self.assertRaises(ftplib.error_temp) as e:
            f.getresp()
        self.assertTrue(str(e.exception).startswith("426"), e.exception)
        self.assertNoStagedFiles()
        self.assertFalse(os.path.exists(self.p("reset.bin")))
        self.assertCode(f, "NOOP", 200)

    def test_an_over_long_command_line(self):
        c = self.control()
        c.login()
        c.send(b"NOOP " + b"a" * 20000 + b"\r\n")
        self.assertEqual(c.reply()[:3], "500")
        c.send(b"RETR " + b"b" * 300000 + b"\r\n")  # longer than the server buffers
        self.assertEqual(c.reply()[:3], "500")
        self.assertEqual(c.code("NOOP"), 200)  # exactly one reply per line; the session goes on
        self.assertEqual(c.cmd("PWD"), '257 "/" is the current directory')

    def test_binary_garbage_and_telnet_iac(self):
        c = self.control()
        for garbage in (b"\x00\x01\x02\xfe garbage \xc3\x28\r\n", b"\r\n", b"\x80\x81\x82\n",
                        os.urandom(300).replace(b"\n", b"") + b"\r\n"):
            c.send(garbage)
            self.assertEqual(c.reply()[0], "5", garbage)
        c.login()
        # Telnet IP, DM, WILL ECHO, IAC IAC: Telnet commands are stripped (RFC 959 4.1.3).
        c.send(b"\xff\xf4\xff\xf2NOOP\r\n")
        self.assertEqual(c.reply()[:3], "200")
        c.send(b"\xff\xfb\x01PWD\r\n")
        self.assertEqual(c.reply()[:3], "257")
        c.send(b"NOOP\n")  # a bare LF ends a line too
        self.assertEqual(c.reply()[:3], "200")
        # RFC 959 4.1.3's Synch as BSD ftp and tnftp send it: IAC IP IAC urgent, then DM.
        c.sock.send(b"\xff\xf4\xff", socket.MSG_OOB)
        c.send(b"\xf2NOOP\r\n")
        self.assertEqual(c.reply()[:3], "200")
        self.assertEqual(c.cmd("QUIT")[:3], "221")
        self.assertEqual(c.expect_eof(), b"")


# --- third-party clients -----------------------------------------------------------------


class ClientProgramCase(FtpCase):
    def run_tool(self, argv, input=None, cwd=None):
        try:
            cp = subprocess.run(argv, input=input, capture_output=True, timeout=TOOL_TIMEOUT,
                                cwd=cwd or self.local, stdin=None if input is not None
                                else subprocess.DEVNULL, env=dict(os.environ, HOME=self.dir))
        except subprocess.TimeoutExpired as e:
            raise AssertionError("%s did not finish within %.0f s: %r\n%s"
                                 % (argv[0], TOOL_TIMEOUT, e.stderr, self.server.describe()))
        return cp

    def url(self, path=""):
        return "ftp://127.0.0.1:%d/%s" % (self.server.port, path)


@unittest.skipUnless(CURL, "curl not installed")
class CurlTest(ClientProgramCase):
    def curl(self, *args, ok=True):
        cp = self.run_tool([CURL, "-sS", "--max-time", "30", "-u", "%s:%s" % (USER, PASSWORD)]
                           + list(args))
        if ok:
            self.assertEqual(cp.returncode, 0, "curl %s: %r\n%s"
                             % (" ".join(args), cp.stderr, self.server.describe()))
        return cp

    def local_file(self, name, data):
        path = os.path.join(self.local, name)
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    def test_listing(self):
        out = self.curl(self.url("sub/")).stdout.decode()
        self.assertTrue(out.rstrip("\r\n").endswith(" inner.txt"), out)
        out = self.curl(self.url()).stdout.decode()
        self.assertEqual({l.split()[-1] for l in out.splitlines()}, self.VISIBLE)
        out = self.curl("--list-only", self.url()).stdout.decode()
        self.assertEqual(set(out.split()), self.VISIBLE)

    def test_anonymous_listing_and_refused_upload(self):
        cp = self.run_tool([CURL, "-sS", "--max-time", "30", self.url()])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn(" f.txt", cp.stdout.decode())
        cp = self.run_tool([CURL, "-sS", "--max-time", "30", "-T",
                            self.local_file("anon.txt", b"x"), self.url()])
        self.assertNotEqual(cp.returncode, 0)
        self.assertFalse(os.path.exists(self.p("anon.txt")))

    def test_download_and_upload(self):
        out = os.path.join(self.local, "got.bin")
        self.curl("-o", out, self.url("data.bin"))
        with open(out, "rb") as fh:
            self.assertEqual(fh.read(), DATA)
        body = os.urandom(150000)
        self.curl("-T", self.local_file("up.bin", body), self.url("sub/"))
        self.assertEqual(self.read("sub/up.bin"), body)
        self.assertIn("EPSV", self.server.commands_seen())

    def test_active_mode(self):
        out = os.path.join(self.local, "active.bin")
        self.curl("-P", "127.0.0.1", "-o", out, self.url("data.bin"))
        with open(out, "rb") as fh:
            self.assertEqual(fh.read(), DATA)
        self.assertTrue([c for c in self.server.commands_seen() if c.startswith("EPRT ")])
        self.curl("-P", "127.0.0.1", "--disable-eprt", "-o", out, self.url("f.txt"))
        with open(out, "rb") as fh:
            self.assertEqual(fh.read(), HELLO)
        self.assertTrue([c for c in self.server.commands_seen() if c.startswith("PORT ")])

    def test_pasv(self):
        out = os.path.join(self.local, "pasv.bin")
        self.curl("--disable-epsv", "-o", out, self.url("data.bin"))
        with open(out, "rb") as fh:
            self.assertEqual(fh.read(), DATA)
        seen = self.server.commands_seen()
        self.assertIn("PASV", seen)
        self.assertNotIn("EPSV", seen)

    def test_resumed_download(self):
        out = self.local_file("partial.bin", DATA[:30000])
        self.curl("-C", "-", "-o", out, self.url("data.bin"))
        with open(out, "rb") as fh:
            self.assertEqual(fh.read(), DATA)
        self.assertIn("REST 30000", self.server.commands_seen())

    def test_resumed_upload(self):
        body = os.urandom(120000)
        self.write("resume.bin", body[:50000])
        self.curl("-C", "-", "-T", self.local_file("resume.bin", body), self.url())
        self.assertEqual(self.read("resume.bin"), body)
        seen = self.server.commands_seen()
        self.assertTrue("APPE resume.bin" in seen or "REST 50000" in seen, seen)

    def test_create_dirs(self):
        body = b"deep file\n"
        self.curl("--ftp-create-dirs", "-T", self.local_file("deep.txt", body),
                  self.url("new1/new2/deep.txt"))
        self.assertEqual(self.read("new1/new2/deep.txt"), body)

    def test_quote_dele(self):
        self.curl("-Q", "DELE lf.txt", self.url())
        self.assertFalse(os.path.exists(self.p("lf.txt")))
        cp = self.curl("-Q", "DELE lf.txt", self.url(), ok=False)
        self.assertEqual(cp.returncode, 21, cp.stderr)  # CURLE_QUOTE_ERROR: the 550


@unittest.skipUnless(LFTP, "lftp not installed")
def make_tree(base):
    """A small tree for mirroring: text, binary, an empty file and an empty directory."""
    files = {"a.txt": b"alpha\n", "empty": b"", "sub1/b.bin": os.urandom(100000),
             "sub1/sub2/c.txt": b"gamma\r\nwith CRLF\r\n", "sub1/sub2/d": b"\x00\xff" * 10}
    for rel, data in files.items():
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
    os.makedirs(os.path.join(base, "emptydir"))


class LftpTest(ClientProgramCase):
    def lftp(self, commands):
        script = ("set cmd:fail-exit yes; set ftp:ssl-allow no; set net:max-retries 1; "
                  "set net:timeout 10; set net:reconnect-interval-base 1; "
                  "open -u %s,%s -p %d 127.0.0.1; %s; bye"
                  % (USER, PASSWORD.replace(" ", "\\ "), self.server.port, commands))
        cp = self.run_tool([LFTP, "-c", script])
        self.assertEqual(cp.returncode, 0, "lftp %s: %r %r\n%s"
                         % (commands, cp.stdout, cp.stderr, self.server.describe()))
        return cp

    def make_tree(self, base):
        make_tree(base)

    def test_mirror_down(self):
        src = self.p("tree")
        self.make_tree(src)
        down = os.path.join(self.local, "down")
        self.lftp("mirror /tree %s" % down)
        self.assertEqual(tree(down), tree(src))

    def test_mirror_up(self):
        src = os.path.join(self.local, "up")
        self.make_tree(src)
        self.lftp("mirror -R %s /uptree" % src)
        self.assertEqual(tree(self.p("uptree")), tree(src))
        self.assertEqual(self.staged_files(), [])


@unittest.skipUnless(TNFTP, "tnftp not installed")
class TnftpTest(ClientProgramCase):
    def test_batch_session(self):
        script = "user %s %s\nbinary\nls\nget data.bin out.bin\nput up.txt sub/up.txt\nquit\n" \
                 % (USER, PASSWORD.replace(" ", "\\ "))
        with open(os.path.join(self.local, "up.txt"), "wb") as fh:
            fh.write(b"from tnftp\n")
        cp = self.run_tool([TNFTP, "-n", "127.0.0.1", str(self.server.port)],
                           input=script.encode())
        out = cp.stdout.decode("utf-8", "replace")
        self.assertEqual(cp.returncode, 0, out + cp.stderr.decode("utf-8", "replace"))
        self.assertIn("lf.txt", out)  # the listing
        with open(os.path.join(self.local, "out.bin"), "rb") as fh:
            self.assertEqual(fh.read(), DATA)
        self.assertEqual(self.read("sub/up.txt"), b"from tnftp\n")


class BigFileTest(FtpCase):
    SIZE = 20 << 20

    def test_20_mb_down_and_up(self):
        big = self.p("big.bin")
        with open(big, "wb") as fh:
            for _ in range(self.SIZE >> 20):
                fh.write(os.urandom(1 << 20))
        want = sha256_file(big)
        f = self.ftp()
        h = hashlib.sha256()
        n = [0]

        def take(block):
            h.update(block)
            n[0] += len(block)

        f.retrbinary("RETR big.bin", take, blocksize=1 << 16)  # TYPE I: sendfile
        self.assertEqual(n[0], self.SIZE)
        self.assertEqual(h.hexdigest(), want)
        with open(big, "rb") as fh:
            self.assertEqual(f.storbinary("STOR big-up.bin", fh, blocksize=1 << 16)[:3], "226")
        self.assertEqual(sha256_file(self.p("big-up.bin")), want)
        self.assertEqual(self.staged_files(), [])
        # A resumed download from the middle.
        h = hashlib.sha256()
        n[0] = 0
        f.retrbinary("RETR big.bin", take, rest=self.SIZE - 12345)
        self.assertEqual(n[0], 12345)
        with open(big, "rb") as fh:
            fh.seek(self.SIZE - 12345)
            self.assertEqual(h.hexdigest(), hashlib.sha256(fh.read()).hexdigest())


if __name__ == "__main__":
    l7test.main()
