#!/usr/bin/python3
"""`l7 http serve` under many idle connections: 10,000 idle TCP connections and some
slowloris ones (half a request head) must not keep curl from getting its 200; the half heads
get 408 after --header-timeout while the idle connections stay open and usable; and with
--max-connections N the connection over the limit is accepted and closed at once, without a
response, until a slot frees up; and clients that hang up right after their request (the
server's write then fails with EPIPE) do not take the server down."""

import os
import re
import resource
import selectors
import tempfile

import l7test
from http_server import HttpServer, curl, statuses
from l7test import recv_to_eof, tcp_connect, wait_until

IDLE = 10_000
HALF_HEADS = 20
BODY = b"<html><body>idle test</body></html>\n"


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def connect_many(port, count):
    """COUNT TCP connections to the server, each blocking until established (a full listen
    backlog only delays a connect: the SYN is retransmitted)."""
    socks = []
    try:
        for _ in range(count):
            socks.append(tcp_connect(("127.0.0.1", port), timeout=30))
    except BaseException:
        close_all(socks)
        raise
    return socks


def close_all(socks):
    for s in socks:
        s.close()


def readable(socks):
    """The sockets with something to read (data, EOF or an error) right now."""
    with selectors.DefaultSelector() as sel:
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        return [key.fileobj for key, _ in sel.select(timeout=0)]


def get_on_each(socks, path, timeout=120.0):
    """A keep-alive GET of PATH on every socket at once; returns each one's status once its
    whole response (head and Content-Length body) arrived. Fails on EOF or after timeout."""
    request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode()
    results = {}
    with selectors.DefaultSelector() as sel:
        for s in socks:
            s.setblocking(True)
            s.settimeout(l7test.IO_TIMEOUT)
            s.sendall(request)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, bytearray())
        deadline = l7test.Deadline(timeout)
        while len(results) < len(socks):
            if deadline.expired():
                raise AssertionError("%d of %d responses missing after %.0f s"
                                     % (len(socks) - len(results), len(socks), timeout))
            for key, _ in sel.select(timeout=min(1.0, deadline.remaining())):
                buf = key.data
                chunk = key.fileobj.recv(65536)
                if not chunk:
                    raise AssertionError("the server closed a connection instead of answering; "
                                         "got %r" % bytes(buf[:200]))
                buf += chunk
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    continue
                head = bytes(buf[:end])
                m = re.search(rb"(?im)^content-length:\s*(\d+)\r?$", head)
                if m and len(buf) >= end + 4 + int(m.group(1)):
                    results[key.fileobj] = int(head.split(b" ", 2)[1])
                    sel.unregister(key.fileobj)
    return results


class HttpIdleTest(l7test.TestCase):
    def setUp(self):
        super().setUp()
        soft = l7test.raise_nofile(IDLE + 1000)
        if soft < IDLE + 200:
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            self.skipTest("RLIMIT_NOFILE hard limit %d is below %d" % (hard, IDLE + 200))
        self.dir = tempfile.TemporaryDirectory(prefix="l7-http-idle-")
        self.addCleanup(self.dir.cleanup)
        with open(os.path.join(self.dir.name, "index.html"), "wb") as f:
            f.write(BODY)

    def serve(self, *args):
        server = HttpServer(self.dir.name, *args)
        self.addCleanup(server.close)
        return server

    def curl_root(self, server):
        """curl's run for GET /: stdout is the body, a newline and the status code."""
        return curl("-o", "-", "-w", "\n%{http_code}", server.base + "/")

    def test_ten_thousand_idle_connections_and_slowloris_do_not_block_new_clients(self):
        # Room for the idle, half-head and curl connections above the default 10,000.
        server = self.serve("--header-timeout", "1s", "--idle-timeout", "300s",
                            "--max-connections", str(IDLE + 500))
        base_fds = open_fds(server.pid)
        idle = connect_many(server.port, IDLE)
        self.addCleanup(close_all, idle)
        # The server holds them all (accepted, not just queued in the kernel's backlog).
        wait_until(lambda: open_fds(server.pid) >= base_fds + IDLE, 120,
                   what="l7 to accept %d connections" % IDLE)
        half = connect_many(server.port, HALF_HEADS)
        self.addCleanup(close_all, half)
        for s in half:
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow")
        for _ in range(5):
            cp = self.curl_root(server)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            self.assertEqual(cp.stdout, BODY + b"\n200")
        # Each half head gets 408 (RFC 9110 15.5.9) once --header-timeout passes, then EOF.
        for s in half:
            raw = recv_to_eof(s, timeout=30)
            self.assertEqual(statuses(raw), [408], raw[:300])
            self.assertRegex(raw, rb"(?mi)^connection: close\r$")
        # No idle connection was closed or answered meanwhile, and every one still works.
        self.assertEqual(len(readable(idle)), 0, "idle connections closed by the server")
        answers = get_on_each(idle, "/index.html")
        self.assertEqual(len(answers), IDLE)
        self.assertEqual(set(answers.values()), {200})
        self.assertStillRunning(server)
        # A graceful stop does not wait for the idle keep-alive connections.
        self.assertStopsCleanly(server)

    def test_the_connection_over_max_connections_is_closed_without_a_response(self):
        server = self.serve("--max-connections", "5")
        held = connect_many(server.port, 5)
        self.addCleanup(close_all, held)
        # A request on each makes sure the server accepted (and counts) all five.
        self.assertEqual(set(get_on_each(held, "/index.html").values()), {200})
        for attempt in range(3):
            with tcp_connect(("127.0.0.1", server.port)) as extra:
                # The kernel completes the handshake; l7 accepts, then closes at once.
                self.assertEqual(recv_to_eof(extra), b"")
            cp = self.curl_root(server)
            # curl: 52 "Empty reply from server" (or 56 if the close came as a reset).
            self.assertIn(cp.returncode, (52, 56), (cp.returncode, cp.stdout, cp.stderr))
            self.assertNotIn(b"HTTP/", cp.stdout)
        server.wait_for(r"connection limit reached \(5\): closing a new connection")
        # The five held connections were not disturbed.
        self.assertEqual(len(readable(held)), 0)
        self.assertEqual(set(get_on_each(held, "/index.html").values()), {200})
        # Closing one frees its slot: a new client gets in (once the server saw the close).
        held.pop().close()

        def curl_ok():
            cp = self.curl_root(server)
            return cp.returncode == 0 and cp.stdout == BODY + b"\n200"

        wait_until(curl_ok, 30, interval=0.1, what="a free slot after closing a connection")
        self.assertStopsCleanly(server)

    def test_clients_that_hang_up_before_their_response_do_not_kill_the_server(self):
        # The request, then close() at once: the server's writes meet a connection the client
        # has reset (EPIPE), which must end that connection only, never raise SIGPIPE.
        server = self.serve()
        for _ in range(100):
            try:
                with tcp_connect(("127.0.0.1", server.port)) as s:
                    s.sendall(b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            except OSError as e:
                self.fail("the server is gone (%s):\n%s" % (e, server.describe()))
        cp = self.curl_root(server)
        self.assertEqual(cp.stdout, BODY + b"\n200", server.describe())
        self.assertStopsCleanly(server)


if __name__ == "__main__":
    l7test.main()
