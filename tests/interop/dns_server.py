#!/usr/bin/python3
"""`l7 dns serve` as an authoritative server for data/dns/example.test.zone, asked by real
clients: dnspython (field by field, and raw bytes for malformed queries), dig and kdig (their
text output parsed into the same form), drill, nsupdate, and l7's own `dns query`.

Every case asks without RD, as a resolver asks an authoritative server, so RA and RD must
be clear in every reply."""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype
import dns.update

import l7test
from l7test import recv_to_eof, tcp_connect, udp_socket, wait_until
from dns_helpers import (
    DnsTestCase,
    SERVER_UDP_SIZE,
    ZONE_FILE,
    ask_tcp,
    ask_udp,
    dig,
    drill,
    from_message,
    from_text,
    kdig,
    query,
    rr,
    tcp_frame,
    tcp_read_message,
    tool,
    udp_wire,
)

# Records of example.test.zone that several cases expect.
SOA_RDATA = "ns1 hostmaster 2024010101 7200 3600 1209600 300"
# RFC 2308 section 3: a negative answer's SOA carries min(SOA TTL 3600, MINIMUM 300).
NEGATIVE_SOA = [rr("@", 300, "SOA", SOA_RDATA)]
APEX_NS = [rr("@", 3600, "NS", "ns1"), rr("@", 3600, "NS", "ns2")]
APEX_RRSETS = {
    "SOA": [rr("@", 3600, "SOA", SOA_RDATA)],
    "NS": APEX_NS,
    "MX": [rr("@", 3600, "MX", "10 mail"), rr("@", 3600, "MX", "20 mail2")],
    "TXT": [rr("@", 3600, "TXT", '"v=spf1 -all"')],
    "CAA": [rr("@", 3600, "CAA", '0 issue "ca.example.net"')],
}
SUB_REFERRAL = {
    "authority": [rr("sub", 3600, "NS", "ns1.sub"), rr("sub", 3600, "NS", "ns2.sub")],
    "additional": [
        rr("ns1.sub", 3600, "A", "192.0.2.53"),
        rr("ns1.sub", 3600, "AAAA", "2001:db8::53"),
        rr("ns2.sub", 3600, "A", "192.0.2.54"),
    ],
}
# The TXT RRsets that do not fit a small UDP reply (same text as in the zone file).
MEDIUM_TXT = [rr("medium", 3600, "TXT", '"medium-%02d %s"' % (i, "m" * 80)) for i in range(8)]
BIG_TXT = [rr("big", 3600, "TXT", '"big-%02d %s"' % (i, "x" * 100)) for i in range(30)]

# What each client puts in its query, hence what the reply must carry: dig sends EDNS
# (buffer 1232) by default, kdig and our dnspython queries do not.
DIG_EDNS = (0, SERVER_UDP_SIZE, False)

RCODE_BADVERS = 16


def expected(rcode="NOERROR", aa=True, tc=False, answer=(), authority=(), additional=(), edns=None):
    flags = {"qr"} | ({"aa"} if aa else set()) | ({"tc"} if tc else set())
    return {
        "rcode": rcode,
        "flags": flags,
        "answer": sorted(answer),
        "authority": sorted(authority),
        "additional": sorted(additional),
        "edns": edns,
    }


