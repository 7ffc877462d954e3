"""Shared helpers for the DNS interop tests (dns_*.py): starting `l7 dns serve`, and reading
replies from dnspython, dig, kdig and drill into one comparable form.

dnspython is Debian's python3-dnspython, importable by /usr/bin/python3 only (which is why
ctest runs these scripts with that interpreter). The other clients come from bind9-dnsutils,
knot-dnsutils and ldnsutils.
"""

import os
import re
import shutil
import socket
import struct
import subprocess

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype

import l7test
from l7test import Deadline, IO_TIMEOUT, RUN_TIMEOUT

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data", "dns")
ZONE_FILE = os.path.join(DATA, "example.test.zone")
ORIGIN = "example.test."

DNS_LISTEN_RE = r"listening on %s 127\.0\.0\.1:(\d+) \(dns\)"

# What `l7 dns serve` advertises by default (--max-udp-size).
SERVER_UDP_SIZE = 1232


def tool(name):
    """The path of a third-party client; fails the test if it is missing."""
    path = shutil.which(name)
    if path is None:
        raise AssertionError("%s is not installed (see the DNS section of scripts/deps.sh)" % name)
    return path


class DnsServer(l7test.L7Process):
    """`l7 dns serve --listen 127.0.0.1:0 ARGS...`, started, with its UDP and TCP port."""

    def __init__(self, args, env=None):
        super().__init__(["dns", "serve", "--listen", "127.0.0.1:0"] + list(args), env=env)
        try:
            udp = int(self.wait_for(DNS_LISTEN_RE % "udp").group(1))
            tcp = int(self.wait_for(DNS_LISTEN_RE % "tcp").group(1))
        except BaseException:
            self.close()
            raise
        if udp != tcp:
            self.close()
            raise AssertionError("UDP port %d and TCP port %d differ" % (udp, tcp))
        self.host = "127.0.0.1"
        self.port = udp

    @property
    def address(self):
        return (self.host, self.port)


class DnsTestCase(l7test.TestCase):
    def dns_server(self, *args, zone=ZONE_FILE, origin="example.test", env=None):
        """A server for `zone`; one worker thread (so replies come in a fixed order) unless
        `args` says otherwise."""
        full = list(args) if "--threads" in args else ["--threads", "1"] + list(args)
        if zone is not None:
            full = ["--zone", "%s=%s" % (origin, zone)] + full
        # With --listen 127.0.0.1:0 the server takes an ephemeral UDP port and then asks for
        # the same number over TCP, which another socket (any outgoing TCP connection, from
        # this test or a parallel one) may hold already; it then exits with "the port is
        # already in use". That race is the server's to fix; here a few tries keep it from
        # failing tests about something else.
        for attempt in range(3):
            try:
                srv = DnsServer(full, env=env)
                break
            except AssertionError as e:
                if "already in use" not in str(e) or attempt == 2:
                    raise
        self._procs.append(srv)
        return srv


# --- one comparable form for every client ------------------------------------------------
#
# A reply becomes a dict: rcode (text), flags (set of lowercase names), answer, authority,
# additional (each a sorted list of (owner, ttl, type, rdata) with names absolute and
# lowercase and the RDATA in dnspython's canonical text), and edns: None, or (version,
# udp size, DO bit).


def absolute(name):
    """`www` -> `www.example.test.`; `@` -> the origin; absolute names stay as they are."""
    if name == "@":
        return ORIGIN
    if name.endswith("."):
        return name.lower()
    return (name + "." + ORIGIN).lower()


def canonical_rdata(rtype, text):
    """RDATA text as dnspython writes it, so that dig's and kdig's spellings compare equal
    (DS digests split into groups, TXT quoting, IPv6 forms, ...)."""
    rd = dns.rdata.from_text(
        dns.rdataclass.IN,
        dns.rdatatype.from_text(rtype),
        text,
        origin=dns.name.root,
        relativize=False,
    )
    return rd.to_text()


def rr(owner, ttl, rtype, rdata):
    """One expected record; names inside RDATA may be relative to example.test."""
    rd = dns.rdata.from_text(
        dns.rdataclass.IN,
        dns.rdatatype.from_text(rtype),
        rdata,
        origin=dns.name.from_text(ORIGIN),
        relativize=False,
    )
    return (absolute(owner), ttl, rtype, rd.to_text())


def from_message(msg):
    """The comparable form of a dnspython message."""

    def section(rrsets):
        out = []
        for rrset in rrsets:
            for rd in rrset:
                out.append(
                    (
                        rrset.name.to_text().lower(),
                        rrset.ttl,
                        dns.rdatatype.to_text(rrset.rdtype),
                        rd.to_text(),
                    )
                )
        return sorted(out)

    return {
        "rcode": dns.rcode.to_text(msg.rcode()),
        "flags": set(dns.flags.to_text(msg.flags).lower().split()),
        "answer": section(msg.answer),
        "authority": section(msg.authority),
        "additional": section(msg.additional),
        "edns": None
        if msg.edns < 0
        else (msg.edns, msg.payload, bool(msg.ednsflags & dns.flags.DO)),
    }


_SECTION_RE = re.compile(r"^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:\s*$")


