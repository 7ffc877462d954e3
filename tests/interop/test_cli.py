#!/usr/bin/python3
"""The command line: usage errors (exit 2, one line), help on every level, `l7 help`,
--version, options from L7_* environment variables, and start-up failures (exit 1)."""

import os
import re
import socket

import l7test
from l7test import run_l7, udp_exchange

HERE = os.path.dirname(os.path.abspath(__file__))

VERBS = {
    "socket": ["udp-server", "tcp-server", "udp-client", "tcp-client", "ping"],
    "lab": [],
}

# (arguments, a word the one-line message must contain so the user knows what was wrong)
USAGE_ERRORS = [
    (["nosuch"], "nosuch"),
    ([], "command"),
    (["socket"], "command"),
    (["socket", "nosuch"], "nosuch"),
    (["socket", "ping", "-c", "x"], "--count"),
    (["socket", "ping", "-c"], "--count"),
    (["socket", "ping", "--size", "70000"], "--size"),
    (["socket", "ping", "-i", "0ms", "-c", "1"], "interval"),
    (["socket", "ping", "-W", "soon"], "soon"),
    (["socket", "ping", "1.2.3.4"], "1.2.3.4"),
    (["socket", "udp-server", "--listen", "foo"], "foo"),
    (["socket", "udp-server", "--listen", "127.0.0.1:99999"], "99999"),
    (["socket", "udp-server", "--delay", "5parsecs"], "5parsecs"),
    (["socket", "udp-server", "--loss", "2"], "--loss"),
    (["socket", "udp-server", "--threads", "999"], "--threads"),
    (["socket", "udp-server", "--log-format", "xml"], "xml"),
    (["socket", "udp-server", "--bogus"], "--bogus"),
    (["socket", "udp-server", "extra"], "extra"),
    (["socket", "tcp-server", "--max-line", "0"], "--max-line"),
    (["socket", "tcp-server", "--idle-timeout", "-1s"], "--idle-timeout"),
    (["socket", "tcp-server", "--max-connections", "0"], "--max-connections"),
    (["socket", "udp-client", "--server", "foo"], "foo"),
    (["socket", "tcp-client", "--timeout", "forever"], "forever"),
    (["lab", "--threads", "999"], "--threads"),
    (["lab", "--config", "/nonexistent/lab.toml"], "/nonexistent/lab.toml"),
    (["lab", "--bogus"], "--bogus"),
    (["help", "nosuch"], "nosuch"),
    (["help", "socket", "nosuch"], "nosuch"),
]


