"""Zone transfer interop: l7 as primary for NSD, BIND and Knot secondaries, l7 as secondary of
BIND and NSD primaries, and the AXFR/IXFR server side checked with dig, kdig and dnspython.

Run: /usr/bin/python3 tests/interop/dns_transfer.py build/debug/l7 -v

Every third-party daemon runs in the foreground with its own configuration in a temporary
directory, on a loopback port picked here, in a process group of its own that tearDown ends
(even when the test fails). Waits poll with generous deadlines; nothing asserts speed.
Zone versions live in data/dns/transfer: v1 -> v2 (serial+1: a record changed, one added, one
removed) -> v3 (serial+1: an address added to an RRset, MX changed).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import l7test
from l7test import free_port

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.opcode
    import dns.query
    import dns.rcode
    import dns.rdatatype
    import dns.versioned
    import dns.xfr
    import dns.zone

    HAVE_DNSPYTHON = True
except ImportError:  # pragma: no cover - reported as skips
    HAVE_DNSPYTHON = False

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "dns", "transfer")
ORIGIN = "xfr.test"
SERIAL = {1: 2024010101, 2: 2024010102, 3: 2024010103}

TRANSFER_TIMEOUT = 60.0  # for a secondary to hold a given serial (NOTIFY, SOA, IXFR/AXFR)
DAEMON_TIMEOUT = 30.0  # for a third-party daemon to answer queries
QUERY_TIMEOUT = 2.0  # one UDP query

LISTEN_DNS_RE = re.compile(r"listening on udp 127\.0\.0\.1:(\d+) \(dns\)")


def zone_text(version):
    with open(os.path.join(DATA, "xfr.test.v%d.zone" % version)) as f:
        return f.read()


def tool(name):
    path = shutil.which(name) or (
        os.path.join("/usr/sbin", name) if os.path.exists(os.path.join("/usr/sbin", name)) else None
    )
    return path


def query(port, name, rdtype, timeout=QUERY_TIMEOUT):
    """One UDP query to 127.0.0.1:port; the reply, or None if none came."""
    q = dns.message.make_query(name, rdtype)
    q.flags &= ~dns.flags.RD
    try:
        return dns.query.udp(q, "127.0.0.1", port=port, timeout=timeout)
    except (dns.exception.Timeout, OSError, dns.exception.DNSException):
        return None


def answer_texts(reply, rdtype):
    """The rdata texts of the answer RRset of `rdtype`, sorted; None without a NOERROR answer."""
    if reply is None or reply.rcode() != dns.rcode.NOERROR:
        return None
    out = []
    for rrset in reply.answer:
        if rrset.rdtype == dns.rdatatype.from_text(rdtype):
            out += [rd.to_text() for rd in rrset]
    return sorted(out)


def soa_serial(port, origin=ORIGIN):
    reply = query(port, origin, "SOA")
    if reply is None or reply.rcode() != dns.rcode.NOERROR:
        return None
    for rrset in reply.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    return None


# What each version must look like from any server that holds it.
EXPECTED = {
    1: {
        ("www", "A"): ["192.0.2.1"],
        ("txt", "TXT"): ['"version one"'],
        ("old", "A"): ["192.0.2.99"],
        ("new", "A"): None,  # NXDOMAIN
    },
    2: {
        ("www", "A"): ["192.0.2.11"],
        ("txt", "TXT"): ['"version two"'],
        ("old", "A"): None,
        ("new", "A"): ["192.0.2.10"],
        ("", "MX"): ["10 mail.xfr.test."],
    },
    3: {
        ("www", "A"): ["192.0.2.11"],
        ("new", "A"): ["192.0.2.10", "192.0.2.12"],
        ("", "MX"): ["20 mail.xfr.test."],
        ("old", "A"): None,
    },
}


BIG_HOSTS = 3000


def big_zone(serial, word):
    """big.test: BIG_HOSTS names with an A and a TXT each (several TCP messages); version 2
    rewrites every other TXT."""
    lines = [
        "$ORIGIN big.test.",
        "$TTL 300",
        "@ IN SOA ns1 hostmaster %d 3600 600 86400 300" % serial,
        "@ IN NS ns1",
        "ns1 IN A 127.0.0.1",
    ]
    for i in range(BIG_HOSTS):
        text = word if i % 2 == 0 else "first"
        lines.append("h%d IN A 10.%d.%d.%d" % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
        lines.append('h%d IN TXT "%s %d" "%s"' % (i, text, i, "p" * 60))
    return "\n".join(lines) + "\n"


# The configuration files of the third-party servers; start_nsd, start_named and start_knot
# fill them in. The parts common to their roles (primary or secondary) are here, once.

NSD_CONF = """server:
    ip-address: 127.0.0.1@{port}
    port: {port}
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "{d}"
    database: ""
    zonelistfile: "{d}/zone.list"
    pidfile: "{d}/nsd.pid"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
    verbosity: 2
    server-count: 1
