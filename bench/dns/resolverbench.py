"""Helpers for bench/dns/resolver.sh: the recursive resolver, l7 against Unbound.

Run with Debian's /usr/bin/python3 (dnspython). It reuses the interop tests' code for
starting the lab, `l7 dns resolver` and Unbound (tests/interop/resolver_helpers.py).

    resolverbench.py hierarchy DIR N
        a two-level hierarchy for the cache-hit run: DIR/root.zone delegates bench. to
        ns.bench. (127.0.0.2), DIR/bench.zone holds host-0 .. host-(N-1).bench. A; DIR/names.txt
        is the dnsperf input ("host-I.bench. A", one per name)
    resolverbench.py warm --server HOST:PORT --names FILE (--l7-control PATH | --unbound-conf CONF)
        asks every name once (each answer must be the zone's), then again: the second pass
        must cause no work (l7: `ctl stats` upstream_queries; Unbound: total.num.cachemiss
        from unbound-control). Prints that count for the first pass.
    resolverbench.py cold --l7 PATH [--rounds R]
        cold resolution over the lab's hierarchy (`l7 lab`): ~50 names, each asked once of a
        resolver started for it (cold: nothing cached, priming included), then the same names
        in a row of one fresh resolver (sequential: the delegations learnt stay cached).
        Resolvers alternate (l7, Unbound), R rounds (3). Prints median latency and upstream
        queries per name for each.
"""

import argparse
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "interop"))

import dns.message  # noqa: E402
import dns.query  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402

import l7test  # noqa: E402
import resolver_helpers as rh  # noqa: E402

# --- the cache-hit hierarchy -----------------------------------------------------------------


def address_of(i):
    return "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)


def write_hierarchy(directory, count):
    with open(os.path.join(directory, "root.zone"), "w") as f:
        f.write("$ORIGIN .\n$TTL 86400\n"
                ". IN SOA a.root.bench. hostmaster.bench. 1 1800 900 604800 86400\n"
                ". IN NS a.root.bench.\n"
                "a.root.bench. IN A 127.0.0.1\n"
                "bench. IN NS ns.bench.\n"
                "ns.bench. IN A 127.0.0.2\n")
    with open(os.path.join(directory, "bench.zone"), "w") as f:
        f.write("$ORIGIN bench.\n$TTL 86400\n"
                "@ IN SOA ns.bench. hostmaster.bench. 1 1800 900 604800 86400\n"
                "@ IN NS ns.bench.\n"
                "ns IN A 127.0.0.2\n"
                "a.root IN A 127.0.0.1\n")
        for i in range(count):
            f.write("host-%d IN A %s\n" % (i, address_of(i)))
    with open(os.path.join(directory, "names.txt"), "w") as f:
        for i in range(count):
            f.write("host-%d.bench. A\n" % i)


# --- warming a cache -------------------------------------------------------------------------


def work_count(args):
    """l7: upstream queries sent. Unbound: client queries that missed the cache (its count of
    upstream queries needs extended-statistics, which the cache-hit run leaves off)."""
    if args.l7_control:
        cp = l7test.run_l7(["dns", "ctl", "--control", args.l7_control, "stats"])
        if cp.returncode != 0:
            raise SystemExit("l7 dns ctl stats failed: " + cp.stderr)
        return rh.stat(rh.parse_stats(cp.stdout), "upstream_queries")
    return int(unbound_stats(args.unbound_conf)["total.num.cachemiss"])


def unbound_stats(conf):
    import subprocess
    cp = subprocess.run(["unbound-control", "-c", conf, "stats_noreset"], capture_output=True,
                        text=True, timeout=30)
    if cp.returncode != 0:
        raise SystemExit("unbound-control stats_noreset failed: " + cp.stdout + cp.stderr)
    return dict(line.split("=", 1) for line in cp.stdout.splitlines() if "=" in line)


def unbound_upstream(conf):
    """Queries Unbound sent to name servers (needs extended-statistics: yes)."""
    values = unbound_stats(conf)
    if "num.query.udpout" not in values:
        raise SystemExit("unbound-control shows no num.query.udpout: extended-statistics off")
    return int(values["num.query.udpout"]) + int(values.get("num.query.tcpout", 0))


