#!/usr/bin/python3
"""`l7 ftp ls|get|put|mkdir|rm`, the FTP client (RFC 959, RFC 2428, RFC 3659's SIZE and REST),
against vsftpd 3.0.3, the reference server: a private vsftpd per test class on 127.0.0.1 (a
free control port, a passive port range of its own), anonymous with uploads into incoming/.

Checked, in passive mode (EPSV) and with --active (EPRT; the server connects back): ls (LIST
and --names, NLST, of the root and of a subdirectory; --mlsd, which vsftpd lacks: exit 1
naming MLSD), get of a 300 KB random file byte for byte (into -o FILE, into the URL's file
name in the working directory, and to stdout with -o -), a file name with a percent-encoded
space, get --continue (REST with the local size, the rest appended; a complete file is left
alone, no RETR), get --ascii (CRLF on the server becomes LF), put into a directory URL (the
local name is kept) and to a file URL, put --continue (SIZE, then APPE of the rest), put
--ascii (LF goes out as CRLF, which vsftpd stores as received), mkdir, rm and rm --dir.

Failures: a missing file (550: exit 1, one line on stderr, no file and no temporary file
left), a refused log-in (vsftpd is anonymous-only: exit 67), nothing listening (exit 7), a
listener that never greets (--timeout 1s: exit 1), a bad URL and bad option combinations
(exit 2, one line). --trace shows the C:/S: dialogue with
"C: PASS <credentials hidden>", and the password appears nowhere in the output.

With --tls (RFC 4217), against a vsftpd with ssl_enable, force_anon_logins_ssl,
force_anon_data_ssl and require_ssl_reuse (its default: a data connection must resume the
control connection's TLS session) and a certificate made by `l7 tls cert`: ls, get and put
in passive and active mode, byte for byte, the trace showing AUTH TLS, PBSZ 0, PROT P and
resumed data sessions; without --tls vsftpd refuses the log-in (exit 67); a certificate
that is not trusted (no --cacert) or names another host fails the handshake (exit 35, one
line naming the verification), --insecure accepts it; --cacert without --tls is a usage
error. A plain vsftpd refuses AUTH TLS: exit 35, and nothing is sent in clear.

Tool: vsftpd (Debian package vsftpd, /usr/sbin/vsftpd); skipped without it. vsftpd wants
/var/run/vsftpd/empty (its secure_chroot_dir default; here an empty directory of the test's
own) and an anonymous root the ftp user cannot write, with a writable subdirectory; as root
it drops to the ftp user for anonymous sessions, so the tests run as root (they are skipped
otherwise)."""

import os
import pwd
import random
import socket
import stat
import subprocess
import tempfile
import threading
import unittest

import l7test
from l7test import IO_TIMEOUT, RUN_TIMEOUT, START_TIMEOUT, STOP_TIMEOUT

VSFTPD = "/usr/sbin/vsftpd"
SECRET = "s3cret-pw"  # must never show in any output

VSFTPD_CONF = """\
# A private vsftpd for one l7 interop test class: anonymous only, uploads into incoming/.
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port={port}
background=NO
seccomp_sandbox=NO
secure_chroot_dir={empty}
anonymous_enable=YES
local_enable=NO
anon_root={root}
write_enable=YES
anon_upload_enable=YES
anon_mkdir_write_enable=YES
anon_other_write_enable=YES
anon_umask=022
pasv_enable=YES
pasv_min_port={pasv_min}
pasv_max_port={pasv_max}
pasv_address=127.0.0.1
port_enable=YES
connect_from_port_20=NO
xferlog_enable=YES
vsftpd_log_file={dir}/vsftpd.log
dual_log_enable=NO
log_ftp_protocol=YES
"""

VSFTPD_TLS_CONF = """\
ssl_enable=YES
allow_anon_ssl=YES
force_anon_logins_ssl=YES
force_anon_data_ssl=YES
require_ssl_reuse=YES
rsa_cert_file={cert}
rsa_private_key_file={key}
"""

PASV_PORTS = 20


