"""Shared code of the recursive-resolver interop tests (dns_resolver.py, dns_poisoning.py):
starting `l7 dns resolver` and Unbound (Debian's unbound, the reference resolver) on loopback,
starting the lab, and reading replies from dig and dnspython into one comparable form that
ignores TTLs and letter case.

Run by /usr/bin/python3 (Debian's dnspython); see dns_helpers.py, whose parsers this reuses.
"""

import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import tomllib

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

import dns_helpers
import l7test
from l7test import free_port
from l7test import Deadline, IO_TIMEOUT, START_TIMEOUT, STOP_TIMEOUT

RESOLVER_LISTEN_RE = r"listening on %s 127\.0\.0\.1:(\d+) \(dns resolver\)"

# --- l7 dns resolver ------------------------------------------------------------------------


class L7Resolver(l7test.L7Process):
    """`l7 dns resolver --listen LISTEN --control SOCKET ARGS...`, started, with its port.

    LISTEN is 127.0.0.1:0 (an ephemeral port, the same for UDP and TCP, read from the log)
    unless given. The control socket lives in the process's temporary directory."""

    def __init__(self, args, listen="127.0.0.1:0", env=None):
        self._ctl_dir = tempfile.mkdtemp(prefix="l7-ctl-")
        self.control = os.path.join(self._ctl_dir, "ctl.sock")
        super().__init__(["dns", "resolver", "--listen", listen, "--control", self.control]
                         + list(args), env=env)
        try:
            udp = int(self.wait_for(RESOLVER_LISTEN_RE % "udp").group(1))
            tcp = int(self.wait_for(RESOLVER_LISTEN_RE % "tcp").group(1))
            if udp != tcp:
                raise AssertionError("UDP port %d and TCP port %d differ:\n%s"
                                     % (udp, tcp, self.describe()))
            l7test.wait_until(lambda: os.path.exists(self.control), START_TIMEOUT,
                              what="the control socket %s" % self.control)
        except BaseException:
            self.close()
            raise
        self.host = "127.0.0.1"
        self.port = udp

    @property
    def address(self):
        return (self.host, self.port)

    def ctl(self, *args):
        """`l7 dns ctl --control SOCKET ARGS...`; returns its stdout; fails on a non-zero exit."""
        argv = ["dns", "ctl", "--control", self.control] + list(args)
        cp = l7test.run_l7(argv)
        if cp.returncode != 0:
            raise AssertionError("l7 %s: exit %d\nstdout: %s\nstderr: %s\nresolver:\n%s"
                                 % (" ".join(argv), cp.returncode, cp.stdout, cp.stderr,
                                    self.describe()))
        return cp.stdout

    def stats(self):
        """`ctl stats` as {name: int or str}."""
        return parse_stats(self.ctl("stats"))

    def dump(self):
        """`ctl dump`: the text."""
        return self.ctl("dump")

    def close(self):
        super().close()
        try:
            os.unlink(self.control)
        except OSError:
            pass
        try:
            os.rmdir(self._ctl_dir)
        except OSError:
            pass


def start_l7_resolver(args, tries=3, **kwargs):
    """An L7Resolver; retried when its ephemeral UDP port is already taken over TCP (the race
    dns_helpers.DnsTestCase.dns_server describes)."""
    for attempt in range(tries):
        try:
            return L7Resolver(args, **kwargs)
        except AssertionError as e:
            if "already in use" not in str(e) or attempt == tries - 1:
                raise


def parse_stats(text):
    out = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([\w.\-]+)\s*:\s*(\S.*?)\s*$", line)
        if m:
            value = m.group(2)
            out[m.group(1)] = int(value) if re.fullmatch(r"-?\d+", value) else value
    return out


def stat(stats, name):
    if name not in stats:
        raise AssertionError("`l7 dns ctl stats` has no %r line: %r" % (name, stats))
    if not isinstance(stats[name], int):
        raise AssertionError("`l7 dns ctl stats`: %s is not a number: %r" % (name, stats[name]))
    return stats[name]