class CliTest(l7test.TestCase):
    def test_usage_errors(self):
        for args, word in USAGE_ERRORS:
            with self.subTest(args=args):
                cp = run_l7(args)
                self.assertUsageError(cp, args)
                self.assertIn(word, cp.stderr)

    def test_unknown_root_option_is_named(self):
        # `l7 socket udp-server --bogus` names --bogus; the root must too, rather than
        # claim that a command is missing.
        args = ["--bogus"]
        cp = run_l7(args)
        self.assertUsageError(cp, args)
        self.assertIn("--bogus", cp.stderr)

    def test_usage_errors_from_environment(self):
        cases = [("L7_SOCKET_COUNT", "x"), ("L7_SOCKET_INTERVAL", "5parsecs")]
        for name, word in cases:
            with self.subTest(env=name):
                args = ["socket", "ping", "127.0.0.1:9"]
                cp = run_l7(args, env={name: word})
                self.assertUsageError(cp, args)
                self.assertIn(word, cp.stderr)

    def test_help_everywhere(self):
        paths = [[], ["socket"], ["lab"], ["help"]]
        paths += [["socket", v] for v in VERBS["socket"]]
        for path in paths:
            for flag in ("--help", "-h"):
                with self.subTest(path=path, flag=flag):
                    cp = run_l7(path + [flag])
                    self.assertEqual(cp.returncode, 0, cp.stderr)
                    self.assertEqual(cp.stderr, "")
                    self.assertRegex(cp.stdout, r"(?m)^Usage: l7" + "".join(" " + p for p in path))

    def test_root_help_lists_modules(self):
        cp = run_l7(["--help"])
        for word in ("socket", "lab", "help", "L7_"):
            self.assertIn(word, cp.stdout)
        cp = run_l7(["socket", "--help"])
        for verb in VERBS["socket"]:
            self.assertRegex(cp.stdout, r"(?m)^\s+%s\s" % re.escape(verb))

    def test_help_command(self):
        cp = run_l7(["help", "socket", "ping"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        for word in ("--count", "--interval", "--timeout", "--size", "--summary"):
            self.assertIn(word, cp.stdout)
        # The same help as `l7 socket ping --help`, down to the usage line.
        direct = run_l7(["socket", "ping", "--help"])
        self.assertEqual(cp.stdout, direct.stdout)

    def test_help_alone_is_root_help(self):
        cp = run_l7(["help"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout, run_l7(["--help"]).stdout)

    def test_version(self):
        with open(os.path.join(HERE, "..", "..", "CMakeLists.txt")) as f:
            version = re.search(r"project\(l7 VERSION (\S+)", f.read()).group(1)
        cp = run_l7(["--version"])
        self.assertEqual((cp.returncode, cp.stdout, cp.stderr), (0, "l7 %s\n" % version, ""))

    def test_listen_from_environment(self):
        srv = self.server("udp-server", listen=False, env={"L7_SOCKET_LISTEN": "127.0.0.1:0"})
        self.assertEqual(srv.host, "127.0.0.1")
        self.assertNotEqual(srv.port, 12000)
        self.assertEqual(udp_exchange(srv.address, b"env"), b"ENV")
        self.assertStopsCleanly(srv)
        # Another address proves the variable is really read (the default is 127.0.0.1).
        srv = self.server("tcp-server", listen=False, env={"L7_SOCKET_LISTEN": "127.0.0.3:0"})
        self.assertEqual(srv.host, "127.0.0.3")
        self.assertStopsCleanly(srv)

    def test_command_line_beats_environment(self):
        srv = self.server("udp-server", env={"L7_SOCKET_LISTEN": "127.0.0.3:0"})
        self.assertEqual(srv.host, "127.0.0.1")
        self.assertStopsCleanly(srv)

    def test_other_options_from_environment(self):
        srv = self.server("udp-server", env={"L7_SOCKET_ECHO": "1"})
        self.assertEqual(udp_exchange(srv.address, b"stays lower"), b"stays lower")
        self.assertStopsCleanly(srv)
        srv = self.server("tcp-server", env={"L7_SOCKET_MAX_LINE": "10"})
        with l7test.tcp_connect(srv.address) as s:
            s.sendall(b"x" * 11 + b"\n")
            self.assertEqual(l7test.recv_to_eof(s), b"ERROR line longer than 10 bytes\n")
        self.assertStopsCleanly(srv)

    def test_port_in_use_is_a_failure(self):
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen(1)
            port = holder.getsockname()[1]
            args = ["socket", "tcp-server", "--listen", "127.0.0.1:%d" % port]
            cp = run_l7(args, timeout=30)
            self.assertFailureLine(cp, args)
            self.assertIn("in use", cp.stderr)

    def test_address_not_local_is_a_failure(self):
        for verb in ("udp-server", "tcp-server"):
            with self.subTest(verb=verb):
                args = ["socket", verb, "--listen", "192.0.2.1:5000"]  # TEST-NET-1
                cp = run_l7(args, timeout=30)
                self.assertFailureLine(cp, args)
                self.assertIn("192.0.2.1:5000", cp.stderr)
                # The reason is given once, not repeated.
                reason = cp.stderr.strip().rsplit(": ", 1)[-1]
                self.assertEqual(cp.stderr.count(reason), 1, cp.stderr)


if __name__ == "__main__":
    l7test.main()
