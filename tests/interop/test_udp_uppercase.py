#!/usr/bin/python3
"""`l7 socket udp-server` (uppercase and --echo) against a Python client, netcat-openbsd and
l7's own udp-client; `l7 socket udp-client` against a Python-stdlib UDP server."""

import os
import re
import shutil
import subprocess

import l7test
from l7test import IO_TIMEOUT, udp_exchange, udp_socket


class UdpUppercaseTest(l7test.TestCase):
    def test_python_client_gets_uppercase(self):
        srv = self.server("udp-server")
        cases = [
            (b"hello", b"HELLO"),
            (b"Hello, World! 123", b"HELLO, WORLD! 123"),
            (b"already UPPER", b"ALREADY UPPER"),
            (b"a", b"A"),
            # Only ASCII letters change: UTF-8 bytes and controls pass through untouched.
            ("caf\u00e9 \u00fcber z".encode(), "caf\u00e9 \u00fcber z".encode().upper()),
            (b"tab\there\r\nnul\x00end", b"TAB\tHERE\r\nNUL\x00END"),
        ]
        for sent, expected in cases:
            with self.subTest(sent=sent):
                self.assertEqual(udp_exchange(srv.address, sent), expected)
        # bytes.upper() only touches ASCII: check the UTF-8 case means what it says.
        self.assertEqual(cases[4][1], "CAF\u00e9 \u00fcBER Z".encode())
        self.assertStopsCleanly(srv)

    def test_empty_datagram_gets_empty_reply(self):
        srv = self.server("udp-server")
        self.assertEqual(udp_exchange(srv.address, b""), b"")
        self.assertEqual(udp_exchange(srv.address, b"after"), b"AFTER")
        self.assertStopsCleanly(srv)

    def test_replies_go_to_each_sender(self):
        srv = self.server("udp-server")
        socks = [udp_socket() for _ in range(8)]
        try:
            # Send everything first, then read: each socket must get exactly its own reply.
            for i, s in enumerate(socks):
                s.sendto(b"client %d says hi" % i, srv.address)
            for i, s in enumerate(socks):
                data, peer = s.recvfrom(65535)
                self.assertEqual(data, b"CLIENT %d SAYS HI" % i)
                self.assertEqual(peer, srv.address, "reply must come from the server's address")
        finally:
            for s in socks:
                s.close()
        self.assertStopsCleanly(srv)

    def test_many_datagrams_one_socket(self):
        srv = self.server("udp-server", "--threads", "2")
        with udp_socket() as s:
            for i in range(200):
                s.sendto(b"msg-%03d" % i, srv.address)
                data, _ = s.recvfrom(65535)
                self.assertEqual(data, b"MSG-%03d" % i)
        self.assertStopsCleanly(srv)

    def test_netcat_openbsd(self):
        nc = shutil.which("nc")
        if nc is None:
            self.fail("nc (netcat-openbsd) is not installed; run scripts/deps.sh")
        srv = self.server("udp-server")
        cp = subprocess.run(
            [nc, "-u", "-w1", "127.0.0.1", str(srv.port)],
            input=b"hello",
            capture_output=True,
            timeout=30,
        )
        self.assertEqual(cp.stdout, b"HELLO", cp.stderr)
        self.assertStopsCleanly(srv)

    def test_l7_udp_client_arguments_and_stdin(self):
        srv = self.server("udp-server")
        cp = l7test.run_l7(["socket", "udp-client", "--server", srv.hostport, "hello", "big World"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout.splitlines(), ["HELLO", "BIG WORLD"])
        cp = l7test.run_l7(
            ["socket", "udp-client", "--server", srv.hostport], input="one\ntwo\nthree four\n"
        )
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout.splitlines(), ["ONE", "TWO", "THREE FOUR"])
        # The server address from the environment instead of --server.
        cp = l7test.run_l7(
            ["socket", "udp-client", "env"], env={"L7_SOCKET_SERVER": srv.hostport}
        )
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout, "ENV\n")
        self.assertStopsCleanly(srv)

    def test_l7_udp_client_against_python_server(self):
        peer = l7test.PythonUdpPeer(bytes.upper)
        try:
            cp = l7test.run_l7(
                ["socket", "udp-client", "--server", "127.0.0.1:%d" % peer.port, "third party"]
            )
            self.assertEqual(cp.returncode, 0, cp.stderr)
            self.assertEqual(cp.stdout, "THIRD PARTY\n")
            self.assertEqual(peer.received, [b"third party"])
        finally:
            peer.close()

    def test_l7_udp_client_no_reply(self):
        peer = l7test.PythonUdpPeer(None)
        try:
            args = ["socket", "udp-client", "--timeout", "300ms", "--server",
                    "127.0.0.1:%d" % peer.port, "anyone there"]
            cp = l7test.run_l7(args)
            self.assertFailureLine(cp, args)
            self.assertEqual(cp.stdout, "")
            self.assertIn("no reply", cp.stderr)
        finally:
            peer.close()

    def test_l7_udp_client_no_server(self):
        # A port nobody listens on: bind one, note it, close it.
        with udp_socket() as s:
            port = s.getsockname()[1]
        args = ["socket", "udp-client", "--timeout", "2s", "--server", "127.0.0.1:%d" % port, "x"]
        cp = l7test.run_l7(args)
        self.assertFailureLine(cp, args)
        self.assertEqual(cp.stdout, "")

    def test_echo_returns_bytes_unchanged(self):
        srv = self.server("udp-server", "--echo")
        payloads = [
            b"hello stays lower",
            bytes(range(256)),
            b"\x00" * 100,
            b"\x00nul first",
            os.urandom(1400),
            os.urandom(9000),
            b"",
        ]
        for p in payloads:
            with self.subTest(size=len(p), head=p[:8]):
                self.assertEqual(udp_exchange(srv.address, p), p)
        self.assertStopsCleanly(srv)

    def test_several_listen_addresses(self):
        srv = self.server("udp-server", "--listen", "127.0.0.2:0")
        found = l7test.wait_until(
            lambda: re.findall(r"listening on udp (127\.0\.0\.[12]):(\d+)", srv.stderr())
            if len(re.findall(r"listening on udp", srv.stderr())) >= 2 else None,
            IO_TIMEOUT,
            what="two listening lines",
        )
        self.assertEqual(sorted(h for h, _ in found), ["127.0.0.1", "127.0.0.2"])
        for host, port in found:
            self.assertEqual(udp_exchange((host, int(port)), b"multi " + host.encode()),
                             b"MULTI " + host.encode())
        self.assertStopsCleanly(srv)

    def test_sigint_also_stops_cleanly(self):
        import signal

        srv = self.server("udp-server")
        self.assertEqual(udp_exchange(srv.address, b"x"), b"X")
        self.assertStopsCleanly(srv, signal.SIGINT)
        self.assertIn("stopped", srv.stderr())


if __name__ == "__main__":
    l7test.main()