def parse_dump(text):
    """`ctl dump` as (records, negatives): records a set of (owner, type, rdata) (lowercase,
    no TTL); negatives a set of (kind, owner) from the comment lines "; NXDOMAIN owner" (and
    "; NOERROR owner TYPE" or "; NODATA owner TYPE" for NODATA). Other comments are skipped."""
    records, negatives = set(), set()
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith(";"):
            words = line.lstrip("; ").split()
            if words and words[0].upper() in ("NXDOMAIN", "NODATA", "NOERROR") and len(words) >= 2:
                negatives.add((words[0].upper(), words[1].lower()))
            continue
        parts = line.split(None, 4)
        if len(parts) < 5:
            raise AssertionError("a dump line that is no record: %r" % line)
        owner, ttl, klass, rtype, rdata = parts
        if klass.upper() != "IN" or not ttl.isdigit():
            raise AssertionError("a dump line not as 'owner TTL IN TYPE RDATA': %r" % line)
        records.add((owner.lower(), rtype.upper(), canonical(rtype, rdata)))
    return records, negatives


def canonical(rtype, rdata):
    try:
        return dns_helpers.canonical_rdata(rtype.upper(), rdata).lower()
    except Exception:  # an RDATA dnspython cannot read: compare the text
        return " ".join(rdata.split()).lower()


# --- Unbound -------------------------------------------------------------------------------


def unbound_config(directory, port, root=None, stubs=None, forward=None, nodefault=(),
                   control=None, threads=1, extra=()):
    """The text of an unbound.conf for a resolver on 127.0.0.1@PORT, without validation.

    root: (address, port) of the root server: on port 53 it becomes a root-hints file (Unbound
    iterates as on the Internet); on any other port a stub zone for "." (Unbound cannot send
    to another port than 53 after a referral, so a hierarchy off port 53 needs `stubs`:
    {zone: [(address, port), ...]} for every zone). forward: [(address, port)] for a
    forward-zone "." instead. nodefault: zones Unbound answers itself by default (test.,
    invalid., ...) that must be resolved instead. control: the path of a unix socket for
    unbound-control (no certificates), or None."""
    lines = [
        "server:",
        "  interface: 127.0.0.1@%d" % port,
        "  port: %d" % port,
        "  do-ip4: yes",
        "  do-ip6: no",
        "  do-udp: yes",
        "  do-tcp: yes",
        "  do-not-query-localhost: no",
        "  access-control: 127.0.0.0/8 allow",
        '  username: ""',
        '  chroot: ""',
        '  directory: "%s"' % directory,
        '  pidfile: "%s"' % os.path.join(directory, "unbound.pid"),
        "  use-syslog: no",
        '  logfile: ""',
        "  log-time-ascii: yes",
        "  verbosity: 1",
        '  module-config: "iterator"',
        "  qname-minimisation: yes",
        "  harden-referral-path: no",
        "  minimal-responses: yes",
        "  num-threads: %d" % threads,
        "  extended-statistics: yes",
        "  statistics-cumulative: yes",
    ]
    for zone in nodefault:
        lines.append('  local-zone: "%s" nodefault' % zone)
    if root is not None and root[1] == 53 and not stubs and not forward:
        hints = os.path.join(directory, "root.hints")
        with open(hints, "w") as f:
            f.write(".                        3600000  NS  a.root-servers.net.\n"
                    "a.root-servers.net.      3600000  A   %s\n" % root[0])
        lines.append('  root-hints: "%s"' % hints)
    lines += ["  " + x for x in extra]
    zones = dict(stubs or {})
    if root is not None and (root[1] != 53 or stubs) and "." not in zones:
        zones["."] = [root]
    for zone, servers in sorted(zones.items()):
        lines += ["stub-zone:", '  name: "%s"' % zone]
        lines += ["  stub-addr: %s@%d" % (a, p) for a, p in servers]
    if forward:
        lines += ["forward-zone:", '  name: "."']
        lines += ["  forward-addr: %s@%d" % (a, p) for a, p in forward]
    lines.append("remote-control:")
    if control:
        lines += ["  control-enable: yes", '  control-interface: "%s"' % control,
                  "  control-use-cert: no"]
    else:
        lines.append("  control-enable: no")
    return "\n".join(lines) + "\n"