def port_range(count):
    """`count` consecutive ports free on 127.0.0.1 right now (vsftpd needs a fixed range)."""
    for _ in range(50):
        base = random.randrange(30000, 60000 - count)
        socks = []
        try:
            for p in range(base, base + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base, base + count - 1
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise AssertionError("no %d consecutive free ports on 127.0.0.1" % count)


class Vsftpd:
    """vsftpd in the foreground with a private configuration; .root is the anonymous root
    (read-only for the ftp user) and .incoming its writable subdirectory."""

    def __init__(self, tls=False):
        self.dir = tempfile.mkdtemp(prefix="l7-vsftpd-")
        os.chmod(self.dir, 0o755)
        self.root = os.path.join(self.dir, "root")
        self.incoming = os.path.join(self.root, "incoming")
        empty = os.path.join(self.dir, "empty")
        for d in (self.root, self.incoming, empty, os.path.join(self.root, "pub")):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o755)
        ftp = pwd.getpwnam("ftp")
        os.chown(self.incoming, ftp.pw_uid, ftp.pw_gid)
        os.makedirs("/var/run/vsftpd/empty", exist_ok=True)  # vsftpd checks it at start
        self.port = l7test.free_port()
        pasv_min, pasv_max = port_range(PASV_PORTS)
        conf = os.path.join(self.dir, "vsftpd.conf")
        with open(conf, "w") as f:
            f.write(VSFTPD_CONF.format(port=self.port, empty=empty, root=self.root,
                                       pasv_min=pasv_min, pasv_max=pasv_max, dir=self.dir))
            if tls:
                # A self-signed certificate for 127.0.0.1 and localhost, made by l7 itself.
                self.cert = os.path.join(self.dir, "cert.pem")
                key = os.path.join(self.dir, "key.pem")
                subprocess.run([l7test.l7(), "tls", "cert", "--name", "127.0.0.1", "--name",
                                "localhost", "--cert", self.cert, "--key", key], check=True,
                               capture_output=True, timeout=RUN_TIMEOUT)
                f.write(VSFTPD_TLS_CONF.format(cert=self.cert, key=key))
        self._out = open(os.path.join(self.dir, "stdout"), "wb")
        self.proc = subprocess.Popen([VSFTPD, conf], stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=subprocess.STDOUT)
        try:
            l7test.wait_until(self._greets, START_TIMEOUT, interval=0.1,
                              what="vsftpd's greeting on port %d" % self.port)
        except BaseException:
            self.close()
            raise

    def _greets(self):
        if self.proc.poll() is not None:
            raise AssertionError("vsftpd exited (%s): %s" % (self.proc.returncode, self.log()))
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=IO_TIMEOUT) as s:
                data, _ = l7test.recv_until(s, lambda d: b"\n" in d, timeout=IO_TIMEOUT)
                return data.startswith(b"220")
        except OSError:
            return False

    def log(self):
        out = ""
        for name in ("stdout", "vsftpd.log"):
            path = os.path.join(self.dir, name)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    out += f.read().decode("utf-8", "replace")[-3000:]
        return out

    def url(self, path=""):
        return "ftp://127.0.0.1:%d/%s" % (self.port, path)

    def write(self, relative, data, mode=0o644):
        path = os.path.join(self.root, relative)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def read(self, relative):
        with open(os.path.join(self.root, relative), "rb") as f:
            return f.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        self._out.close()
        subprocess.run(["rm", "-rf", self.dir], check=False, timeout=RUN_TIMEOUT)


def ftp(args, cwd=None, env=None):
    """`l7 ftp ARGS...` to completion: (exit code, stdout bytes, stderr text)."""
    argv = [l7test.l7(), "ftp"] + list(args)
    try:
        cp = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                            timeout=RUN_TIMEOUT, env=l7test.clean_env(env))
    except subprocess.TimeoutExpired as e:
        raise AssertionError("l7 ftp %s did not finish within %.0f s; stderr: %r"
                             % (" ".join(args), RUN_TIMEOUT, (e.stderr or b"")[-2000:]))
    return cp.returncode, cp.stdout, cp.stderr.decode("utf-8", "replace")


def commands(trace):
    """The C: lines of a --trace, without the prefix."""
    return [line[3:] for line in trace.splitlines() if line.startswith("C: ")]


