#!/usr/bin/python3
"""`l7 http serve --writable PREFIX --password-file FILE` against curl: PUT (-T) and DELETE
(-X DELETE) with HTTP Basic credentials (-u), for password files made by Apache's
`htpasswd -B` (bcrypt) and by `l7 http passwd` (yescrypt). 401 without or with wrong
credentials, 201 then 204 with the exact bytes on disk, 412 for If-None-Match: * on an
existing file, 404 for a DELETE of a missing file, 405 from the static site outside the
prefix, users added while the server runs, weak hashes refused at start, and a PUT cut off
mid-body leaves neither the file nor a temporary file behind."""

import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import unittest

import l7test
from l7test import IO_TIMEOUT, recv_to_eof, tcp_connect



class WritableServer(l7test.HttpServer):
    def __init__(self, root, password_file, prefix="/upload/"):
        super().__init__(["serve", root, "--listen", "127.0.0.1:0", "--threads", "1",
                          "--writable", prefix, "--password-file", password_file])


def curl(*args):
    """Runs curl; returns (status, head as text, body bytes)."""
    with tempfile.NamedTemporaryFile(prefix="l7-curl-") as body:
        cp = subprocess.run(["curl", "-sS", "--max-time", "10", "-D", "-", "-o", body.name]
                            + list(args), capture_output=True, timeout=30)
        if cp.returncode != 0:
            raise AssertionError("curl %s failed: %s" % (" ".join(args), cp.stderr.decode()))
        head = cp.stdout.decode("latin-1")
        # The last head (a 100 Continue may come first).
        heads = [h for h in re.split(r"\r?\n\r?\n", head) if h.startswith("HTTP/")]
        status = int(heads[-1].split()[1])
        with open(body.name, "rb") as f:
            return status, heads[-1], f.read()


def header(head, name):
    m = re.search(r"(?mi)^%s:[ \t]*(.*?)\r?$" % re.escape(name), head)
    return m.group(1) if m else None


def htpasswd_bcrypt(path, user, password, create):
    """`htpasswd -B [-c] -i FILE USER`, the password on stdin (never on the command line)."""
    args = ["htpasswd", "-B", "-i"] + (["-c"] if create else []) + [path, user]
    cp = subprocess.run(args, input=password.encode(), capture_output=True, timeout=30)
    if cp.returncode != 0:
        raise AssertionError("htpasswd failed: %s" % cp.stderr.decode())


def l7_passwd(path, user, password=None, delete=False):
    args = ["http", "passwd", path, user]
    if delete:
        args.append("--delete")
    else:
        args.append("--stdin")
    return l7test.run_l7(args, input=(password + "\n") if password is not None else None)


