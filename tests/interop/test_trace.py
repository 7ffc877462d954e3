#!/usr/bin/python3
"""--trace (C:/S: lines on stderr) and --trace-file (JSON lines) on servers and clients."""

import json
import os
import re
import tempfile

import l7test
from l7test import IO_TIMEOUT, recv_lines, tcp_connect

TRACE_KEYS = {"time", "conn", "proto", "peer", "dir", "msg"}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
# "[#12 127.0.0.1:5555] C: hello": a server's line names the connection and the peer.
SERVER_LINE = re.compile(r"^\[#(\d+) (127\.0\.0\.1:\d+)\] (C|S|\*)(: |  )(.*)$")


def read_json_lines(testcase, path):
    """Parses a trace file strictly: UTF-8, one JSON object per line with exactly the keys."""
    with open(path, "rb") as f:
        raw = f.read()
    testcase.assertTrue(raw.endswith(b"\n"), "trace file does not end with a newline")
    text = raw.decode("utf-8")  # strict: invalid UTF-8 is a defect
    records = []
    for n, line in enumerate(text.split("\n")[:-1], start=1):
        try:
            rec = json.loads(line)
        except ValueError as e:
            testcase.fail("%s:%d is not JSON (%s): %r" % (path, n, e, line))
        testcase.assertIsInstance(rec, dict, line)
        testcase.assertEqual(set(rec), TRACE_KEYS, line)
        testcase.assertRegex(rec["time"], ISO_UTC)
        testcase.assertIsInstance(rec["conn"], int)
        testcase.assertIsInstance(rec["proto"], str)
        testcase.assertIsInstance(rec["peer"], str)
        testcase.assertIn(rec["dir"], ("C", "S", "*"), line)
        testcase.assertIsInstance(rec["msg"], str)
        records.append(rec)
    return records


