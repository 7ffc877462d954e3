#!/usr/bin/python3
"""`l7 lab`: --check, --print-config round trip, --config errors with FILE:LINE, and the
running lab serving real clients on its fixed loopback addresses (RESOURCE_LOCK lab)."""

import imaplib
import os
import poplib
import re
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
import tomllib

import l7test
from l7test import recv_lines, run_l7, tcp_connect, udp_exchange

GAIA = "127.10.0.2"
# The socket hosts, then the DNS hierarchy: root, TLD and authoritative servers.
HOSTS = [
    ("gaia.cs.umass.edu", "127.10.0.2"),
    ("hamburger.edu", "127.10.0.3"),
    ("crepes.fr", "127.10.0.4"),
    ("networkutopia.com", "127.10.0.5"),
    ("cis.poly.edu", "127.10.0.8"),
    ("a.root-servers.net", "127.10.1.1"),
    ("a.gtld-servers.net", "127.10.1.2"),
    ("a.edu-servers.net", "127.10.1.3"),
    ("d.nic.fr", "127.10.1.4"),
    ("dns1.nic.uk", "127.10.1.5"),
    ("a.org-servers.org", "127.10.1.6"),
    ("dns.umass.edu", "127.10.2.1"),
    ("dns2.umass.edu", "127.10.2.2"),
    ("dns.poly.edu", "127.10.2.3"),
    ("dns.hamburger.edu", "127.10.2.4"),
    ("dns.crepes.fr", "127.10.2.5"),
    ("dns1.networkutopia.com", "127.10.2.6"),
    ("dns.someschool.edu", "127.10.2.7"),
    ("dns.ibm.com", "127.10.2.8"),
    ("dns.amazon.com", "127.10.2.9"),
    ("dns.pbs.org", "127.10.2.10"),
    ("resolver.isp.net", "127.10.0.53"),
]
RESOLVER = "127.10.0.53"
GAIA_SERVICES = [
    ("udp-uppercase", "udp", 12000),
    ("tcp-uppercase", "tcp", 12000),
    ("udp-echo", "udp", 12001),
]
# The web servers (tests/interop/http_lab.py tests what they serve), on port 80 or 10080.
HTTP_HOSTS = [h for h in HOSTS if h[0] in ("gaia.cs.umass.edu", "hamburger.edu",
                                           "networkutopia.com", "cis.poly.edu")]
DNS_HOSTS = [h for h in HOSTS if h[1].startswith("127.10.1.") or h[1].startswith("127.10.2.")]
# The course's e-mail scenario: Bob's server and Alice's.
MAIL_HOSTS = [h for h in HOSTS if h[0] in ("hamburger.edu", "crepes.fr")]


def default_services(dns_port):
    """(host, address, kind, protocol, port) of every service of the default lab."""
    # Ports below 1024 move by the same offset: 53 -> 10053, 80 -> 10080.
    http_port = dns_port - 53 + 80
    smtp_port = dns_port - 53 + 25
    ftp_port = dns_port - 53 + 21
    return ([("gaia.cs.umass.edu", GAIA, k, proto, p) for k, proto, p in GAIA_SERVICES] +
            [(h, a, "http", "tcp", http_port) for h, a in HTTP_HOSTS] +
            [(h, a, "mail", "tcp", smtp_port) for h, a in MAIL_HOSTS] +
            [(h, a, "ftp", "tcp", ftp_port) for h, a in MAIL_HOSTS if h == "hamburger.edu"] +
            [(h, a, "dns", "udp+tcp", dns_port) for h, a in DNS_HOSTS] +
            [("resolver.isp.net", RESOLVER, "dns-resolver", "udp+tcp", dns_port)] +
            [(h, a, "torrent-seed", "tcp", 6881) for h, a in HTTP_HOSTS
             if h in ("gaia.cs.umass.edu", "cis.poly.edu")] +
            [("networkutopia.com", "127.10.0.5", "torrent-tracker", "udp+tcp", 6969)])


def dns_port_of(lab_output):
    """53, or 10053 when the lab runs without the privilege to bind it."""
    m = re.search(r"^\s*up\s+a\.root-servers\.net\s+dns\s+udp\+tcp [\d.]+:(\d+)$", lab_output, re.M)
    assert m, lab_output
    return int(m.group(1))


