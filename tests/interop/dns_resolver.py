#!/usr/bin/python3
"""`l7 dns resolver` against Unbound (the reference resolver) over the lab's DNS hierarchy.

Both start from the lab's root (127.10.1.1, port 53 or 10053) and are asked the same questions
with dig: names at depth 2, 3 and 4, MX, TXT, NS, CNAMEs inside a zone and across zones,
NXDOMAIN (at the root, a TLD and a domain), NODATA (an empty non-terminal too), mixed case.
Their rcode, flags, answer and authority sections must be equal (TTLs and case aside). Then,
against l7 only: a repeated question comes from the cache (`l7 dns ctl stats`, `dump`),
`ctl flush` / `flush --subtree` / `flush-all` remove what they name, TCP gives the UDP answers,
a client outside --allow is REFUSED, and a forwarding resolver (--forward) answers the same.

The lab's addresses are fixed, so this test holds RESOURCE_LOCK lab. The lab has no CNAME
that leads into another zone, so the test runs it with three more records in pbs.org (see
CROSS_ZONE): a CNAME to crepes.fr, one to www.ibm.com (itself a CNAME), one to a name that
does not exist in crepes.fr.
"""

import re

import l7test
import resolver_helpers as rh

CROSS_ZONE = [
    "video        IN CNAME www.crepes.fr.",
    "tv           IN CNAME www.ibm.com.",
    "gone         IN CNAME nothere.crepes.fr.",
]

# (qname, qtype): what both resolvers are asked, in this order, each once from a cold cache.
QUESTIONS = [
    # depth 2
    ("crepes.fr", "A"), ("amazon.com", "A"), ("umass.edu", "MX"), ("hamburger.edu", "MX"),
    ("umass.edu", "TXT"), ("umass.edu", "NS"),
    # depth 3
    ("www.hamburger.edu", "A"), ("www.hamburger.edu", "AAAA"), ("www.crepes.fr", "A"),
    ("www.poly.edu", "A"), ("www.umass.edu", "A"), ("www.pbs.org", "A"),
    ("www.networkutopia.com", "A"), ("WwW.SomeSchool.EDU", "A"),
    # depth 4
    ("gaia.cs.umass.edu", "A"),
    # CNAME inside a zone (to another name, to the apex)
    ("www.ibm.com", "A"), ("www.amazon.com", "A"),
    # CNAME across zones: to fr, to a CNAME in com, to NXDOMAIN, to NODATA
    ("video.pbs.org", "A"), ("tv.pbs.org", "A"), ("gone.pbs.org", "A"), ("video.pbs.org", "AAAA"),
    # NXDOMAIN from a domain, a TLD, the root; below a name that does not exist
    ("nosuch.crepes.fr", "A"), ("nosuch.edu", "A"), ("nosuchtld", "A"),
    ("deep.nosuch.umass.edu", "A"),
    # NODATA: a type the name lacks; an empty non-terminal
    ("www.crepes.fr", "AAAA"), ("gaia.cs.umass.edu", "MX"), ("cs.umass.edu", "A"),
]


def lab_config():
    cp = l7test.run_l7(["lab", "--print-config"])
    assert cp.returncode == 0, cp.stderr
    return rh.add_records(cp.stdout, "pbs.org", CROSS_ZONE)


