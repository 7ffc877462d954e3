#!/usr/bin/python3
"""`l7 dns resolver` as a service, beyond plain answers (dns_resolver.py compares those with
Unbound): serve-stale when the upstream dies (RFC 8767), prefetch of a popular entry near
expiry, the protocol's own replies to bad and unwanted queries (FORMERR, NOTIMP, BADVERS,
REFUSED, silence for responses), and `l7 dns ctl` usage errors.

The resolver forwards to an `l7 dns serve` for data/dns/stale.test.zone, whose short TTLs
let the cache expire within the test. Clients are dnspython and dig."""

import os
import socket
import struct
import time

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass

import dns_helpers
import l7test
import resolver_helpers
from resolver_helpers import ask, stat

ZONE = os.path.join(dns_helpers.DATA, "stale.test.zone")


def a_records(reply):
    return sorted((rrset.ttl, rd.to_text()) for rrset in reply.answer for rd in rrset
                  if rrset.rdtype == 1)


class ResolverServiceTest(dns_helpers.DnsTestCase):
    def setUp(self):
        super().setUp()
        self.auth = self.dns_server(zone=ZONE, origin="stale.test")
        self.resolver = resolver_helpers.start_l7_resolver(
            ["--forward", "%s:%d" % self.auth.address, "--threads", "1"])
        self.addCleanup(self.resolver.close)

    def test_serves_stale_data_when_the_upstream_is_gone(self):
        first = ask(self.resolver.address, "short.stale.test.", "A")
        self.assertEqual(first.rcode(), dns.rcode.NOERROR)
        self.assertEqual(a_records(first), [(2, "192.0.2.10")])
        self.auth.stop()
        time.sleep(3)  # the 2 s TTL runs out
        stale = ask(self.resolver.address, "short.stale.test.", "A")
        self.assertEqual(stale.rcode(), dns.rcode.NOERROR, stale)
        # RFC 8767 section 4: stale answers carry a TTL of 30 s.
        self.assertEqual(a_records(stale), [(30, "192.0.2.10")])
        self.assertTrue(stale.flags & dns.flags.RA)
        # A name never cached has nothing stale to serve.
        never = ask(self.resolver.address, "never.stale.test.", "A")
        self.assertEqual(never.rcode(), dns.rcode.SERVFAIL)
        stats = self.resolver.stats()
        self.assertEqual(stat(stats, "stale_answers"), 1, stats)
        self.assertGreaterEqual(stat(stats, "servfail"), 1, stats)

    def test_a_popular_entry_is_refreshed_before_it_expires(self):
        self.assertEqual(a_records(ask(self.resolver.address, "pop.stale.test.", "A")),
                         [(10, "192.0.2.11")])
        cached = time.monotonic()
        before = stat(self.resolver.stats(), "upstream_queries")
        # Under 10 % of the 10 s TTL left, counted from the answer (`l7 dns ctl` above may
        # take a while on a loaded machine): the next two questions have 0.9 s.
        time.sleep(max(0.0, cached + 9.1 - time.monotonic()))
        for _ in range(2):  # popular: used more than once
            self.assertEqual(ask(self.resolver.address, "pop.stale.test.", "A").rcode(),
                             dns.rcode.NOERROR)
        l7test.wait_until(lambda: stat(self.resolver.stats(), "prefetches") == 1, 5,
                          what="a prefetch")
        l7test.wait_until(
            lambda: stat(self.resolver.stats(), "upstream_queries") == before + 1, 5,
            what="the prefetch's upstream query")
        # Past the old expiry (cached + 10 s), the entry is still there, refreshed: no
        # further upstream query, and a TTL counted from the prefetch (at cached + 9.1 s or
        # later), however long the `l7 dns ctl` calls above took.
        time.sleep(max(0.0, cached + 10.5 - time.monotonic()))
        asked = time.monotonic()
        after = ask(self.resolver.address, "pop.stale.test.", "A")
        ttl = a_records(after)[0][0]
        self.assertLessEqual(ttl, 10, after)
        self.assertGreaterEqual(ttl, int(cached + 9.1 + 10 - asked) - 1, after)
        self.assertEqual(stat(self.resolver.stats(), "upstream_queries"), before + 1)

    def exchange_raw(self, wire, timeout=1.0):
        with l7test.udp_socket(timeout=timeout) as s:
            s.sendto(wire, self.resolver.address)
            try:
                return s.recvfrom(65535)[0]
            except socket.timeout:
                return None

    def test_bad_and_unwanted_queries_get_the_protocols_replies(self):
        q = dns.message.make_query("steady.stale.test.", "A")
        # Not a query at all: garbage with a header gets FORMERR, RA set.
        junk = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + b"\x07garbage"
        reply = self.exchange_raw(junk)
        self.assertIsNotNone(reply)
        rid, flags = struct.unpack("!HH", reply[:4])
        self.assertEqual((rid, flags & 0x8000, flags & 0x0080, flags & 0xF),
                         (0x4242, 0x8000, 0x0080, dns.rcode.FORMERR))
        # A response (QR set) is never answered: no reflection loops.
        response = dns.message.make_response(q)
        self.assertIsNone(self.exchange_raw(response.to_wire(), timeout=0.5))
        # NOTIFY to a resolver: NOTIMP.
        notify = dns.message.make_query("stale.test.", "SOA")
        notify.set_opcode(dns.opcode.NOTIFY)
        reply = dns.message.from_wire(self.exchange_raw(notify.to_wire()))
        self.assertEqual(reply.rcode(), dns.rcode.NOTIMP)
        # EDNS version 1: BADVERS (RFC 6891 6.1.3).
        v1 = dns.message.make_query("steady.stale.test.", "A")
        v1.use_edns(edns=1)
        reply = dns.message.from_wire(self.exchange_raw(v1.to_wire()))
        self.assertEqual(reply.rcode(), dns.rcode.BADVERS)
        # No RD: a recursive service does not let clients snoop its cache.
        self.assertEqual(ask(self.resolver.address, "steady.stale.test.", "A", rd=False).rcode(),
                         dns.rcode.REFUSED)
        # Zone transfers and other classes are not a resolver's business.
        chaos = dns.message.make_query("version.bind.", "TXT", rdclass=dns.rdataclass.CH)
        chaos.flags |= dns.flags.RD
        self.assertEqual(dns.message.from_wire(self.exchange_raw(chaos.to_wire())).rcode(),
                         dns.rcode.REFUSED)
        axfr = dns.query.tcp(dns.message.make_query("stale.test.", "AXFR"), "127.0.0.1",
                             port=self.resolver.port, timeout=l7test.IO_TIMEOUT)
        self.assertEqual(axfr.rcode(), dns.rcode.REFUSED)
        # And it still serves.
        good = ask(self.resolver.address, "steady.stale.test.", "A")
        self.assertEqual(a_records(good), [(3600, "192.0.2.12")])
        stats = self.resolver.stats()
        self.assertGreaterEqual(stat(stats, "errors"), 3, stats)

    def test_ctl_usage_errors(self):
        cp = l7test.run_l7(["dns", "ctl", "frobnicate", "--control", self.resolver.control])
        self.assertEqual(cp.returncode, 2, cp.stderr)
        self.assertIn("unknown command 'frobnicate'", cp.stderr)
        cp = l7test.run_l7(["dns", "ctl", "flush", "--control", self.resolver.control])
        self.assertEqual(cp.returncode, 2, cp.stderr)
        missing = os.path.join(os.path.dirname(self.resolver.control), "nobody.sock")
        cp = l7test.run_l7(["dns", "ctl", "stats", "--control", missing])
        self.assertEqual(cp.returncode, 1)
        self.assertEqual(len(cp.stderr.strip().splitlines()), 1, cp.stderr)
        self.assertIn(missing, cp.stderr)
        # A flush names what it removed.
        ask(self.resolver.address, "steady.stale.test.", "A")
        out = self.resolver.ctl("flush", "steady.stale.test")
        self.assertEqual(out.strip(), "flushed 1 entry for steady.stale.test.")


if __name__ == "__main__":
    l7test.main()