@unittest.skipUnless(os.access(VSFTPD, os.X_OK), "vsftpd is not installed")
@unittest.skipUnless(os.geteuid() == 0, "vsftpd needs root to run its anonymous sessions")
class FtpClientTest(l7test.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Vsftpd()
        cls.payload = random.Random(7).randbytes(300 * 1024)
        cls.server.write("pub/data.bin", cls.payload)
        cls.server.write("pub/hello.txt", b"hello\r\nworld\r\n")
        cls.server.write("pub/with space.txt", b"spaced out\n")

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        super().setUp()
        self.work = tempfile.mkdtemp(prefix="l7-ftp-client-")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.work], check=False,
                        timeout=RUN_TIMEOUT)

    def run_ok(self, *args, **kwargs):
        args = list(args) + ["--timeout", "10s"]
        code, out, err = ftp(args, **kwargs)
        self.assertEqual(code, 0, "l7 ftp %s\nstderr: %s\nvsftpd: %s"
                         % (" ".join(args), err, self.server.log()))
        return out, err

    def run_fails(self, code, *args, **kwargs):
        args = list(args) + ["--timeout", "10s"]
        got, out, err = ftp(args, **kwargs)
        where = "l7 ftp %s\nstdout: %r\nstderr: %r" % (" ".join(args), out[-500:], err)
        self.assertEqual(got, code, where)
        self.assertEqual(len(l7test.stderr_lines(err)), 1, where)
        return err

    def local(self, name):
        return os.path.join(self.work, name)

    def read_local(self, name):
        with open(self.local(name), "rb") as f:
            return f.read()

    # --- listings ------------------------------------------------------------------------

    def test_ls_passive_and_active(self):
        for mode in ([], ["--active"]):
            out, err = self.run_ok("ls", "--trace", *mode, self.server.url("pub/"))
            text = out.decode()
            for name in ("data.bin", "hello.txt", "with space.txt"):
                self.assertIn(name, text, mode)
            self.assertIn(str(len(self.payload)), text)  # LIST shows sizes
            self.assertNotIn("\r", text)  # CRLF became LF
            sent = commands(err)
            self.assertIn("LIST pub", sent)
            self.assertIn("EPRT" if mode else "EPSV", " ".join(sent))
            self.assertEqual(sent[-1], "QUIT")

    def test_ls_names_of_the_root(self):
        out, _ = self.run_ok("ls", "--names", self.server.url())
        self.assertEqual(sorted(out.decode().split("\n")[:-1]), ["incoming", "pub"])

    def test_ls_mlsd_is_not_in_vsftpd(self):
        err = self.run_fails(1, "ls", "--mlsd", self.server.url("pub/"))
        self.assertIn("MLSD", err)

    # --- downloads -----------------------------------------------------------------------

    def test_get_passive_and_active(self):
        for mode, name in (([], "p.bin"), (["--active"], "a.bin")):
            _, err = self.run_ok("get", "--trace", *mode, "-o", self.local(name),
                                 self.server.url("pub/data.bin"))
            self.assertEqual(self.read_local(name), self.payload, mode)
            sent = commands(err)
            self.assertEqual(sent[:3], ["USER anonymous", "PASS <credentials hidden>", "TYPE I"])
            self.assertIn("SIZE pub/data.bin", sent)
            self.assertIn("RETR pub/data.bin", sent)
            if mode:
                self.assertTrue(any(c.startswith("EPRT |1|127.0.0.1|") for c in sent), sent)
            else:
                self.assertIn("EPSV", sent)
            self.assertIn("S: 226", err)
            self.assertEqual(os.listdir(self.work).count(name), 1)
        self.assertEqual(sorted(os.listdir(self.work)), ["a.bin", "p.bin"])  # no temporaries

    def test_get_quiet_on_success_into_the_urls_name(self):
        out, err = self.run_ok("get", self.server.url("pub/data.bin"), cwd=self.work)
        self.assertEqual(out, b"")
        self.assertEqual(err, "")  # no progress bar: stderr is not a terminal
        self.assertEqual(self.read_local("data.bin"), self.payload)

    def test_get_to_stdout_and_an_encoded_name(self):
        out, _ = self.run_ok("get", "-o", "-", self.server.url("pub/data.bin"))
        self.assertEqual(out, self.payload)
        out, _ = self.run_ok("get", "-o", "-", self.server.url("pub/with%20space.txt"))
        self.assertEqual(out, b"spaced out\n")

    def test_get_into_a_device_or_a_pipe_writes_through_it(self):
        # -o /dev/null must not replace the device node with a file (a rename over it would).
        device = self.local("null-device")
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        self.run_ok("get", "-o", device, self.server.url("pub/data.bin"))
        self.assertTrue(stat.S_ISCHR(os.stat(device).st_mode))
        fifo = self.local("fifo")
        os.mkfifo(fifo)
        got = []
        reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
        reader.start()
        self.run_ok("get", "-o", fifo, self.server.url("pub/data.bin"))
        reader.join(30)
        self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode))
        self.assertEqual(got, [self.payload])

    def test_get_replaces_an_existing_file(self):
        with open(self.local("old.bin"), "wb") as f:
            f.write(b"x" * 10)
        self.run_ok("get", "-o", self.local("old.bin"), self.server.url("pub/hello.txt"))
        self.assertEqual(self.read_local("old.bin"), b"hello\r\nworld\r\n")

    def test_get_continue(self):
        cut = 100000
        with open(self.local("part.bin"), "wb") as f:
            f.write(self.payload[:cut])
        _, err = self.run_ok("get", "--continue", "--trace", "-o", self.local("part.bin"),
                             self.server.url("pub/data.bin"))
        self.assertEqual(self.read_local("part.bin"), self.payload)
        self.assertIn("REST %d" % cut, commands(err))
        # Complete already: nothing is fetched, the file stays.
        _, err = self.run_ok("get", "--continue", "--trace", "-o", self.local("part.bin"),
                             self.server.url("pub/data.bin"))
        self.assertFalse([c for c in commands(err) if c.startswith("RETR")], err)
        self.assertEqual(self.read_local("part.bin"), self.payload)

    def test_get_ascii_converts_line_ends(self):
        out, err = self.run_ok("get", "--ascii", "--trace", "-o", "-",
                               self.server.url("pub/hello.txt"))
        self.assertEqual(out, b"hello\nworld\n")
        self.assertIn("TYPE A", commands(err))

    def test_get_missing_file_is_550(self):
        err = self.run_fails(1, "get", "-o", self.local("missing.txt"),
                             self.server.url("pub/missing.txt"))
        self.assertIn("550", err)
        self.assertIn("RETR pub/missing.txt", err)
        self.assertEqual(os.listdir(self.work), [])  # no file, no temporary file

    # --- uploads and file commands -------------------------------------------------------

    def test_put_passive_and_active(self):
        data = random.Random(11).randbytes(200 * 1024)
        src = self.local("upload.bin")
        with open(src, "wb") as f:
            f.write(data)
        for mode, target in (([], "incoming/"), (["--active"], "incoming/active.bin")):
            _, err = self.run_ok("put", "--trace", *mode, src, self.server.url(target))
            stored = target if not target.endswith("/") else target + "upload.bin"
            self.assertEqual(self.server.read(stored), data, mode)
            self.assertIn("STOR " + stored, commands(err))

    def test_put_continue(self):
        data = random.Random(13).randbytes(150 * 1024)
        with open(self.local("part.bin"), "wb") as f:
            f.write(data[:40000])
        self.run_ok("put", self.local("part.bin"), self.server.url("incoming/resumed.bin"))
        self.assertEqual(len(self.server.read("incoming/resumed.bin")), 40000)
        with open(self.local("part.bin"), "wb") as f:
            f.write(data)
        _, err = self.run_ok("put", "--continue", "--trace", self.local("part.bin"),
                             self.server.url("incoming/resumed.bin"))
        self.assertEqual(self.server.read("incoming/resumed.bin"), data)
        sent = commands(err)
        self.assertIn("SIZE incoming/resumed.bin", sent)
        self.assertIn("APPE incoming/resumed.bin", sent)

    def test_put_ascii_sends_crlf(self):
        with open(self.local("notes.txt"), "wb") as f:
            f.write(b"one\ntwo\r\nthree\n")
        self.run_ok("put", "--ascii", self.local("notes.txt"), self.server.url("incoming/"))
        # vsftpd stores what arrives (ascii_upload_enable is off): the wire's bytes.
        self.assertEqual(self.server.read("incoming/notes.txt"), b"one\r\ntwo\r\nthree\r\n")

    def test_mkdir_and_rm(self):
        self.run_ok("mkdir", self.server.url("incoming/newdir"))
        self.assertTrue(os.path.isdir(os.path.join(self.server.incoming, "newdir")))
        with open(self.local("f.txt"), "wb") as f:
            f.write(b"f\n")
        self.run_ok("put", self.local("f.txt"), self.server.url("incoming/newdir/"))
        err = self.run_fails(1, "rm", "--dir", self.server.url("incoming/newdir"))
        self.assertIn("RMD incoming/newdir", err)  # not empty
        _, err = self.run_ok("rm", "--trace", self.server.url("incoming/newdir/f.txt"))
        self.assertIn("DELE incoming/newdir/f.txt", commands(err))
        self.run_ok("rm", "--dir", self.server.url("incoming/newdir/"))
        self.assertFalse(os.path.exists(os.path.join(self.server.incoming, "newdir")))
        err = self.run_fails(1, "rm", self.server.url("incoming/nothing.txt"))
        self.assertIn("550", err)

    # --- failures ------------------------------------------------------------------------

    def test_password_is_hidden(self):
        # vsftpd takes any password for anonymous: this one from the URL, then from the
        # environment; the trace shows PASS, never the password.
        for url, env in (("ftp://anonymous:%s@127.0.0.1:%d/" % (SECRET, self.server.port), None),
                         ("ftp://anonymous@127.0.0.1:%d/" % self.server.port,
                          {"L7_FTP_PASSWORD": SECRET})):
            code, out, err = ftp(["ls", "--trace", "--timeout", "10s", url], env=env)
            self.assertEqual(code, 0, err)
            self.assertIn("C: PASS <credentials hidden>", err)
            self.assertIn("S: 230", err)
            self.assertNotIn(SECRET, err)
            self.assertNotIn(SECRET.encode(), out)

    def test_refused_login(self):
        # vsftpd is anonymous-only here: it refuses bob at USER already.
        url = "ftp://bob:%s@127.0.0.1:%d/" % (SECRET, self.server.port)
        err = self.run_fails(67, "ls", url)
        self.assertIn("530", err)
        self.assertNotIn(SECRET, err)

    def test_nothing_listening(self):
        port = l7test.free_port()
        err = self.run_fails(7, "ls", "--connect-timeout", "5s",
                             "ftp://127.0.0.1:%d/" % port)
        self.assertIn("cannot connect", err)

    def test_a_silent_server_times_out(self):
        # Accepts the connection and never greets: --timeout ends the wait (exit 1).
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            port = listener.getsockname()[1]
            code, _, err = ftp(["ls", "--timeout", "1s", "ftp://127.0.0.1:%d/" % port])
        self.assertEqual(code, 1, err)
        self.assertIn("did not greet in time", err)

    def test_usage_errors(self):
        for args in (["ls", "http://127.0.0.1/"],
                     ["ls", "ftp://127.0.0.1/a%0D%0ADELE%20x"],
                     ["ls", "--names", "--mlsd", self.server.url()],
                     ["get", self.server.url("pub/")],
                     ["get", "--continue", "--ascii", self.server.url("pub/hello.txt")],
                     ["get", "--continue", "-o", "-", self.server.url("pub/hello.txt")],
                     ["put", self.local("no-such-file"), self.server.url("incoming/")],
                     ["mkdir", self.server.url()],
                     ["ls", "ftp://bob@127.0.0.1:%d/" % self.server.port]):
            cp = l7test.run_l7(["ftp"] + args)
            self.assertUsageError(cp, ["ftp"] + args)


