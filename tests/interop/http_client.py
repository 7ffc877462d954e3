#!/usr/bin/python3
"""`l7 http get` against servers that are not l7: Python's http.server (HTTP/1.0,
SimpleHTTPRequestHandler: files, a directory redirect, 404) and a small HTTP/1.1 handler
written here on the stdlib (chunked bodies, an echo of the request, a redirect chain), plus
curl's exit codes for refused connections and unknown names."""

import functools
import hashlib
import http.server
import os
import subprocess
import tempfile
import threading

import l7test
from l7test import run_l7


class _Http11Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"hello, ", b"chunked ", b"world\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/echo":
            self._send(200, ("%s %s\n%s" % (self.command, self.path, self.headers)).encode())
        elif self.path.startswith("/hop/"):
            n = int(self.path[5:])
            if n == 0:
                self._send(200, b"arrived\n")
            else:
                self._send(302, b"moved\n", [("Location", "/hop/%d" % (n - 1))])
        else:
            self._send(404, b"no\n")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self._send(200, b"got " + body + b" as " + self.headers.get("Content-Type", "").encode())


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server:
    def __init__(self, handler):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.base = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class HttpClientTest(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.TemporaryDirectory(prefix="l7-httpc-")
        self.addCleanup(self.dir.cleanup)
        os.makedirs(os.path.join(self.dir.name, "docs"))
        self.blob = os.urandom(200_000)
        with open(os.path.join(self.dir.name, "blob.bin"), "wb") as f:
            f.write(self.blob)
        with open(os.path.join(self.dir.name, "docs", "index.html"), "wb") as f:
            f.write(b"<p>docs</p>\n")
        files = functools.partial(_QuietFiles, directory=self.dir.name)
        self.files = _Server(files)
        self.addCleanup(self.files.close)
        self.h11 = _Server(_Http11Handler)
        self.addCleanup(self.h11.close)

    def test_files_from_pythons_http_server(self):
        out = os.path.join(self.dir.name, "copy")
        cp = run_l7(["http", "get", "-o", out, self.files.base + "/blob.bin"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        with open(out, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).digest(), hashlib.sha256(self.blob).digest())
        cp = run_l7(["http", "get", "-I", self.files.base + "/blob.bin"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertRegex(cp.stdout, r"^HTTP/1\.0 200 OK\r\n")
        self.assertRegex(cp.stdout, r"(?mi)^content-length: 200000\r$")
        # /docs redirects to /docs/ (301); -L follows it, and -v shows both exchanges.
        cp = run_l7(["http", "get", "-L", "-v", self.files.base + "/docs"])
        self.assertEqual((cp.returncode, cp.stdout), (0, "<p>docs</p>\n"), cp.stderr)
        self.assertEqual(cp.stderr.count("> GET "), 2, cp.stderr)
        self.assertRegex(cp.stderr, r"(?m)^< HTTP/1\.0 301 ")
        self.assertEqual(run_l7(["http", "get", "-f", self.files.base + "/nothing"]).returncode, 22)
        self.assertEqual(run_l7(["http", "get", self.files.base + "/nothing"]).returncode, 0)

    def test_chunks_posts_and_redirect_limits_against_http11(self):
        cp = run_l7(["http", "get", self.h11.base + "/chunked"])
        self.assertEqual((cp.returncode, cp.stdout), (0, "hello, chunked world\n"), cp.stderr)
        cp = run_l7(["http", "get", "-H", "X-Course: networking", self.h11.base + "/echo"])
        self.assertIn("GET /echo\n", cp.stdout)
        self.assertIn("X-Course: networking", cp.stdout)
        self.assertRegex(cp.stdout, r"(?m)^Host: 127\.0\.0\.1:%d$" % self.h11.port)
        cp = run_l7(["http", "get", "-d", "item=socks", "-d", "qty=2", self.h11.base + "/cart"])
        self.assertEqual(cp.stdout, "got item=socks&qty=2 as application/x-www-form-urlencoded")
        cp = run_l7(["http", "get", "-L", self.h11.base + "/hop/3"])
        self.assertEqual((cp.returncode, cp.stdout), (0, "arrived\n"), cp.stderr)
        cp = run_l7(["http", "get", "-L", "--max-redirs", "2", self.h11.base + "/hop/3"])
        self.assertEqual(cp.returncode, 47, cp.stderr)

    def test_curls_exit_codes_for_failures(self):
        port = l7test.free_port()  # nothing listens there
        cp = run_l7(["http", "get", "http://127.0.0.1:%d/" % port])
        self.assertEqual(cp.returncode, 7, cp.stderr)
        self.assertEqual(len(cp.stderr.strip().splitlines()), 1, cp.stderr)
        cp = run_l7(["http", "get", "http://unknown.invalid/"],
                    env={"L7_RESOLVER": "127.0.0.1:%d" % port})
        self.assertEqual(cp.returncode, 6, cp.stderr)
        self.assertEqual(run_l7(["http", "get", "nonsense"]).returncode, 3)


if __name__ == "__main__":
    l7test.main()