def warm(argv):
    ap = argparse.ArgumentParser(prog="resolverbench.py warm")
    ap.add_argument("--server", required=True)
    ap.add_argument("--names", required=True)
    ap.add_argument("--l7-control")
    ap.add_argument("--unbound-conf")
    args = ap.parse_args(argv)
    host, port = args.server.rsplit(":", 1)
    names = [line.split()[0] for line in open(args.names) if line.strip()]
    what = "upstream queries" if args.l7_control else "cache misses"
    before = work_count(args)
    for attempt in range(2):
        for name in names:
            i = int(re.match(r"host-(\d+)\.", name).group(1))
            q = dns.message.make_query(name, "A")
            r = dns.query.udp(q, host, port=int(port), timeout=10)
            got = [rd.to_text() for rrset in r.answer for rd in rrset
                   if rrset.rdtype == dns.rdatatype.A]
            if r.rcode() != 0 or got != [address_of(i)]:
                raise SystemExit("%s: wrong answer for %s: %s" % (args.server, name, r))
        if attempt == 0:
            first = work_count(args)
    second = work_count(args)
    if second != first:
        raise SystemExit("%s: the second pass caused %d %s: the cache is not warm"
                         % (args.server, second - first, what))
    print("%d %s" % (first - before, what))
    return 0


# --- cold resolution over the lab ------------------------------------------------------------

CROSS_ZONE = ["video IN CNAME www.crepes.fr.", "tv IN CNAME www.ibm.com.",
              "gone IN CNAME nothere.crepes.fr."]

LAB_NAMES = [
    ("umass.edu", "MX"), ("umass.edu", "TXT"), ("www.umass.edu", "A"), ("mail.umass.edu", "A"),
    ("dns.umass.edu", "A"), ("dns2.umass.edu", "A"), ("gaia.cs.umass.edu", "A"),
    ("www.poly.edu", "A"), ("cis.poly.edu", "A"), ("dns.poly.edu", "A"),
    ("hamburger.edu", "A"), ("hamburger.edu", "MX"), ("www.hamburger.edu", "A"),
    ("www.hamburger.edu", "AAAA"), ("mail.hamburger.edu", "A"), ("dns.hamburger.edu", "A"),
    ("crepes.fr", "A"), ("crepes.fr", "MX"), ("www.crepes.fr", "A"), ("mail.crepes.fr", "A"),
    ("dns.crepes.fr", "A"),
    ("networkutopia.com", "MX"), ("www.networkutopia.com", "A"),
    ("mail.networkutopia.com", "A"), ("dns1.networkutopia.com", "A"),
    ("www.someschool.edu", "A"), ("dns.someschool.edu", "A"),
    ("www.ibm.com", "A"), ("servereast.backup2.ibm.com", "A"), ("dns.ibm.com", "A"),
    ("amazon.com", "A"), ("www.amazon.com", "A"), ("dns.amazon.com", "A"),
    ("www.pbs.org", "A"), ("dns.pbs.org", "A"),
    ("video.pbs.org", "A"), ("tv.pbs.org", "A"), ("gone.pbs.org", "A"),
    # NXDOMAIN
    ("nosuch.umass.edu", "A"), ("nosuch.poly.edu", "A"), ("nosuch.crepes.fr", "A"),
    ("nosuch.ibm.com", "A"), ("nosuch.pbs.org", "A"), ("nosuch.edu", "A"), ("nosuch.com", "A"),
    ("nosuchtld", "A"),
    # NODATA
    ("www.crepes.fr", "AAAA"), ("gaia.cs.umass.edu", "MX"), ("cs.umass.edu", "A"),
    ("www.pbs.org", "TXT"),
]


class Contender:
    def __init__(self, kind, lab, config):
        self.kind, self.lab, self.config = kind, lab, config
        self.proc = None

    def start(self):
        port = self.lab.dns_port
        if self.kind == "l7":
            self.proc = rh.start_l7_resolver(["--threads", "1", "--root",
                                              "%s:%d" % (rh.LAB_ROOT, port),
                                              "--upstream-port", str(port)])
        else:
            stubs = None
            if port != 53:
                stubs = {z: [(a, port) for a in addrs]
                         for z, addrs in rh.lab_zones(self.config).items()}
            self.proc = rh.Unbound(root=(rh.LAB_ROOT, port), stubs=stubs, remote_control=True)

    def upstream(self):
        if self.kind == "l7":
            return rh.stat(self.proc.stats(), "upstream_queries")
        return unbound_upstream(self.proc.conf)

    def stop(self):
        if self.proc is not None:
            self.proc.close()
            self.proc = None


