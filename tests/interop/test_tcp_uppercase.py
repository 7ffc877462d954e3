#!/usr/bin/python3
"""`l7 socket tcp-server` against netcat-openbsd, Python clients and l7's tcp-client;
`l7 socket tcp-client` against a Python-stdlib line-uppercase server."""

import shutil
import socket
import socketserver
import subprocess
import threading
import time

import l7test
from l7test import IO_TIMEOUT, recv_lines, recv_to_eof, tcp_connect


class _UppercaseHandler(socketserver.StreamRequestHandler):
    timeout = IO_TIMEOUT

    def handle(self):
        mode = self.server.mode
        for _ in range(10000):  # bounded: no test sends more lines than this
            line = self.rfile.readline(1 << 20)
            if not line:
                return
            self.server.received.append(line)
            if mode == "close":
                return  # hang up without replying
            reply = line.rstrip(b"\r\n").upper()
            if mode == "crlf-bytewise":
                # CRLF line ends and one byte per write: the client must reassemble lines.
                for b in reply + b"\r\n":
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
            else:
                self.wfile.write(reply + b"\n")
                self.wfile.flush()


class PythonTcpUppercase(socketserver.ThreadingTCPServer):
    """A third-party TCP peer built on the stdlib's socketserver."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode="plain"):
        self.mode = mode
        self.received = []
        super().__init__(("127.0.0.1", 0), _UppercaseHandler)
        self.port = self.server_address[1]
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self):
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TcpUppercaseTest(l7test.TestCase):
    def test_netcat_openbsd(self):
        nc = shutil.which("nc")
        if nc is None:
            self.fail("nc (netcat-openbsd) is not installed; run scripts/deps.sh")
        srv = self.server("tcp-server")
        cp = subprocess.run(
            [nc, "-N", "127.0.0.1", str(srv.port)],
            input=b"hello\nworld\n",
            capture_output=True,
            timeout=30,
        )
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout, b"HELLO\nWORLD\n")
        self.assertStopsCleanly(srv)

    def test_many_lines_one_connection(self):
        srv = self.server("tcp-server")
        with tcp_connect(srv.address) as s:
            # One at a time.
            for i in range(50):
                s.sendall(b"line number %d\n" % i)
                self.assertEqual(recv_lines(s, 1), [b"LINE NUMBER %d" % i])
            # Pipelined: 1000 lines in one write, replies in order.
            lines = [b"pipelined %04d abc" % i for i in range(1000)]
            s.sendall(b"\n".join(lines) + b"\n")
            self.assertEqual(recv_lines(s, 1000), [line.upper() for line in lines])
            # A line in pieces, an empty line, a CRLF line, and non-ASCII bytes.
            for piece in (b"hel", b"lo wo", b"rld\n"):
                s.sendall(piece)
                time.sleep(0.05)
            self.assertEqual(recv_lines(s, 1), [b"HELLO WORLD"])
            s.sendall(b"\n")
            self.assertEqual(recv_lines(s, 1), [b""])
            s.sendall(b"crlf line\r\n")
            self.assertEqual(recv_lines(s, 1)[0].rstrip(b"\r"), b"CRLF LINE")
            s.sendall("gr\u00fc\u00dfe\n".encode())
            self.assertEqual(recv_lines(s, 1), ["GR\u00fc\u00dfE".encode()])
            # Half-close: the server answers what it has and closes.
            s.sendall(b"last\n")
            s.shutdown(socket.SHUT_WR)
            self.assertEqual(recv_to_eof(s), b"LAST\n")
        self.assertStopsCleanly(srv)

    def test_twenty_concurrent_clients(self):
        srv = self.server("tcp-server")
        n = 20
        barrier = threading.Barrier(n, timeout=IO_TIMEOUT * 2)
        results = [None] * n

        def client(i):
            try:
                with tcp_connect(srv.address) as s:
                    barrier.wait()  # all 20 connected before anyone sends
                    mine = [b"client %02d line %d %s" % (i, k, b"x" * i) for k in range(5)]
                    for line in mine:
                        s.sendall(line + b"\n")
                    got = recv_lines(s, len(mine))
                    s.shutdown(socket.SHUT_WR)
                    rest = recv_to_eof(s)
                    results[i] = (got == [m.upper() for m in mine] and rest == b"", got)
            except Exception as e:  # reported below with the client's number
                results[i] = (False, repr(e))

        threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=IO_TIMEOUT * 3)
        self.assertFalse(any(t.is_alive() for t in threads), "a client thread hung")
        for i, r in enumerate(results):
            self.assertIsNotNone(r, "client %d did not finish" % i)
            self.assertTrue(r[0], "client %d: %r" % (i, r[1]))
        self.assertStopsCleanly(srv)

    def test_l7_tcp_client_against_l7_server(self):
        srv = self.server("tcp-server")
        cp = l7test.run_l7(["socket", "tcp-client", "--server", srv.hostport, "hello", "Big world"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout, "HELLO\nBIG WORLD\n")
        lines = ["sentence %d from stdin" % i for i in range(100)]
        cp = l7test.run_l7(
            ["socket", "tcp-client", "--server", srv.hostport], input="\n".join(lines) + "\n"
        )
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout.splitlines(), [line.upper() for line in lines])
        self.assertStopsCleanly(srv)

    def test_l7_tcp_client_against_python_server(self):
        peer = PythonTcpUppercase()
        try:
            cp = l7test.run_l7(
                ["socket", "tcp-client", "--server", "127.0.0.1:%d" % peer.port, "one", "two"]
            )
            self.assertEqual(cp.returncode, 0, cp.stderr)
            self.assertEqual(cp.stdout, "ONE\nTWO\n")
            self.assertEqual(peer.received, [b"one\n", b"two\n"])
        finally:
            peer.close()

    def test_l7_tcp_client_reassembles_fragmented_crlf_replies(self):
        peer = PythonTcpUppercase(mode="crlf-bytewise")
        try:
            cp = l7test.run_l7(
                ["socket", "tcp-client", "--server", "127.0.0.1:%d" % peer.port],
                input="first line\nsecond\n",
            )
            self.assertEqual(cp.returncode, 0, cp.stderr)
            self.assertEqual(cp.stdout, "FIRST LINE\nSECOND\n")
        finally:
            peer.close()

    def test_l7_tcp_client_peer_closes_without_reply(self):
        peer = PythonTcpUppercase(mode="close")
        try:
            args = ["socket", "tcp-client", "--server", "127.0.0.1:%d" % peer.port, "hello"]
            cp = l7test.run_l7(args)
            self.assertFailureLine(cp, args)
            self.assertEqual(cp.stdout, "")
        finally:
            peer.close()

    def test_l7_tcp_client_no_server(self):
        args = ["socket", "tcp-client", "--server", "127.0.0.1:%d" % free_tcp_port(), "hello"]
        cp = l7test.run_l7(args)
        self.assertFailureLine(cp, args)
        self.assertEqual(cp.stdout, "")

    def test_too_long_line_gets_error_and_eof(self):
        srv = self.server("tcp-server", "--max-line", "100")
        with tcp_connect(srv.address) as s:
            s.sendall(b"x" * 100 + b"\n")  # exactly the limit: fine
            self.assertEqual(recv_lines(s, 1), [b"X" * 100])
            s.sendall(b"short\n" + b"y" * 101 + b"\nnever answered\n")
            data = recv_to_eof(s)
            self.assertEqual(data, b"SHORT\nERROR line longer than 100 bytes\n")
        # A long line with no newline at all is refused as well.
        with tcp_connect(srv.address) as s:
            s.sendall(b"z" * 5000)
            self.assertEqual(recv_to_eof(s), b"ERROR line longer than 100 bytes\n")
        self.assertStopsCleanly(srv)

    def test_too_long_line_default_limit(self):
        srv = self.server("tcp-server")
        with tcp_connect(srv.address) as s:
            try:
                s.sendall(b"q" * 200000 + b"\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may close before it has read everything: that is fine
            data = recv_to_eof(s)
            self.assertEqual(data, b"ERROR line longer than 65536 bytes\n")
        self.assertStillRunning(srv)
        with tcp_connect(srv.address) as s:
            s.sendall(b"still here\n")
            self.assertEqual(recv_lines(s, 1), [b"STILL HERE"])
        self.assertStopsCleanly(srv)

    def test_idle_timeout_closes_silent_connection(self):
        srv = self.server("tcp-server", "--idle-timeout", "1s")
        with tcp_connect(srv.address) as silent:
            # recv_to_eof fails the test if the server has not closed within 10 s.
            self.assertEqual(recv_to_eof(silent, timeout=10.0), b"")
        # A connection that talks is served, then also closed once it falls silent.
        with tcp_connect(srv.address) as s:
            s.sendall(b"talk\n")
            self.assertEqual(recv_lines(s, 1), [b"TALK"])
            self.assertEqual(recv_to_eof(s, timeout=10.0), b"")
        self.assertStopsCleanly(srv)

    def test_max_connections(self):
        srv = self.server("tcp-server", "--max-connections", "2", "--threads", "1")
        a = tcp_connect(srv.address)
        b = tcp_connect(srv.address)
        try:
            for s, word in ((a, b"a"), (b, b"b")):
                s.sendall(word + b"\n")
                self.assertEqual(recv_lines(s, 1), [word.upper()])
            # The third is accepted by the kernel and closed by the server without a reply.
            with tcp_connect(srv.address) as c:
                try:
                    c.sendall(b"c\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.assertEqual(recv_to_eof(c), b"")
        finally:
            a.close()
            b.close()

        # With both closed, new connections are served again (the count is released).
        def served():
            try:
                with tcp_connect(srv.address) as s:
                    s.sendall(b"again\n")
                    data, eof = l7test.recv_until(s, lambda d: b"\n" in d, timeout=2.0)
                    return data == b"AGAIN\n"
            except (OSError, AssertionError):
                return False

        l7test.wait_until(served, IO_TIMEOUT, interval=0.1, what="a served connection")
        self.assertStopsCleanly(srv)


if __name__ == "__main__":
    l7test.main()
