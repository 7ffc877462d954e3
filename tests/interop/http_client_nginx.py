#!/usr/bin/python3
"""`l7 http get` against nginx: files (GET, HEAD), a gzip body that nginx sends chunked
(--compressed), conditional requests (-z: 304 with nothing printed, 412), ranges (-r: 206
with exactly those bytes), several URLs over one persistent connection (nginx's access log
names the connection of each request), a `return 301` followed with -L, -f on a 404, and
cookies set by nginx passed between l7's and curl's cookie files in both directions.

nginx runs as a foreground process of its own: `daemon off;
master_process off;`, its pid, logs and temp paths in a temporary prefix, listening on
127.0.0.1 at a free port."""

import gzip
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import l7test
from l7test import run_l7

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CURL = shutil.which("curl")

CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 64; }}
http {{
    log_format l7 '$connection $connection_requests "$request" $status $body_bytes_sent';
    access_log {prefix}/access.log l7;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    types {{ text/html html; text/plain txt; application/octet-stream bin; }}
    default_type text/plain;
    keepalive_timeout 60s;
    keepalive_requests 100;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root};
        if_modified_since before;  # the default, "exact", wants Last-Modified itself
        location /gz/ {{
            gzip on;
            gzip_min_length 1;
            gzip_types text/plain;
        }}
        location = /old {{ return 301 /new.txt; }}
        location = /set-cookies {{
            add_header Set-Cookie "session=abc123; Path=/";
            add_header Set-Cookie "theme=dark; Max-Age=3600; Path=/; HttpOnly";
            return 200 "cookies set\\n";
        }}
        location = /login {{
            add_header Set-Cookie "auth=ok; Path=/";
            return 302 /show-cookies;
        }}
        location = /show-cookies {{ return 200 "cookie=[$http_cookie]\\n"; }}
    }}
}}
"""


class Nginx:
    def __init__(self, root):
        self.prefix = tempfile.mkdtemp(prefix="l7-nginx-")
        self.port = l7test.free_port()
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(prefix=self.prefix, port=self.port, root=root))
        self.log = open(os.path.join(self.prefix, "stderr"), "wb")
        self.proc = subprocess.Popen(
            [NGINX, "-c", self.conf, "-p", self.prefix + "/", "-e", self.prefix + "/error.log"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = l7test.Deadline(l7test.START_TIMEOUT)
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("nginx exited: %s" % self.describe())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if deadline.expired():
                    raise AssertionError("nginx did not listen: %s" % self.describe())
                time.sleep(0.05)

    def describe(self):
        parts = []
        for name in ("stderr", "error.log"):
            path = os.path.join(self.prefix, name)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    parts.append(f.read()[-3000:].decode("utf-8", "replace"))
        return "\n".join(parts)

    def access_log(self):
        """The access log's lines as (connection, request-number-on-it, request line)."""
        path = os.path.join(self.prefix, "access.log")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [tuple(re.match(r'(\d+) (\d+) "([^"]*)"', line).groups())
                    for line in f if line.strip()]

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=l7test.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=l7test.STOP_TIMEOUT)
        self.log.close()
        shutil.rmtree(self.prefix, ignore_errors=True)


