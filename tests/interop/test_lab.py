#!/usr/bin/python3
"""`l7 lab`: --check, --print-config round trip, --config errors with FILE:LINE, and the
running lab serving real clients on its fixed loopback addresses (RESOURCE_LOCK lab)."""

import os
import re
import signal
import socket
import tempfile
import tomllib

import l7test
from l7test import recv_lines, run_l7, tcp_connect, udp_exchange

GAIA = "127.10.0.2"
HOSTS = [
    ("gaia.cs.umass.edu", "127.10.0.2"),
    ("hamburger.edu", "127.10.0.3"),
    ("crepes.fr", "127.10.0.4"),
    ("networkutopia.com", "127.10.0.5"),
]
DEFAULT_SERVICES = [
    ("udp-uppercase", "udp", 12000),
    ("tcp-uppercase", "tcp", 12000),
    ("udp-echo", "udp", 12001),
]
PASS_RE = re.compile(r"^PASS\s+(\S+)\s+(\S+)\s+(udp|tcp) ([\d.]+):(\d+)\s+\S")
FAIL_RE = re.compile(r"^FAIL\s")
SUMMARY_RE = re.compile(r"^(\d+) of (\d+) services passed$")


class LabTest(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory(prefix="l7-lab-")

    def tearDown(self):
        super().tearDown()
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def check_passes(self, cp, services, host="gaia.cs.umass.edu", address=GAIA):
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        lines = cp.stdout.splitlines()
        passes = [PASS_RE.match(line) for line in lines if line.startswith("PASS")]
        self.assertEqual(len(passes), len(services), cp.stdout)
        self.assertTrue(all(passes), cp.stdout)
        self.assertEqual(
            sorted((m.group(2), m.group(3), int(m.group(5))) for m in passes), sorted(services)
        )
        for m in passes:
            self.assertEqual((m.group(1), m.group(4)), (host, address))
        self.assertFalse(any(FAIL_RE.match(line) for line in lines), cp.stdout)
        self.assertEqual(lines[-1], "%d of %d services passed" % (len(services), len(services)))

    def test_check(self):
        cp = run_l7(["lab", "--check"])
        self.check_passes(cp, DEFAULT_SERVICES)

    def test_print_config_round_trip(self):
        cp = run_l7(["lab", "--print-config"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        config = tomllib.loads(cp.stdout)  # valid TOML, or this raises
        self.assertEqual([(h["name"], h["address"]) for h in config["host"]], HOSTS)
        gaia = config["host"][0]
        self.assertEqual(
            [(s["kind"], s["port"]) for s in gaia["service"]],
            [(k, p) for k, _, p in DEFAULT_SERVICES],
        )
        path = self.write("lab.toml", cp.stdout)
        self.check_passes(run_l7(["lab", "--check", "--config", path]), DEFAULT_SERVICES)

    def test_config_is_honoured(self):
        text = run_l7(["lab", "--print-config"]).stdout
        text = text.replace("port = 12000", "port = 12100").replace("port = 12001", "port = 12101")
        self.assertEqual(text.count("port = 121"), 3, "the default topology changed shape")
        path = self.write("moved.toml", text)
        self.check_passes(
            run_l7(["lab", "--check", "--config", path]),
            [("udp-uppercase", "udp", 12100), ("tcp-uppercase", "tcp", 12100),
             ("udp-echo", "udp", 12101)],
        )

    def test_bad_config_names_file_and_line(self):
        good = run_l7(["lab", "--print-config"]).stdout
        lines = good.splitlines()
        # A bad key right after the first host's name: its line number is known.
        at = next(i for i, line in enumerate(lines) if line.startswith("name = "))
        bad = lines[: at + 1] + ['colour = "blue"'] + lines[at + 1:]
        cases = {
            "bad-key.toml": ("\n".join(bad) + "\n", at + 2, "colour"),
            "bad-kind.toml": ('[[host]]\nname = "a"\naddress = "127.10.0.9"\n\n'
                              '  [[host.service]]\n  kind = "gopher"\n  port = 7070\n',
                              6, "gopher"),
            "bad-port.toml": ('[[host]]\nname = "a"\naddress = "127.10.0.9"\n'
                              '  [[host.service]]\n  kind = "udp-echo"\n  port = 70000\n',
                              6, "port"),
            "bad-address.toml": ('[[host]]\nname = "a"\naddress = "127.0.0.1"\n', 3, "127.0.0.1"),
            "bad-loss.toml": ('[[host]]\nname = "a"\naddress = "127.10.0.9"\n'
                              '  [[host.service]]\n  kind = "udp-echo"\n  port = 7000\n'
                              '  loss = 1.0\n', 7, "loss"),
            "twice.toml": ('[[host]]\nname = "a"\naddress = "127.10.0.9"\n'
                           '[[host]]\nname = "a"\naddress = "127.10.0.8"\n', 5, "twice"),
            "syntax.toml": ('[[host]\nname = "a"\n', 1, ""),
        }
        for name, (text, line, word) in cases.items():
            with self.subTest(config=name):
                path = self.write(name, text)
                for mode in (["--check"], []):
                    args = ["lab", *mode, "--config", path]
                    cp = run_l7(args)
                    self.assertUsageError(cp, args)
                    self.assertRegex(cp.stderr, r"%s:%d:" % (re.escape(path), line))
                    self.assertIn(word, cp.stderr)
                    if name == "bad-key.toml":
                        self.assertIn("key '", cp.stderr)

    def test_running_lab_serves_clients(self):
        lab = self.background(["lab"])
        lab.wait_for(r"press Ctrl-C", stream="stdout")
        out = lab.stdout()
        # The endpoint table: header, then every host, with its services or a placeholder.
        table = out.splitlines()
        header_re = re.compile(r"^HOST\s+ADDRESS\s+PORT\s+PROTO\s+SERVICE\s*$")
        header = [i for i, line in enumerate(table) if header_re.match(line)]
        self.assertEqual(len(header), 1, out)
        rows = []
        for line in table[header[0] + 1:]:
            if not line.strip():
                break
            rows.append(line.split())
        self.assertEqual(
            [(r[0], r[1], r[2], r[3], r[4]) for r in rows[:3]],
            [("gaia.cs.umass.edu", GAIA, str(port), proto, kind)
             for kind, proto, port in DEFAULT_SERVICES],
        )
        self.assertEqual([(r[0], r[1]) for r in rows[3:]], HOSTS[1:])
        self.assertEqual({r[0] for r in rows}, {h for h, _ in HOSTS})

        # Real clients against the lab's addresses.
        self.assertEqual(udp_exchange((GAIA, 12000), b"hello lab"), b"HELLO LAB")
        with tcp_connect((GAIA, 12000)) as s:
            s.sendall(b"tcp in the lab\n")
            self.assertEqual(recv_lines(s, 1), [b"TCP IN THE LAB"])
        # The echo service drops 30%: retry a bounded number of times.
        echoed = None
        with l7test.udp_socket(timeout=0.5) as s:
            for i in range(40):
                s.sendto(b"echo %d" % i, (GAIA, 12001))
                try:
                    data, _ = s.recvfrom(65535)
                except socket.timeout:
                    continue
                echoed = data
                break
        self.assertIsNotNone(echoed, "the udp-echo service never answered 40 datagrams")
        self.assertRegex(echoed, rb"^echo \d+$", "echo must not upper-case")
        cp = run_l7(["socket", "udp-client", "--server", "%s:12000" % GAIA, "via l7"])
        self.assertEqual((cp.returncode, cp.stdout), (0, "VIA L7\n"), cp.stderr)

        self.assertStopsCleanly(lab, signal.SIGINT)
        self.assertIn("l7 lab: stopped.", lab.stdout())

    def test_running_lab_trace(self):
        lab = self.background(["lab", "--trace"])
        lab.wait_for(r"press Ctrl-C", stream="stdout")
        with l7test.udp_socket() as s:
            s.sendto(b"traced", (GAIA, 12000))
            self.assertEqual(s.recvfrom(100)[0], b"TRACED")
            me = "127.0.0.1:%d" % s.getsockname()[1]
        lab.wait_for(r"\[#\d+ %s\] S: TRACED" % re.escape(me))
        self.assertRegex(lab.stderr(), r"\[#\d+ %s\] C: traced" % re.escape(me))
        self.assertStopsCleanly(lab, signal.SIGINT)


if __name__ == "__main__":
    l7test.main()