def from_text(output):
    """The comparable form of the last reply in dig's, kdig's or drill's text output (dig
    prints both replies after a BADVERS retry, for instance)."""
    start = output.rfind("->>HEADER<<-")
    if start < 0:
        raise AssertionError("no reply in the output:\n" + output)
    body = output[start:]
    # dig and kdig say "status:", drill "rcode:"; the flags end with ';' in all three.
    rcode = re.search(r"(?:status|rcode): (\w+)", body).group(1)
    flags = re.search(r";; [Ff]lags: ([a-z ]*);", body).group(1).split()
    edns = None
    m = re.search(r"; EDNS: version: (\d+), flags: ?([a-z ]*); udp: (\d+)", body)  # dig
    if m is None:
        m = re.search(r";; Version: (\d+); flags: ?([a-z ]*); UDP size: (\d+) B", body)  # kdig
    if m is not None:
        edns = (int(m.group(1)), int(m.group(3)), "do" in m.group(2).split())
    sections = {"answer": [], "authority": [], "additional": []}
    current = None
    for line in body.splitlines():
        m = _SECTION_RE.match(line)
        if m:
            current = m.group(1).lower()
            continue
        if not line.strip():
            continue
        if line.startswith(";"):
            # The question (";name", ";; name"), pseudo-sections, statistics, warnings: none
            # of them is a record, and in the default output no comment sits inside a section.
            current = None
            continue
        if current not in sections:
            continue
        owner, ttl, klass, rtype, rdata = line.split(None, 4)
        if rtype == "OPT":
            continue  # drill lists the OPT record as a record
        sections[current].append((owner.lower(), int(ttl), rtype, canonical_rdata(rtype, rdata)))
    return {
        "rcode": rcode,
        "flags": set(flags),
        "answer": sorted(sections["answer"]),
        "authority": sorted(sections["authority"]),
        "additional": sorted(sections["additional"]),
        "edns": edns,
    }


def run_tool(argv, timeout=RUN_TIMEOUT):
    """Runs a client to completion; returns CompletedProcess with text output."""
    try:
        return subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError("%s did not finish within %.0f s: %r" % (argv, timeout, e.stdout))


def _query_with(name, argv):
    """Runs the query client `name` with `argv`; returns (comparable reply, raw output)."""
    cp = run_tool([tool(name)] + argv)
    if cp.returncode != 0:
        raise AssertionError("%s failed (%d): %s\n%s" % (name, cp.returncode, cp.stdout, cp.stderr))
    return from_text(cp.stdout), cp.stdout


def dig(srv, qname, qtype, *options):
    """`dig +norec` against the server; returns (comparable reply, raw output)."""
    argv = ["@127.0.0.1", "-p", str(srv.port), "+norec", "+time=5", "+tries=2"]
    return _query_with("dig", argv + list(options) + [qname, qtype])


def kdig(srv, qname, qtype, *options):
    """`kdig +norec` against the server; returns (comparable reply, raw output)."""
    argv = ["@127.0.0.1", "-p", str(srv.port), "+norec", "+time=5", "+retry=1"]
    return _query_with("kdig", argv + list(options) + [qname, qtype])


def drill(srv, qname, qtype, *options):
    """`drill` without RD against the server; returns (comparable reply, raw output)."""
    argv = ["-p", str(srv.port), "-o", "rd", "@127.0.0.1"]
    return _query_with("drill", argv + list(options) + [qname, qtype])


# --- raw wire helpers --------------------------------------------------------------------


def query(qname, qtype, **kwargs):
    """A dnspython query without RD (an authoritative server is asked, not a resolver)."""
    q = dns.message.make_query(qname, qtype, **kwargs)
    q.flags &= ~dns.flags.RD
    return q


def udp_wire(srv, wire, timeout=IO_TIMEOUT):
    """Sends raw bytes over UDP; returns the raw reply."""
    return l7test.udp_exchange(srv.address, wire, timeout=timeout)


def tcp_frame(wire):
    return struct.pack("!H", len(wire)) + wire


def tcp_read_message(sock, timeout=IO_TIMEOUT):
    """Reads one length-prefixed DNS message from a TCP socket."""
    deadline = Deadline(timeout)
    buf = b""
    need = 2
    length = None
    while len(buf) < need:
        if deadline.expired():
            raise AssertionError("no complete TCP message within %.0f s: %r" % (timeout, buf))
        sock.settimeout(max(0.01, deadline.remaining()))
        try:
            chunk = sock.recv(need - len(buf))
        except socket.timeout:
            continue
        if not chunk:
            raise AssertionError("EOF in the middle of a TCP message after %r" % buf)
        buf += chunk
        if length is None and len(buf) >= 2:
            length = struct.unpack("!H", buf[:2])[0]
            need = 2 + length
    return buf[2:]


def ask_udp(srv, q, timeout=IO_TIMEOUT):
    """Sends a dnspython query over UDP; returns (parsed reply, raw reply)."""
    wire = udp_wire(srv, q.to_wire(), timeout=timeout)
    return dns.message.from_wire(wire), wire


def ask_tcp(srv, q, timeout=IO_TIMEOUT):
    """Sends a dnspython query over a fresh TCP connection; returns (parsed reply, raw)."""
    with l7test.tcp_connect(srv.address, timeout=timeout) as s:
        s.sendall(tcp_frame(q.to_wire()))
        wire = tcp_read_message(s, timeout=timeout)
    return dns.message.from_wire(wire), wire
