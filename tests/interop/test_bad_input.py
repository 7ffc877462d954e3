#!/usr/bin/python3
"""Bad input does not hurt the socket servers: the largest UDP datagram, binary garbage over
UDP and TCP, abrupt resets, silent clients and 1000 connections at once. After each attack
the server still answers a normal client, and SIGTERM still stops it with exit code 0."""

import random
import socket
import struct

import l7test
from l7test import recv_lines, recv_to_eof, tcp_connect, udp_exchange, udp_socket

MAX_UDP_PAYLOAD = 65507  # 65535 - 20 (IPv4 header) - 8 (UDP header)


def expected_tcp_replies(data):
    """The uppercase server's replies to `data`: one per complete line, CR before LF removed,
    ASCII letters upper-cased."""
    lines = data.split(b"\n")[:-1]  # the part after the last LF is not a line yet
    out = b""
    for line in lines:
        if line.endswith(b"\r"):
            line = line[:-1]
        out += line.upper() + b"\n"
    return out


def reset_close(sock):
    """Closes with an RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class BadInputTest(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.rng = random.Random(0x17)  # reproducible garbage

    def garbage(self, n, newlines=True):
        data = bytes(self.rng.getrandbits(8) for _ in range(n))
        if not newlines:
            data = data.replace(b"\n", b"\x00")
        return data

    def assertUdpServes(self, srv):
        self.assertStillRunning(srv)
        self.assertEqual(udp_exchange(srv.address, b"are you ok"), b"ARE YOU OK")

    def assertTcpServes(self, srv):
        self.assertStillRunning(srv)
        with tcp_connect(srv.address) as s:
            s.sendall(b"are you ok\n")
            self.assertEqual(recv_lines(s, 1), [b"ARE YOU OK"])

    def test_largest_udp_datagram(self):
        srv = self.server("udp-server")
        payload = bytes(self.rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 ")
                        for _ in range(MAX_UDP_PAYLOAD))
        reply = udp_exchange(srv.address, payload, rcvbuf=1 << 20)
        self.assertEqual(len(reply), MAX_UDP_PAYLOAD)
        self.assertEqual(reply, payload.upper())
        # And in echo mode, binary, byte for byte.
        echo = self.server("udp-server", "--echo")
        blob = self.garbage(MAX_UDP_PAYLOAD)
        self.assertEqual(udp_exchange(echo.address, blob, rcvbuf=1 << 20), blob)
        self.assertUdpServes(srv)
        self.assertStopsCleanly(srv)
        self.assertStopsCleanly(echo)

    def test_udp_binary_garbage(self):
        srv = self.server("udp-server")
        with udp_socket(rcvbuf=1 << 20) as s:
            # One at a time: every reply is exactly the upper-cased datagram.
            for i in range(300):
                n = self.rng.choice([0, 1, 2, 7, 100, 512, 1472, 1473, 4096, 20000])
                data = self.garbage(n)
                if i % 10 == 0:
                    data = b"\x00" + data  # NUL first
                s.sendto(data, srv.address)
                reply, _ = s.recvfrom(65535)
                self.assertEqual(reply, data.upper(), "datagram %d (%d bytes)" % (i, len(data)))
        # A burst nobody reads the replies to.
        with udp_socket() as s:
            for _ in range(2000):
                s.sendto(self.garbage(self.rng.randrange(0, 1500)), srv.address)
        self.assertUdpServes(srv)
        self.assertStopsCleanly(srv)

    def test_tcp_binary_garbage(self):
        srv = self.server("tcp-server")
        # Garbage with newlines: the replies are still exactly the upper-cased lines.
        for i in range(20):
            data = self.garbage(self.rng.randrange(1, 8000)) + b"\n"
            with tcp_connect(srv.address) as s:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                got = recv_to_eof(s)
            self.assertEqual(got, expected_tcp_replies(data), "connection %d" % i)
        # Garbage without a newline, then the client vanishes with an RST.
        for _ in range(30):
            s = tcp_connect(srv.address)
            s.sendall(self.garbage(self.rng.randrange(1, 3000), newlines=False))
            reset_close(s)
        # Connect and reset at once, no data.
        for _ in range(30):
            reset_close(tcp_connect(srv.address))
        # Reset while the server is sending a large batch of replies.
        for _ in range(5):
            s = tcp_connect(srv.address)
            s.sendall(b"reply to me please\n" * 3000)  # 57 KB: fits the buffers
            reset_close(s)
        self.assertTcpServes(srv)
        self.assertStopsCleanly(srv)

    def test_silent_client_does_not_block_others(self):
        srv = self.server("tcp-server", "--threads", "1")
        silent = [tcp_connect(srv.address) for _ in range(3)]
        half_line = tcp_connect(srv.address)
        try:
            half_line.sendall(b"this line never ends")
            for i in range(5):
                with tcp_connect(srv.address) as s:
                    s.sendall(b"not blocked %d\n" % i)
                    self.assertEqual(recv_lines(s, 1), [b"NOT BLOCKED %d" % i])
            # The half line is still waiting for its end, and gets its reply when it comes.
            half_line.sendall(b" until now\n")
            self.assertEqual(recv_lines(half_line, 1), [b"THIS LINE NEVER ENDS UNTIL NOW"])
        finally:
            for s in silent + [half_line]:
                s.close()
        self.assertStopsCleanly(srv)

    def test_thousand_connections_at_once(self):
        n = 1000
        limit = l7test.raise_nofile(n + 200)
        if limit < n + 50:
            self.fail("cannot raise RLIMIT_NOFILE to %d (hard limit too low: %d)" % (n + 50, limit))
        # The server starts with a soft limit of 256 open files, far below what 1000
        # connections need: it must raise its own limit (to the hard limit).
        def low_soft_limit():
            import resource

            _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))

        srv = self.server("tcp-server", preexec_fn=low_soft_limit)
        conns = []
        try:
            for i in range(n):
                conns.append(tcp_connect(srv.address))
            # With all 1000 open, a normal client is still served.
            self.assertTcpServes(srv)
            # And every one of the 1000 is served too.
            for i, s in enumerate(conns):
                s.sendall(b"conn %d\n" % i)
            for i, s in enumerate(conns):
                self.assertEqual(recv_lines(s, 1), [b"CONN %d" % i])
        finally:
            for s in conns:
                s.close()
        self.assertTcpServes(srv)
        self.assertStopsCleanly(srv)

    def test_everything_then_clean_stop(self):
        """One server of each kind takes all the abuse in turn, then stops with exit 0."""
        udp = self.server("udp-server", "--echo", "--delay", "1ms")
        tcp = self.server("tcp-server", "--max-line", "1024")
        with udp_socket() as s:
            for _ in range(500):
                s.sendto(self.garbage(self.rng.randrange(0, 3000)), udp.address)
        for _ in range(50):
            s = tcp_connect(tcp.address)
            s.sendall(self.garbage(self.rng.randrange(1, 5000)))
            if self.rng.random() < 0.5:
                reset_close(s)
            else:
                s.close()
        self.assertEqual(udp_exchange(udp.address, b"still \x00 echo"), b"still \x00 echo")
        self.assertTcpServes(tcp)
        self.assertStopsCleanly(udp)
        self.assertStopsCleanly(tcp)


if __name__ == "__main__":
    l7test.main()