remote-control:
    control-enable: no
zone:
    name: "{origin}"
{zone}"""

NAMED_CONF = """options {{
    directory "{d}";
    pid-file none;
    session-keyfile "{d}/session.key";
    managed-keys-directory "{d}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
{options}}};
controls {{ }};
logging {{
    channel out {{ stderr; severity info; print-time yes; print-category yes; }};
    category default {{ out; }};
    category {log_category} {{ out; }};
    category notify {{ out; }};
}};
zone "{origin}" {{
{zone}}};
"""

KNOT_CONF = """server:
    listen: 127.0.0.1@{port}
    rundir: "{d}/run"
log:
  - target: stderr
    any: info
database:
    storage: "{d}/db"
remote:
  - id: primary
    address: 127.0.0.1@{l7port}
acl:
  - id: notify_from_primary
    address: 127.0.0.1
    action: notify
template:
  - id: default
    storage: "{d}/zones"
zone:
  - domain: {origin}
    master: primary
    acl: notify_from_primary
"""


class Daemon:
    """A third-party server in the foreground, output to a file, in its own process group."""

    def __init__(self, name, argv, workdir):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(workdir, name + ".log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            argv,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=l7test.clean_env(),
        )

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def running(self):
        return self.proc.poll() is None

    def describe(self):
        return "%s (%s, exit %s)\n--- log ---\n%s" % (
            self.name,
            " ".join(self.argv),
            self.proc.poll(),
            self.log()[-6000:],
        )

    def signal(self, sig):
        if self.running():
            self.proc.send_signal(sig)

    def close(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        else:
            # The leader is gone; make sure nothing it forked stays behind.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._log.close()


@unittest.skipUnless(HAVE_DNSPYTHON, "dnspython is not installed for this interpreter")
class TransferTestCase(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self._tmp = tempfile.TemporaryDirectory(prefix="l7-xfr-")
        self.dir = self._tmp.name
        self._daemons = []
        self._written = {}

    def tearDown(self):
        # XFR_SHOW_LOGS=1 prints every daemon's log, also when the test passes.
        failed = self._outcome_failed() or os.environ.get("XFR_SHOW_LOGS") == "1"
        for d in self._daemons:
            if failed:
                print("\n=== %s" % d.describe())
            d.close()
        if failed:
            for p in self._procs:
                print("\n=== %s" % p.describe())
        super().tearDown()
        self._tmp.cleanup()

    def _outcome_failed(self):
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        errors = getattr(outcome, "errors", None)
        if errors is None:  # Python 3.11+: result object
            result = getattr(outcome, "result", None)
            if result is None:
                return False
            errors = list(getattr(result, "errors", [])) + list(getattr(result, "failures", []))
            return any(getattr(test, "test_case", test) is self for test, _ in errors)
        return any(exc for _, exc in errors)

    # --- helpers ---------------------------------------------------------------------

    def need(self, *names):
        for n in names:
            if tool(n) is None:
                self.skipTest("%s is not installed" % n)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, name, text):
        """Writes a file atomically (so a daemon never reads half of it)."""
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
        return path

    def write_zone(self, name, version):
        """Writes zone `version` to `name`, with an mtime later than the previous write of that
        file (BIND and NSD only reload a file whose mtime changed, at one-second precision)."""
        path = self.write(name, zone_text(version))
        prev = self._written.get(path)
        if prev is not None:
            stamp = max(time.time(), prev + 2)
            os.utime(path, (stamp, stamp))
        self._written[path] = os.stat(path).st_mtime
        return path

    def daemon(self, name, argv):
        d = Daemon(name, argv, self.dir)
        self._daemons.append(d)
        return d

    def _l7_serve(self, args):
        """`l7 dns serve` with `args`; its UDP port is .dns_port once it listens."""
        p = self.background(["dns", "serve"] + list(args))
        p.dns_port = int(p.wait_for(LISTEN_DNS_RE.pattern).group(1))
        return p

    def l7_dns(self, *args):
        return self._l7_serve(["--listen", "127.0.0.1:0"] + list(args))

    def l7_config(self, config):
        return self._l7_serve(["--config", config])

    def l7_primary(self, *args, version=1):
        zone = self.write_zone("primary/xfr.test.zone", version)
        return self.l7_dns("--zone", "%s=%s" % (ORIGIN, zone), *args)

    def start_nsd(self, port, zone_options):
        """NSD on `port` with its files in nsd/, for one zone (ORIGIN) with `zone_options`."""
        d = self.path("nsd")
        os.makedirs(d, exist_ok=True)
        zone = "".join("    %s\n" % line for line in zone_options)
        conf = self.write("nsd/nsd.conf", NSD_CONF.format(port=port, d=d, origin=ORIGIN, zone=zone))
        nsd = self.daemon("nsd", [tool("nsd"), "-d", "-c", conf])
        self.wait_serving(nsd, port)
        return nsd

    def start_named(self, port, options, log_category, zone, args=()):
        """BIND on `port` with its files in named/: the options and the zone statement's lines
        for ORIGIN, with the transfer log category (xfer-in or xfer-out) and notify on stderr."""
        d = self.path("named")
        os.makedirs(d, exist_ok=True)
        conf = self.write(
            "named/named.conf",
            NAMED_CONF.format(
                d=d,
                port=port,
                origin=ORIGIN,
                options="".join("    %s\n" % line for line in options),
                log_category=log_category,
                zone="".join("    %s\n" % line for line in zone),
            ),
        )
        argv = [tool("named"), "-g"] + list(args) + ["-u", "root", "-c", conf]
        named = self.daemon("named", argv)
        self.wait_serving(named, port)
        return named

    def start_knot(self, port, l7port, origin=ORIGIN):
        """Knot on `port` with its files in knot/, secondary for `origin` from l7 on `l7port`."""
        kd = self.path("knot")
        for sub in ("", "db", "zones", "run"):
            os.makedirs(os.path.join(kd, sub), exist_ok=True)
        conf = self.write(
            "knot/knot.conf", KNOT_CONF.format(port=port, d=kd, l7port=l7port, origin=origin)
        )
        knot = self.daemon("knotd", [tool("knotd"), "-c", conf])
        self.wait_serving(knot, port)
        return knot

    def wait_serving(self, daemon, port, timeout=DAEMON_TIMEOUT):
        """Waits until `daemon` answers a query on `port` (any rcode)."""

        def up():
            if not daemon.running():
                raise AssertionError("%s exited:\n%s" % (daemon.name, daemon.describe()))
            return query(port, ORIGIN, "SOA", timeout=0.5) is not None

        l7test.wait_until(up, timeout, interval=0.1, what="%s to answer" % daemon.name)

    def wait_serial(self, port, serial, who, timeout=TRANSFER_TIMEOUT, procs=()):
        """Waits until the server on `port` answers the zone's SOA with `serial`."""
        seen = []

        def ok():
            for p in procs:
                if not p.running():
                    raise AssertionError("%s exited" % p.describe())
            s = soa_serial(port)
            seen.append(s)
            return s == serial

        try:
            l7test.wait_until(ok, timeout, interval=0.2, what="%s to serve serial %d" % (who, serial))
        except AssertionError as e:
            raise AssertionError("%s (last SOA serial seen: %r)" % (e, seen[-1] if seen else None))

    def assertServesVersion(self, port, version, who):
        for (label, rdtype), want in sorted(EXPECTED[version].items()):
            name = "%s.%s" % (label, ORIGIN) if label else ORIGIN
            reply = query(port, name, rdtype)
            self.assertIsNotNone(reply, "%s: no reply to %s %s" % (who, name, rdtype))
            if want is None:
                self.assertEqual(
                    dns.rcode.to_text(reply.rcode()),
                    "NXDOMAIN",
                    "%s: %s %s should not exist in v%d:\n%s" % (who, name, rdtype, version, reply),
                )
            else:
                self.assertEqual(
                    answer_texts(reply, rdtype),
                    want,
                    "%s: %s %s in v%d:\n%s" % (who, name, rdtype, version, reply),
                )
            self.assertTrue(reply.flags & dns.flags.AA, "%s: %s %s without AA" % (who, name, rdtype))

    def l7_reload(self, l7, version):
        self.write_zone("primary/xfr.test.zone", version)
        before = l7.stderr().count("loaded serial %d" % SERIAL[version])
        l7.send_signal(signal.SIGHUP)
        l7test.wait_until(
            lambda: l7.stderr().count("loaded serial %d" % SERIAL[version]) > before,
            l7test.START_TIMEOUT,
            what="l7 to reload serial %d" % SERIAL[version],
        )

    def assertL7ServedIxfr(self, l7, serial, who):
        """l7's log shows an incremental IXFR answered, up to `serial` (l7 logs the serial it
        sends, not the one asked for)."""
        pat = re.compile(r"IXFR xfr\.test\. serial %d: .*\(incremental\)" % serial)
        try:
            l7test.wait_until(
                lambda: pat.search(l7.stderr()), 10, what="l7 to log the IXFR it served"
            )
        except AssertionError:
            self.fail(
                "%s did not fetch an incremental IXFR up to serial %d; l7 log:\n%s"
                % (who, serial, l7.stderr()[-4000:])
            )