class DnsServerTest(DnsTestCase):
    def assertReply(self, actual, want, what):
        # Field by field, so that a failure names the field.
        for key in ("rcode", "flags", "edns", "answer", "authority", "additional"):
            self.assertEqual(actual[key], want[key], "%s: %s differs" % (what, key))

    def assertAllClients(self, srv, qname, qtype, tcp=False, **want):
        """Asks dnspython, dig and kdig the same question; each reply must be `want`."""
        q = query(qname, qtype)
        msg, _ = ask_tcp(srv, q) if tcp else ask_udp(srv, q)
        self.assertEqual(msg.id, q.id)
        self.assertEqual(msg.opcode(), dns.opcode.QUERY)
        self.assertEqual(
            [(r.name, r.rdtype) for r in msg.question], [(q.question[0].name, q.question[0].rdtype)]
        )
        self.assertReply(from_message(msg), expected(**want), "dnspython %s %s" % (qname, qtype))
        opts = ["+tcp"] if tcp else []
        got, out = dig(srv, qname, qtype, *opts)
        self.assertReply(
            got, expected(edns=DIG_EDNS, **want), "dig %s %s\n%s" % (qname, qtype, out)
        )
        got, out = kdig(srv, qname, qtype, *opts)
        self.assertReply(got, expected(**want), "kdig %s %s\n%s" % (qname, qtype, out))
        return msg

    # --- positive answers ----------------------------------------------------------------

    def test_positive_answer_is_authoritative(self):
        srv = self.dns_server()
        self.assertAllClients(
            srv, "www.example.test", "A", answer=[rr("www", 300, "A", "192.0.2.80")]
        )
        self.assertAllClients(
            srv, "www.example.test", "AAAA", answer=[rr("www", 300, "AAAA", "2001:db8::80")]
        )
        self.assertAllClients(srv, "example.test", "SOA", answer=APEX_RRSETS["SOA"])
        self.assertAllClients(srv, "example.test", "TXT", answer=APEX_RRSETS["TXT"])
        self.assertAllClients(srv, "example.test", "CAA", answer=APEX_RRSETS["CAA"])
        # Names are case-insensitive; the reply's question keeps the query's spelling.
        msg = self.assertAllClients(
            srv, "WwW.ExAmPlE.TeSt", "A", answer=[rr("www", 300, "A", "192.0.2.80")]
        )
        self.assertEqual(msg.question[0].name.to_text(), "WwW.ExAmPlE.TeSt.")
        # drill too, for a third text format.
        got, out = drill(srv, "www.example.test", "A")
        self.assertReply(got, expected(answer=[rr("www", 300, "A", "192.0.2.80")]), "drill\n" + out)
        self.assertStopsCleanly(srv)

    def test_cname_chain_inside_the_zone(self):
        srv = self.dns_server()
        msg = self.assertAllClients(
            srv,
            "alias.example.test",
            "A",
            answer=[
                rr("alias", 3600, "CNAME", "alias2"),
                rr("alias2", 600, "CNAME", "www"),
                rr("www", 300, "A", "192.0.2.80"),
            ],
        )
        # The chain is in order: each CNAME before the record it points to.
        self.assertEqual(
            [r.name.to_text() for r in msg.answer],
            ["alias.example.test.", "alias2.example.test.", "www.example.test."],
        )
        # Asking for the CNAME itself stops the chain.
        self.assertAllClients(
            srv, "alias.example.test", "CNAME", answer=[rr("alias", 3600, "CNAME", "alias2")]
        )
        # A chain that leaves the zone: the resolver follows it from there.
        self.assertAllClients(
            srv,
            "outside.example.test",
            "A",
            answer=[rr("outside", 3600, "CNAME", "www.example.net.")],
        )
        self.assertStopsCleanly(srv)

    def test_dname_substitution(self):
        srv = self.dns_server()
        # RFC 6672: the DNAME, a CNAME synthesized from it (same TTL), then the new name.
        self.assertAllClients(
            srv,
            "www.old.example.test",
            "A",
            answer=[
                rr("old", 3600, "DNAME", "new.example.test."),
                rr("www.old", 3600, "CNAME", "www.new.example.test."),
                rr("www.new", 3600, "A", "192.0.2.81"),
            ],
        )
        # The rcode is the one of the last name: x.new does not exist.
        self.assertAllClients(
            srv,
            "x.old.example.test",
            "A",
            rcode="NXDOMAIN",
            answer=[
                rr("old", 3600, "DNAME", "new.example.test."),
                rr("x.old", 3600, "CNAME", "x.new.example.test."),
            ],
            authority=NEGATIVE_SOA,
        )
        # The DNAME owner itself is not renamed.
        self.assertAllClients(
            srv, "old.example.test", "DNAME", answer=[rr("old", 3600, "DNAME", "new.example.test.")]
        )
        self.assertStopsCleanly(srv)

    def test_wildcard_synthesis_and_nodata(self):
        srv = self.dns_server()
        # RFC 4592: the owner of a synthesized record is the query name, not *.wild.
        self.assertAllClients(
            srv, "foo.wild.example.test", "A", answer=[rr("foo.wild", 3600, "A", "192.0.2.99")]
        )
        self.assertAllClients(
            srv, "a.b.wild.example.test", "TXT", answer=[rr("a.b.wild", 3600, "TXT", '"wildcard"')]
        )
        # Wildcard NODATA: the wildcard matches, but has no AAAA.
        self.assertAllClients(srv, "foo.wild.example.test", "AAAA", authority=NEGATIVE_SOA)
        # host.wild exists, so the wildcard does not apply to it: its own A, and NODATA for TXT.
        self.assertAllClients(
            srv, "host.wild.example.test", "A", answer=[rr("host.wild", 3600, "A", "192.0.2.98")]
        )
        self.assertAllClients(srv, "host.wild.example.test", "TXT", authority=NEGATIVE_SOA)
        # The wildcard answers a query for itself like any other name.
        self.assertAllClients(
            srv, "*.wild.example.test", "A", answer=[rr("*.wild", 3600, "A", "192.0.2.99")]
        )
        self.assertStopsCleanly(srv)

    # --- delegations -------------------------------------------------------------------

    def test_delegation_gives_referral_with_glue(self):
        srv = self.dns_server()
        for qname, qtype in [
            ("sub.example.test", "A"),
            ("www.sub.example.test", "AAAA"),
            ("deep.down.sub.example.test", "MX"),
            # The parent is not authoritative for the child's NS either: still a referral.
            ("sub.example.test", "NS"),
        ]:
            with self.subTest(qname=qname, qtype=qtype):
                self.assertAllClients(srv, qname, qtype, aa=False, **SUB_REFERRAL)
        # A name server outside the zone: the NS records and no additional data.
        self.assertAllClients(
            srv,
            "www.secure.example.test",
            "A",
            aa=False,
            authority=[rr("secure", 3600, "NS", "ns.example.net.")],
        )
        self.assertStopsCleanly(srv)

    def test_ds_at_the_cut_comes_from_the_parent(self):
        srv = self.dns_server()
        # RFC 4035 section 3.1.4.1: DS is the parent's data, answered with AA, not referred.
        self.assertAllClients(srv, "sub.example.test", "DS", authority=NEGATIVE_SOA)
        self.assertAllClients(
            srv,
            "secure.example.test",
            "DS",
            answer=[
                rr(
                    "secure",
                    3600,
                    "DS",
                    "12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
                )
            ],
        )
        # Below the cut DS is the child's business: a referral.
        self.assertAllClients(srv, "x.sub.example.test", "DS", aa=False, **SUB_REFERRAL)
        self.assertStopsCleanly(srv)

    # --- negative answers --------------------------------------------------------------

    def test_nxdomain_carries_the_soa_with_the_negative_ttl(self):
        srv = self.dns_server()
        for qname, qtype in [
            ("nope.example.test", "A"),
            ("a.b.nope.example.test", "TXT"),
            ("x.b.c.example.test", "A"),  # below an empty non-terminal
        ]:
            with self.subTest(qname=qname):
                self.assertAllClients(srv, qname, qtype, rcode="NXDOMAIN", authority=NEGATIVE_SOA)
        self.assertStopsCleanly(srv)

    def test_nodata_carries_the_soa(self):
        srv = self.dns_server()
        self.assertAllClients(srv, "www.example.test", "MX", authority=NEGATIVE_SOA)
        self.assertAllClients(srv, "ns2.example.test", "AAAA", authority=NEGATIVE_SOA)
        self.assertAllClients(srv, "example.test", "A", authority=NEGATIVE_SOA)
        self.assertStopsCleanly(srv)

    def test_empty_non_terminal_is_nodata_not_nxdomain(self):
        srv = self.dns_server()
        # a.b.c exists, so b.c and c exist too, without data (RFC 8020 relies on this).
        for qname in ["b.c.example.test", "c.example.test", "wild.example.test"]:
            with self.subTest(qname=qname):
                self.assertAllClients(srv, qname, "A", authority=NEGATIVE_SOA)
        self.assertAllClients(
            srv, "a.b.c.example.test", "A", answer=[rr("a.b.c", 3600, "A", "192.0.2.3")]
        )
        self.assertStopsCleanly(srv)

    def test_names_outside_the_zones_are_refused(self):
        srv = self.dns_server()
        for qname in ["www.example.org", "test", "example.test.org", "xexample.test"]:
            with self.subTest(qname=qname):
                self.assertAllClients(srv, qname, "A", rcode="REFUSED", aa=False)
        self.assertStopsCleanly(srv)

    # --- additional section -------------------------------------------------------------

    def test_additional_addresses_for_mx_ns_srv_targets(self):
        srv = self.dns_server()
        self.assertAllClients(
            srv,
            "example.test",
            "MX",
            answer=APEX_RRSETS["MX"],
            additional=[
                rr("mail", 3600, "A", "192.0.2.25"),
                rr("mail", 3600, "AAAA", "2001:db8::25"),
                rr("mail2", 3600, "A", "192.0.2.26"),
            ],
        )
        self.assertAllClients(
            srv,
            "example.test",
            "NS",
            answer=APEX_NS,
            additional=[
                rr("ns1", 3600, "A", "192.0.2.1"),
                rr("ns1", 3600, "AAAA", "2001:db8::1"),
                rr("ns2", 3600, "A", "192.0.2.2"),
            ],
        )
        self.assertAllClients(
            srv,
            "_sip._tcp.example.test",
            "SRV",
            answer=[rr("_sip._tcp", 3600, "SRV", "10 60 5060 sipserver")],
            additional=[rr("sipserver", 3600, "A", "192.0.2.50")],
        )
        self.assertStopsCleanly(srv)

    # --- ANY (RFC 8482) ------------------------------------------------------------------

    def test_any_is_minimal_over_udp_and_full_over_tcp(self):
        srv = self.dns_server()
        everything = sorted(r for rrset in APEX_RRSETS.values() for r in rrset)

        def assert_one_rrset(got, what):
            self.assertEqual(got["rcode"], "NOERROR", what)
            self.assertEqual(got["flags"], {"qr", "aa"}, what)
            self.assertIn(got["answer"], [sorted(s) for s in APEX_RRSETS.values()], what)

        msg, _ = ask_udp(srv, query("example.test", "ANY"))
        assert_one_rrset(from_message(msg), "dnspython UDP")
        self.assertEqual(len(msg.answer), 1)
        # dig sends ANY over TCP unless told +notcp.
        got, out = dig(srv, "example.test", "ANY", "+notcp")
        assert_one_rrset(got, "dig +notcp\n" + out)
        self.assertIn("(UDP)", out)
        got, out = kdig(srv, "example.test", "ANY")
        assert_one_rrset(got, "kdig\n" + out)

        self.assertAllClients(srv, "example.test", "ANY", tcp=True, answer=everything)
        got, out = dig(srv, "example.test", "ANY")
        self.assertReply(got, expected(answer=everything, edns=DIG_EDNS), "dig ANY\n" + out)
        self.assertIn("(TCP)", out)
        # ANY at a name without data is NODATA, and at a missing name NXDOMAIN.
        self.assertAllClients(srv, "c.example.test", "ANY", authority=NEGATIVE_SOA)
        self.assertAllClients(
            srv, "nope.example.test", "ANY", rcode="NXDOMAIN", authority=NEGATIVE_SOA
        )
        self.assertStopsCleanly(srv)

    # --- EDNS (RFC 6891) -----------------------------------------------------------------

    def test_edns_only_when_asked_and_do_echoed(self):
        srv = self.dns_server()
        www = [rr("www", 300, "A", "192.0.2.80")]
        msg, _ = ask_udp(srv, query("www.example.test", "A"))
        self.assertEqual(msg.edns, -1, "no OPT in the query, so none in the reply")
        self.assertReply(from_message(msg), expected(answer=www), "no EDNS")
        for do in (False, True):
            with self.subTest(do=do):
                q = query("www.example.test", "A", use_edns=0, payload=4096, want_dnssec=do)
                msg, _ = ask_udp(srv, q)
                self.assertReply(
                    from_message(msg), expected(answer=www, edns=(0, SERVER_UDP_SIZE, do)), "EDNS"
                )
                self.assertEqual(len(msg.options), 0, "no EDNS options we did not ask for")
        # The same with the tools.
        got, out = dig(srv, "www.example.test", "A", "+noedns")
        self.assertReply(got, expected(answer=www), "dig +noedns\n" + out)
        got, out = dig(srv, "www.example.test", "A", "+dnssec")
        self.assertReply(
            got, expected(answer=www, edns=(0, SERVER_UDP_SIZE, True)), "dig +dnssec\n" + out
        )
        got, out = kdig(srv, "www.example.test", "A", "+edns")
        self.assertReply(
            got, expected(answer=www, edns=(0, SERVER_UDP_SIZE, False)), "kdig +edns\n" + out
        )
        got, out = kdig(srv, "www.example.test", "A", "+dnssec")
        self.assertReply(
            got, expected(answer=www, edns=(0, SERVER_UDP_SIZE, True)), "kdig +dnssec\n" + out
        )
        self.assertStopsCleanly(srv)

    def test_unknown_edns_version_is_badvers(self):
        srv = self.dns_server()
        q = query("www.example.test", "A")
        q.use_edns(edns=1)  # make_query(use_edns=1) would mean "True", i.e. version 0
        msg, _ = ask_udp(srv, q)
        # RFC 6891 section 6.1.3: BADVERS (16, in the OPT's extended rcode), our version 0.
        self.assertEqual(msg.rcode(), RCODE_BADVERS)
        self.assertEqual(msg.edns, 0)
        self.assertEqual(msg.answer + msg.authority + msg.additional, [])
        self.assertFalse(msg.flags & dns.flags.AA)
        bad = expected(rcode="BADVERS", aa=False, edns=(0, SERVER_UDP_SIZE, False))
        got, out = dig(srv, "www.example.test", "A", "+edns=1", "+noednsnegotiation")
        self.assertReply(got, bad, "dig +edns=1\n" + out)
        got, out = kdig(srv, "www.example.test", "A", "+edns=1")
        self.assertReply(got, bad, "kdig +edns=1\n" + out)
        # dig's own negotiation falls back to version 0 and gets the answer.
        got, out = dig(srv, "www.example.test", "A", "+edns=1")
        self.assertIn("BADVERS, retrying with EDNS version 0", out)
        self.assertReply(
            got, expected(answer=[rr("www", 300, "A", "192.0.2.80")], edns=DIG_EDNS), "dig\n" + out
        )
        self.assertStopsCleanly(srv)

    # --- truncation ----------------------------------------------------------------------

    def test_udp_truncation_at_512_and_at_the_buffer_size(self):
        srv = self.dns_server()
        truncated = expected(tc=True)
        # No EDNS: 512 bytes. The RRset does not fit, so none of it is sent (RFC 2181 9).
        msg, wire = ask_udp(srv, query("medium.example.test", "TXT"))
        self.assertLessEqual(len(wire), 512)
        self.assertReply(from_message(msg), truncated, "medium without EDNS")
        # EDNS with room: the whole RRset, in more than 512 bytes.
        msg, wire = ask_udp(srv, query("medium.example.test", "TXT", use_edns=0, payload=1232))
        self.assertGreater(len(wire), 512)
        self.assertReply(
            from_message(msg),
            expected(answer=MEDIUM_TXT, edns=(0, SERVER_UDP_SIZE, False)),
            "medium",
        )
        # EDNS, but a buffer smaller than the answer.
        msg, wire = ask_udp(srv, query("medium.example.test", "TXT", use_edns=0, payload=600))
        self.assertLessEqual(len(wire), 600)
        self.assertReply(
            from_message(msg), expected(tc=True, edns=(0, SERVER_UDP_SIZE, False)), "bufsize 600"
        )
        # A client buffer above our --max-udp-size does not make replies bigger than that.
        msg, wire = ask_udp(srv, query("big.example.test", "TXT", use_edns=0, payload=65000))
        self.assertLessEqual(len(wire), SERVER_UDP_SIZE)
        self.assertReply(
            from_message(msg), expected(tc=True, edns=(0, SERVER_UDP_SIZE, False)), "big"
        )

        # dig and kdig, told to ignore TC.
        got, out = dig(srv, "medium.example.test", "TXT", "+noedns", "+ignore")
        self.assertReply(got, truncated, "dig +noedns +ignore\n" + out)
        got, out = dig(srv, "medium.example.test", "TXT", "+bufsize=600", "+ignore")
        self.assertReply(got, expected(tc=True, edns=DIG_EDNS), "dig +bufsize=600\n" + out)
        got, out = dig(srv, "medium.example.test", "TXT", "+bufsize=1232", "+ignore")
        self.assertReply(
            got, expected(answer=MEDIUM_TXT, edns=DIG_EDNS), "dig +bufsize=1232\n" + out
        )
        got, out = kdig(srv, "medium.example.test", "TXT", "+ignore")
        self.assertReply(got, truncated, "kdig +ignore\n" + out)
        got, out = kdig(srv, "medium.example.test", "TXT", "+bufsize=600", "+ignore")
        self.assertReply(
            got, expected(tc=True, edns=(0, SERVER_UDP_SIZE, False)), "kdig +bufsize=600\n" + out
        )
        self.assertStopsCleanly(srv)

    def test_full_answer_over_tcp_and_automatic_retry(self):
        srv = self.dns_server()
        self.assertAllClients(srv, "big.example.test", "TXT", tcp=True, answer=BIG_TXT)
        self.assertAllClients(srv, "medium.example.test", "TXT", tcp=True, answer=MEDIUM_TXT)
        # Without +ignore, dig and kdig see TC and ask again over TCP by themselves.
        got, out = dig(srv, "big.example.test", "TXT")
        self.assertIn("Truncated, retrying in TCP mode", out)
        self.assertIn("(TCP)", out)
        self.assertReply(got, expected(answer=BIG_TXT, edns=DIG_EDNS), "dig retry\n" + out)
        got, out = kdig(srv, "big.example.test", "TXT")
        self.assertIn("@%d(TCP)" % srv.port, out)
        self.assertReply(got, expected(answer=BIG_TXT), "kdig retry\n" + out)
        # l7's own client does the same.
        cp = l7test.run_l7(
            ["dns", "query", "big.example.test", "TXT", "@127.0.0.1:%d" % srv.port, "+norec"]
        )
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertReply(from_text(cp.stdout), expected(answer=BIG_TXT, edns=DIG_EDNS), cp.stdout)
        self.assertIn("(TCP)", cp.stdout)
        self.assertStopsCleanly(srv)

    # --- other opcodes, malformed queries --------------------------------------------------

    def assertFormErr(self, srv, wire, what):
        reply = udp_wire(srv, wire)
        qid = struct.unpack("!H", wire[:2])[0]
        msg = dns.message.from_wire(reply)
        self.assertEqual(msg.id, qid, what)
        self.assertEqual(msg.rcode(), dns.rcode.FORMERR, what)
        self.assertTrue(msg.flags & dns.flags.QR, what)
        self.assertFalse(msg.flags & (dns.flags.AA | dns.flags.TC | dns.flags.RA), what)
        self.assertEqual(msg.answer + msg.authority + msg.additional, [], what)
        self.assertEqual(msg.edns, -1, what + ": no OPT when the query could not be parsed")
        return msg

    def test_malformed_queries_get_formerr(self):
        srv = self.dns_server()

        def header(qid, qd=1, an=0, ns=0, ar=0, flags=0):
            return struct.pack("!6H", qid, flags, qd, an, ns, ar)

        good_question = b"\x03www\x07example\x04test\x00" + struct.pack("!2H", 1, 1)
        self.assertFormErr(srv, header(0x1001) + b"\x03www\x07exam", "truncated question name")
        self.assertFormErr(srv, header(0x1002) + good_question[:-2], "question without its class")
        self.assertFormErr(
            srv, header(0x1003) + b"\xc0\xff" + struct.pack("!2H", 1, 1), "pointer past the end"
        )
        self.assertFormErr(
            srv, header(0x1004) + b"\xc0\x0c" + struct.pack("!2H", 1, 1), "pointer to itself"
        )
        self.assertFormErr(
            srv, header(0x1005) + b"\x03www\xc0\x0c" + struct.pack("!2H", 1, 1), "pointer loop"
        )
        self.assertFormErr(srv, header(0x1006, qd=0), "no question")
        self.assertFormErr(srv, header(0x1007, qd=2) + good_question * 2, "two questions")
        self.assertFormErr(srv, header(0x1008) + good_question + b"\x00", "trailing garbage")
        self.assertFormErr(srv, header(0x1009, ar=1) + good_question, "a missing additional record")
        # Two OPT records (RFC 6891 6.1.1: at most one).
        opt = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)
        self.assertFormErr(srv, header(0x100A, ar=2) + good_question + opt + opt, "two OPT records")
        # An OPT record not owned by the root, and one in the answer section.
        bad_owner = b"\x01x\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)
        self.assertFormErr(
            srv, header(0x100B, ar=1) + good_question + bad_owner, "OPT not at the root"
        )
        self.assertFormErr(
            srv, header(0x100C, an=1) + good_question + opt, "OPT in the answer section"
        )
        # The server still answers a good query after all that.
        msg, _ = ask_udp(srv, query("www.example.test", "A"))
        self.assertEqual(from_message(msg)["answer"], [rr("www", 300, "A", "192.0.2.80")])
        self.assertStopsCleanly(srv)

    def test_unknown_opcodes_are_notimp_and_unsigned_updates_refused(self):
        srv = self.dns_server()
        # STATUS (2), the unassigned 3 and 7-15, and DSO (6, RFC 8490 section 5.1.1).
        for opcode in [2, 3, 6] + list(range(7, 16)):
            with self.subTest(opcode=opcode):
                q = query("www.example.test", "A")
                q.flags = (q.flags & ~0x7800) | (opcode << 11)
                reply = udp_wire(srv, q.to_wire())
                # dnspython refuses to parse unassigned opcodes: read the header by hand.
                qid, flags, qd, an, ns, ar = struct.unpack("!6H", reply[:12])
                self.assertEqual(qid, q.id)
                self.assertEqual((flags >> 11) & 0xF, opcode, "the opcode is echoed")
                self.assertEqual(flags & 0xF, dns.rcode.NOTIMP)
                self.assertTrue(flags & dns.flags.QR)
                self.assertFalse(flags & dns.flags.AA)
                self.assertEqual((an, ns, ar), (0, 0, 0))
                if opcode == dns.opcode.STATUS:
                    msg = dns.message.from_wire(reply)
                    self.assertEqual(msg.question, q.question)
        # UPDATE (RFC 2136) is implemented, but only for TSIG-signed messages when a key is
        # configured; an unsigned one is refused (section 3.3), from dnspython and nsupdate.
        upd = dns.update.UpdateMessage("example.test")
        upd.add("added.example.test.", 300, "A", "192.0.2.200")
        msg, _ = ask_udp(srv, upd)
        self.assertEqual(msg.id, upd.id)
        self.assertEqual(msg.opcode(), dns.opcode.UPDATE)
        self.assertEqual(msg.rcode(), dns.rcode.REFUSED)
        script = (
            "server 127.0.0.1 %d\n"
            "zone example.test\n"
            "update add added.example.test 300 A 192.0.2.200\n"
            "send\n" % srv.port
        )
        cp = subprocess.run(
            [tool("nsupdate"), "-t", "5"], input=script, capture_output=True, text=True, timeout=60
        )
        self.assertNotEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("update failed: REFUSED", cp.stdout + cp.stderr)
        # And nothing was added.
        msg, _ = ask_udp(srv, query("added.example.test", "A"))
        self.assertEqual(msg.rcode(), dns.rcode.NXDOMAIN)
        self.assertStopsCleanly(srv)

    def test_responses_are_never_answered(self):
        srv = self.dns_server()
        with udp_socket() as s:
            # A response (QR=1) first, then a query: with one worker they are handled in
            # order, so a reply to the response would arrive before the query's.
            resp = query("www.example.test", "A")
            resp.id = 0x4242
            resp.flags |= dns.flags.QR
            s.sendto(resp.to_wire(), srv.address)
            good = query("www.example.test", "A")
            good.id = 0x4343
            s.sendto(good.to_wire(), srv.address)
            data, _ = s.recvfrom(65535)
            self.assertEqual(dns.message.from_wire(data).id, 0x4343)
            # Nothing else comes (bounded wait; a late reply would only make this pass less).
            s.settimeout(1.0)
            with self.assertRaises(socket.timeout):
                extra, _ = s.recvfrom(65535)
                self.fail("unexpected datagram: %r" % extra)
        # Over TCP too: the response is dropped, the query after it answered.
        with tcp_connect(srv.address) as s:
            s.sendall(tcp_frame(resp.to_wire()) + tcp_frame(good.to_wire()))
            msg = dns.message.from_wire(tcp_read_message(s))
            self.assertEqual(msg.id, 0x4343)
        self.assertStopsCleanly(srv)

    # --- TCP ---------------------------------------------------------------------------

    def test_pipelined_queries_on_one_tcp_connection(self):
        srv = self.dns_server()
        questions = [
            ("www.example.test", "A"),
            ("mail.example.test", "AAAA"),
            ("nope.example.test", "A"),
        ]
        queries = []
        for i, (qname, qtype) in enumerate(questions):
            q = query(qname, qtype)
            q.id = 0x5000 + i
            queries.append(q)
        with tcp_connect(srv.address) as s:
            # All three in one write, before reading anything (RFC 7766 section 6.2.1.1).
            s.sendall(b"".join(tcp_frame(q.to_wire()) for q in queries))
            replies = [dns.message.from_wire(tcp_read_message(s)) for _ in queries]
        self.assertEqual([m.id for m in replies], [q.id for q in queries])
        self.assertEqual(from_message(replies[0])["answer"], [rr("www", 300, "A", "192.0.2.80")])
        self.assertEqual(
            from_message(replies[1])["answer"], [rr("mail", 3600, "AAAA", "2001:db8::25")]
        )
        self.assertEqual(from_message(replies[2])["rcode"], "NXDOMAIN")
        self.assertStopsCleanly(srv)

    def test_idle_tcp_connections_are_closed(self):
        srv = self.dns_server("--tcp-idle-timeout", "1s")
        # A connection that never sends anything...
        with tcp_connect(srv.address) as s:
            self.assertEqual(recv_to_eof(s, timeout=5), b"")
        # ...and one that goes quiet after a query.
        with tcp_connect(srv.address) as s:
            s.sendall(tcp_frame(query("www.example.test", "A").to_wire()))
            msg = dns.message.from_wire(tcp_read_message(s))
            self.assertEqual(msg.rcode(), dns.rcode.NOERROR)
            self.assertEqual(recv_to_eof(s, timeout=5), b"")
        self.assertStopsCleanly(srv)

    # --- l7's own client ---------------------------------------------------------------

    def test_l7_dns_query_prints_sections(self):
        srv = self.dns_server()
        server = "@127.0.0.1:%d" % srv.port
        cp = l7test.run_l7(["dns", "query", "example.test", "MX", server, "+norec"])
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        for heading in (";; QUESTION SECTION:", ";; ANSWER SECTION:", ";; ADDITIONAL SECTION:"):
            self.assertIn(heading, cp.stdout)
        self.assertReply(
            from_text(cp.stdout),
            expected(
                answer=APEX_RRSETS["MX"],
                additional=[
                    rr("mail", 3600, "A", "192.0.2.25"),
                    rr("mail", 3600, "AAAA", "2001:db8::25"),
                    rr("mail2", 3600, "A", "192.0.2.26"),
                ],
                edns=DIG_EDNS,
            ),
            cp.stdout,
        )
        # Any rcode is a reply: NXDOMAIN and REFUSED exit 0 too.
        cp = l7test.run_l7(["dns", "query", "nope.example.test", server, "+norec"])
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertReply(
            from_text(cp.stdout),
            expected(rcode="NXDOMAIN", authority=NEGATIVE_SOA, edns=DIG_EDNS),
            cp.stdout,
        )
        cp = l7test.run_l7(["dns", "query", "example.org", server, "+norec", "+tcp"])
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertEqual(from_text(cp.stdout)["rcode"], "REFUSED")
        self.assertStopsCleanly(srv)

    def test_l7_dns_query_without_a_server(self):
        # A port nobody listens on: bind one, note it, close it.
        with udp_socket() as s:
            port = s.getsockname()[1]
        args = [
            "dns",
            "query",
            "www.example.test",
            "@127.0.0.1:%d" % port,
            "--timeout",
            "300ms",
            "--tries",
            "1",
        ]
        cp = l7test.run_l7(args)
        self.assertEqual(cp.returncode, 1, cp.stdout + cp.stderr)
        # One line on stderr; the connected UDP socket hears the ICMP "port unreachable".
        self.assertIn("connection refused by 127.0.0.1:%d" % port, cp.stderr)
        self.assertNotIn("ANSWER SECTION", cp.stdout)

    # --- reload ------------------------------------------------------------------------

    def test_sighup_reloads_and_a_bad_zone_keeps_the_old_data(self):
        with tempfile.TemporaryDirectory(prefix="l7-dns-") as tmp:
            zone = os.path.join(tmp, "example.test.zone")
            shutil.copyfile(ZONE_FILE, zone)
            srv = self.dns_server(zone=zone)
            msg, _ = ask_udp(srv, query("reloaded.example.test", "A"))
            self.assertEqual(msg.rcode(), dns.rcode.NXDOMAIN)

            def rewrite(serial, extra):
                with open(ZONE_FILE) as f:
                    text = f.read()
                self.assertIn("2024010101 ; serial", text)
                text = text.replace("2024010101 ; serial", "%d ; serial" % serial)
                with open(zone, "w") as f:
                    f.write(text + extra)

            def serial():
                msg, _ = ask_udp(srv, query("example.test", "SOA"))
                return msg.answer[0][0].serial

            # A good change: serial + 1 and a new record.
            rewrite(2024010102, "reloaded     IN A     192.0.2.77\n")
            srv.send_signal(signal.SIGHUP)

            def reloaded():
                msg, _ = ask_udp(srv, query("reloaded.example.test", "A"))
                return msg.rcode() == dns.rcode.NOERROR and msg

            msg = wait_until(reloaded, 15, interval=0.1, what="the reloaded record")
            self.assertEqual(from_message(msg)["answer"], [rr("reloaded", 3600, "A", "192.0.2.77")])
            self.assertEqual(serial(), 2024010102)

            # A change with an error: the old data (serial ...102, `reloaded`) stays.
            rewrite(
                2024010103, "broken       IN A     192.0.2.300\nreloaded2    IN A     192.0.2.78\n"
            )
            srv.send_signal(signal.SIGHUP)
            srv.wait_for(r"not reloaded due to errors", timeout=15)
            self.assertStillRunning(srv)
            self.assertEqual(serial(), 2024010102)
            msg, _ = ask_udp(srv, query("reloaded2.example.test", "A"))
            self.assertEqual(msg.rcode(), dns.rcode.NXDOMAIN)
            msg, _ = ask_udp(srv, query("reloaded.example.test", "A"))
            self.assertEqual(from_message(msg)["answer"], [rr("reloaded", 3600, "A", "192.0.2.77")])
            self.assertStopsCleanly(srv)

    def test_zone_with_errors_at_start(self):
        with tempfile.TemporaryDirectory(prefix="l7-dns-") as tmp:
            zone = os.path.join(tmp, "bad.zone")
            with open(zone, "w") as f:
                f.write("$TTL 300\n@ IN NS ns1\nns1 IN A 192.0.2.1\n")  # no SOA
            proc = self.background(
                [
                    "dns",
                    "serve",
                    "--zone",
                    "example.test=" + zone,
                    "--listen",
                    "127.0.0.1:0",
                    "--threads",
                    "1",
                ]
            )
            code = proc.wait()
            self.assertEqual(code, 1, proc.describe())
            self.assertIn("no zone could be loaded", proc.stderr())


if __name__ == "__main__":
    l7test.main()