class Unbound:
    """Unbound in the foreground (`unbound -d -c CONF`) on 127.0.0.1:PORT; see unbound_config
    for the arguments. Stopped (SIGTERM, then SIGKILL) by close()."""

    def __init__(self, tries=3, **config):
        self._dir = tempfile.TemporaryDirectory(prefix="l7-unbound-")
        self.directory = self._dir.name
        self.proc = None
        self.control = os.path.join(self.directory, "control.sock") if config.pop(
            "remote_control", False) else None
        for attempt in range(tries):
            self.port = free_port()
            self.conf = os.path.join(self.directory, "unbound.conf")
            with open(self.conf, "w") as f:
                f.write(unbound_config(self.directory, self.port, control=self.control,
                                       **config))
            self.log_path = os.path.join(self.directory, "unbound.log")
            self._log = open(self.log_path, "wb")
            self.proc = subprocess.Popen([dns_helpers.tool("unbound"), "-d", "-c", self.conf],
                                         stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT)
            try:
                self._wait_started()
                return
            except AssertionError:
                log = self.log()
                self.kill()
                if "could not open" not in log or attempt == tries - 1:
                    self.close()
                    raise
        raise AssertionError("unreachable")

    def _wait_started(self):
        deadline = Deadline(START_TIMEOUT)
        while True:
            log = self.log()
            if "start of service" in log:
                return
            if self.proc.poll() is not None:
                raise AssertionError("unbound exited (%s) before it started:\n%s\nconfig:\n%s"
                                     % (self.proc.returncode, log, open(self.conf).read()))
            if deadline.expired():
                raise AssertionError("unbound did not start within %.0f s:\n%s"
                                     % (START_TIMEOUT, log))
            time.sleep(0.02)

    @property
    def address(self):
        return ("127.0.0.1", self.port)

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def describe(self):
        return "unbound on 127.0.0.1:%d (exit %s)\n--- log ---\n%s" % (
            self.port, self.proc.poll() if self.proc else None, self.log()[-4000:])

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def control_cmd(self, *args):
        """`unbound-control -c CONF ARGS...` (needs remote_control=True)."""
        cp = dns_helpers.run_tool([dns_helpers.tool("unbound-control"), "-c", self.conf]
                                  + list(args))
        if cp.returncode != 0:
            raise AssertionError("unbound-control %s: %s%s" % (args, cp.stdout, cp.stderr))
        return cp.stdout

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        if getattr(self, "_log", None) is not None:
            self._log.close()

    def close(self):
        self.kill()
        self._dir.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# --- the lab ---------------------------------------------------------------------------------

LAB_ROOT = "127.10.1.1"


def lab_dns_port(lab_output):
    """53, or 10053 when the lab runs without the privilege to bind it (as test_lab.py)."""
    m = re.search(r"^\s*up\s+a\.root-servers\.net\s+dns\s+udp\+tcp [\d.]+:(\d+)$", lab_output,
                  re.M)
    if not m:
        raise AssertionError("no root server in the lab's endpoint table:\n" + lab_output)
    return int(m.group(1))


def lab_zones(config_text):
    """{zone origin with a trailing dot: [address, ...]} of every DNS server of a topology."""
    config = tomllib.loads(config_text)
    zones = {}
    for host in config.get("host", []):
        for service in host.get("service", []):
            if service.get("kind") != "dns":
                continue
            for zone in service.get("zone", []):
                origin = zone["origin"].rstrip(".").lower() + "."
                zones.setdefault(origin, []).append(host["address"])
    return zones


def add_records(config_text, origin, records):
    """The topology text with `records` (master-file lines) appended to the inline data of
    zone `origin`."""
    pattern = re.compile(r"(origin = \"%s\"\n(?:.*\n)*?\s*data = '''\n)((?:.*\n)*?)(''')"
                         % re.escape(origin))
    m = pattern.search(config_text)
    if not m:
        raise AssertionError("zone %s with inline data not found in the lab topology" % origin)
    body = m.group(2) + "".join(r + "\n" for r in records)
    return config_text[:m.start(2)] + body + config_text[m.end(2):]


