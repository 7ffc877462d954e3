#!/usr/bin/python3
"""`l7 http serve` against real clients: curl (HTTP/1.0 and 1.1, keep-alive reuse, ranges,
conditional requests with -z, HEAD), wget, Python's http.client and urllib; raw sockets for
pipelining, 100-continue and a torture list of malformed requests, each of which must get its
4xx/5xx while the server keeps serving; and the slowloris deadline (408)."""

import email.utils
import gzip
import hashlib
import http.client
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import l7test
from l7test import IO_TIMEOUT, recv_to_eof, tcp_connect



class HttpServer(l7test.HttpServer):
    def __init__(self, root, *args):
        super().__init__(["serve", root, "--listen", "127.0.0.1:0", "--threads", "1"]
                         + list(args))


def curl(*args):
    cp = subprocess.run(["curl", "-sS", "--max-time", "10"] + list(args), capture_output=True,
                        timeout=30)
    return cp


def exchange(port, data, timeout=IO_TIMEOUT):
    """Sends raw bytes and returns everything until the server closes."""
    with tcp_connect(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        return recv_to_eof(s, timeout=timeout)


def statuses(raw):
    return [int(m) for m in re.findall(rb"^HTTP/1\.1 (\d{3}) ", raw, re.M)]


class HttpServerTest(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.TemporaryDirectory(prefix="l7-http-")
        self.root = self.dir.name
        self.addCleanup(self.dir.cleanup)
        self.write("index.html", b"<html><body>hello</body></html>\n")
        self.big = os.urandom(300_000)
        self.write("data/big.bin", self.big)
        self.write("style.css", b"body { color: red }\n")
        self.write(".secret", b"do not serve\n")
        os.symlink("/etc/hostname", os.path.join(self.root, "escape"))
        self.server = HttpServer(self.root)
        self.addCleanup(self.server.close)

    def write(self, name, data):
        path = os.path.join(self.root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    def test_curl_gets_files_with_their_type_length_and_validators(self):
        cp = curl("-D", "-", self.server.base + "/")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        head, _, body = cp.stdout.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 OK"), head)
        self.assertEqual(body, b"<html><body>hello</body></html>\n")
        self.assertRegex(head, rb"(?mi)^content-type: text/html; charset=utf-8\r?$")
        self.assertRegex(head, rb"(?mi)^content-length: 32\r?$")
        self.assertRegex(head, rb'(?mi)^etag: "[^"]+"\r?$')
        self.assertRegex(head, rb"(?mi)^last-modified: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r?$")
        self.assertRegex(head, rb"(?mi)^date: ")
        big = curl(self.server.base + "/data/big.bin")
        self.assertEqual(hashlib.sha256(big.stdout).hexdigest(), hashlib.sha256(self.big).hexdigest())
        css = curl("-I", self.server.base + "/style.css")  # HEAD
        self.assertRegex(css.stdout, rb"(?mi)^content-type: text/css")
        self.assertRegex(css.stdout, rb"(?mi)^content-length: 20\r?$")

    def test_cached_files_reach_a_reader_that_cannot_take_them_at_once(self):
        # A small file is served from memory once it has settled (a second after its last
        # change): its bytes leave with the head in one write, and what the socket does not
        # take at once follows as the reader makes room. A hundred pipelined requests, not
        # read for a while, fill the socket: some responses go out whole, some in part, the
        # rest wait.
        data = os.urandom(60_000)
        self.write("data/cached.bin", data)
        time.sleep(1.2)
        self.assertEqual(curl(self.server.base + "/data/cached.bin").stdout, data)  # kept now
        count = 100  # 6 MB: more than the server's socket buffer grows to (tcp_wmem: 4 MB)
        request = b"GET /data/cached.bin HTTP/1.1\r\nHost: x\r\n\r\n"
        last = b"GET /data/cached.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        with socket.socket() as s:
            # The default receive buffer: a tiny one (SO_RCVBUF 4096) made the kernel drop
            # segments and wait for retransmission timeouts: 6 MB then took longer than 10 s.
            s.settimeout(IO_TIMEOUT)
            s.connect(("127.0.0.1", self.server.port))
            s.sendall(request * (count - 1) + last)
            time.sleep(0.5)  # the server meets a full socket
            raw = recv_to_eof(s)
        for i in range(count):
            head, _, rest = raw.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), (i, head[:80]))
            self.assertRegex(head, rb"(?mi)^content-length: 60000\r?$")
            self.assertEqual(rest[:60_000], data, "response %d" % i)
            raw = rest[60_000:]
        self.assertEqual(raw, b"")

    def test_many_pipelined_requests_sent_at_once_are_all_answered(self):
        # 2,000 small requests in one write: far more than the server reads at once (its
        # inbox, then at most 64 KiB before it answers what it has). The rest stay in the
        # socket, announced by no new readiness event, and must still be read and answered.
        self.write("data/tiny.txt", b"t")
        count = 2000
        request = b"GET /data/tiny.txt HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 40 + b"\r\n\r\n"
        last = b"GET /data/tiny.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        with socket.socket() as s:
            s.settimeout(IO_TIMEOUT)
            s.connect(("127.0.0.1", self.server.port))
            s.sendall(request * (count - 1) + last)
            raw = recv_to_eof(s)
        self.assertEqual(raw.count(b"HTTP/1.1 200 OK\r\n"), count)
        self.assertTrue(raw.endswith(b"\r\n\r\nt"))

    def test_a_precompressed_gz_is_sent_to_clients_that_accept_gzip(self):
        text = b"body { margin: 0 }\n" * 200
        self.write("site.css", text)
        self.write("site.css.gz", gzip.compress(text))
        cp = curl("--compressed", "-D", "-", self.server.base + "/site.css")
        head, _, body = cp.stdout.partition(b"\r\n\r\n")
        self.assertEqual(body, text)  # curl decoded it
        self.assertRegex(head, rb"(?mi)^content-encoding: gzip\r?$")
        self.assertRegex(head, rb"(?mi)^vary: Accept-Encoding\r?$")
        self.assertRegex(head, rb"(?mi)^content-type: text/css")
        plain = curl("-D", "-", self.server.base + "/site.css")
        head, _, body = plain.stdout.partition(b"\r\n\r\n")
        self.assertEqual(body, text)
        self.assertNotRegex(head, rb"(?mi)^content-encoding:")
        self.assertRegex(head, rb"(?mi)^vary: Accept-Encoding\r?$")

    def test_http10_and_keep_alive_reuse(self):
        cp = curl("-0", "-v", self.server.base + "/style.css", self.server.base + "/")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        # HTTP/1.0 without keep-alive: a new connection for the second URL.
        self.assertEqual(cp.stderr.count(b"Connected to"), 2, cp.stderr)
        cp = curl("-v", self.server.base + "/style.css", self.server.base + "/")
        self.assertIn(b"Re-using existing connection", cp.stderr)  # HTTP/1.1 keeps it open

    def test_ranges(self):
        cp = curl("-r", "100-199", "-D", "-", self.server.base + "/data/big.bin")
        head, _, body = cp.stdout.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 206"), head)
        self.assertRegex(head, rb"(?mi)^content-range: bytes 100-199/300000\r?$")
        self.assertEqual(body, self.big[100:200])
        cp = curl("-r", "-50", self.server.base + "/data/big.bin")  # the last 50 bytes
        self.assertEqual(cp.stdout, self.big[-50:])
        cp = curl("-r", "0-9,1000-1009", "-D", "-", self.server.base + "/data/big.bin")
        self.assertRegex(cp.stdout, rb"(?mi)^content-type: multipart/byteranges; boundary=")
        self.assertIn(self.big[0:10], cp.stdout)
        self.assertIn(self.big[1000:1010], cp.stdout)
        cp = curl("-r", "400000-", "-o", "/dev/null", "-w", "%{http_code}",
                  self.server.base + "/data/big.bin")
        self.assertEqual(cp.stdout, b"416")

    def test_conditional_requests(self):
        path = os.path.join(self.root, "data/big.bin")
        mtime = os.stat(path).st_mtime
        later = email.utils.formatdate(mtime + 3600, usegmt=True)
        earlier = email.utils.formatdate(mtime - 3600, usegmt=True)
        code = lambda *a: curl("-o", "/dev/null", "-w", "%{http_code}", *a).stdout
        self.assertEqual(code("-z", later, self.server.base + "/data/big.bin"), b"304")
        self.assertEqual(code("-z", earlier, self.server.base + "/data/big.bin"), b"200")
        etag = re.search(rb'(?mi)^etag: ("[^"]+")', curl("-I", self.server.base + "/").stdout)
        self.assertIsNotNone(etag)
        self.assertEqual(code("-H", b"If-None-Match: " + etag.group(1), self.server.base + "/"),
                         b"304")
        self.assertEqual(code("-H", 'If-Match: "other"', self.server.base + "/"), b"412")

    def test_wget_and_python_clients(self):
        with tempfile.TemporaryDirectory() as out:
            cp = subprocess.run(["wget", "-q", "-O", os.path.join(out, "b"),
                                 self.server.base + "/data/big.bin"], capture_output=True,
                                timeout=30)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            with open(os.path.join(out, "b"), "rb") as f:
                self.assertEqual(f.read(), self.big)
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=IO_TIMEOUT)
        for _ in range(3):  # one connection, three requests
            conn.request("GET", "/style.css")
            r = conn.getresponse()
            self.assertEqual((r.status, r.read()), (200, b"body { color: red }\n"))
        conn.close()
        with urllib.request.urlopen(self.server.base + "/", timeout=IO_TIMEOUT) as r:
            self.assertEqual(r.read(), b"<html><body>hello</body></html>\n")

    def test_paths_cannot_escape_and_dotfiles_are_hidden(self):
        code = lambda p: curl("--path-as-is", "-o", "/dev/null", "-w", "%{http_code}",
                              self.server.base + p).stdout
        self.assertEqual(code("/../../etc/passwd"), b"400")
        self.assertEqual(code("/%2e%2e/%2e%2e/etc/passwd"), b"400")
        self.assertEqual(code("/data%2fbig.bin"), b"400")  # encoded slash
        self.assertEqual(code("/.secret"), b"404")
        self.assertEqual(code("/escape"), b"403")  # a symlink out of the root
        self.assertEqual(code("/nothing"), b"404")
        cp = curl("-D", "-", "-o", "/dev/null", self.server.base + "/data")
        self.assertRegex(cp.stdout, rb"^HTTP/1\.1 301")
        self.assertRegex(cp.stdout, rb"(?mi)^location: /data/\r?$")
        cp = curl("-X", "DELETE", "-D", "-", "-o", "/dev/null", self.server.base + "/")
        self.assertRegex(cp.stdout, rb"^HTTP/1\.1 405")
        self.assertRegex(cp.stdout, rb"(?mi)^allow: GET, HEAD, OPTIONS\r?$")

    def test_pipelined_requests_are_answered_in_order(self):
        raw = exchange(self.server.port,
                       b"GET /style.css HTTP/1.1\r\nHost: a\r\n\r\n"
                       b"HEAD /index.html HTTP/1.1\r\nHost: a\r\n\r\n"
                       b"GET /nothing HTTP/1.1\r\nHost: a\r\n\r\n"
                       b"GET /index.html HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        self.assertEqual(statuses(raw), [200, 200, 404, 200])
        self.assertEqual(raw.count(b"<html><body>hello</body></html>"), 1)  # HEAD has no body
        self.assertTrue(raw.index(b"body { color: red }") < raw.index(b"404 Not Found"))

    def test_curl_next_sends_its_requests_over_one_connection(self):
        # curl dropped HTTP pipelining in 7.65; --next sends one request after another on the
        # same kept-alive connection, each with its own options.
        url = self.server.base
        cp = curl("-v", url + "/style.css", "--next", "-I", url + "/index.html", "--next",
                  "-r", "0-3", url + "/index.html")
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stderr.count(b"Connected to"), 1, cp.stderr)
        self.assertEqual(cp.stderr.count(b"Re-using existing connection"), 2, cp.stderr)
        out = cp.stdout
        self.assertTrue(out.startswith(b"body { color: red }"), out)
        self.assertIn(b"HTTP/1.1 200 OK", out)  # the -I head
        self.assertTrue(out.endswith(b"<htm"), out)  # the 206's four bytes

    def test_expect_100_continue(self):
        with tcp_connect(("127.0.0.1", self.server.port)) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                      b"Content-Length: 4\r\nConnection: close\r\n\r\n")
            first = s.recv(100)
            self.assertTrue(first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), first)
            s.sendall(b"body")
            rest = recv_to_eof(s)
            self.assertEqual(statuses(first + rest), [100, 405])

    def test_malformed_requests_get_their_status_and_the_server_goes_on(self):
        torture = [
            (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\n\r\n", 400),
            (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", 414),
            (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"b" * 17000 + b"\r\n\r\n", 431),
            (b"GET / HTTP/1.1\r\nHost: a\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(120)) + b"\r\n", 431),
            (b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501),
            (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            (b"GET / HTTP/1.1\r\nHost: a\r\nExpect: tea\r\n\r\n", 417),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            (b"GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),  # a TLS ClientHello
        ]
        for wire, status in torture:
            raw = exchange(self.server.port, wire)
            self.assertEqual(statuses(raw)[:1], [status], (wire[:60], raw[:200]))
            self.assertRegex(raw, rb"(?mi)^connection: close\r$")
        self.assertEqual(curl(self.server.base + "/style.css").stdout, b"body { color: red }\n")
        self.assertStillRunning(self.server)

    def test_a_slow_head_gets_408(self):
        slow = HttpServer(self.root, "--header-timeout", "300ms")
        self.addCleanup(slow.close)
        with tcp_connect(("127.0.0.1", slow.port)) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n")  # and never the empty line
            raw = recv_to_eof(s)
        self.assertEqual(statuses(raw), [408])


if __name__ == "__main__":
    l7test.main()