def ask_timed(address, qname, qtype):
    q = dns.message.make_query(qname, qtype)
    t0 = time.perf_counter()
    r = dns.query.udp(q, address[0], port=address[1], timeout=10)
    return time.perf_counter() - t0, r


def cold(argv):
    ap = argparse.ArgumentParser(prog="resolverbench.py cold")
    ap.add_argument("--l7", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    os.environ["L7_BIN"] = os.path.abspath(args.l7)
    cp = l7test.run_l7(["lab", "--print-config"])
    config = rh.add_records(cp.stdout, "pbs.org", CROSS_ZONE)
    lab = rh.Lab(config)
    results = {}  # (mode, kind) -> [(name, latency, upstream, rcode)]
    answers = {}  # kind -> {name: (rcode, answer)}
    try:
        print("lab: root %s:%d; %d names; %d rounds; l7 --threads 1, Unbound num-threads: 1, "
              "unpinned; latency = one dnspython query over UDP, client side"
              % (rh.LAB_ROOT, lab.dns_port, len(LAB_NAMES), args.rounds))
        for rnd in range(args.rounds):
            for kind in ("l7", "unbound"):
                c = Contender(kind, lab, config)
                # cold: a fresh resolver per name
                for qname, qtype in LAB_NAMES:
                    c.start()
                    try:
                        u0 = c.upstream()
                        dt, r = ask_timed(c.proc.address, qname, qtype)
                        u1 = c.upstream()
                    finally:
                        c.stop()
                    results.setdefault(("cold", kind), []).append(
                        ((qname, qtype), dt, u1 - u0, dns.rcode.to_text(r.rcode())))
                    answers.setdefault(kind, {})[(qname, qtype)] = (
                        dns.rcode.to_text(r.rcode()), rh.from_message(r)["answer"])
                # sequential: one fresh resolver for the whole list
                c.start()
                try:
                    for qname, qtype in LAB_NAMES:
                        u0 = c.upstream()
                        dt, r = ask_timed(c.proc.address, qname, qtype)
                        u1 = c.upstream()
                        results.setdefault(("sequential", kind), []).append(
                            ((qname, qtype), dt, u1 - u0, dns.rcode.to_text(r.rcode())))
                finally:
                    c.stop()
    finally:
        lab.close()

    differ = [k for k in answers["l7"] if answers["l7"][k] != answers["unbound"].get(k)]
    print("answers: %d of %d the same for l7 and Unbound%s" % (
        len(LAB_NAMES) - len(differ), len(LAB_NAMES),
        "" if not differ else "; differ: %s" % differ))
    print("%-11s %-8s %26s %9s %22s %8s %s" % ("mode", "resolver", "latency ms median [p10-p90]",
                                               "max ms", "upstream/name mean", "median",
                                               "servfail"))
    for (mode, kind), rows in results.items():
        lat = sorted(r[1] * 1e3 for r in rows)
        up = [r[2] for r in rows]
        p = statistics.quantiles(lat, n=10)
        print("%-11s %-8s %12.2f [%5.2f-%6.2f] %9.2f %22.2f %8.1f %d" % (
            mode, kind, statistics.median(lat), p[0], p[-1], lat[-1], statistics.mean(up),
            statistics.median(up), sum(1 for r in rows if r[3] == "SERVFAIL")))
    # Per name, cold, the median upstream count of each: where they differ most.
    per = {}
    for (mode, kind), rows in results.items():
        if mode != "cold":
            continue
        for name, _dt, up, _rc in rows:
            per.setdefault(name, {}).setdefault(kind, []).append(up)
    print("cold, upstream queries per name (median of rounds), l7 / Unbound:")
    line = []
    for name, d in per.items():
        line.append("%s/%s %g/%g" % (name[0], name[1], statistics.median(d["l7"]),
                                     statistics.median(d["unbound"])))
    for i in range(0, len(line), 4):
        print("  " + "; ".join(line[i:i + 4]))
    return 0


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "hierarchy":
        write_hierarchy(args[0], int(args[1]))
        return 0
    if cmd == "warm":
        return warm(args)
    if cmd == "cold":
        return cold(args)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
