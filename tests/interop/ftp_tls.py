#!/usr/bin/python3
"""`l7 ftp serve` with AUTH TLS (RFC 4217, FTP over TLS) driven by real third-party clients:

  * Python's ftplib.FTP_TLS with an ssl context that trusts only the certificate made by
    `l7 tls cert` (hostname checked against its IP and DNS subjectAltNames): AUTH, login,
    PBSZ/PROT P, NLST and MLSD, a 1 MB download by SHA-256, an upload, a resumed download,
    passive and active data connections, PROT C after PROT P; the data connections really
    are TLS (a TLS version on the socket, a close_notify at the end of a download, and a
    plaintext data connection under PROT P gets none of the file);
  * the command order rules of RFC 4217 (AUTH twice, PBSZ before AUTH, PROT before PBSZ,
    PROT S/E/X, the aliases AUTH SSL, TLS-C and TLS-P, AUTH forgetting a login);
  * curl --ssl-reqd (listing, download, upload, active mode, resumed download) and lftp with
    ftp:ssl-force and ftp:ssl-protect-data (mirror down and mirror -R up, byte for byte);
  * --tls-required with ftplib.FTP in clear and FTP_TLS (530, 534, 521; anonymous still
    lists in clear);
  * raw sockets: plaintext commands behind the AUTH line are dropped (the command injection
    of CVE-2011-0411, here for AUTH TLS), garbage instead of a handshake closes only that
    connection, a data connection whose handshake is cut off;
  * without a certificate AUTH TLS is 502 and FEAT does not offer it; the usage errors of the
    --tls-* options (exit 2, one line naming the option or file);
  * a client trusting a different certificate, or checking another name, refuses the server.

Everything listens on 127.0.0.1 (l7 on an ephemeral port); each test has its own server,
certificate and temporary directories. A test whose client program is missing is skipped;
curl's active mode is skipped for curl 7.87-7.88 (their own FTPS bug). FtpServer and
Control come from ftp_server.py. One expected failure: the server's TLS 1.3 session tickets
on data connections, which make curl < 8.9 cut uploads short. About 15 s in all."""

import ftplib
import hashlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import unittest

import l7test
from l7test import IO_TIMEOUT
from ftp_server import FtpServer, FtpHelpers, close_ftp, make_tree, sha256_file, tree

USER, PASSWORD = "alice", "s3cret pass"
TOOL_TIMEOUT = 60.0  # for one run of curl or lftp

CURL = shutil.which("curl")
LFTP = shutil.which("lftp")