# --- l7 as primary ---------------------------------------------------------------------------


class L7PrimaryTest(TransferTestCase):
    def _run_flow(self, l7, sec, sec_port, who, check_log=None):
        """v1 by AXFR, then v2 and v3 each announced by NOTIFY after a SIGHUP reload."""
        self.wait_serial(sec_port, SERIAL[1], who, procs=[l7])
        self.assertServesVersion(sec_port, 1, who)
        for version in (2, 3):
            self.l7_reload(l7, version)
            l7test.wait_until(
                lambda: re.search(
                    r"NOTIFY xfr\.test\. serial %d to 127\.0\.0\.1:%d: NOERROR"
                    % (SERIAL[version], sec_port),
                    l7.stderr(),
                ),
                TRANSFER_TIMEOUT,
                what="%s to acknowledge NOTIFY for serial %d" % (who, SERIAL[version]),
            )
            self.wait_serial(sec_port, SERIAL[version], who, procs=[l7])
            self.assertServesVersion(sec_port, version, who)
            self.assertL7ServedIxfr(l7, SERIAL[version], who)
            if check_log:
                check_log(version)
        self.assertStillRunning(l7)
        self.assertTrue(sec.running(), sec.describe())

    def test_nsd_secondary(self):
        self.need("nsd")
        port = free_port()
        l7 = self.l7_primary("--notify", "127.0.0.1:%d" % port)
        nsd = self.start_nsd(
            port,
            [
                'zonefile: "%s/xfr.test.copy"' % self.path("nsd"),
                "request-xfr: 127.0.0.1@%d NOKEY" % l7.dns_port,
                "allow-notify: 127.0.0.1 NOKEY",
            ],
        )
        self._run_flow(l7, nsd, port, "NSD")
        self.assertStopsCleanly(l7)

    def test_bind_secondary(self):
        self.need("named")
        port = free_port()
        l7 = self.l7_primary("--notify", "127.0.0.1:%d" % port)
        named = self.start_named(
            port,
            options=["notify no;", "transfer-source 127.0.0.1;", "notify-source 127.0.0.1;"],
            log_category="xfer-in",
            zone=[
                "type secondary;",
                "primaries { 127.0.0.1 port %d; };" % l7.dns_port,
                'file "%s/xfr.test.copy";' % self.path("named"),
            ],
            args=["-d", "3"],
        )

        def check_log(version):
            # BIND (at debug level 3) says which transfer it asked for and how it was answered.
            prefix = r"transfer of 'xfr\.test/IN' from 127\.0\.0\.1#%d: " % l7.dns_port
            done = re.compile(prefix + r"Transfer completed: .*\(serial %d\)" % SERIAL[version])
            l7test.wait_until(lambda: done.search(named.log()), 10,
                              what="BIND to log the transfer of serial %d" % SERIAL[version])
            log = named.log()
            self.assertRegex(log, prefix + r"requesting IXFR for serial %d" % SERIAL[version - 1])
            self.assertEqual(
                len(re.findall(prefix + r"got incremental response", log)), version - 1,
                "BIND did not take an incremental IXFR for serial %d:\n%s" % (SERIAL[version], log[-3000:]),
            )
            # Only the first transfer (AXFR of the initial version) is non-incremental.
            self.assertEqual(len(re.findall(prefix + r"got nonincremental response", log)), 1)
            self.assertNotRegex(log, r"(?i)falling back to AXFR|bad IXFR|malformed")

        self._run_flow(l7, named, port, "BIND", check_log=check_log)
        self.assertStopsCleanly(l7)

    def test_knot_secondary(self):
        self.need("knotd")
        port = free_port()
        # The TOML form of the configuration, with notify per zone.
        self.write_zone("primary/xfr.test.zone", 1)
        config = self.write(
            "primary/l7.toml",
            'listen = ["127.0.0.1:0"]\n'
            "[[zone]]\n"
            'origin = "%s"\n'
            'file = "xfr.test.zone"\n'
            'notify = ["127.0.0.1:%d"]\n' % (ORIGIN, port),
        )
        l7 = self.l7_config(config)
        knot = self.start_knot(port, l7.dns_port)

        def check_log(version):
            pat = re.compile(
                r"\[xfr\.test\.\] IXFR, incoming, remote 127\.0\.0\.1@%d.*finished" % l7.dns_port
            )
            l7test.wait_until(lambda: len(pat.findall(knot.log())) >= version - 1, 10,
                              what="Knot to log IXFR %d" % (version - 1))
            self.assertNotRegex(knot.log(), r"(?i)fallback to AXFR|IXFR.*failed|malformed")

        self._run_flow(l7, knot, port, "Knot", check_log=check_log)
        self.assertStopsCleanly(l7)


    def test_knot_secondary_large_zone(self):
        """A zone that takes several messages: AXFR, then an IXFR that changes half of it
        (also several messages), both parsed by Knot."""
        self.need("knotd")
        port = free_port()
        origin = "big.test"
        path = self.write("primary/big.test.zone", big_zone(1, "first"))
        l7 = self.l7_dns("--zone", "%s=%s" % (origin, path), "--notify", "127.0.0.1:%d" % port)
        knot = self.start_knot(port, l7.dns_port, origin)

        l7test.wait_until(lambda: soa_serial(port, origin) == 1, TRANSFER_TIMEOUT, interval=0.2,
                          what="Knot to hold big.test serial 1")
        self.assertRegex(l7.stderr(), r"AXFR big\.test\. serial 1: \d+ records in ([2-9]|\d\d+) messages")
        self.write("primary/big.test.zone", big_zone(2, "second"))
        l7.send_signal(signal.SIGHUP)
        l7test.wait_until(lambda: soa_serial(port, origin) == 2, TRANSFER_TIMEOUT, interval=0.2,
                          what="Knot to hold big.test serial 2")
        self.assertRegex(
            l7.stderr(), r"IXFR big\.test\. serial 2: \d+ records in ([2-9]|\d\d+) messages \(incremental\)"
        )
        self.assertRegex(knot.log(), r"\[big\.test\.\] IXFR, incoming, remote 127\.0\.0\.1@%d.*finished" % l7.dns_port)
        self.assertNotRegex(knot.log(), r"(?i)fallback to AXFR|XFR.*failed|malformed")
        for i in (0, 1234, BIG_HOSTS - 1):
            r = query(port, "h%d.%s" % (i, origin), "TXT")
            word = "second" if i % 2 == 0 else "first"
            self.assertEqual(answer_texts(r, "TXT"), ['"%s %d" "%s"' % (word, i, "p" * 60)])
        self.assertStopsCleanly(l7)