class TraceTest(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="l7-trace-")

    def tearDown(self):
        super().tearDown()
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def server_lines(self, srv):
        out = []
        for line in srv.stderr().splitlines():
            m = SERVER_LINE.match(line)
            if m:
                out.append((int(m.group(1)), m.group(2), m.group(3), m.group(5)))
        return out

    def test_tcp_server_trace(self):
        srv = self.server("tcp-server", "--trace")
        with tcp_connect(srv.address) as s:
            me = "127.0.0.1:%d" % s.getsockname()[1]
            s.sendall(b"hello\nworld\n")
            self.assertEqual(recv_lines(s, 2), [b"HELLO", b"WORLD"])
        srv.wait_for(r"\] S: WORLD$")
        lines = [line for line in self.server_lines(srv) if line[1] == me]
        conns = {c for c, _, _, _ in lines}
        self.assertEqual(len(conns), 1, "one connection id for one connection: %r" % lines)
        messages = [(d, m) for _, _, d, m in lines if d != "*"]
        self.assertEqual(messages, [("C", "hello"), ("S", "HELLO"), ("C", "world"), ("S", "WORLD")])
        self.assertIn("[#%d %s] C: hello" % (conns.pop(), me), srv.stderr().splitlines())
        self.assertStopsCleanly(srv)

    def test_udp_server_trace(self):
        srv = self.server("udp-server", "--trace")
        with l7test.udp_socket() as s:
            me = "127.0.0.1:%d" % s.getsockname()[1]
            s.sendto(b"hello udp", srv.address)
            self.assertEqual(s.recvfrom(100)[0], b"HELLO UDP")
        srv.wait_for(re.escape(me) + r"\] S: HELLO UDP$")
        msgs = [(d, m) for _, peer, d, m in self.server_lines(srv) if peer == me and d != "*"]
        self.assertEqual(msgs, [("C", "hello udp"), ("S", "HELLO UDP")])
        self.assertStopsCleanly(srv)

    def test_client_trace_has_no_prefix(self):
        tcp = self.server("tcp-server")
        udp = self.server("udp-server")
        for verb, srv in (("tcp-client", tcp), ("udp-client", udp)):
            with self.subTest(verb=verb):
                cp = l7test.run_l7(["socket", verb, "--trace", "--server", srv.hostport, "hello"])
                self.assertEqual(cp.returncode, 0, cp.stderr)
                self.assertEqual(cp.stdout, "HELLO\n")
                self.assertEqual(l7test.stderr_lines(cp.stderr), ["C: hello", "S: HELLO"])
        # The same through the environment.
        cp = l7test.run_l7(["socket", "udp-client", "--server", udp.hostport, "env"],
                           env={"L7_SOCKET_TRACE": "1"})
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(l7test.stderr_lines(cp.stderr), ["C: env", "S: ENV"])
        # And without --trace, nothing on stderr.
        cp = l7test.run_l7(["socket", "udp-client", "--server", udp.hostport, "quiet"])
        self.assertEqual((cp.returncode, cp.stderr), (0, ""))
        self.assertStopsCleanly(tcp)
        self.assertStopsCleanly(udp)

    def test_ping_trace(self):
        srv = self.server("udp-server", "--echo")
        cp = l7test.run_l7(["socket", "ping", "--trace", "-c", "2", "-i", "20ms", "-W", "5s",
                            srv.hostport])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        lines = l7test.stderr_lines(cp.stderr)
        self.assertEqual(len(lines), 4, lines)
        for line in lines:
            self.assertRegex(line, r"^[CS]: PING [12] \d+\.\d{3}$")
        # Probe 2 may leave before reply 1 arrives; each reply comes after its own probe, and
        # carries the probe's text unchanged (an echo server).
        for seq in (1, 2):
            sent = [i for i, l in enumerate(lines) if l.startswith("C: PING %d " % seq)]
            got = [i for i, l in enumerate(lines) if l.startswith("S: PING %d " % seq)]
            self.assertEqual((len(sent), len(got)), (1, 1), lines)
            self.assertLess(sent[0], got[0], lines)
            self.assertEqual(lines[sent[0]][3:], lines[got[0]][3:])
        self.assertStopsCleanly(srv)

    def test_trace_file_server_and_client(self):
        server_file, client_file = self.path("server.jsonl"), self.path("client.jsonl")
        srv = self.server("tcp-server", "--trace-file", server_file)
        args = ["socket", "tcp-client", "--trace-file", client_file, "--server", srv.hostport]
        cp = l7test.run_l7(args + ["hello", "json"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout, "HELLO\nJSON\n")
        self.assertEqual(cp.stderr, "", "--trace-file alone prints nothing on stderr")

        client = read_json_lines(self, client_file)
        self.assertEqual([(r["dir"], r["msg"]) for r in client],
                         [("C", "hello"), ("S", "HELLO"), ("C", "json"), ("S", "JSON")])
        self.assertEqual({r["peer"] for r in client}, {srv.hostport})
        self.assertEqual(len({r["conn"] for r in client}), 1)

        def server_done():
            if not os.path.exists(server_file):
                return None
            recs = read_json_lines(self, server_file)
            return recs if any(r["msg"] == "JSON" for r in recs) else None

        server = l7test.wait_until(server_done, IO_TIMEOUT, what="the server's trace file")
        msgs = [(r["dir"], r["msg"]) for r in server if r["dir"] != "*"]
        self.assertEqual(msgs, [("C", "hello"), ("S", "HELLO"), ("C", "json"), ("S", "JSON")])
        self.assertEqual({r["proto"] for r in server}, {"tcp-uppercase"})
        self.assertEqual(len({r["conn"] for r in server}), 1)
        self.assertEqual(len({r["peer"] for r in server}), 1)
        self.assertRegex(server[0]["peer"], r"^127\.0\.0\.1:\d+$")
        self.assertIn("*", {r["dir"] for r in server}, "notes (connection opened/closed)")

        # The file is appended to, not truncated.
        cp = l7test.run_l7(args + ["again"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        client = read_json_lines(self, client_file)
        self.assertEqual(len(client), 6)
        self.assertEqual([r["msg"] for r in client[4:]], ["again", "AGAIN"])
        self.assertStopsCleanly(srv)

    def test_trace_and_trace_file_together_with_binary(self):
        trace_file = self.path("udp.jsonl")
        srv = self.server("udp-server", "--echo", "--trace", "--trace-file", trace_file)
        nasty = [b"nul\x00byte", b"esc\x1b[31mred", b"bad utf8 \xff\xfe\xc3", "ok \u00e9".encode(),
                 b'quote " and backslash \\', b"x" * 1000, b"line\nbreak"]
        # One client socket, so one server worker sees them all, in order.
        with l7test.udp_socket() as s:
            for d in nasty:
                s.sendto(d, srv.address)
                self.assertEqual(s.recvfrom(65535)[0], d)

        def all_traced():
            if not os.path.exists(trace_file):
                return None
            recs = read_json_lines(self, trace_file)
            return recs if sum(r["dir"] == "S" for r in recs) >= len(nasty) else None

        recs = l7test.wait_until(all_traced, IO_TIMEOUT, what="the trace file")
        msgs = [r["msg"] for r in recs if r["dir"] == "C"]
        self.assertEqual(msgs[0], "nul\x00byte")
        self.assertEqual(msgs[1], "esc\x1b[31mred")
        self.assertTrue(msgs[2].startswith("bad utf8 "))
        self.assertEqual(msgs[3], "ok \u00e9")
        self.assertEqual(msgs[4], 'quote " and backslash \\')
        self.assertLess(len(msgs[5]), 1000, "a long datagram is cut in the trace")
        self.assertEqual(msgs[6], "line\nbreak")
        self.assertEqual({r["proto"] for r in recs}, {"udp-echo"})
        # The text trace never passes control bytes through to the terminal.
        with open(srv.stderr_path, "rb") as f:
            err = f.read()
        self.assertNotIn(b"\x00", err)
        self.assertNotIn(b"\x1b", err)
        self.assertIn(b"C: nul\\x00byte", err)
        self.assertIn(b"C: line\\x0abreak", err)
        self.assertStopsCleanly(srv)

    def test_unwritable_trace_file_is_a_usage_error(self):
        args = ["socket", "udp-client", "--trace-file", self.path("no/such/dir/t.jsonl"), "x"]
        cp = l7test.run_l7(args)
        self.assertUsageError(cp, args)


if __name__ == "__main__":
    l7test.main()