@unittest.skipUnless(os.access(VSFTPD, os.X_OK), "vsftpd is not installed")
@unittest.skipUnless(os.geteuid() == 0, "vsftpd needs root to run its anonymous sessions")
class FtpClientTlsTest(l7test.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Vsftpd(tls=True)
        cls.payload = random.Random(11).randbytes(700 * 1024)
        cls.server.write("pub/data.bin", cls.payload)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        super().setUp()
        self.work = tempfile.mkdtemp(prefix="l7-ftp-client-tls-")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.work], check=False,
                        timeout=RUN_TIMEOUT)

    def tls(self):
        return ["--tls", "--cacert", self.server.cert, "--timeout", "10s"]

    def run_ok(self, *args):
        code, out, err = ftp(list(args) + self.tls())
        self.assertEqual(code, 0, "l7 ftp %s\nstderr: %s\nvsftpd: %s"
                         % (" ".join(args), err, self.server.log()))
        return out, err

    def run_fails(self, code, *args):
        got, out, err = ftp(list(args) + ["--timeout", "10s"])
        where = "l7 ftp %s\nstdout: %r\nstderr: %r" % (" ".join(args), out[-500:], err)
        self.assertEqual(got, code, where)
        self.assertEqual(len(l7test.stderr_lines(err)), 1, where)
        return err

    def test_ls_get_put_passive_and_active(self):
        for mode in ([], ["--active"]):
            out, err = self.run_ok("ls", "--trace", *mode, self.server.url("pub/"))
            self.assertIn("data.bin", out.decode())
            sent = commands(err)
            self.assertEqual(sent[:2], ["AUTH TLS", "USER anonymous"], err)
            self.assertIn("PBSZ 0", sent)
            self.assertIn("PROT P", sent)
            self.assertIn("TLS handshake done: TLSv1.", err)
            # vsftpd's require_ssl_reuse would have refused a data connection that did not
            # resume the control connection's session; the trace says so too.
            self.assertIn("the control connection's session resumed", err)

            name = "down%d.bin" % len(mode)
            self.run_ok("get", *mode, "-o", os.path.join(self.work, name),
                        self.server.url("pub/data.bin"))
            with open(os.path.join(self.work, name), "rb") as f:
                self.assertEqual(f.read(), self.payload, mode)

            up = os.path.join(self.work, "up.bin")
            data = random.Random(len(mode)).randbytes(200 * 1024)
            with open(up, "wb") as f:
                f.write(data)
            self.run_ok("put", *mode, up, self.server.url("incoming/up%d.bin" % len(mode)))
            self.assertEqual(self.server.read("incoming/up%d.bin" % len(mode)), data, mode)

    def test_the_password_goes_through_tls_only(self):
        # vsftpd forces TLS for the log-in: without --tls it refuses.
        self.run_fails(67, "ls", self.server.url())

    def test_an_untrusted_certificate_fails_unless_insecure(self):
        err = self.run_fails(35, "ls", "--tls", self.server.url())
        self.assertIn("certificate", err)
        # The certificate names both 127.0.0.1 and localhost: either host checks out.
        url = self.server.url().replace("127.0.0.1", "localhost")
        code, out, err = ftp(["ls", url] + self.tls())
        self.assertEqual(code, 0, err)
        code, _, err = ftp(["ls", "--tls", "--insecure", "--timeout", "10s", self.server.url()])
        self.assertEqual(code, 0, err)
        err = self.run_fails(2, "ls", "--cacert", self.server.cert, self.server.url())
        self.assertIn("--tls", err)

    def test_a_server_without_tls_ends_the_session(self):
        plain = Vsftpd()
        try:
            got, out, err = ftp(["ls", "--trace", plain.url()] + self.tls())
            self.assertEqual(got, 35, err)
            sent = commands(err)
            self.assertEqual(sent[0], "AUTH TLS")
            self.assertNotIn("USER anonymous", sent)  # nothing in clear after the refusal
        finally:
            plain.close()

    def test_a_misnamed_certificate_fails(self):
        other = os.path.join(self.work, "other")
        os.makedirs(other)
        cert = os.path.join(other, "cert.pem")
        subprocess.run([l7test.l7(), "tls", "cert", "--name", "ftp.example.org", "--cert", cert,
                        "--key", os.path.join(other, "key.pem")], check=True,
                       capture_output=True, timeout=RUN_TIMEOUT)
        # Trusting another certificate: vsftpd's own is not trusted.
        err = self.run_fails(35, "ls", "--tls", "--cacert", cert, self.server.url())
        self.assertIn("verif", err)


if __name__ == "__main__":
    l7test.main()