class ResolverTest(l7test.TestCase):
    """One lab and one Unbound for the class; an l7 resolver per test."""

    lab = unbound = None

    @classmethod
    def setUpClass(cls):
        config = lab_config()
        cls.lab = rh.Lab(config)
        try:
            port = cls.lab.dns_port
            cls.root = "%s:%d" % (rh.LAB_ROOT, port)
            stubs = None
            if port != 53:
                # Unbound sends to port 53 after a referral: give it every zone of the lab.
                stubs = {zone: [(a, port) for a in addrs]
                         for zone, addrs in rh.lab_zones(config).items()}
            cls.unbound = rh.Unbound(root=(rh.LAB_ROOT, port), stubs=stubs)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.unbound is not None:
            cls.unbound.close()
        if cls.lab is not None:
            cls.lab.close()

    def resolver(self, *args, iterate=True):
        """An l7 resolver from the lab's root (unless iterate=False), one worker thread."""
        full = ["--threads", "1"] + list(args)
        if iterate:
            full += ["--root", self.root, "--upstream-port", str(self.lab.dns_port)]
        r = rh.start_l7_resolver(full)
        self._procs.append(r)
        return r

    def dig(self, server, qname, qtype, *options, **kwargs):
        reply, out = rh.dig(server.address, qname, qtype, *options, **kwargs)
        return rh.comparable(reply), out

    def assertSameAs(self, l7_reply, l7_out, ref_reply, ref_out, who="unbound"):
        """rcode, flags, answer and authority equal; additional data is left out (Unbound's
        minimal-responses)."""
        for key in ("rcode", "flags", "answer", "authority"):
            self.assertEqual(l7_reply[key], ref_reply[key],
                             "%s differs from %s\n--- l7 ---\n%s\n--- %s ---\n%s"
                             % (key, who, l7_out, who, ref_out))

    def assertAnswerOrder(self, qname, out):
        problem = rh.chain_problem(qname, rh.answer_order(out))
        self.assertIsNone(problem, "answer section out of order:\n" + out)

    def compare_all(self, l7, questions=QUESTIONS, options=()):
        for qname, qtype in questions:
            with self.subTest(qname=qname, qtype=qtype, options=options):
                ref, ref_out = self.dig(self.unbound, qname, qtype)
                got, out = self.dig(l7, qname, qtype, *options)
                self.assertIn("ra", got["flags"], out)
                self.assertNotIn("aa", got["flags"], out)
                self.assertSameAs(got, out, ref, ref_out)
                self.assertAnswerOrder(qname, out)
                if ref["rcode"] == "NXDOMAIN" or (ref["rcode"] == "NOERROR" and not any(
                        rr[1] == qtype for rr in ref["answer"])):
                    # negative answers carry the zone's SOA
                    self.assertTrue(any(rr[1] == "SOA" for rr in got["authority"]), out)

    # --- the same answers as Unbound -----------------------------------------------------------

    def test_same_answers_as_unbound(self):
        l7 = self.resolver()
        self.compare_all(l7)
        # Asked again, now from the cache: still the same.
        self.compare_all(l7, QUESTIONS[:8] + QUESTIONS[15:22])
        self.assertStillRunning(l7)

    def test_tcp(self):
        l7 = self.resolver()
        self.compare_all(l7, [("gaia.cs.umass.edu", "A"), ("tv.pbs.org", "A"),
                              ("nosuch.crepes.fr", "A"), ("www.crepes.fr", "AAAA")], ("+tcp",))
        # The same names over UDP, now cached (the cache is shared by both transports).
        before = rh.stat(l7.stats(), "upstream_queries")
        self.compare_all(l7, [("gaia.cs.umass.edu", "A"), ("tv.pbs.org", "A")])
        self.assertEqual(rh.stat(l7.stats(), "upstream_queries"), before,
                         "answers resolved over TCP were not reused over UDP")
        # A dnspython TCP query: RA set, RD echoed, the question echoed.
        reply = rh.ask(l7.address, "www.poly.edu", "A", tcp=True)
        self.assertEqual(rh.from_message(reply)["answer"], [("www.poly.edu.", "A", "127.10.0.8")])
        self.assertEqual(str(reply.question[0].name), "www.poly.edu.")

    # --- the cache and `l7 dns ctl` -------------------------------------------------------------

    def test_second_query_comes_from_cache(self):
        l7 = self.resolver()
        first, out1 = self.dig(l7, "www.poly.edu", "A")
        self.assertEqual(first["answer"], [("www.poly.edu.", "A", "127.10.0.8")], out1)
        s1 = l7.stats()
        second, out2 = self.dig(l7, "www.poly.edu", "A")
        s2 = l7.stats()
        self.assertEqual(second["answer"], first["answer"], out2)
        self.assertEqual(rh.stat(s2, "queries"), rh.stat(s1, "queries") + 1, (s1, s2))
        self.assertGreater(rh.stat(s2, "hits"), rh.stat(s1, "hits"), (s1, s2))
        self.assertEqual(rh.stat(s2, "upstream_queries"), rh.stat(s1, "upstream_queries"),
                         "the second query went upstream: %r -> %r" % (s1, s2))
        self.assertGreater(rh.stat(s2, "entries"), 0, s2)
        records, _ = rh.parse_dump(l7.dump())
        self.assertIn(("www.poly.edu.", "A", "127.10.0.8"), records)
        # The delegation it learnt on the way is cached as well.
        self.assertIn(("poly.edu.", "NS", "dns.poly.edu."), records)
        self.assertIn(("dns.poly.edu.", "A", "127.10.2.3"), records)

        # A negative answer: cached with its SOA, and the dump says so.
        neg1, out3 = self.dig(l7, "nosuch.crepes.fr", "A")
        self.assertEqual(neg1["rcode"], "NXDOMAIN", out3)
        s3 = l7.stats()
        neg2, out4 = self.dig(l7, "nosuch.crepes.fr", "A")
        s4 = l7.stats()
        self.assertEqual((neg2["rcode"], neg2["authority"]), (neg1["rcode"], neg1["authority"]),
                         out4)
        self.assertEqual(rh.stat(s4, "upstream_queries"), rh.stat(s3, "upstream_queries"),
                         "the repeated NXDOMAIN went upstream: %r -> %r" % (s3, s4))
        dump = l7.dump()
        self.assertRegex(dump, r"(?mi)^;\s*NXDOMAIN\s+nosuch\.crepes\.fr\.?\s*$\n^crepes\.fr\.\s+"
                               r"\d+\s+IN\s+SOA\s+dns\.crepes\.fr\. ", dump)

    def test_flush(self):
        l7 = self.resolver()
        names = [("www.crepes.fr", "A"), ("mail.crepes.fr", "A"), ("crepes.fr", "MX"),
                 ("gaia.cs.umass.edu", "A")]
        for qname, qtype in names:
            reply, out = self.dig(l7, qname, qtype)
            self.assertEqual(reply["rcode"], "NOERROR", out)
        records, _ = rh.parse_dump(l7.dump())
        for rr in [("www.crepes.fr.", "A", "127.10.0.4"), ("mail.crepes.fr.", "A", "127.10.0.4"),
                   ("crepes.fr.", "MX", "10 mail.crepes.fr."),
                   ("gaia.cs.umass.edu.", "A", "127.10.0.2")]:
            self.assertIn(rr, records)

        # flush NAME: that name's records go, its neighbours stay.
        l7.ctl("flush", "www.crepes.fr")
        records, _ = rh.parse_dump(l7.dump())
        self.assertFalse([r for r in records if r[0] == "www.crepes.fr."], records)
        self.assertIn(("mail.crepes.fr.", "A", "127.10.0.4"), records)
        self.assertIn(("crepes.fr.", "MX", "10 mail.crepes.fr."), records)
        before = rh.stat(l7.stats(), "upstream_queries")
        reply, out = self.dig(l7, "www.crepes.fr", "A")
        self.assertEqual(reply["answer"], [("www.crepes.fr.", "A", "127.10.0.4")], out)
        self.assertGreater(rh.stat(l7.stats(), "upstream_queries"), before,
                           "www.crepes.fr was answered without asking upstream after its flush")

        # flush NAME --subtree: the name and everything below it.
        l7.ctl("flush", "crepes.fr", "--subtree")
        records, _ = rh.parse_dump(l7.dump())
        self.assertFalse([r for r in records if re.search(r"(^|\.)crepes\.fr\.$", r[0])],
                         records)
        self.assertIn(("gaia.cs.umass.edu.", "A", "127.10.0.2"), records)

        # flush-all: nothing of what was resolved is left.
        l7.ctl("flush-all")
        records, negatives = rh.parse_dump(l7.dump())
        self.assertFalse([r for r in records if r[0] in ("gaia.cs.umass.edu.", "umass.edu.")],
                         records)
        reply, out = self.dig(l7, "gaia.cs.umass.edu", "A")
        self.assertEqual(reply["answer"], [("gaia.cs.umass.edu.", "A", "127.10.0.2")], out)
        self.assertStillRunning(l7)

    # --- who may ask ----------------------------------------------------------------------------

    def test_client_outside_allow_list_is_refused(self):
        l7 = self.resolver("--allow", "127.0.0.2/32")
        for options in ((), ("+tcp",)):
            with self.subTest(options=options):
                reply, out = self.dig(l7, "www.crepes.fr", "A", *options)  # from 127.0.0.1
                self.assertEqual(reply["rcode"], "REFUSED", out)
                self.assertEqual(reply["answer"], [], out)
                reply, out = self.dig(l7, "www.crepes.fr", "A", *options, source="127.0.0.2")
                self.assertEqual((reply["rcode"], reply["answer"]),
                                 ("NOERROR", [("www.crepes.fr.", "A", "127.10.0.4")]), out)
        # The default allows 127.0.0.0/8: a client on 127.0.0.3 is served.
        default = self.resolver()
        reply, out = self.dig(default, "www.crepes.fr", "A", source="127.0.0.3")
        self.assertEqual(reply["rcode"], "NOERROR", out)

    # --- forwarding -------------------------------------------------------------------------------

    def test_forwarding_gives_the_same_answers(self):
        upstream = self.resolver()
        forwarder = self.resolver("--forward", "127.0.0.1:%d" % upstream.port, iterate=False)
        before = rh.stat(upstream.stats(), "queries")
        self.compare_all(forwarder)
        received = rh.stat(upstream.stats(), "queries") - before
        sent = rh.stat(forwarder.stats(), "upstream_queries")
        # Every question but those the forwarder could answer from what it had cached
        # (www.crepes.fr AAAA after video.pbs.org AAAA) went to the upstream resolver.
        self.assertGreaterEqual(received, len(QUESTIONS) // 2,
                                "the forwarder did not ask its upstream resolver")
        self.assertEqual(sent, received, "forwarder's upstream_queries vs. upstream's queries")
        # Forwarding to Unbound: the same again.
        to_unbound = self.resolver("--forward", "127.0.0.1:%d" % self.unbound.port, iterate=False)
        self.compare_all(to_unbound, QUESTIONS[::3])


if __name__ == "__main__":
    l7test.main()