# --- l7 as secondary -------------------------------------------------------------------------


class L7SecondaryTest(TransferTestCase):
    def _secondary_flow(self, l7, primary, primary_port, who, reload):
        """l7 gets v1 by AXFR, then v2 and v3 by IXFR after NOTIFY."""
        l7test.wait_until(
            lambda: re.search(
                r"zone xfr\.test\.: AXFR from 127\.0\.0\.1:%d, serial %d" % (primary_port, SERIAL[1]),
                l7.stderr(),
            )
            or not l7.running(),
            TRANSFER_TIMEOUT,
            what="l7 to AXFR from %s" % who,
        )
        self.assertStillRunning(l7)
        self.wait_serial(l7.dns_port, SERIAL[1], "l7", procs=[l7])
        self.assertServesVersion(l7.dns_port, 1, "l7 (secondary of %s)" % who)
        for version in (2, 3):
            reload(version)
            l7test.wait_until(
                lambda: re.search(
                    r"NOTIFY for xfr\.test\. from 127\.0\.0\.1, serial %d" % SERIAL[version],
                    l7.stderr(),
                ),
                TRANSFER_TIMEOUT,
                what="l7 to receive NOTIFY for serial %d from %s" % (SERIAL[version], who),
            )
            self.wait_serial(l7.dns_port, SERIAL[version], "l7", procs=[l7])
            self.assertServesVersion(l7.dns_port, version, "l7 (secondary of %s)" % who)
            self.assertRegex(
                l7.stderr(),
                r"zone xfr\.test\.: IXFR from 127\.0\.0\.1:%d, serial %d"
                % (primary_port, SERIAL[version]),
            )
        self.assertNotIn("IXFR does not apply", l7.stderr())
        self.assertTrue(primary.running(), primary.describe())

    def test_bind_primary(self):
        self.need("named")
        port = free_port()
        l7 = self.l7_dns("--secondary", "%s=127.0.0.1:%d" % (ORIGIN, port))
        zone = self.write_zone("named/xfr.test.zone", 1)
        named = self.start_named(
            port,
            options=[
                "notify explicit;",
                "also-notify { 127.0.0.1 port %d; };" % l7.dns_port,
                "notify-source 127.0.0.1;",
                "allow-transfer { any; };",
                "ixfr-from-differences yes;",
            ],
            log_category="xfer-out",
            zone=["type primary;", 'file "%s";' % zone],
        )

        def reload(version):
            self.write_zone("named/xfr.test.zone", version)
            named.signal(signal.SIGHUP)  # named reloads the configuration and changed zones

        self._secondary_flow(l7, named, port, "BIND", reload)
        self.assertRegex(named.log(), r"client @\S+ 127\.0\.0\.1#\d+ \(xfr\.test\): transfer of 'xfr\.test/IN': IXFR ended")
        self.assertStopsCleanly(l7)

    def test_nsd_primary(self):
        self.need("nsd")
        port = free_port()
        # The TOML form, keeping a copy of the transferred zone.
        config = self.write(
            "l7/l7.toml",
            'listen = ["127.0.0.1:0"]\n'
            "[[zone]]\n"
            'origin = "%s"\n'
            'primary = "127.0.0.1:%d"\n'
            'file = "xfr.test.copy"\n' % (ORIGIN, port),
        )
        l7 = self.l7_config(config)
        zone = self.write_zone("nsd/xfr.test.zone", 1)
        nsd = self.start_nsd(
            port,
            [
                'zonefile: "%s"' % zone,
                "notify: 127.0.0.1@%d NOKEY" % l7.dns_port,
                "provide-xfr: 127.0.0.1 NOKEY",
                "store-ixfr: yes",
                "create-ixfr: yes",
            ],
        )

        def reload(version):
            self.write_zone("nsd/xfr.test.zone", version)
            nsd.signal(signal.SIGHUP)  # NSD re-reads zone files whose mtime changed

        self._secondary_flow(l7, nsd, port, "NSD", reload)
        copy = self.path("l7", "xfr.test.copy")
        l7test.wait_until(lambda: os.path.exists(copy), 10, what="l7 to write %s" % copy)
        saved = dns.zone.from_file(copy, origin=ORIGIN, relativize=False)
        self.assertEqual(saved.get_soa().serial, SERIAL[3])
        self.assertStopsCleanly(l7)


