#!/usr/bin/python3
"""`l7 dns lookup`, the stub resolver every l7 client uses, against `l7 dns serve` with
data/dns/stub.test.zone, checked against dig asking the same server.

Each case gives the server with --server 127.0.0.1:PORT and a temporary --resolv-conf whose
`search stub.test` line makes `www` mean www.stub.test., and an empty --hosts file unless it
tests the hosts file. What must hold: the same set of answers as dig, in the order a client
tries them (IPv6 and IPv4 alternating, MX by preference, SRV by priority); the search list
and ndots in the order glibc uses (seen in --trace); one sentence on stderr and exit 1 for a
name that does not exist, a type it lacks, a declined service or no answer; failover from
a silent or closed server to the next.
"""

import ipaddress
import os
import re
import tempfile

import l7test
from dns_helpers import DATA, DnsTestCase, run_tool, tool

STUB_ZONE = os.path.join(DATA, "stub.test.zone")
ORIGIN = "stub.test"


def family(address):
    return ipaddress.ip_address(address).version


def without_dot(name):
    return name[:-1] if name.endswith(".") and name != "." else name


class StubLookupTest(DnsTestCase):
    def setUp(self):
        super().setUp()
        self._tmp = tempfile.TemporaryDirectory(prefix="l7-stub-")
        self.empty_hosts = self.write("hosts.empty", "")
        self.resolv_conf = self.write("resolv.conf", "search stub.test\n")
        self.srv = self.dns_server(zone=STUB_ZONE, origin=ORIGIN)

    def tearDown(self):
        super().tearDown()
        self._tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self._tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def lookup(self, *args, servers=None, resolv_conf=None, hosts=None, timeout="2s", extra=()):
        """Runs `l7 dns lookup ARGS` against the zone's server; returns CompletedProcess."""
        argv = ["dns", "lookup"] + list(args)
        for s in servers if servers is not None else ["127.0.0.1:%d" % self.srv.port]:
            argv += ["--server", s]
        argv += ["--resolv-conf", resolv_conf or self.resolv_conf]
        argv += ["--hosts", hosts or self.empty_hosts, "--timeout", timeout] + list(extra)
        return l7test.run_l7(argv)

    def lines(self, *args, **kwargs):
        """The output lines of a lookup that must succeed."""
        cp = self.lookup(*args, **kwargs)
        where = "l7 dns lookup %s\nstdout: %r\nstderr: %r" % (" ".join(args), cp.stdout, cp.stderr)
        self.assertEqual(cp.returncode, 0, where)
        self.assertEqual(cp.stderr, "", where)
        return cp.stdout.splitlines()

    def failure(self, *args, **kwargs):
        """The one stderr line of a lookup that must fail with exit 1 and print nothing."""
        cp = self.lookup(*args, **kwargs)
        self.assertFailureLine(cp, args)
        self.assertEqual(cp.stdout, "")
        line = cp.stderr.strip()
        self.assertTrue(line.startswith("l7 dns lookup: ") and line.endswith("."), line)
        return line

    def dig(self, qname, qtype):
        """dig +short against the same server: the RDATA lines of type `qtype` (a CNAME
        followed shows its target first, which is left out)."""
        argv = ["@127.0.0.1", "-p", str(self.srv.port), "+short", "+time=5", "+tries=2"]
        cp = run_tool([tool("dig")] + argv + [qname, qtype])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        out = []
        for line in cp.stdout.splitlines():
            words = line.split()
            if qtype == "A" and re.fullmatch(r"[0-9.]+", line):
                out.append(line)
            elif qtype == "AAAA" and ":" in line:
                out.append(str(ipaddress.ip_address(line)))
            elif qtype == "MX" and len(words) == 2:
                out.append("%s %s" % (words[0], without_dot(words[1])))
            elif qtype == "SRV" and len(words) == 4:
                out.append(" ".join(words[:3] + [without_dot(words[3])]))
        self.assertTrue(out, "dig gave nothing for %s %s: %r" % (qname, qtype, cp.stdout))
        return out

    # --- answers, compared with dig -----------------------------------------------------

    def test_addresses_alternate_families_ipv6_first(self):
        got = self.lines("www")  # ADDR, the default: both families
        self.assertEqual([family(a) for a in got], [6, 4, 6, 4, 4], got)
        self.assertEqual({a for a in got if family(a) == 6}, set(self.dig("www.stub.test", "AAAA")))
        self.assertEqual({a for a in got if family(a) == 4}, set(self.dig("www.stub.test", "A")))
        self.assertEqual(self.lines("www", "ADDR"), got)

    def test_one_family(self):
        self.assertEqual(sorted(self.lines("www", "A")), sorted(self.dig("www.stub.test", "A")))
        self.assertEqual(
            sorted(self.lines("www.stub.test", "aaaa")), sorted(self.dig("www.stub.test", "AAAA"))
        )
        self.assertEqual(self.lines("v6only"), ["2001:db8::6"])  # ADDR with one family only
        self.assertEqual(self.lines("v4only"), ["192.0.2.4"])

    def test_cname_is_followed(self):
        got = self.lines("alias", "A")
        self.assertEqual(sorted(got), sorted(self.dig("alias.stub.test", "A")))
        self.assertEqual(sorted(got), ["192.0.2.80", "192.0.2.81", "192.0.2.82"])

    def test_mx_by_preference(self):
        got = self.lines("stub.test", "MX")
        self.assertEqual(sorted(got), sorted(self.dig("stub.test", "MX")))
        self.assertEqual(got[0], "5 primary.stub.test")
        self.assertEqual(sorted(got[1:3]), ["10 mx1.stub.test", "10 mx2.stub.test"])
        self.assertEqual(got[3], "20 backup.stub.test")

    def test_srv_by_priority_then_weight(self):
        got = self.lines("_sip._udp.stub.test", "SRV")
        self.assertEqual(sorted(got), sorted(self.dig("_sip._udp.stub.test", "SRV")))
        self.assertEqual(
            sorted(got[:2]), ["0 40 5060 sip2.stub.test", "0 60 5060 sip1.stub.test"]
        )
        self.assertEqual(got[2], "10 0 5070 sipbackup.stub.test")

    # --- the search list and ndots, seen in the queries sent ------------------------------

    def questions(self, stderr):
        """The names asked, in order, from --trace's decoded queries (C: lines)."""
        return re.findall(r"^C: ;(\S+)\s+IN\s+\w+$", stderr, re.M)

    def test_search_list_order_and_ndots(self):
        cp = self.lookup("www", "A", extra=["--trace"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(self.questions(cp.stderr), ["www.stub.test."])

        # ndots:3: "www.stub.test" has fewer dots, so the search list comes first and its
        # NXDOMAIN moves on to the name as given.
        conf = self.write("ndots.conf", "search stub.test\noptions ndots:3\n")
        cp = self.lookup("www.stub.test", "A", resolv_conf=conf, extra=["--trace"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(cp.stdout.split(), self.lines("www", "A"))
        self.assertEqual(
            self.questions(cp.stderr), ["www.stub.test.stub.test.", "www.stub.test."]
        )

        # A final dot: the name alone.
        cp = self.lookup("www.stub.test.", "A", resolv_conf=conf, extra=["--trace"])
        self.assertEqual(self.questions(cp.stderr), ["www.stub.test."])

    # --- errors: one sentence, exit 1 -----------------------------------------------------

    def test_no_such_name(self):
        line = self.failure("nosuch.stub.test.")
        self.assertIn("nosuch.stub.test. does not exist (NXDOMAIN)", line)

    def test_no_data(self):
        self.assertIn("v4only.stub.test. has no AAAA records", self.failure("v4only", "AAAA"))
        self.assertIn("nomx.stub.test. has no MX records", self.failure("nomx.stub.test", "MX"))

    def test_declined_services(self):
        self.assertIn("accepts no mail (null MX, RFC 7505)", self.failure("nomail.stub.test", "MX"))
        self.assertIn("RFC 2782", self.failure("_imap._tcp.stub.test", "SRV"))

    def test_a_refusal_is_not_taken_for_nxdomain(self):
        # nosuch.stub.test. is NXDOMAIN, but the server refuses nosuch. (not its zone): the
        # name is not settled, so the error says no server answered (glibc's TRY_AGAIN).
        line = self.failure("nosuch")
        self.assertIn("no server answered for nosuch. AAAA", line)
        self.assertIn("answered REFUSED", line)

    def test_usage_errors(self):
        for args in (["www", "TXT"], ["www", "--server", "dns.example"], ["a..b"]):
            cp = self.lookup(*args)
            self.assertUsageError(cp, args)

    # --- servers: failover ----------------------------------------------------------------

    def test_failover_from_silent_and_closed_servers(self):
        with l7test.udp_socket() as silent, l7test.udp_socket() as closed:
            closed_port = closed.getsockname()[1]
            closed.close()  # nothing listens there: ICMP port unreachable
            servers = [
                "127.0.0.1:%d" % silent.getsockname()[1],
                "127.0.0.1:%d" % closed_port,
                "127.0.0.1:%d" % self.srv.port,
            ]
            got = self.lines("www", "A", servers=servers, timeout="300ms")
            self.assertEqual(sorted(got), sorted(self.dig("www.stub.test", "A")))
            # The silent server was asked (and did not answer).
            silent.settimeout(0.5)
            data, _ = silent.recvfrom(65535)
            self.assertGreater(len(data), 12)

    def test_no_server_answered_names_the_servers(self):
        with l7test.udp_socket() as silent:
            server = "127.0.0.1:%d" % silent.getsockname()[1]
            line = self.failure(
                "www", "A", servers=[server], timeout="200ms", extra=["--attempts", "2"]
            )
        self.assertIn("no server answered for www.stub.test. A", line)
        self.assertIn("no reply from %s" % server, line)

    # --- before DNS: the hosts file and IP literals ------------------------------------------

    def test_hosts_file_comes_first(self):
        hosts = self.write(
            "hosts", "127.0.0.1 localhost\n::1 localhost\n192.0.2.200 www.stub.test # override\n"
        )
        self.assertEqual(self.lines("www.stub.test", hosts=hosts), ["192.0.2.200"])
        self.assertEqual(self.lines("localhost", hosts=hosts), ["::1", "127.0.0.1"])
        # The file has no IPv6 address for www.stub.test: DNS answers that.
        self.assertEqual(
            sorted(self.lines("www.stub.test", "AAAA", hosts=hosts)),
            sorted(self.dig("www.stub.test", "AAAA")),
        )

    def test_ip_literal_is_its_own_answer(self):
        # A closed server: any query would fail the lookup.
        with l7test.udp_socket() as closed:
            server = "127.0.0.1:%d" % closed.getsockname()[1]
        self.assertEqual(self.lines("192.0.2.1", servers=[server]), ["192.0.2.1"])
        self.assertEqual(self.lines("2001:DB8::1", "AAAA", servers=[server]), ["2001:db8::1"])
        self.assertIn("is an IPv4 address", self.failure("192.0.2.1", "AAAA", servers=[server]))


if __name__ == "__main__":
    l7test.main()