@unittest.skipUnless(os.path.exists(NGINX), "nginx is not installed")
class HttpClientAgainstNginx(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.TemporaryDirectory(prefix="l7-nginx-root-")
        self.addCleanup(self.dir.cleanup)
        root = self.dir.name
        self.blob = os.urandom(150_000)
        self.text = "".join("line %d of a text that compresses well\n" % i
                            for i in range(3000)).encode()
        os.makedirs(os.path.join(root, "gz"))
        for name, data in (("blob.bin", self.blob), ("new.txt", b"the new place\n"),
                           ("a.txt", b"A\n"), ("b.txt", b"BB\n"), ("c.txt", b"CCC\n"),
                           ("gz/text.txt", self.text)):
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
        # A known Last-Modified, so the -z dates below fall on either side of it.
        self.mtime = 1_600_000_000  # Sun, 13 Sep 2020 12:26:40 GMT
        os.utime(os.path.join(root, "blob.bin"), (self.mtime, self.mtime))
        self.nginx = Nginx(root)
        self.addCleanup(self.nginx.close)
        self.base = self.nginx.base

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def get(self, *args, env=None):
        return run_l7(["http", "get"] + list(args), env=env)

    def test_get_and_head(self):
        cp = self.get("-o", self.path("copy"), self.base + "/blob.bin")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(self.read("copy"), self.blob)
        cp = self.get("-I", self.base + "/blob.bin")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertRegex(cp.stdout, r"^HTTP/1\.1 200 OK\r\n")
        self.assertRegex(cp.stdout, r"(?mi)^server: nginx")
        self.assertRegex(cp.stdout, r"(?mi)^content-length: 150000\r$")
        self.assertTrue(cp.stdout.endswith("\r\n\r\n"), cp.stdout[-200:])
        self.assertEqual(self.nginx.access_log()[-1][2], "HEAD /blob.bin HTTP/1.1")

    def test_compressed_gives_a_chunked_gzip_body_decoded(self):
        cp = self.get("--compressed", "-v", "-o", self.path("plain"), self.base + "/gz/text.txt")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("> Accept-Encoding: gzip", cp.stderr)
        self.assertRegex(cp.stderr, r"(?mi)^< content-encoding: gzip$")
        self.assertRegex(cp.stderr, r"(?mi)^< transfer-encoding: chunked$")
        self.assertEqual(self.read("plain"), self.text)
        # Without --compressed, a client that asks for gzip itself gets the bytes as sent.
        cp = self.get("-H", "Accept-Encoding: gzip", "-o", self.path("raw"),
                      self.base + "/gz/text.txt")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        raw = self.read("raw")
        self.assertEqual(raw[:2], b"\x1f\x8b")
        self.assertEqual(gzip.decompress(raw), self.text)
        # --compressed where nginx does not compress: the body as it is.
        cp = self.get("--compressed", self.base + "/a.txt")
        self.assertEqual((cp.returncode, cp.stdout), (0, "A\n"), cp.stderr)

    def test_time_conditions(self):
        # Not modified since a later date: 304 and nothing printed.
        cp = self.get("-i", "-o", self.path("none"), "-z", "Mon, 14 Sep 2020 00:00:00 GMT",
                      self.base + "/blob.bin")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertRegex(cp.stdout, r"^HTTP/1\.1 304 ")
        self.assertTrue(cp.stdout.endswith("\r\n\r\n"), cp.stdout[-200:])
        cp = self.get("-z", "14 Sep 2020", self.base + "/blob.bin")
        self.assertEqual((cp.returncode, cp.stdout), (0, ""), cp.stderr)
        # A file's modification time as the date.
        with open(self.path("stamp"), "w") as f:
            f.write("x")
        os.utime(self.path("stamp"), (self.mtime, self.mtime))
        cp = self.get("-z", self.path("stamp"), self.base + "/blob.bin")
        self.assertEqual((cp.returncode, cp.stdout), (0, ""), cp.stderr)
        os.utime(self.path("stamp"), (self.mtime - 3600, self.mtime - 3600))
        cp = self.get("-z", self.path("stamp"), "-o", self.path("newer"),
                      self.base + "/blob.bin")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(self.read("newer"), self.blob)
        # -z -DATE: If-Unmodified-Since; the file changed after that date: 412.
        cp = self.get("-f", "-z", "-Sat, 12 Sep 2020 00:00:00 GMT", self.base + "/blob.bin")
        self.assertEqual(cp.returncode, 22, cp.stderr)
        self.assertIn("412", cp.stderr)
        cp = self.get("-z", "not a date", self.base + "/blob.bin")
        self.assertEqual(cp.returncode, 2, cp.stderr)

    def test_ranges(self):
        cp = self.get("-r", "0-99", "-o", self.path("head"), "-i", self.base + "/blob.bin")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertRegex(cp.stdout, r"^HTTP/1\.1 206 Partial Content\r\n")
        self.assertRegex(cp.stdout, r"(?mi)^content-range: bytes 0-99/150000\r$")
        self.assertEqual(self.read("head"), self.blob[:100])
        cp = self.get("-r", "149990-", "-o", self.path("tail"), self.base + "/blob.bin")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(self.read("tail"), self.blob[149990:])
        cp = self.get("-r", "-5", "-o", self.path("suffix"), self.base + "/blob.bin")
        self.assertEqual(self.read("suffix"), self.blob[-5:])

    def test_several_urls_share_one_connection(self):
        before = len(self.nginx.access_log())
        urls = [self.base + p for p in ("/a.txt", "/b.txt", "/c.txt", "/gz/text.txt")]
        cp = self.get("-v", "--compressed", *urls)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout, "A\nBB\nCCC\n" + self.text.decode())
        self.assertEqual(cp.stderr.count("* Connected to 127.0.0.1"), 1, cp.stderr)
        self.assertEqual(cp.stderr.count("* Re-using existing connection #0"), 3, cp.stderr)
        log = self.nginx.access_log()[before:]
        self.assertEqual([line[2].split()[1] for line in log],
                         ["/a.txt", "/b.txt", "/c.txt", "/gz/text.txt"])
        self.assertEqual(len({line[0] for line in log}), 1, log)  # one $connection
        self.assertEqual([line[1] for line in log], ["1", "2", "3", "4"])

    def test_redirects_and_failures(self):
        cp = self.get("-L", "-v", self.base + "/old")
        self.assertEqual((cp.returncode, cp.stdout), (0, "the new place\n"), cp.stderr)
        self.assertRegex(cp.stderr, r"(?m)^< HTTP/1\.1 301 ")
        self.assertEqual(cp.stderr.count("* Connected to"), 1, cp.stderr)  # same origin
        cp = self.get(self.base + "/old")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("301", cp.stdout)  # nginx's own page, since -L was not given
        cp = self.get("-f", self.base + "/missing")
        self.assertEqual(cp.returncode, 22, cp.stderr)
        self.assertEqual(cp.stdout, "")
        self.assertEqual(self.get(self.base + "/missing").returncode, 0)

    @unittest.skipUnless(CURL, "curl is not installed")
    def test_cookie_jars_pass_between_l7_and_curl(self):
        jar = self.path("l7.jar")
        cp = self.get("-c", jar, self.base + "/set-cookies")
        self.assertEqual((cp.returncode, cp.stdout), (0, "cookies set\n"), cp.stderr)
        with open(jar) as f:
            text = f.read()
        self.assertTrue(text.startswith("# Netscape HTTP Cookie File\n"), text)
        self.assertRegex(text, r"(?m)^127\.0\.0\.1\tFALSE\t/\tFALSE\t0\tsession\tabc123$")
        self.assertRegex(text, r"(?m)^#HttpOnly_127\.0\.0\.1\tFALSE\t/\tFALSE\t\d+\ttheme\tdark$")
        out = subprocess.run([CURL, "-s", "-b", jar, self.base + "/show-cookies"],
                             capture_output=True, timeout=l7test.RUN_TIMEOUT, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"^cookie=\[.*\]\n$")
        pairs = sorted(out.stdout[8:-2].split("; "))
        self.assertEqual(pairs, ["session=abc123", "theme=dark"])

        curl_jar = self.path("curl.jar")
        out = subprocess.run([CURL, "-s", "-c", curl_jar, self.base + "/set-cookies"],
                             capture_output=True, timeout=l7test.RUN_TIMEOUT)
        self.assertEqual(out.returncode, 0, out.stderr)
        cp = self.get("-b", curl_jar, self.base + "/show-cookies")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertRegex(cp.stdout, r"^cookie=\[.*\]\n$")
        self.assertEqual(sorted(cp.stdout[8:-2].split("; ")), ["session=abc123", "theme=dark"])
        # -b with NAME=VALUE sends it as given, with the jar's cookies.
        cp = self.get("-b", curl_jar, "-b", "extra=1", self.base + "/show-cookies")
        self.assertIn("extra=1", cp.stdout)
        self.assertIn("session=abc123", cp.stdout)

    def test_cookies_apply_across_redirects(self):
        jar = self.path("redirect.jar")
        cp = self.get("-L", "-c", jar, self.base + "/login")
        self.assertEqual((cp.returncode, cp.stdout), (0, "cookie=[auth=ok]\n"), cp.stderr)
        with open(jar) as f:
            self.assertRegex(f.read(), r"(?m)^127\.0\.0\.1\tFALSE\t/\tFALSE\t0\tauth\tok$")
        # Without the cookie engine the redirect goes without the cookie, as with curl.
        cp = self.get("-L", self.base + "/login")
        self.assertEqual(cp.stdout, "cookie=[]\n")


if __name__ == "__main__":
    l7test.main()
