#!/usr/bin/python3
"""`l7 dns check-zone` against BIND's named-checkzone on the zone files in
data/dns/checkzone/ (origin example.test for all of them).

  * good_*.zone must load in both; what l7 then serves must be what BIND read (every RRset of
    `named-checkzone -D`, asked over TCP from `l7 dns serve`).
  * bad_*.zone must be rejected by both; l7 must name FILE:LINE: for a line-specific error.
    The line is the one marked `; <- error` in the file or in a file it $INCLUDEs (no mark:
    the error is about the whole zone or an RRset, and only FILE: is expected).

Both tools always get the same file and origin, and the main assertion is that they agree on
the exit status (0: loads, 1: errors).
"""

import glob
import os
import re
import subprocess
import tempfile
import unittest

import dns.message
import dns.name
import dns.query
import dns.rdata
import dns.rdataclass
import dns.rdatatype

import l7test
from dns_helpers import DATA, DnsTestCase, canonical_rdata, run_tool, tool

CHECKZONE_DIR = os.path.join(DATA, "checkzone")
ORIGIN = "example.test"
ERROR_MARK = "; <- error"

# Cases where named-checkzone is lenient on purpose: it logs the problem at error level but
# still loads the zone (exit 0). l7 must agree with BIND on the exit status even so.
BIND_LOADS_ANYWAY = {
    # BIND 9.18 lib/dns/zone.c zone_check_glue(): "has no REQUIRED GLUE address records",
    # and then `/* XXX950 make fatal for 9.5.0. */ /* answer = false; */`.
    "bad_glue_missing.zone",
}

# Known disagreements between l7 and BIND, reported to the lead; each test is an expected
# failure until l7 changes, and then an unexpected success tells to remove it from here.
KNOWN_L7_DISAGREEMENTS = {
    "good_svcb_loc.zone": "l7 has no text form for SVCB, HTTPS and LOC yet (only RFC 3597 \\#)",
}


def zone_files():
    return sorted(glob.glob(os.path.join(CHECKZONE_DIR, "*.zone")))