def run_tool(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


PASS_RE = re.compile(r"^PASS\s+(\S+)\s+(\S+)\s+(udp\+tcp|udp|tcp) ([\d.]+):(\d+)\s+\S")
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

    def check_passes(self, cp, services):
        """`services`: (host, address, kind, protocol, port) that must each PASS."""
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        lines = cp.stdout.splitlines()
        passes = [PASS_RE.match(line) for line in lines if line.startswith("PASS")]
        self.assertEqual(len(passes), len(services), cp.stdout)
        self.assertTrue(all(passes), cp.stdout)
        self.assertEqual(
            sorted((m.group(1), m.group(4), m.group(2), m.group(3), int(m.group(5)))
                   for m in passes),
            sorted(services), cp.stdout)
        self.assertFalse(any(FAIL_RE.match(line) for line in lines), cp.stdout)
        self.assertEqual(lines[-1], "%d of %d services passed" % (len(services), len(services)))

    def test_check(self):
        cp = run_l7(["lab", "--check"])
        self.check_passes(cp, default_services(dns_port_of(cp.stdout)))

    def test_print_config_round_trip(self):
        cp = run_l7(["lab", "--print-config"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        config = tomllib.loads(cp.stdout)  # valid TOML, or this raises
        self.assertEqual([(h["name"], h["address"]) for h in config["host"]], HOSTS)
        gaia = config["host"][0]
        self.assertEqual(
            [(s["kind"], s["port"]) for s in gaia["service"]],
            [(k, p) for k, _, p in GAIA_SERVICES] + [("http", 80), ("torrent-seed", 6881)],
        )
        path = self.write("lab.toml", cp.stdout)
        checked = run_l7(["lab", "--check", "--config", path])
        self.check_passes(checked, default_services(dns_port_of(checked.stdout)))

    def test_config_is_honoured(self):
        text = run_l7(["lab", "--print-config"]).stdout
        text = text.replace("port = 12000", "port = 12100").replace("port = 12001", "port = 12101")
        self.assertEqual(text.count("port = 121"), 3, "the default topology changed shape")
        path = self.write("moved.toml", text)
        cp = run_l7(["lab", "--check", "--config", path])
        moved = [("gaia.cs.umass.edu", GAIA, "udp-uppercase", "udp", 12100),
                 ("gaia.cs.umass.edu", GAIA, "tcp-uppercase", "tcp", 12100),
                 ("gaia.cs.umass.edu", GAIA, "udp-echo", "udp", 12101)]
        self.check_passes(cp, moved + default_services(dns_port_of(cp.stdout))[3:])
        # The http service, as the others, probes what it serves.
        http = [line for line in cp.stdout.splitlines() if re.match(r"PASS\s+\S+\s+http\s", line)]
        self.assertEqual(len(http), len(HTTP_HOSTS), cp.stdout)
        self.assertTrue(any("sid cookie from shop.networkutopia.com" in line for line in http),
                        cp.stdout)
        # The FTP check lists through AUTH TLS (the default topology gives ftp a tls_name),
        # trusting the certificate the lab wrote at its start.
        ftp = [line for line in cp.stdout.splitlines() if re.match(r"PASS\s+\S+\s+ftp\s", line)]
        self.assertEqual(len(ftp), 1, cp.stdout)
        self.assertIn("with AUTH TLS, PROT P", ftp[0])

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
        http_port = str(dns_port_of(out) - 53 + 80)
        self.assertEqual(
            [(r[0], r[1], r[2], r[-2], r[-1]) for r in rows[:5]],
            [("gaia.cs.umass.edu", GAIA, str(port), proto, kind)
             for kind, proto, port in GAIA_SERVICES] +
            [("gaia.cs.umass.edu", GAIA, http_port, "tcp", "http"),
             ("gaia.cs.umass.edu", GAIA, "6881", "tcp", "torrent-seed")],
        )
        # hamburger.edu (web, mail, ftp), crepes.fr (mail), networkutopia.com (web, the
        # BitTorrent tracker), cis.poly.edu (web, a seed).
        self.assertEqual([(r[0], r[1]) for r in rows[5:13]],
                         [HOSTS[1], HOSTS[1], HOSTS[1], HOSTS[2], HOSTS[3], HOSTS[3], HOSTS[4],
                          HOSTS[4]])
        self.assertEqual([r[-1] for r in rows[5:13]],
                         ["http", "mail", "ftp", "mail", "http", "torrent-tracker", "http",
                          "torrent-seed"])
        self.assertEqual([(r[0], r[1], r[-2], r[-1]) for r in rows[13:-1]],
                         [(h, a, "udp+tcp", "dns") for h, a in DNS_HOSTS])
        self.assertEqual((rows[-1][0], rows[-1][1], rows[-1][-2], rows[-1][-1]),
                         ("resolver.isp.net", RESOLVER, "udp+tcp", "dns-resolver"))
        self.assertEqual([r[0] for r in rows],
                         [h for h, _ in HOSTS[:1] * 5 + HOSTS[1:2] * 3 + HOSTS[2:3] +
                          HOSTS[3:4] * 2 + HOSTS[4:5] * 2 + HOSTS[5:]])

        # The DNS hierarchy answers a real client (dig) the way the course draws it: the root
        # refers to edu, edu to umass.edu, whose servers (primary and secondary) answer.
        port = str(dns_port_of(out))
        dig = ["dig", "+norec", "+time=2", "+tries=2", "-p", port]
        root = run_tool(dig + ["@127.10.1.1", "gaia.cs.umass.edu", "A"])
        self.assertIn("status: NOERROR", root.stdout, root.stdout)
        self.assertRegex(root.stdout, r"(?m)^edu\.\s+\d+\s+IN\s+NS\s+a\.edu-servers\.net\.$")
        self.assertRegex(root.stdout, r"(?m)^a\.edu-servers\.net\.\s+\d+\s+IN\s+A\s+127\.10\.1\.3$")
        edu = run_tool(dig + ["@127.10.1.3", "gaia.cs.umass.edu", "A"])
        self.assertRegex(edu.stdout, r"(?m)^umass\.edu\.\s+\d+\s+IN\s+NS\s+dns\.umass\.edu\.$")
        for server in ("127.10.2.1", "127.10.2.2"):
            auth = run_tool(dig + ["@" + server, "gaia.cs.umass.edu", "A"])
            self.assertRegex(auth.stdout, r"flags: qr aa;", auth.stdout)
            self.assertRegex(auth.stdout, r"(?m)^gaia\.cs\.umass\.edu\.\s+3600\s+IN\s+A\s+127\.10\.0\.2$")
        # l7's own iterative resolution through the same hierarchy, step by step.
        resolve = run_l7(["dns", "resolve", "gaia.cs.umass.edu", "--root", "127.10.1.1:" + port,
                          "--port", port])
        self.assertEqual(resolve.returncode, 0, resolve.stdout + resolve.stderr)
        outcomes = re.findall(r"(?m)^\s+-> (.*?)  \[", resolve.stdout)
        # QNAME minimisation (RFC 9156): cs.umass.edu is asked first, and is no zone cut.
        self.assertEqual(outcomes, ["referral to edu. (1 server)",
                                    "referral to umass.edu. (2 servers)",
                                    "cs.umass.edu. is no zone cut: one label more", "answer"],
                         resolve.stdout)
        self.assertRegex(resolve.stdout,
                         r"(?m)^gaia\.cs\.umass\.edu\.\s+3600\s+IN\s+A\s+127\.10\.0\.2$")
        ibm = run_tool(dig + ["@127.10.2.8", "www.ibm.com", "A"])
        self.assertRegex(ibm.stdout, r"(?m)^www\.ibm\.com\.\s+\d+\s+IN\s+CNAME\s+servereast\.backup2\.ibm\.com\.$")

        # The local DNS server: one recursive query (RD), and it walks the hierarchy itself.
        local = run_tool(["dig", "+time=3", "+tries=2", "-p", port, "@" + RESOLVER, "tv.networkutopia.com", "A"])
        self.assertRegex(local.stdout, r"flags: qr rd ra;", local.stdout)
        self.assertRegex(local.stdout, r"(?m)^tv\.networkutopia\.com\.\s+\d+\s+IN\s+CNAME\s+www\.pbs\.org\.$")
        self.assertRegex(local.stdout, r"(?m)^www\.pbs\.org\.\s+\d+\s+IN\s+A\s+127\.10\.0\.11$")
        recursive = run_l7(["dns", "resolve", "www.hamburger.edu", "--recursive", "@%s:%s" % (RESOLVER, port)])
        self.assertEqual(recursive.returncode, 0, recursive.stdout + recursive.stderr)
        self.assertIn("(recursive, asking %s:%s)" % (RESOLVER, port), recursive.stdout)
        self.assertRegex(recursive.stdout, r"(?m)^www\.hamburger\.edu\.\s+\d+\s+IN\s+A\s+127\.10\.0\.3$")
        again = run_tool(["dig", "+time=3", "+tries=2", "-p", port, "@" + RESOLVER, "tv.networkutopia.com", "A"])
        self.assertRegex(again.stdout, r"(?m)^www\.pbs\.org\.\s+\d+\s+IN\s+A\s+127\.10\.0\.11$")
        runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
        control = (os.path.join(runtime_dir, "l7-lab-resolver.sock") if runtime_dir
                   else "/tmp/l7-lab-resolver-%d.sock" % os.getuid())
        stats = run_l7(["dns", "ctl", "stats", "--control", control])
        self.assertEqual(stats.returncode, 0, stats.stderr)
        self.assertRegex(stats.stdout, r"(?m)^cache_answers: [1-9]\d*$", stats.stdout)

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
        # By name, as the course's UDPClient does: l7's stub resolver asks the lab's local DNS
        # server (L7_RESOLVER), which walks the hierarchy to gaia.cs.umass.edu.
        named = {"L7_RESOLVER": "%s:%s" % (RESOLVER, port)}
        cp = run_l7(["socket", "udp-client", "--server", "gaia.cs.umass.edu:12000", "by name"],
                    env=named)
        self.assertEqual((cp.returncode, cp.stdout), (0, "BY NAME\n"), cp.stderr)
        cp = run_l7(["socket", "tcp-client", "--server", "gaia.cs.umass.edu:12000"],
                    input="tcp by name\n", env=named)
        self.assertEqual((cp.returncode, cp.stdout), (0, "TCP BY NAME\n"), cp.stderr)

        # The course's e-mail scenario with Python's clients: Alice submits to her server
        # (crepes.fr, AUTH on the submission port), which finds hamburger.edu's MX in the
        # lab's DNS and relays; Bob reads over POP3 and over IMAP.
        offset = int(port) - 53
        token = "lab-mail-%d" % os.getpid()
        with smtplib.SMTP("127.10.0.4", offset + 587, timeout=10) as smtp:
            smtp.login("alice", "crepes")
            smtp.sendmail("alice@crepes.fr", ["bob@hamburger.edu"],
                          "From: alice@crepes.fr\r\nTo: bob@hamburger.edu\r\n"
                          "Subject: %s\r\n\r\nDo you like ketchup?\r\n" % token)
        found = False
        for _ in range(60):  # the relay's first try is at once; retries come within seconds
            pop = poplib.POP3("127.10.0.3", offset + 110, timeout=10)
            try:
                pop.user("bob")
                pop.pass_("hamburger")
                count, _ = pop.stat()
                found = any(("Subject: " + token).encode() in b"\n".join(pop.retr(i + 1)[1])
                            for i in range(count))
            finally:
                pop.quit()
            if found:
                break
            time.sleep(0.5)
        self.assertTrue(found, "Alice's message never reached Bob's mailbox")
        imap = imaplib.IMAP4("127.10.0.3", offset + 143, timeout=10)
        try:
            imap.login("bob", "hamburger")
            imap.select("INBOX", readonly=True)
            typ, data = imap.search(None, "SUBJECT", token)
            self.assertEqual(typ, "OK")
            self.assertEqual(len(data[0].split()), 1, data)
            typ, data = imap.fetch(data[0].split()[0], "(BODY.PEEK[HEADER.FIELDS (RECEIVED)])")
            self.assertIn(b"mail.crepes.fr", data[0][1], data)  # relayed by Alice's server
        finally:
            imap.logout()

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