# --- AXFR/IXFR as a client sees them -------------------------------------------------------


def run(argv, timeout=l7test.RUN_TIMEOUT):
    try:
        cp = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise AssertionError("%s did not finish within %.0f s" % (" ".join(argv), timeout))
    cp.stdout = cp.stdout.decode("utf-8", "replace")
    cp.stderr = cp.stderr.decode("utf-8", "replace")
    return cp


def zone_records(zone):
    """A zone's records as a sorted list of "name ttl class type rdata" lines."""
    out = []
    for name, ttl, rdata in zone.iterate_rdatas():
        out.append("%s %d %s" % (name.to_text(), ttl, rdata.to_text()) + " " + dns.rdatatype.to_text(rdata.rdtype))
    return sorted(out)


def records(text):
    """The resource-record lines of dig/kdig output: (name, type, rdata) tuples, in order."""
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        f = line.split()
        if len(f) >= 5 and f[2] == "IN":
            out.append((f[0].lower(), f[3], " ".join(f[4:])))
    return out


class TransferClientTest(TransferTestCase):
    def dig(self, port, *args):
        return run(
            [tool("dig"), "@127.0.0.1", "-p", str(port), "+tries=1", "+time=5", "+nocmd", "+nostats"]
            + list(args)
        )

    def test_axfr_allowed_by_default(self):
        self.need("dig")
        l7 = self.l7_primary()
        cp = self.dig(l7.dns_port, ORIGIN, "AXFR")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        rrs = records(cp.stdout)
        self.assertNotIn("Transfer failed", cp.stdout)
        self.assertGreaterEqual(len(rrs), 3, cp.stdout)
        self.assertEqual(rrs[0][1], "SOA", cp.stdout)
        self.assertEqual(rrs[-1][1], "SOA", cp.stdout)
        self.assertEqual(rrs[0], rrs[-1])
        # Everything in the file and nothing more (the SOA twice).
        want = dns.zone.from_text(zone_text(1), origin=ORIGIN, relativize=False)
        want_count = sum(len(rds) for _, rds in want.iterate_rdatasets())
        self.assertEqual(len(rrs), want_count + 1, cp.stdout)
        self.assertIn(("old.xfr.test.", "A", "192.0.2.99"), rrs)
        self.assertIn(("www.xfr.test.", "AAAA", "2001:db8::1"), rrs)
        self.assertStopsCleanly(l7)

    def test_axfr_refused(self):
        self.need("dig")
        for allow in ("none", "10.0.0.0/8"):
            with self.subTest(allow=allow):
                l7 = self.l7_primary("--allow-transfer", allow)
                for qtype in ("AXFR", "IXFR=%d" % SERIAL[1]):
                    cp = self.dig(l7.dns_port, ORIGIN, qtype)
                    where = "allow-transfer %s, dig %s:\n%s%s" % (allow, qtype, cp.stdout, cp.stderr)
                    self.assertIn("Transfer failed", cp.stdout, where)
                    self.assertNotIn("192.0.2.1", cp.stdout, where)
                # dnspython shows the rcode itself.
                q = dns.message.make_query(ORIGIN, "AXFR")
                r = dns.query.tcp(q, "127.0.0.1", port=l7.dns_port, timeout=10)
                self.assertEqual(dns.rcode.to_text(r.rcode()), "REFUSED")
                self.assertEqual(len(r.answer), 0)
                # Ordinary queries still work.
                self.assertEqual(soa_serial(l7.dns_port), SERIAL[1])
                self.assertStopsCleanly(l7)

    def test_allow_transfer_by_source_address(self):
        """--allow-transfer 127.0.0.1: dig from 127.0.0.2 is refused, from 127.0.0.1 served."""
        self.need("dig")
        l7 = self.l7_primary("--allow-transfer", "127.0.0.1")
        cp = self.dig(l7.dns_port, "-b", "127.0.0.2", ORIGIN, "AXFR")
        self.assertIn("Transfer failed", cp.stdout, cp.stdout + cp.stderr)
        cp = self.dig(l7.dns_port, "-b", "127.0.0.1", ORIGIN, "AXFR")
        self.assertNotIn("Transfer failed", cp.stdout, cp.stdout + cp.stderr)
        self.assertIn("192.0.2.99", cp.stdout)
        self.assertRegex(l7.stderr(), r"127\.0\.0\.2:\d+: AXFR xfr\.test\. refused")
        self.assertStopsCleanly(l7)

    def test_notify_only_from_primary(self):
        """An l7 secondary answers NOTIFY from its primary's address, REFUSED from another
        address, NOTAUTH for a zone it does not have; the primary's own NOTIFY (after a
        reload) makes it fetch by IXFR."""
        primary = self.l7_primary()
        secondary = self.l7_dns("--secondary", "%s=127.0.0.1:%d" % (ORIGIN, primary.dns_port))
        self.wait_serial(secondary.dns_port, SERIAL[1], "l7 secondary", procs=[secondary])

        def notify(source, zone):
            m = dns.message.make_query(zone, "SOA")
            m.set_opcode(dns.opcode.NOTIFY)  # the opcode lives in .flags: keep it
            m.flags = (m.flags | dns.flags.AA) & ~dns.flags.RD
            r = dns.query.udp(m, "127.0.0.1", port=secondary.dns_port, source=source, timeout=5)
            self.assertEqual(r.opcode(), dns.opcode.NOTIFY)
            self.assertTrue(r.flags & dns.flags.QR)
            return dns.rcode.to_text(r.rcode())

        self.assertEqual(notify("127.0.0.2", ORIGIN), "REFUSED")
        self.assertEqual(notify("127.0.0.1", "other.test"), "NOTAUTH")
        self.l7_reload(primary, 2)
        self.assertEqual(notify("127.0.0.1", ORIGIN), "NOERROR")
        self.wait_serial(secondary.dns_port, SERIAL[2], "l7 secondary", procs=[secondary])
        self.assertServesVersion(secondary.dns_port, 2, "l7 secondary")
        self.assertRegex(secondary.stderr(), r"zone xfr\.test\.: IXFR from 127\.0\.0\.1:%d, serial %d"
                         % (primary.dns_port, SERIAL[2]))
        self.assertStopsCleanly(secondary)
        self.assertStopsCleanly(primary)

    def test_config_allow_transfer(self):
        """`allow-transfer` in the --config file (as `l7 dns serve --help` documents it)."""
        self.need("dig")
        self.write_zone("primary/xfr.test.zone", 1)
        for allow, allowed in (('["none"]', False), ('["10.0.0.0/8"]', False), ('["127.0.0.1"]', True)):
            with self.subTest(allow=allow):
                config = self.write(
                    "primary/l7.toml",
                    'listen = ["127.0.0.1:0"]\n'
                    "allow-transfer = %s\n"
                    "[[zone]]\n"
                    'origin = "%s"\n'
                    'file = "xfr.test.zone"\n' % (allow, ORIGIN),
                )
                l7 = self.l7_config(config)
                cp = self.dig(l7.dns_port, ORIGIN, "AXFR")
                where = "allow-transfer = %s:\n%s%s" % (allow, cp.stdout, cp.stderr)
                if allowed:
                    self.assertNotIn("Transfer failed", cp.stdout, where)
                    self.assertIn("192.0.2.99", cp.stdout, where)
                else:
                    self.assertIn("Transfer failed", cp.stdout, where)
                self.assertStopsCleanly(l7)

    def test_ixfr_dig_and_kdig(self):
        self.need("dig", "kdig")
        l7 = self.l7_primary()
        port = l7.dns_port

        # Up to date: a single SOA (RFC 1995 section 2).
        cp = self.dig(port, ORIGIN, "IXFR=%d" % SERIAL[1])
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        rrs = records(cp.stdout)
        self.assertEqual(len(rrs), 1, cp.stdout)
        self.assertEqual(rrs[0][1], "SOA")
        self.assertIn(" %d " % SERIAL[1], rrs[0][2])

        self.l7_reload(l7, 2)
        self.l7_reload(l7, 3)

        def soa_serial_of(rr):
            return int(rr[2].split()[2])

        # Incremental from v2: new SOA, old SOA, deletions, new SOA, additions, new SOA.
        cp = self.dig(port, ORIGIN, "IXFR=%d" % SERIAL[2])
        rrs = records(cp.stdout)
        self.assertNotIn("Transfer failed", cp.stdout)
        soas = [soa_serial_of(r) for r in rrs if r[1] == "SOA"]
        self.assertEqual(soas, [SERIAL[3], SERIAL[2], SERIAL[3], SERIAL[3]], cp.stdout)
        self.assertEqual(rrs[1][1], "SOA", "second record must be the old SOA:\n" + cp.stdout)
        i_old, i_new = 1, [i for i, r in enumerate(rrs) if r[1] == "SOA"][2]
        removed, added = rrs[i_old + 1 : i_new], rrs[i_new + 1 : -1]
        self.assertIn(("xfr.test.", "MX", "10 mail.xfr.test."), removed)
        self.assertIn(("new.xfr.test.", "A", "192.0.2.12"), added)
        self.assertIn(("xfr.test.", "MX", "20 mail.xfr.test."), added)
        self.assertNotIn(("new.xfr.test.", "A", "192.0.2.10"), added + removed)

        # Incremental from v1 over two changes.
        cp = self.dig(port, ORIGIN, "IXFR=%d" % SERIAL[1])
        rrs = records(cp.stdout)
        soas = [soa_serial_of(r) for r in rrs if r[1] == "SOA"]
        self.assertEqual(rrs[1][1], "SOA", cp.stdout)
        self.assertEqual(soas[0], SERIAL[3], cp.stdout)
        self.assertEqual(soas[1], SERIAL[1], cp.stdout)
        self.assertEqual(soas[-1], SERIAL[3], cp.stdout)
        self.assertIn(("old.xfr.test.", "A", "192.0.2.99"), rrs)
        self.assertIn(("new.xfr.test.", "A", "192.0.2.12"), rrs)

        # Up to date again.
        rrs = records(self.dig(port, ORIGIN, "IXFR=%d" % SERIAL[3]).stdout)
        self.assertEqual([r[1] for r in rrs], ["SOA"])

        # A serial we have no history for: the whole zone, AXFR-style (second record not a SOA).
        cp = self.dig(port, ORIGIN, "IXFR=2023000000")
        rrs = records(cp.stdout)
        self.assertNotIn("Transfer failed", cp.stdout)
        self.assertEqual(rrs[0][1], "SOA")
        self.assertNotEqual(rrs[1][1], "SOA", cp.stdout)
        self.assertEqual(rrs[-1][1], "SOA")
        self.assertIn(("new.xfr.test.", "A", "192.0.2.12"), rrs)

        # kdig parses IXFR strictly: incremental from v1 and from v2, and the up-to-date reply.
        for serial in (SERIAL[1], SERIAL[2], SERIAL[3]):
            cp = run([tool("kdig"), "@127.0.0.1", "-p", str(port), "+timeout=5", "+retry=0",
                      ORIGIN, "IXFR=%d" % serial])
            where = "kdig IXFR=%d:\n%s%s" % (serial, cp.stdout, cp.stderr)
            self.assertEqual(cp.returncode, 0, where)
            self.assertNotRegex(cp.stdout + cp.stderr, r"(?i)failed|malformed|error", where)
            self.assertIn(";; IXFR for xfr.test.", cp.stdout, where)
            rrs = records(cp.stdout)
            self.assertEqual(soa_serial_of(rrs[0]), SERIAL[3], where)
            if serial != SERIAL[3]:
                self.assertEqual(rrs[1][1], "SOA", where)
                self.assertEqual(soa_serial_of(rrs[1]), serial, where)
            else:
                self.assertEqual(len(rrs), 1, where)
        self.assertStopsCleanly(l7)

    def test_dnspython_inbound_xfr(self):
        """dnspython applies our AXFR and then our IXFR to a versioned zone; the result equals
        the zone file."""
        l7 = self.l7_primary()
        port = l7.dns_port
        zone = dns.versioned.Zone(ORIGIN)
        dns.query.inbound_xfr("127.0.0.1", zone, port=port, timeout=10, lifetime=30)
        self.assertEqual(zone.get_soa().serial, SERIAL[1])
        self.l7_reload(l7, 2)
        q, _ = dns.xfr.make_query(zone)
        self.assertEqual(q.question[0].rdtype, dns.rdatatype.IXFR)
        dns.query.inbound_xfr("127.0.0.1", zone, query=q, port=port, timeout=10, lifetime=30)
        self.assertEqual(zone.get_soa().serial, SERIAL[2])
        self.assertEqual(zone_records(zone), zone_records(dns.zone.from_text(zone_text(2), origin=ORIGIN)))
        self.assertStopsCleanly(l7)


if __name__ == "__main__":
    l7test.main()