def error_location(path):
    """(file, 1-based line) of the line marked ERROR_MARK in `path` or in a file it
    $INCLUDEs, or None."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    for number, line in enumerate(lines, 1):
        if ERROR_MARK in line:
            return path, number
    for line in lines:
        words = line.split()
        if words and words[0].upper() == "$INCLUDE":
            found = error_location(os.path.join(os.path.dirname(path), words[1]))
            if found:
                return found
    return None


def named_checkzone(path, *extra):
    # -w: $INCLUDE names are relative to the zone file's directory, as for l7.
    argv = [tool("named-checkzone"), "-w", os.path.dirname(path)] + list(extra) + [ORIGIN, path]
    return run_tool(argv)


def bind_dump(path):
    """Every RRset BIND read from `path`: {(owner, type): {(ttl, rdata)}}."""
    cp = named_checkzone(path, "-D", "-o", "-")
    if cp.returncode != 0:
        raise AssertionError("named-checkzone -D failed:\n" + cp.stdout + cp.stderr)
    rrsets = {}
    for line in cp.stdout.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        owner, ttl, _klass, rtype, rdata = line.split(None, 4)
        rrsets.setdefault((owner.lower(), rtype), set()).add(
            (int(ttl), canonical_rdata(rtype, rdata))
        )
    return rrsets


class CheckZoneTest(DnsTestCase):
    def check_file(self, path):
        name = os.path.basename(path)
        bind = named_checkzone(path)
        bind_out = bind.stdout + bind.stderr
        # Run l7 from elsewhere: relative $INCLUDEs must not depend on the working directory.
        with tempfile.TemporaryDirectory(prefix="l7-checkzone-") as elsewhere:
            cp = subprocess.run(
                [l7test.l7(), "dns", "check-zone", path, ORIGIN],
                capture_output=True,
                text=True,
                timeout=l7test.RUN_TIMEOUT,
                cwd=elsewhere,
                env=l7test.clean_env(),
            )
        ours = cp.stdout + cp.stderr
        where = "%s\n--- named-checkzone (exit %d) ---\n%s--- l7 (exit %d) ---\n%s" % (
            name,
            bind.returncode,
            bind_out,
            cp.returncode,
            ours,
        )
        self.assertIn(bind.returncode, (0, 1), where)
        want_bind = 0 if name.startswith("good_") or name in BIND_LOADS_ANYWAY else 1
        self.assertEqual(
            bind.returncode, want_bind, "the test file is not what its name says: " + where
        )
        self.assertEqual(cp.returncode, bind.returncode, "l7 and BIND disagree: " + where)

        if cp.returncode == 0:
            self.assertIn("OK", cp.stdout.splitlines(), where)
            self.assertServedAsBindRead(path)
            return
        self.assertIn("not loaded due to errors", ours, where)
        location = error_location(path)
        if location is not None:
            self.assertRegex(ours, r"(?m)^%s:%d: " % (re.escape(location[0]), location[1]), where)
        else:
            self.assertRegex(ours, r"(?m)^%s(:\d+)?: " % re.escape(path), where)

    def assertServedAsBindRead(self, path):
        """Serves `path` with l7 and asks for every RRset of BIND's dump over TCP: the records
        and TTLs must be the same. Data at or below a delegation comes back as a referral, so
        the records are looked for in all three sections."""
        want = bind_dump(path)
        srv = self.dns_server(zone=path, origin=ORIGIN)
        for (owner, rtype), records in sorted(want.items()):
            q = dns.message.make_query(owner, rtype)
            q.flags = 0
            reply = dns.query.tcp(q, srv.host, port=srv.port, timeout=l7test.IO_TIMEOUT)
            got = set()
            qname = dns.name.from_text(owner)
            for rrset in reply.answer + reply.authority + reply.additional:
                if rrset.name == qname and dns.rdatatype.to_text(rrset.rdtype) == rtype:
                    got |= {(rrset.ttl, rd.to_text()) for rd in rrset}
            self.assertEqual(
                sorted(got),
                sorted(records),
                "%s %s %s: l7 serves\n%s" % (path, owner, rtype, reply),
            )
        self.assertStopsCleanly(srv)

    def test_quiet_prints_nothing(self):
        for name, status in [("good_basic.zone", 0), ("bad_ipv4.zone", 1)]:
            with self.subTest(name=name):
                cp = l7test.run_l7(
                    ["dns", "check-zone", "-q", os.path.join(CHECKZONE_DIR, name), ORIGIN]
                )
                self.assertEqual(cp.returncode, status, cp.stdout + cp.stderr)
                self.assertEqual(cp.stdout + cp.stderr, "")

    def test_usage_errors(self):
        args = ["dns", "check-zone", os.path.join(CHECKZONE_DIR, "good_basic.zone")]
        self.assertUsageError(l7test.run_l7(args), args)

    def test_missing_file(self):
        path = os.path.join(CHECKZONE_DIR, "does-not-exist.zone")
        bind = named_checkzone(path)
        cp = l7test.run_l7(["dns", "check-zone", path, ORIGIN])
        self.assertEqual((bind.returncode, cp.returncode), (1, 1), cp.stdout + cp.stderr)
        self.assertIn(path, cp.stdout + cp.stderr)


def _add_file_tests():
    """One test method per zone file, so that each case passes or fails on its own."""
    for path in zone_files():
        stem = os.path.basename(path)[: -len(".zone")]

        def test(self, path=path):
            self.check_file(path)

        test.__doc__ = None
        if os.path.basename(path) in KNOWN_L7_DISAGREEMENTS:
            test = unittest.expectedFailure(test)
        setattr(CheckZoneTest, "test_%s" % re.sub(r"\W", "_", stem), test)


_add_file_tests()

if __name__ == "__main__":
    l7test.main()