class HttpWriteTest(l7test.TestCase):
    def setUp(self):
        super().setUp()
        if shutil.which("htpasswd") is None:
            self.fail("htpasswd is missing: run scripts/deps.sh (apache2-utils)")
        self.dir = tempfile.TemporaryDirectory(prefix="l7-http-write-")
        self.addCleanup(self.dir.cleanup)
        self.root = os.path.join(self.dir.name, "root")
        self.upload = os.path.join(self.root, "upload")
        os.makedirs(self.upload)
        with open(os.path.join(self.root, "index.html"), "wb") as f:
            f.write(b"<p>home</p>\n")
        # Apache's tool, bcrypt: the users of most tests.
        self.apache_file = os.path.join(self.dir.name, "apache.htpasswd")
        htpasswd_bcrypt(self.apache_file, "alice", "wonder land", create=True)
        with open(self.apache_file) as f:
            self.assertRegex(f.read(), r"^alice:\$2y\$")
        self.data = os.urandom(200_000) + b"\r\n\x00end"
        self.data_path = os.path.join(self.dir.name, "data.bin")
        with open(self.data_path, "wb") as f:
            f.write(self.data)

    def start(self, password_file):
        server = WritableServer(self.root, password_file)
        self.addCleanup(server.close)
        return server

    def leftovers(self):
        """Hidden names (temporary files) in the upload directory."""
        return [n for n in os.listdir(self.upload) if n.startswith(".")]

    def test_no_or_wrong_credentials_get_401_with_the_challenge(self):
        server = self.start(self.apache_file)
        url = server.base + "/upload/a.bin"
        for auth in ([], ["-u", "alice:wrong-pass-123"], ["-u", "mallory:wonder land"],
                     ["-u", "alice:"]):
            status, head, _ = curl(*auth, "-T", self.data_path, url)
            self.assertEqual(status, 401, auth)
            self.assertRegex(header(head, "WWW-Authenticate") or "",
                             r'^Basic realm="[^"\\]*", charset="UTF-8"$')
            status, _, _ = curl(*auth, "-X", "DELETE", server.base + "/upload/x")
            self.assertEqual(status, 401, auth)
        self.assertFalse(os.path.exists(os.path.join(self.upload, "a.bin")))
        self.assertEqual(os.listdir(self.upload), [])
        log = server.stderr()
        self.assertRegex(log, r"127\.0\.0\.1:\d+ PUT /upload/a\.bin: 401 \(user \"alice\": wrong password\)")
        self.assertIn('user "mallory": no such user', log)
        self.assertNotIn("wrong-pass-123", log)  # never the password
        self.assertNotIn("wonder land", log)

    def test_put_creates_201_then_replaces_204_with_the_exact_bytes(self):
        server = self.start(self.apache_file)
        url = server.base + "/upload/data.bin"
        status, head, _ = curl("-u", "alice:wonder land", "-T", self.data_path, url)
        self.assertEqual(status, 201, head)
        self.assertEqual(header(head, "Location"), "/upload/data.bin")
        target = os.path.join(self.upload, "data.bin")
        with open(target, "rb") as f:
            self.assertEqual(f.read(), self.data)
        put_etag = header(head, "ETag")
        # What a GET serves now: the same bytes and the ETag the PUT answered.
        status, get_head, body = curl(url)
        self.assertEqual((status, body), (200, self.data))
        self.assertEqual(header(get_head, "ETag"), put_etag)

        status, head, body = curl("-u", "alice:wonder land", "--data-binary", "second version\n",
                                  "-X", "PUT", url)
        self.assertEqual(status, 204, head)
        self.assertEqual(body, b"")
        with open(target, "rb") as f:
            self.assertEqual(f.read(), b"second version\n")
        # If-Match with the old ETag no longer matches.
        status, _, _ = curl("-u", "alice:wonder land", "-H", "If-Match: " + put_etag,
                            "-T", self.data_path, url)
        self.assertEqual(status, 412)
        self.assertEqual(self.leftovers(), [])
        self.assertRegex(server.stderr(), r'PUT /upload/data\.bin by user "alice": 201')

    def test_if_none_match_star_on_an_existing_file_gets_412(self):
        server = self.start(self.apache_file)
        url = server.base + "/upload/once.txt"
        args = ["-u", "alice:wonder land", "-H", "If-None-Match: *", "--data-binary", "first",
                "-X", "PUT", url]
        self.assertEqual(curl(*args)[0], 201)
        self.assertEqual(curl(*args[:-3], "--data-binary", "second", "-X", "PUT", url)[0], 412)
        with open(os.path.join(self.upload, "once.txt"), "rb") as f:
            self.assertEqual(f.read(), b"first")

    def test_delete_204_then_404(self):
        server = self.start(self.apache_file)
        with open(os.path.join(self.upload, "old.txt"), "wb") as f:
            f.write(b"old\n")
        url = server.base + "/upload/old.txt"
        self.assertEqual(curl("-u", "alice:wonder land", "-X", "DELETE", url)[0], 204)
        self.assertFalse(os.path.exists(os.path.join(self.upload, "old.txt")))
        self.assertEqual(curl("-u", "alice:wonder land", "-X", "DELETE", url)[0], 404)
        self.assertEqual(curl(url)[0], 404)

    def test_outside_the_prefix_the_static_site_answers_405(self):
        server = self.start(self.apache_file)
        status, head, _ = curl("-u", "alice:wonder land", "-T", self.data_path,
                               server.base + "/index.html")
        self.assertEqual(status, 405)
        self.assertEqual(header(head, "Allow"), "GET, HEAD, OPTIONS")
        status, _, _ = curl("-u", "alice:wonder land", "-X", "DELETE", server.base + "/index.html")
        self.assertEqual(status, 405)
        with open(os.path.join(self.root, "index.html"), "rb") as f:
            self.assertEqual(f.read(), b"<p>home</p>\n")
        # Inside it: no directory is made, and dotfiles stay hidden.
        self.assertEqual(curl("-u", "alice:wonder land", "-T", self.data_path,
                              server.base + "/upload/new/dir/x")[0], 409)
        self.assertEqual(curl("-u", "alice:wonder land", "-T", self.data_path,
                              server.base + "/upload/.htaccess")[0], 404)
        self.assertEqual(os.listdir(self.upload), [])

    def test_a_put_cut_mid_body_leaves_nothing_behind(self):
        server = self.start(self.apache_file)
        with open(os.path.join(self.upload, "kept.txt"), "wb") as f:
            f.write(b"kept\n")
        auth = "Authorization: Basic YWxpY2U6d29uZGVyIGxhbmQ=\r\n"  # alice:wonder land
        for name in ("cut.bin", "kept.txt"):
            with tcp_connect(("127.0.0.1", server.port)) as s:
                s.sendall(("PUT /upload/%s HTTP/1.1\r\nHost: a\r\n%sContent-Length: 100000\r\n\r\n"
                           % (name, auth)).encode() + b"x" * 30_000)
            # Closed with 70000 bytes missing.
        # A complete request afterwards, on a new connection, is served as usual.
        status, _, _ = curl("-u", "alice:wonder land", "--data-binary", "ok", "-X", "PUT",
                            server.base + "/upload/after.txt")
        self.assertEqual(status, 201)
        self.assertFalse(os.path.exists(os.path.join(self.upload, "cut.bin")))
        with open(os.path.join(self.upload, "kept.txt"), "rb") as f:
            self.assertEqual(f.read(), b"kept\n")
        self.assertEqual(sorted(os.listdir(self.upload)), ["after.txt", "kept.txt"])
        self.assertTrue(server.running(), server.describe())

    def test_a_password_file_made_by_l7_http_passwd(self):
        path = os.path.join(self.dir.name, "l7.htpasswd")
        cp = l7_passwd(path, "bob", "b0b's pässword")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("added user bob", cp.stdout)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path) as f:
            self.assertRegex(f.read(), r"^bob:\$y\$[^:\s]+\n$")
        server = self.start(path)
        url = server.base + "/upload/bob.txt"
        self.assertEqual(curl("-u", "bob:b0b's pässword", "--data-binary", "hi", "-X", "PUT",
                              url)[0], 201)
        self.assertEqual(curl("-u", "bob:b0b's password", "--data-binary", "hi", "-X", "PUT",
                              url)[0], 401)
        # A new password takes effect without a restart; the old one stops working.
        cp = l7_passwd(path, "bob", "new secret")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("changed the password of user bob", cp.stdout)
        self.assertEqual(curl("-u", "bob:b0b's pässword", "-X", "DELETE", url)[0], 401)
        self.assertEqual(curl("-u", "bob:new secret", "-X", "DELETE", url)[0], 204)
        # Deleted: locked out.
        cp = l7_passwd(path, "bob", delete=True)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(curl("-u", "bob:new secret", "-X", "DELETE", url)[0], 401)
        cp = l7_passwd(path, "bob", delete=True)
        self.assertFailureLine(cp, ["http", "passwd", path, "bob", "--delete"])

    def test_l7_http_passwd_adds_to_an_htpasswd_file_while_serving(self):
        server = self.start(self.apache_file)
        with open(self.apache_file, "a") as f:
            f.write("# the upload team\n")
        cp = l7_passwd(self.apache_file, "carol", "c4rol")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        with open(self.apache_file) as f:
            lines = f.read().splitlines()
        self.assertRegex(lines[0], r"^alice:\$2y\$")
        self.assertEqual(lines[1], "# the upload team")
        self.assertRegex(lines[2], r"^carol:\$y\$")
        url = server.base + "/upload/c.txt"
        self.assertEqual(curl("-u", "carol:c4rol", "--data-binary", "c", "-X", "PUT", url)[0], 201)
        self.assertEqual(curl("-u", "alice:wonder land", "-X", "DELETE", url)[0], 204)
        self.assertEqual(self.leftovers(), [])

    def test_weak_or_plaintext_password_files_are_refused_at_start(self):
        weak = os.path.join(self.dir.name, "weak.htpasswd")
        subprocess.run(["htpasswd", "-c", "-m", "-b", weak, "dave", "pw"], check=True,
                       capture_output=True, timeout=30)
        args = ["http", "serve", self.root, "--listen", "127.0.0.1:0", "--writable", "/upload/",
                "--password-file", weak]
        cp = l7test.run_l7(args)
        self.assertUsageError(cp, args)
        self.assertIn(weak + ":1: user \"dave\"", cp.stderr)
        self.assertIn("not supported by libxcrypt", cp.stderr)
        plain = os.path.join(self.dir.name, "plain.htpasswd")
        with open(plain, "w") as f:
            f.write("# ok\neve:secret-password\n")
        args[-1] = plain
        cp = l7test.run_l7(args)
        self.assertUsageError(cp, args)
        self.assertIn(plain + ":2: user \"eve\"", cp.stderr)
        # The two options go together.
        cp = l7test.run_l7(args[:-2])
        self.assertUsageError(cp, args[:-2])

    def test_l7_http_passwd_usage(self):
        path = os.path.join(self.dir.name, "u.htpasswd")
        for args in (["http", "passwd", path, "a:b", "--stdin"],
                     ["http", "passwd", path, "#x", "--stdin"],
                     ["http", "passwd", path, "bob"]):  # no terminal and no --stdin
            cp = l7test.run_l7(args, input="pw\n")
            self.assertUsageError(cp, args)
        cp = l7test.run_l7(["http", "passwd", path, "bob", "--stdin"], input="\n")
        self.assertEqual(cp.returncode, 2, cp.stderr)
        self.assertFalse(os.path.exists(path))
        help_text = l7test.run_l7(["http", "passwd", "--help"]).stdout
        self.assertIn("Examples:", help_text)


if __name__ == "__main__":
    l7test.main()