class Lab(l7test.L7Process):
    """`l7 lab [--config FILE]`, running (its endpoint table printed)."""

    def __init__(self, config_text=None):
        args = ["lab"]
        self._cfg_dir = tempfile.TemporaryDirectory(prefix="l7-lab-cfg-")
        if config_text is not None:
            path = os.path.join(self._cfg_dir.name, "lab.toml")
            with open(path, "w") as f:
                f.write(config_text)
            args += ["--config", path]
        super().__init__(args)
        try:
            self.wait_for(r"press Ctrl-C", stream="stdout", timeout=30)
            self.dns_port = lab_dns_port(self.stdout())
        except BaseException:
            self.close()
            raise

    def close(self):
        # SIGINT first, so the lab removes what it made (its resolver's control socket in
        # /tmp); then the kill of L7Process.close() for one that does not stop in time.
        if self.running():
            try:
                self.stop(signal.SIGINT)
            except AssertionError:
                pass
        super().close()
        self._cfg_dir.cleanup()


# --- queries and the comparable form ---------------------------------------------------------


def dig(address, qname, qtype, *options, source=None):
    """`dig +recurse` through a resolver at (host, port); returns (comparable reply, output).

    `source`: the client address (dig -b)."""
    host, port = address
    argv = ["@%s" % host, "-p", str(port), "+recurse", "+time=5", "+tries=2"]
    if source:
        argv += ["-b", source]
    return dns_helpers._query_with("dig", argv + list(options) + [qname, qtype])


def comparable(reply):
    """A reply (dns_helpers' form, from dig text or a dnspython message) without TTLs and
    letter case: rcode, flags, and answer/authority/additional as sorted (owner, type, rdata)."""

    def section(rrs):
        return sorted({(o.lower(), t.upper(), canonical(t, d)) for o, _ttl, t, d in rrs})

    return {
        "rcode": reply["rcode"],
        "flags": set(reply["flags"]),
        "answer": section(reply["answer"]),
        "authority": section(reply["authority"]),
        "additional": section(reply["additional"]),
    }


def from_message(msg):
    return comparable(dns_helpers.from_message(msg))


def answer_order(output):
    """The answer section of dig's output in the order the server wrote it: [(owner, type,
    rdata)], lowercase."""
    start = output.rfind("->>HEADER<<-")
    out, inside = [], False
    for line in output[start:].splitlines():
        if line.startswith(";; ANSWER SECTION:"):
            inside = True
            continue
        if inside:
            if not line.strip() or line.startswith(";"):
                break
            owner, _ttl, _class, rtype, rdata = line.split(None, 4)
            out.append((owner.lower(), rtype.upper(), canonical(rtype, rdata)))
    return out


def chain_problem(qname, answer):
    """None if `answer` (in wire order) is the CNAME chain from qname followed by the records
    of its end; otherwise what is wrong."""
    want = qname.lower().rstrip(".") + "."
    i = 0
    seen = set()
    while i < len(answer) and answer[i][1] == "CNAME":
        owner, _t, target = answer[i]
        if owner != want:
            return "CNAME #%d is owned by %s, expected %s (chain out of order)" % (i, owner, want)
        if want in seen:
            return "CNAME loop at %s" % want
        seen.add(want)
        want = target.rstrip(".") + "."
        i += 1
    for owner, rtype, _d in answer[i:]:
        if rtype == "CNAME":
            return "a CNAME after the answer records"
        if owner != want:
            return "record of %s after the chain, which ends at %s" % (owner, want)
    return None


def ask(address, qname, qtype, tcp=False, rd=True, source=None, source_port=0,
        timeout=IO_TIMEOUT):
    """A dnspython query to a resolver; returns the parsed reply."""
    q = dns.message.make_query(qname, qtype)
    if not rd:
        q.flags &= ~dns.flags.RD
    host, port = address
    if tcp:
        return dns.query.tcp(q, host, port=port, timeout=timeout, source=source,
                             source_port=source_port)
    return dns.query.udp(q, host, port=port, timeout=timeout, source=source,
                         source_port=source_port, ignore_unexpected=True)
