#!/usr/bin/python3
"""`l7 http get` against servers that are not l7: Python's http.server (HTTP/1.0,
SimpleHTTPRequestHandler: files, a directory redirect, 404) and a small HTTP/1.1 handler
written here on the stdlib (chunked bodies, an echo of the request, a redirect chain, gzip
bodies good and corrupt, keep-alive), a raw server that drops each connection after one
answer (the retry of an idempotent request on a new connection), plus curl's exit codes for
refused connections and unknown names."""

import functools
import gzip
import hashlib
import http.server
import os
import socket
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
        elif self.path == "/gzip":
            self._send(200, gzip.compress(b"squeezed " * 1000),
                       [("Content-Encoding", "gzip"), ("Content-Type", "text/plain")])
        elif self.path == "/badgzip":
            self._send(200, gzip.compress(b"squeezed " * 1000)[:-30] + b"x" * 30,
                       [("Content-Encoding", "gzip")])
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


class _OneAnswerPerConnection:
    """Answers the first request on each connection (keep-alive, so the client keeps it) and
    closes the connection when the second request arrives, unanswered: the race of a server's
    idle timeout with the client's next request, made certain."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.base = "http://127.0.0.1:%d" % self.port
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.connections += 1
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        with conn:
            try:
                head, eof = l7test.recv_until(conn, lambda d: b"\r\n\r\n" in d)
                if eof:
                    return
                path = head.split(b" ")[1]
                body = b"answer for " + path + b"\n"
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
                rest = head[head.index(b"\r\n\r\n") + 4:]
                if b"\r\n\r\n" not in rest:
                    l7test.recv_until(conn, lambda d: b"\r\n\r\n" in d)
            except (AssertionError, OSError):
                pass

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


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

    def test_gzip_bodies_and_keep_alive(self):
        cp = run_l7(["http", "get", "--compressed", "-v", self.h11.base + "/gzip"])
        self.assertEqual((cp.returncode, cp.stdout), (0, "squeezed " * 1000), cp.stderr)
        self.assertIn("> Accept-Encoding: gzip", cp.stderr)
        cp = run_l7(["http", "get", "--compressed", self.h11.base + "/badgzip"])
        self.assertEqual(cp.returncode, 61, cp.stderr)
        # Python's HTTP/1.1 handler keeps the connection: four URLs, one connection; the
        # HTTP/1.0 file server closes each one.
        urls = [self.h11.base + p for p in ("/hop/0", "/chunked", "/hop/0", "/nothing")]
        cp = run_l7(["http", "get", "-v"] + urls)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout, "arrived\nhello, chunked world\narrived\nno\n")
        self.assertEqual(cp.stderr.count("* Connected to"), 1, cp.stderr)
        self.assertEqual(cp.stderr.count("* Re-using existing connection"), 3, cp.stderr)
        cp = run_l7(["http", "get", "-v", self.files.base + "/docs/", self.files.base + "/docs/"])
        self.assertEqual((cp.returncode, cp.stdout), (0, "<p>docs</p>\n" * 2), cp.stderr)
        self.assertEqual(cp.stderr.count("* Connected to"), 2, cp.stderr)
        # A failed URL does not stop the ones after it; the exit code is the failure's, and -f
        # prints nothing of the failed response.
        cp = run_l7(["http", "get", "-f", self.h11.base + "/nothing", self.h11.base + "/hop/0"])
        self.assertEqual((cp.returncode, cp.stdout), (22, "arrived\n"), cp.stderr)
        # Repeatable options take one value each: the URLs after them stay URLs.
        cp = run_l7(["http", "get", "-H", "X-A: 1", "-H", "X-B: 2", self.h11.base + "/echo",
                     self.h11.base + "/hop/0"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("X-A: 1\nX-B: 2\n", cp.stdout)
        self.assertTrue(cp.stdout.endswith("arrived\n"), cp.stdout)

    def test_a_request_is_retried_when_a_kept_connection_was_closed(self):
        server = _OneAnswerPerConnection()
        self.addCleanup(server.close)
        urls = [server.base + p for p in ("/1", "/2", "/3")]
        cp = run_l7(["http", "get", "-v"] + urls)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout, "answer for /1\nanswer for /2\nanswer for /3\n")
        self.assertEqual(cp.stderr.count("retrying on a new connection"), 2, cp.stderr)
        self.assertEqual(server.connections, 3)
        # A POST is not idempotent: it is not sent twice, and the second URL fails (52 for
        # the close, 56 should the close come as a reset).
        cp = run_l7(["http", "get", "-d", "x=1", server.base + "/a", server.base + "/b"])
        self.assertIn(cp.returncode, (52, 56), cp.stderr)
        self.assertEqual(cp.stdout, "answer for /a\n")
        self.assertEqual(server.connections, 4)

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