def curl_version():
    """(major, minor) of the installed curl, or None."""
    if not CURL:
        return None
    try:
        out = subprocess.run([CURL, "--version"], capture_output=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.match(rb"curl (\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


# libcurl 7.87 and 7.88 fail active mode under TLS ("sa_addr inet_ntop() failed", then a
# timeout): curl issue #10666, fixed in 8.0.
CURL_BROKEN_ACTIVE_FTPS = curl_version() in ((7, 87), (7, 88))

HELLO = b"hello over tls\n"
SMALL = bytes(range(256)) * 300  # 76800 bytes
BIG_SIZE = 1 << 20


def make_cert(directory, stem, names=("localhost", "127.0.0.1")):
    """`l7 tls cert` into DIRECTORY/STEM.pem and DIRECTORY/STEM.key; returns (cert, key)."""
    cert = os.path.join(directory, stem + ".pem")
    key = os.path.join(directory, stem + ".key")
    args = ["tls", "cert", "--cert", cert, "--key", key]
    for n in names:
        args += ["--name", n]
    cp = l7test.run_l7(args, timeout=30)
    assert cp.returncode == 0, "l7 %s: %r" % (" ".join(args), cp.stderr)
    return cert, key


def client_context(cafile):
    """A client context that trusts only `cafile` and checks the server's name."""
    ctx = ssl.create_default_context(cafile=cafile)
    assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
    return ctx


def start_tls(control, ctx, server_hostname="127.0.0.1"):
    """AUTH TLS on a raw Control, then the handshake; the Control then reads and writes
    through TLS (its buffer must be empty: nothing may follow the 234 in clear)."""
    reply = control.cmd("AUTH TLS")
    assert reply.startswith("234"), reply
    assert control.buf == b"", control.buf
    control.sock = ctx.wrap_socket(control.sock, server_hostname=server_hostname)
    return control


class TlsCase(FtpHelpers, l7test.TestCase):
    """A root with a few files, a certificate, and an l7 FTP server offering AUTH TLS."""

    SERVER_ARGS = ()

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="l7-ftptls-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.root = os.path.join(self.dir, "root")
        self.local = os.path.join(self.dir, "local")  # the clients' side
        os.mkdir(self.root)
        os.mkdir(self.local)
        os.mkdir(self.p("sub"))
        self.write("hello.txt", HELLO)
        self.write("small.bin", SMALL)
        self.big = os.urandom(BIG_SIZE)
        self.write("big.bin", self.big)
        self.cert, self.key = make_cert(self.dir, "server")
        self.ctx = client_context(self.cert)
        self.server = self.start_server(*self.SERVER_ARGS)

    def start_server(self, *extra, tls=True):
        args = ["--root", self.root, "--user", "%s:%s" % (USER, PASSWORD), "--anonymous"]
        if tls:
            args += ["--tls-cert", self.cert, "--tls-key", self.key]
        s = FtpServer(args + list(extra))
        self._procs.append(s)
        return s


    def ftps(self, login=True, prot_p=True, ctx=None, server=None):
        """An ftplib.FTP_TLS session: AUTH TLS, then (by default) login and PROT P."""
        f = ftplib.FTP_TLS(context=ctx or self.ctx, timeout=IO_TIMEOUT)
        self.addCleanup(close_ftp, f)
        f.connect("127.0.0.1", (server or self.server).port)
        if login:
            self.assertEqual(f.auth()[:3], "234")
            self.assertEqual(f.login(USER, PASSWORD)[:3], "230")
            if prot_p:
                self.assertEqual(f.prot_p()[:3], "200")
        return f

    def plain(self, server=None):
        f = ftplib.FTP(timeout=IO_TIMEOUT)
        self.addCleanup(close_ftp, f)
        f.connect("127.0.0.1", (server or self.server).port)
        return f


    def local_file(self, name, data):
        path = os.path.join(self.local, name)
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    def store(self, f, name, data):
        """STOR of `data` (written to a local file first) through ftplib: must end in 226."""
        with open(self.local_file(os.path.basename(name), data), "rb") as fh:
            self.assertEqual(f.storbinary("STOR " + name, fh)[:3], "226")

    def assertServerAlive(self):
        self.assertTrue(self.server.running(), "the server died:\n" + self.server.describe())

    def tearDown(self):
        try:
            self.assertServerAlive()
        finally:
            super().tearDown()


# --- ftplib ------------------------------------------------------------------------------


class FtplibTest(TlsCase):
    def test_feat_offers_auth_tls_pbsz_prot(self):
        feat = self.plain().sendcmd("FEAT")
        lines = feat.splitlines()
        for want in (" AUTH TLS", " PBSZ", " PROT"):
            self.assertIn(want, lines, feat)

    def test_session_over_tls(self):
        f = self.ftps()
        self.assertIsInstance(f.sock, ssl.SSLSocket)
        self.assertIn("TLS handshake done", self.server.stderr())
        self.assertEqual(set(f.nlst()), {"hello.txt", "small.bin", "big.bin", "sub"})
        facts = dict(f.mlsd())
        self.assertEqual(facts["big.bin"]["type"], "file")
        self.assertEqual(int(facts["big.bin"]["size"]), BIG_SIZE)
        self.assertEqual(facts["sub"]["type"], "dir")
        # A 1 MB download, compared by SHA-256.
        h = hashlib.sha256()
        n = [0]

        def take(block):
            h.update(block)
            n[0] += len(block)

        f.retrbinary("RETR big.bin", take, blocksize=1 << 16)
        self.assertEqual(n[0], BIG_SIZE)
        self.assertEqual(h.hexdigest(), hashlib.sha256(self.big).hexdigest())
        # An upload: the bytes on disk.
        body = os.urandom(300000)
        self.store(f, "sub/up.bin", body)
        self.assertEqual(self.read("sub/up.bin"), body)
        # A resumed download (REST).
        self.assertEqual(self.retr(f, "big.bin", rest=BIG_SIZE - 54321), self.big[-54321:])
        self.assertEqual(f.quit()[:3], "221")
        seen = self.server.commands_seen()
        for cmd in ("AUTH TLS", "PBSZ 0", "PROT P", "REST %d" % (BIG_SIZE - 54321)):
            self.assertIn(cmd, seen)

    def test_data_connections_are_tls(self):
        f = self.ftps()
        f.voidcmd("TYPE I")
        conn = f.transfercmd("RETR hello.txt")
        try:
            self.assertIsInstance(conn, ssl.SSLSocket)
            self.assertTrue(conn.version().startswith("TLS"), conn.version())
            data = l7test.recv_to_eof(conn)
        finally:
            conn.close()
        self.assertEqual(data, HELLO)
        self.assertEqual(f.voidresp()[:3], "226")

    def test_a_download_ends_with_close_notify(self):
        # With suppress_ragged_eofs off, a TCP end without TLS close_notify raises SSLEOFError;
        # recv returning b"" means the server closed the TLS session properly.
        f = self.ftps()
        f.voidcmd("TYPE I")
        host, port = ftplib.parse227(f.sendcmd("PASV"))
        raw = l7test.tcp_connect((host, port))
        try:
            self.assertEqual(f.sendcmd("RETR small.bin")[:3], "150")
            conn = self.ctx.wrap_socket(raw, server_hostname="127.0.0.1",
                                        suppress_ragged_eofs=False)
            raw = conn
            data = b""
            deadline = l7test.Deadline(IO_TIMEOUT)
            while not deadline.expired():
                chunk = conn.recv(65536)  # the socket's own timeout bounds each call
                if not chunk:
                    break
                data += chunk
            self.assertEqual(data, SMALL)
            conn.unwrap()
        finally:
            raw.close()
        self.assertEqual(f.voidresp()[:3], "226")

    # An uploading client never reads what the server sends on the data connection: a TLS 1.3
    # session ticket left unread there makes its close a RST, which throws away the end of
    # the upload (curl before 8.9, issues #6149 and #13556: 426 in 4 of 6 uploads of 1 MB).
    # The server sends no tickets on data connections (clients resume the control
    # connection's session); Python's client shows it deterministically.
    def test_no_session_tickets_on_data_connections(self):
        f = self.ftps()
        self.assertTrue(f.sock.session.has_ticket)  # the control connection's are useful
        f.voidcmd("TYPE I")
        conn = f.transfercmd("RETR small.bin")
        try:
            self.assertEqual(l7test.recv_to_eof(conn), SMALL)
            self.assertEqual(conn.version(), "TLSv1.3")
            ticket = conn.session.has_ticket
            conn.unwrap()
        finally:
            conn.close()
        self.assertEqual(f.voidresp()[:3], "226")
        self.assertFalse(ticket, "the server sent a session ticket on the data connection")

    def test_plaintext_data_connection_under_prot_p_gets_no_file_bytes(self):
        c = start_tls(self.control(), self.ctx)
        c.login(USER, PASSWORD)
        self.assertEqual(c.code("PBSZ 0"), 200)
        self.assertEqual(c.code("PROT P"), 200)
        self.assertEqual(c.code("TYPE I"), 200)
        data_sock = c.passive()
        try:
            c.send("RETR hello.txt")
            self.assertTrue(c.reply().startswith("150"))
            # Not a ClientHello: the server's handshake must fail, not fall back to clear.
            data_sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
            got = l7test.recv_to_eof(data_sock)
        finally:
            data_sock.close()
        self.assertNotIn(HELLO, got)
        final = c.reply()
        self.assertRegex(final, r"^4\d\d", final)
        self.assertEqual(c.code("NOOP"), 200)  # the control connection goes on

    def test_active_mode(self):
        f = self.ftps()
        f.set_pasv(False)
        self.assertEqual(self.retr(f, "small.bin"), SMALL)
        body = os.urandom(70000)
        self.store(f, "active.bin", body)
        self.assertEqual(self.read("active.bin"), body)
        self.assertEqual(self.retr(f, "big.bin", rest=1000), self.big[1000:])
        seen = self.server.commands_seen()
        self.assertTrue([c for c in seen if c.startswith(("PORT ", "EPRT "))], seen)
        self.assertFalse([c for c in seen if c in ("PASV", "EPSV")], seen)

    def test_prot_c_after_prot_p(self):
        f = self.ftps()
        self.assertEqual(self.retr(f, "hello.txt"), HELLO)
        self.assertEqual(f.prot_c()[:3], "200")
        f.voidcmd("TYPE I")
        conn = f.transfercmd("RETR small.bin")
        try:
            self.assertNotIsInstance(conn, ssl.SSLSocket)
            data = l7test.recv_to_eof(conn)
        finally:
            conn.close()
        self.assertEqual(data, SMALL)  # in clear, as asked
        self.assertEqual(f.voidresp()[:3], "226")
        self.assertEqual(f.prot_p()[:3], "200")
        self.assertEqual(self.retr(f, "small.bin"), SMALL)

    def test_command_order(self):
        # RFC 2228 as RFC 4217 uses it: PBSZ only after AUTH, PROT only after PBSZ.
        f = self.plain()
        self.assertCode(f, "PBSZ 0", 503)
        f = self.ftps(login=False)
        self.assertEqual(f.auth()[:3], "234")
        self.assertCode(f, "AUTH TLS", 503)  # already under TLS
        self.assertEqual(f.login(USER, PASSWORD)[:3], "230")
        self.assertCode(f, "PROT P", 503)  # before PBSZ
        self.assertEqual(self.assertCode(f, "PBSZ 0", 200), "200 PBSZ=0")
        self.assertCode(f, "PROT S", 536)
        self.assertCode(f, "PROT E", 536)
        self.assertCode(f, "PROT X", 504)
        self.assertCode(f, "PROT C", 200)
        self.assertEqual(f.prot_p()[:3], "200")  # through ftplib, which then wraps data
        self.assertCode(f, "AUTH TLS", 503)
        self.assertEqual(self.retr(f, "hello.txt"), HELLO)

    def test_auth_aliases(self):
        for mech in ("TLS", "SSL", "TLS-C", "TLS-P", "tls"):
            c = self.control()
            reply = c.cmd("AUTH " + mech)
            self.assertTrue(reply.startswith("234"), "AUTH %s -> %r" % (mech, reply))
            c.sock = self.ctx.wrap_socket(c.sock, server_hostname="127.0.0.1")
            c.login(USER, PASSWORD)
            self.assertEqual(c.code("QUIT"), 221)

    def test_auth_forgets_an_earlier_login(self):
        f = self.ftps(login=False)
        self.assertEqual(f.login(USER, PASSWORD, secure=False)[:3], "230")  # in clear
        self.assertEqual(f.auth()[:3], "234")
        self.assertCode(f, "PWD", 530)
        self.assertEqual(f.login(USER, PASSWORD)[:3], "230")
        self.assertCode(f, "PWD", 257)


# --- certificates ------------------------------------------------------------------------


class CertificateTest(TlsCase):
    def test_a_client_trusting_another_certificate_refuses(self):
        other, _ = make_cert(self.dir, "other")
        f = ftplib.FTP_TLS(context=client_context(other), timeout=IO_TIMEOUT)
        self.addCleanup(close_ftp, f)
        f.connect("127.0.0.1", self.server.port)
        with self.assertRaises(ssl.SSLCertVerificationError):
            f.auth()
        # The server goes on.
        self.assertEqual(self.retr(self.ftps(), "hello.txt"), HELLO)

    def test_the_name_is_checked(self):
        # DNS name "localhost" is in the certificate; "example.com" is not.
        c = start_tls(self.control(), self.ctx, server_hostname="localhost")
        c.login(USER, PASSWORD)
        self.assertEqual(c.sock.getpeercert()["subjectAltName"],
                         (("DNS", "localhost"), ("IP Address", "127.0.0.1")))
        c2 = self.control()
        self.assertTrue(c2.cmd("AUTH TLS").startswith("234"))
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.ctx.wrap_socket(c2.sock, server_hostname="example.com")


# --- policy: --tls-required --------------------------------------------------------------


class RequiredTest(TlsCase):
    SERVER_ARGS = ("--tls-required",)

    def test_user_before_auth_is_530(self):
        f = self.plain()
        self.assertCode(f, "USER " + USER, 530)
        self.assertCode(f, "PASS " + PASSWORD, 503)  # no USER accepted
        # FTP_TLS, after AUTH, logs in.
        self.assertEqual(self.ftps().pwd(), "/")

    def test_anonymous_lists_in_clear(self):
        f = self.plain()
        self.assertEqual(f.login("anonymous", "guest@example.org")[:3], "230")
        self.assertIn("hello.txt", f.nlst())
        self.assertEqual(self.retr(f, "hello.txt"), HELLO)

    def test_transfers_need_prot_p(self):
        f = self.ftps(prot_p=False)
        self.assertCode(f, "PBSZ 0", 200)
        self.assertCode(f, "PROT C", 534)
        # Without PROT P (the default is C), every transfer is refused with 521.
        for cmd in ("LIST", "NLST", "RETR hello.txt", "STOR refused.txt"):
            with self.assertRaises(ftplib.error_perm) as ctx:
                conn = f.transfercmd(cmd)
                conn.close()
            self.assertEqual(str(ctx.exception)[:3], "521", cmd)
        self.assertFalse(os.path.exists(self.p("refused.txt")))
        self.assertEqual(f.prot_p()[:3], "200")
        self.assertIn("hello.txt", f.nlst())
        self.assertEqual(self.retr(f, "hello.txt"), HELLO)
        with open(self.cert, "rb") as fh:
            self.assertEqual(f.storbinary("STOR stored.txt", fh)[:3], "226")
            fh.seek(0)
            self.assertEqual(self.read("stored.txt"), fh.read())


# --- raw sockets: injection, bad handshakes -----------------------------------------------


class RawTest(TlsCase):
    def test_plaintext_behind_auth_is_dropped(self):
        # Bytes sent in clear behind AUTH must not be read as commands under TLS (the
        # injection of CVE-2011-0411 against SMTP's STARTTLS, here for FTP's AUTH TLS). The
        # injected USER names a real user, so PASS with the right password would be 230 if it
        # had been kept.
        c = self.control()
        c.send(b"AUTH TLS\r\nUSER " + USER.encode() + b"\r\n")
        reply = c.reply()
        self.assertTrue(reply.startswith("234"), reply)
        self.assertEqual(c.buf, b"")
        c.sock = self.ctx.wrap_socket(c.sock, server_hostname="127.0.0.1")
        reply = c.cmd("PASS " + PASSWORD)
        self.assertTrue(reply.startswith("503"), reply)
        self.assertEqual(c.code("PWD"), 530)
        # The same with a made-up user: 503, not 530 for mallory.
        c = self.control()
        c.send(b"AUTH TLS\r\nUSER mallory\r\n")
        self.assertTrue(c.reply().startswith("234"))
        c.sock = self.ctx.wrap_socket(c.sock, server_hostname="127.0.0.1")
        reply = c.cmd("PASS x")
        self.assertTrue(reply.startswith("503"), reply)
        c.login(USER, PASSWORD)
        self.assertNotIn("USER mallory", self.server.commands_seen())

    def test_garbage_instead_of_a_handshake(self):
        c = self.control()
        self.assertTrue(c.cmd("AUTH TLS").startswith("234"))
        c.send(b"hello garbage\r\n")
        rest = c.expect_eof()  # perhaps a TLS alert, then the end
        self.assertNotIn(b"hello", rest)
        self.assertNotRegex(rest, rb"^\d\d\d ")  # no plaintext reply
        self.assertServerAlive()
        self.assertEqual(self.retr(self.ftps(), "small.bin"), SMALL)

    def test_a_client_closing_during_the_handshake(self):
        c = self.control()
        self.assertTrue(c.cmd("AUTH TLS").startswith("234"))
        c.send(b"\x16\x03\x01\x02\x00\x01")  # the start of a ClientHello, then the end
        c.sock.shutdown(socket.SHUT_WR)
        c.expect_eof()
        self.assertEqual(self.retr(self.ftps(), "hello.txt"), HELLO)

    def test_a_data_handshake_cut_off(self):
        c = start_tls(self.control(), self.ctx)
        c.login(USER, PASSWORD)
        self.assertEqual(c.code("PBSZ 0"), 200)
        self.assertEqual(c.code("PROT P"), 200)
        data_sock = c.passive()
        try:
            c.send("RETR small.bin")
            self.assertTrue(c.reply().startswith("150"))
            data_sock.sendall(b"\x16\x03\x01\x02\x00\x01")  # half a ClientHello
            data_sock.shutdown(socket.SHUT_WR)
            got = l7test.recv_to_eof(data_sock)
        finally:
            data_sock.close()
        self.assertNotIn(SMALL[:64], got)
        final = c.reply()
        self.assertRegex(final, r"^4\d\d", final)
        # The session goes on: a proper download on the same control connection.
        data = c.passive()
        conn = None
        try:
            c.send("RETR hello.txt")
            self.assertTrue(c.reply().startswith("150"))
            conn = self.ctx.wrap_socket(data, server_hostname="127.0.0.1")
            self.assertEqual(l7test.recv_to_eof(conn), HELLO)
        finally:
            (conn or data).close()
        self.assertTrue(c.reply().startswith("226"))


# --- without a certificate, usage errors -------------------------------------------------


class NoCertificateTest(TlsCase):
    def setUp(self):
        super().setUp()
        self.server.close()
        self._procs.remove(self.server)
        self.server = self.start_server(tls=False)

    def test_auth_tls_is_502_and_feat_does_not_offer_it(self):
        f = self.plain()
        feat = f.sendcmd("FEAT")
        self.assertNotIn("AUTH", feat)
        self.assertNotIn("PROT", feat)
        self.assertCode(f, "AUTH TLS", 502)
        # Still a working plain session.
        f.login(USER, PASSWORD)
        self.assertEqual(self.retr(f, "hello.txt"), HELLO)
        with self.assertRaises(ftplib.error_perm) as ctx:
            self.ftps(prot_p=False)
        self.assertEqual(str(ctx.exception)[:3], "502")

    def usage(self, extra, mention):
        args = ["ftp", "serve", "--root", self.root, "--user", "a:b",
                "--listen", "127.0.0.1:0"] + extra
        cp = l7test.run_l7(args, timeout=20)
        self.assertUsageError(cp, args)
        self.assertIn(mention, cp.stderr)

    def test_usage_errors(self):
        missing = os.path.join(self.dir, "missing.pem")
        self.usage(["--tls-cert", self.cert], "--tls-key")
        self.usage(["--tls-key", self.key], "--tls-cert")
        self.usage(["--tls-cert", missing, "--tls-key", self.key], missing)
        self.usage(["--tls-cert", self.cert, "--tls-key", missing], missing)
        self.usage(["--tls-cert", self.key, "--tls-key", self.cert], self.key)
        self.usage(["--tls-required"], "--tls-required")


# --- curl --------------------------------------------------------------------------------


class ToolCase(TlsCase):
    def run_tool(self, argv):
        try:
            return subprocess.run(argv, capture_output=True, timeout=TOOL_TIMEOUT,
                                  cwd=self.local, stdin=subprocess.DEVNULL,
                                  env=dict(os.environ, HOME=self.dir))
        except subprocess.TimeoutExpired as e:
            raise AssertionError("%s did not finish within %.0f s: %r\n%s"
                                 % (argv[0], TOOL_TIMEOUT, e.stderr, self.server.describe()))

    def url(self, path=""):
        return "ftp://127.0.0.1:%d/%s" % (self.server.port, path)

    def assertProtected(self):
        seen = self.server.commands_seen()
        self.assertTrue([c for c in seen if c.startswith("AUTH ")], seen)  # curl: AUTH SSL
        self.assertIn("PROT P", seen)
        self.assertIn("TLS handshake done", self.server.stderr())


@unittest.skipUnless(CURL, "curl not installed")
class CurlTest(ToolCase):
    def curl(self, *args):
        cp = self.run_tool([CURL, "-sS", "--max-time", "30", "--ssl-reqd", "--cacert",
                            self.cert, "-u", "%s:%s" % (USER, PASSWORD)] + list(args))
        self.assertEqual(cp.returncode, 0, "curl %s: %r\n%s"
                         % (" ".join(args), cp.stderr, self.server.describe()))
        return cp

    def test_listing_shows_auth_and_handshake(self):
        cp = self.curl("-v", "--list-only", self.url())
        self.assertEqual(set(cp.stdout.decode().split()),
                         {"hello.txt", "small.bin", "big.bin", "sub"})
        err = cp.stderr.decode("utf-8", "replace")
        self.assertIn("> AUTH", err)
        self.assertRegex(err, r"SSL connection using TLSv1\.[23]")
        self.assertIn("> PROT P", err)
        self.assertProtected()

    def test_download_and_upload(self):
        out = os.path.join(self.local, "got.bin")
        self.curl("-o", out, self.url("big.bin"))
        self.assertEqual(sha256_file(out), hashlib.sha256(self.big).hexdigest())
        # 1 MB: curl 7.88 over TLS 1.3 cut such uploads short while the server sent session
        # tickets on data connections (FtplibTest.test_no_session_tickets_on_data_connections).
        body = os.urandom(1000000)
        self.curl("-T", self.local_file("up.bin", body),
                  self.url("sub/"))
        self.assertEqual(self.read("sub/up.bin"), body)
        self.assertProtected()

    @unittest.skipIf(CURL_BROKEN_ACTIVE_FTPS, "curl 7.87-7.88 cannot do active FTPS "
                     "(curl issue #10666); ftplib covers active mode")
    def test_active_mode(self):
        out = os.path.join(self.local, "active.bin")
        self.curl("-P", "127.0.0.1", "-o", out, self.url("small.bin"))
        with open(out, "rb") as fh:
            self.assertEqual(fh.read(), SMALL)
        body = os.urandom(50000)
        self.curl("-P", "127.0.0.1", "-T",
                  self.local_file("act-up.bin", body), self.url())
        self.assertEqual(self.read("act-up.bin"), body)
        seen = self.server.commands_seen()
        self.assertTrue([c for c in seen if c.startswith(("PORT ", "EPRT "))], seen)
        self.assertProtected()

    def test_resumed_download(self):
        out = self.local_file("partial.bin", self.big[:300000])
        self.curl("-C", "-", "-o", out, self.url("big.bin"))
        with open(out, "rb") as fh:
            self.assertEqual(fh.read(), self.big)
        self.assertIn("REST 300000", self.server.commands_seen())
        self.assertProtected()


# --- lftp --------------------------------------------------------------------------------


@unittest.skipUnless(LFTP, "lftp not installed")
class LftpTest(ToolCase):
    def lftp(self, commands):
        script = ("set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 10; "
                  "set net:reconnect-interval-base 1; set ssl:ca-file %s; "
                  "set ssl:verify-certificate yes; set ftp:ssl-force true; "
                  "set ftp:ssl-protect-data true; set ftp:ssl-protect-list true; "
                  "open -u %s,%s -p %d 127.0.0.1; %s; bye"
                  % (self.cert, USER, PASSWORD.replace(" ", "\\ "), self.server.port,
                     commands))
        cp = self.run_tool([LFTP, "-c", script])
        self.assertEqual(cp.returncode, 0, "lftp %s: %r %r\n%s"
                         % (commands, cp.stdout, cp.stderr, self.server.describe()))
        return cp


    def test_mirror_down_and_up(self):
        src = self.p("tree")
        make_tree(src)
        down = os.path.join(self.local, "down")
        self.lftp("mirror /tree %s" % down)
        self.assertEqual(tree(down), tree(src))
        self.lftp("mirror -R %s /uptree" % down)
        self.assertEqual(tree(self.p("uptree")), tree(src))
        self.assertProtected()
        seen = self.server.commands_seen()
        self.assertNotIn("PROT C", seen)


if __name__ == "__main__":
    l7test.main()
