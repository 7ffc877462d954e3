#!/usr/bin/python3
"""Cache poisoning: `l7 dns resolver` against an attacker that forges replies from the
authoritative server's address while the resolver waits for the real one (issue 4, point 5).

Everything runs in a network namespace of the test's own (`unshare -n` as root, `unshare -rn`
otherwise; skipped when neither works): the test re-executes this script inside it. There, only
`lo` exists and the ephemeral port range is narrowed to 40000-40015, so the resolver's random
source ports fall where the attacker can cover all of them; what is left to defend the cache
is the query id, the 0x20 case of the name, the question match and bailiwick scrubbing.

Inside the namespace, on port 53:
  127.0.0.53  the root (dnspython): delegates test. to 127.0.0.55
  127.0.0.55  the test. TLD: delegates victim.test. to 127.0.0.54, and adds an address record
              outside its bailiwick to its referrals (glue.example. A 203.0.113.88)
  127.0.0.54  victim.test.: www<N>.victim.test A 192.0.2.1, answered ~300 ms late
  attacker    a separate process with a raw socket (IP_HDRINCL), so its datagrams carry the
              source address AND port 127.0.0.54:53. While the victim server holds a query
              back, it sends forged replies to every port of 40000-40015 (and to the query's
              port, should it lie outside) with random ids: www<N>.victim.test A 203.0.113.66,
              example. NS ns.attacker.example., bank.example. A 203.0.113.66.
The client, the resolver (127.0.0.1:5300) and the control socket use fixed ports outside the
range, so the attacker's guesses can only hit the resolver's upstream sockets.

Checks: every client answer is 192.0.2.1 and `l7 dns ctl dump` never holds 203.0.113.x or
*.example; the flood was real (counted per port and per resolution); the resolver randomises
source ports and 0x20 case. Controls that show the checks can fail: a forged reply carrying the
right id and port (the victim server tells the attacker those of the name's first query: one
lucky guess) but the wrong case, or another question, must be discarded while the resolver
waits for the genuine reply; one that is right in every respect is accepted (a perfect forgery
is indistinguishable), yet even then its out-of-bailiwick records are not cached. Finally the
genuine servers' own out-of-bailiwick additions (203.0.113.77 from victim.test, .88 from test.)
must not reach the cache either.

Run against Unbound (use-caps-for-id: yes) in place of l7, the same scenario passes everything
but the wrong-case control, where Unbound answers SERVFAIL by design (its 0x20 fallback compares
the forged reply with a lowercase re-query and gives up when they differ).
"""

import multiprocessing
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

import l7test
import resolver_helpers as rh

INSIDE_ENV = "DNS_POISONING_IN_NETNS"
OUTER_NS_ENV = "DNS_POISONING_OUTER_NETNS"
PORT_RANGE = (40000, 40015)
ROOT, AUTH, TLD = "127.0.0.53", "127.0.0.54", "127.0.0.55"
RESOLVER_LISTEN = ("127.0.0.1", 5300)
CLIENT_PORT = 5400
GENUINE = "192.0.2.1"
FORGED = "203.0.113.66"  # the attacker's forgeries
AUTH_OOB = "203.0.113.77"  # victim.test's own out-of-bailiwick additional record
TLD_OOB = "203.0.113.88"  # test.'s out-of-bailiwick glue
MARKERS = {FORGED: "the attacker's forged reply", AUTH_OOB: "victim.test's out-of-bailiwick "
           "additional record", TLD_OOB: "test.'s out-of-bailiwick glue"}
DELAY = 0.3  # how long the victim server holds back a www<N> answer
PER_PORT = 400  # forged replies per port and per resolution
FLOOD_SECONDS = 0.25  # spread over this long (so they reach the resolver, not a full buffer)
NAMES = 8  # blind-flood resolutions

# --- a tiny authoritative server (dnspython) -----------------------------------------------------


def n(text):
    return dns.name.from_text(text)


class Zone:
    """origin; records {(owner, type): [rdata text]}; cuts {child: [ns names]} (glue from
    records); extra_additional: [(owner, type, rdata)] added to every referral or answer."""

    def __init__(self, origin, records, cuts=(), extra_additional=()):
        self.origin = n(origin)
        self.records = {(n(o), dns.rdatatype.from_text(t)): v for (o, t), v in records.items()}
        self.cuts = {n(c): [n(x) for x in ns] for c, ns in dict(cuts).items()}
        self.extra = [(n(o), dns.rdatatype.from_text(t), d) for o, t, d in extra_additional]
        self.names = {o for o, _ in self.records}

    def rrset(self, owner, rtype, rdatas, ttl=3600):
        return dns.rrset.from_text_list(owner, ttl, dns.rdataclass.IN, rtype, rdatas)

    def respond(self, q):
        r = dns.message.make_response(q)
        qname, qtype = q.question[0].name, q.question[0].rdtype
        if not qname.is_subdomain(self.origin):
            r.set_rcode(dns.rcode.REFUSED)
            return r
        for child, ns in self.cuts.items():
            if qname.is_subdomain(child):
                r.authority.append(self.rrset(child, dns.rdatatype.NS, [x.to_text() for x in ns]))
                for x in ns:
                    glue = self.records.get((x, dns.rdatatype.A))
                    if glue:
                        r.additional.append(self.rrset(x, dns.rdatatype.A, glue))
                self.add_extra(r)
                return r
        r.flags |= dns.flags.AA
        key = (qname.canonicalize(), qtype)
        if key in self.records:
            # The owner as the query spelt it (0x20).
            r.answer.append(self.rrset(qname, qtype, self.records[key]))
            self.add_extra(r)
            return r
        soa = self.rrset(self.origin, dns.rdatatype.SOA, self.records[(self.origin,
                                                                       dns.rdatatype.SOA)], 300)
        r.authority.append(soa)
        exists = any(o.is_subdomain(qname.canonicalize()) for o in self.names)
        if not exists:
            r.set_rcode(dns.rcode.NXDOMAIN)
        return r

    def add_extra(self, r):
        for owner, rtype, data in self.extra:
            r.additional.append(self.rrset(owner, rtype, [data]))


class FakeServer:
    """A zone served over UDP and TCP on ADDRESS:53 by threads. `hook(server, q, peer)` may
    take a UDP query over (return True) and answer it itself, later, with send_udp()."""

    def __init__(self, address, zone, hook=None):
        self.address, self.zone, self.hook = address, zone, hook
        self.seen = []  # (time, transport, peer, qname as spelt, qtype, id)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((address, 53))
        self.udp.settimeout(0.1)
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((address, 53))
        self.tcp.listen(16)
        self.tcp.settimeout(0.1)
        self.threads = [threading.Thread(target=self.serve_udp, daemon=True),
                        threading.Thread(target=self.serve_tcp, daemon=True)]
        for t in self.threads:
            t.start()

    def record(self, transport, peer, q):
        with self.lock:
            self.seen.append((time.monotonic(), transport, peer, q.question[0].name.to_text(),
                              dns.rdatatype.to_text(q.question[0].rdtype), q.id))

    def send_udp(self, r, peer):
        self.udp.sendto(r.to_wire(), peer)

    def serve_udp(self):
        while not self.stop.is_set():
            try:
                wire, peer = self.udp.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                q = dns.message.from_wire(wire)
                if q.flags & dns.flags.QR or len(q.question) != 1:
                    continue
            except Exception:
                continue
            self.record("udp", peer, q)
            if self.hook is not None and self.hook(self, q, peer):
                continue
            self.send_udp(self.zone.respond(q), peer)

    def serve_tcp(self):
        while not self.stop.is_set():
            try:
                conn, peer = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.serve_conn, args=(conn, peer), daemon=True).start()

    def serve_conn(self, conn, peer):
        with conn:
            conn.settimeout(5)
            try:
                while True:
                    head = conn.recv(2, socket.MSG_WAITALL)
                    if len(head) < 2:
                        return
                    wire = conn.recv(struct.unpack("!H", head)[0], socket.MSG_WAITALL)
                    q = dns.message.from_wire(wire)
                    self.record("tcp", peer, q)
                    out = self.zone.respond(q).to_wire()
                    conn.sendall(struct.pack("!H", len(out)) + out)
            except Exception:
                return

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=5)
        self.udp.close()
        self.tcp.close()


# --- the attacker (a process of its own, with a raw socket) --------------------------------------


def forged_reply(question, qtype="A", owner=None, rtype="A"):
    """The attacker's reply (id 0, patched per packet): an answer with FORGED for `owner`
    (default: the question), and out-of-bailiwick authority and additional records."""
    q = dns.message.make_query(question, qtype)
    r = dns.message.make_response(q)
    r.flags = dns.flags.QR | dns.flags.AA
    r.use_edns(False)
    owner = n(owner) if owner else q.question[0].name
    r.answer.append(dns.rrset.from_text(owner, 3600, "IN", rtype, FORGED if rtype == "A"
                                        else "2001:db8::66"))
    r.authority.append(dns.rrset.from_text("example.", 3600, "IN", "NS", "ns.attacker.example."))
    r.additional.append(dns.rrset.from_text("bank.example.", 3600, "IN", "A", FORGED))
    r.additional.append(dns.rrset.from_text("ns.attacker.example.", 3600, "IN", "A", FORGED))
    r.id = 0
    return r.to_wire()


def udp_packet(src, sport, dst, dport, payload):
    """An IPv4 header (the kernel fills in the checksum and id) and a UDP header with checksum
    0 (none, which IPv4 allows) before `payload`."""
    length = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + length, 0, 0, 64, socket.IPPROTO_UDP, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return bytearray(ip + struct.pack("!HHHH", sport, dport, length, 0) + payload)


def attacker_main(conn):
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW) as raw:
        attack(conn, raw)


def attack(conn, raw):
    rnd = random.Random()
    while True:
        try:
            cmd = conn.recv()
        except EOFError:
            return
        if cmd["op"] == "stop":
            conn.send({"ok": True})
            return
        try:
            if cmd["op"] == "flood":
                # Blind: random ids, lowercase name (the case is unknown), every port.
                pkt = udp_packet(AUTH, 53, cmd["to"], 0, forged_reply(cmd["qname"].lower()))
                ports = sorted(set(range(PORT_RANGE[0], PORT_RANGE[1] + 1)) | {cmd["port"]})
                counts = dict.fromkeys(ports, 0)
                start = time.monotonic()
                for i in range(PER_PORT):
                    for p in ports:
                        pkt[22:24] = p.to_bytes(2, "big")
                        pkt[28:30] = rnd.getrandbits(16).to_bytes(2, "big")
                        raw.sendto(pkt, (cmd["to"], 0))
                        counts[p] += 1
                    # Pace the rounds over FLOOD_SECONDS; give up past 5 s (a hang guard).
                    ahead = start + FLOOD_SECONDS * (i + 1) / PER_PORT - time.monotonic()
                    if ahead > 0.001:
                        time.sleep(ahead)
                    if time.monotonic() - start > 5:
                        break
                conn.send({"ok": True, "counts": counts, "seconds": time.monotonic() - start})
            elif cmd["op"] == "exact":
                # The id and port are known (told by the victim server): one reply each way.
                payload = bytearray(forged_reply(cmd["question"], cmd.get("qtype", "A"),
                                                 cmd.get("owner")))
                payload[0:2] = cmd["id"].to_bytes(2, "big")
                pkt = udp_packet(AUTH, 53, cmd["to"], cmd["port"], bytes(payload))
                for _ in range(3):
                    raw.sendto(pkt, (cmd["to"], 0))
                conn.send({"ok": True, "counts": {cmd["port"]: 3}})
            else:
                conn.send({"ok": False, "error": "unknown op %r" % cmd["op"]})
        except Exception as e:  # reported to the test, which fails
            conn.send({"ok": False, "error": repr(e)})


class Attacker:
    def __init__(self):
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=attacker_main, args=(child,), daemon=True)
        self.proc.start()
        self.lock = threading.Lock()
        self.log = []  # (command, result)

    def call(self, **cmd):
        with self.lock:
            self.conn.send(cmd)
            if not self.conn.poll(15):
                result = {"ok": False, "error": "the attacker did not answer within 15 s"}
            else:
                result = self.conn.recv()
            self.log.append((cmd, result))
            return result

    def close(self):
        if self.proc.is_alive():
            try:
                self.call(op="stop")
            except (OSError, EOFError):
                pass
            self.proc.join(timeout=5)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(timeout=5)


# --- the hierarchy --------------------------------------------------------------------------------

SOA = "ns.%s hostmaster.%s 1 3600 600 86400 300"


class Hierarchy:
    """The three servers and the attacker. `mode[qname]` says what the victim server does for
    an A query about qname (lowercase): "flood" (default for www<N>), "case", "other", "type",
    "exact" (the attacker is told the id and port), or "oob"."""

    def __init__(self):
        self.attacker = Attacker()
        self.events = []  # (qname as spelt, port, mode, attacker result)
        self.floods = {}  # qname -> how many floods it triggered
        self.lock = threading.Lock()
        self.servers = []
        try:
            self.servers.append(FakeServer(ROOT, Zone(".", {
                (".", "SOA"): [SOA % ("root.", "root.")], (".", "NS"): ["ns.root."],
                ("ns.root.", "A"): [ROOT], ("ns.nic.test.", "A"): [TLD]},
                cuts={"test.": ["ns.nic.test."]})))
            self.servers.append(FakeServer(TLD, Zone("test.", {
                ("test.", "SOA"): [SOA % ("nic.test.", "nic.test.")],
                ("test.", "NS"): ["ns.nic.test."], ("ns.nic.test.", "A"): [TLD],
                ("ns.victim.test.", "A"): [AUTH]},
                cuts={"victim.test.": ["ns.victim.test."]},
                extra_additional=[("glue.example.", "A", TLD_OOB)])))
            records = {("victim.test.", "SOA"): [SOA % ("victim.test.", "victim.test.")],
                       ("victim.test.", "NS"): ["ns.victim.test."],
                       ("ns.victim.test.", "A"): [AUTH]}
            for i in range(1, 50):
                records[("www%d.victim.test." % i, "A")] = [GENUINE]
            for kind in ("case", "other", "type", "exact", "oob"):
                for i in range(1, 5):
                    records[("%s%d.victim.test." % (kind, i), "A")] = [GENUINE]
            self.auth_zone = Zone("victim.test.", records)
            self.oob_zone = Zone("victim.test.", records, extra_additional=[
                ("bank.example.", "A", AUTH_OOB), ("ns.attacker.example.", "A", AUTH_OOB)])
            self.servers.append(FakeServer(AUTH, self.auth_zone, hook=self.victim_hook))
        except BaseException:
            self.close()
            raise

    @property
    def auth(self):
        return self.servers[2]

    def victim_hook(self, server, q, peer):
        qname = q.question[0].name.to_text()
        low = qname.lower()
        if q.question[0].rdtype != dns.rdatatype.A:
            return False
        m = re.match(r"^(www|case|other|type|exact|oob)\d+\.victim\.test\.$", low)
        if not m:
            return False
        mode = "flood" if m.group(1) == "www" else m.group(1)
        if mode == "oob":
            server.send_udp(self.oob_zone.respond(q), peer)
            return True
        with self.lock:
            count = self.floods.get(low, 0)
            self.floods[low] = count + 1
        # A blind attacker floods again when the resolver asks again (3 times at most). The
        # attacker told the id models one lucky guess: the first query only (one told every id
        # would be on the path, and no check of a reply's content can stop that); a resolver's
        # retries of that name get the genuine answer at once.
        if count >= (3 if mode == "flood" else 1):
            return False
        threading.Thread(target=self.attack_then_answer, args=(server, q, peer, mode),
                         daemon=True).start()
        return True

    def attack_then_answer(self, server, q, peer, mode):
        start = time.monotonic()
        qname = q.question[0].name.to_text()
        to, port = peer
        if mode == "flood":
            result = self.attacker.call(op="flood", to=to, port=port, qname=qname)
        elif mode == "case":
            swapped = qname.swapcase()
            result = self.attacker.call(op="exact", to=to, port=port, id=q.id, question=swapped)
        elif mode == "other":
            result = self.attacker.call(op="exact", to=to, port=port, id=q.id,
                                        question="zzz.victim.test.", owner=qname)
        elif mode == "type":
            result = self.attacker.call(op="exact", to=to, port=port, id=q.id, question=qname,
                                        qtype="AAAA", owner=qname)
        else:  # exact
            result = self.attacker.call(op="exact", to=to, port=port, id=q.id, question=qname)
        with self.lock:
            self.events.append((qname, port, mode, result))
        time.sleep(max(0.0, DELAY - (time.monotonic() - start)))
        server.send_udp(self.auth_zone.respond(q), peer)

    def close(self):
        for s in self.servers:
            s.close()
        self.attacker.close()


# --- the checks (inside the namespace) ------------------------------------------------------------


def udp_snmp():
    """The namespace's UDP counters (/proc/net/snmp): InDatagrams, NoPorts, RcvbufErrors..."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return dict(zip(rows[0][1:], map(int, rows[1][1:])))


def interfaces():
    """The network interfaces of this namespace (/proc/net/dev; /sys may show another's)."""
    with open("/proc/self/net/dev") as f:
        return sorted(line.split(":")[0].strip() for line in f if ":" in line)


def dirty_lines(dump):
    """Lines of a cache dump that hold what no attacker or out-of-bailiwick server may put
    there, each with where it came from."""
    out = []
    for line in dump.splitlines():
        low = line.lower()
        for marker, origin in MARKERS.items():
            if marker in low:
                out.append("%s   <- %s" % (line, origin))
                break
        else:
            if re.search(r"(^|[\s.])example\.(\s|$)", low):
                out.append("%s   <- an out-of-bailiwick name" % line)
    return out


class InNamespace(l7test.TestCase):
    """Runs only inside the namespace (see PoisoningTest)."""

    hierarchy = None

    @classmethod
    def setUpClass(cls):
        if os.environ.get(INSIDE_ENV) != "1":
            raise unittest.SkipTest("runs inside the test's own network namespace only")
        # Never touch the sysctls of the machine's own namespace: this one must differ from
        # the one the outer test ran in, and hold nothing but lo.
        if (os.readlink("/proc/self/ns/net") == os.environ.get(OUTER_NS_ENV)
                or interfaces() != ["lo"]):
            raise AssertionError("not in a network namespace of its own: refusing to go on")
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
        with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:
            f.write("%d %d" % PORT_RANGE)
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            assert f.read().split() == [str(p) for p in PORT_RANGE]
        cls.hierarchy = Hierarchy()

    @classmethod
    def tearDownClass(cls):
        if cls.hierarchy is not None:
            cls.hierarchy.close()

    def resolver(self):
        r = rh.L7Resolver(["--root", "%s:53" % ROOT, "--threads", "1"],
                          listen="%s:%d" % RESOLVER_LISTEN)
        self._procs.append(r)
        return r

    def resolve(self, r, qname, qtype="A"):
        try:
            return rh.ask(r.address, qname, qtype, source="127.0.0.1", source_port=CLIENT_PORT,
                          timeout=30)
        except Exception as e:
            raise AssertionError("no answer for %s %s: %r\n%s" % (qname, qtype, e,
                                                                   r.describe()))

    def assertAnswer(self, r, qname, reply, address):
        got = rh.from_message(reply)
        self.assertEqual((got["rcode"], got["answer"]),
                         ("NOERROR", [(qname + ".", "A", address)]),
                         "%s: %s\n%s" % (qname, reply, self.story(r)))
        self.assertNotIn("203.0.113.", reply.to_text(), reply.to_text())

    def assertCleanCache(self, r, allowed=()):
        dump = r.dump()
        dirty = [line for line in dirty_lines(dump) if not any(a in line for a in allowed)]
        self.assertEqual(dirty, [], "the cache holds records it must not:\n%s\n--- dump ---\n%s"
                         % ("\n".join(dirty), dump))
        return dump

    def assertNotResolvable(self, r, *names):
        for name in names:
            reply = self.resolve(r, name)
            self.assertEqual(dns.rcode.to_text(reply.rcode()), "NXDOMAIN",
                             "%s must not exist (the root does not delegate example.):\n%s"
                             % (name, reply))

    def story(self, r):
        h = self.hierarchy
        lines = ["victim server saw: %r" % [(s[1], s[2][1], s[3], s[4], s[5])
                                            for s in h.auth.seen[-12:]],
                 "attack events: %r" % [(e[0], e[1], e[2], e[3].get("ok"),
                                         e[3].get("error")) for e in h.events[-12:]]]
        return "\n".join(lines) + "\n" + r.describe()

    def events_for(self, prefix):
        return [e for e in self.hierarchy.events if e[0].lower().startswith(prefix)]

    def test_blind_flood_does_not_poison(self):
        r = self.resolver()
        snmp0 = udp_snmp()
        names = ["www%d.victim.test" % i for i in range(1, NAMES + 1)]
        for name in names:
            self.assertAnswer(r, name, self.resolve(r, name), GENUINE)
            self.assertCleanCache(r)
        snmp1 = udp_snmp()
        dump = self.assertCleanCache(r)
        self.assertIn("192.0.2.1", dump, "the answers were not cached:\n" + dump)
        self.assertNotResolvable(r, "bank.example", "ns.attacker.example")

        # The flood was real: every resolution drew one, PER_PORT forgeries to each port of
        # the range and to the port the query really came from.
        events = [e for e in self.hierarchy.events if e[2] == "flood"]
        for name in names:
            mine = [e for e in events if e[0].lower() == name + "."]
            self.assertTrue(mine, "no flood during %s:\n%s" % (name, self.story(r)))
            for qname, port, _mode, result in mine:
                self.assertTrue(result.get("ok"), result)
                counts = result["counts"]
                self.assertIn(port, counts)
                for p in list(range(PORT_RANGE[0], PORT_RANGE[1] + 1)) + [port]:
                    self.assertGreaterEqual(counts.get(p, 0), PER_PORT,
                                            "port %d got %r forgeries" % (p, counts.get(p)))
        sent = sum(sum(e[3]["counts"].values()) for e in events)
        ports = sorted({e[1] for e in events})
        spelt = [e[0] for e in events]
        delivered = snmp1["InDatagrams"] - snmp0["InDatagrams"]
        sys.stderr.write(
            "\n  blind flood: %d resolutions, %d floods, %d forged datagrams sent (%d per port "
            "and flood); source ports seen %s (range %d-%d); UDP in the namespace: %d delivered "
            "to sockets, %d to closed ports, %d dropped on full buffers; names as sent: %s\n"
            % (len(names), len(events), sent, PER_PORT, ports, PORT_RANGE[0], PORT_RANGE[1],
               delivered, snmp1["NoPorts"] - snmp0["NoPorts"],
               snmp1["RcvbufErrors"] - snmp0["RcvbufErrors"], spelt))
        # The forgeries reached open sockets (the resolver's): at least one flood's worth.
        self.assertGreaterEqual(delivered, PER_PORT, "the forged datagrams did not reach the "
                                "resolver: %r -> %r" % (snmp0, snmp1))
        # RFC 5452 section 9.2: the source port is random (16 ports: all alike by chance
        # is 16^-(NAMES-1)).
        self.assertGreater(len(ports), 1, "every query left from the same port %s" % ports)
        # 0x20: the names went out in mixed case.
        self.assertTrue(any(s != s.lower() for s in spelt),
                        "no query name in mixed case (0x20 not used): %s" % spelt)
        self.assertStillRunning(r)

    def assertWaitedForGenuine(self, r, name):
        """The forgery (right id and port) must be discarded while the resolver keeps waiting
        for the genuine reply (RFC 5452 section 9.1), as l7's Resolution::on_reply intends.
        (Unbound answers SERVFAIL here instead: its 0x20 fallback sees two different replies.)"""
        reply = self.resolve(r, name)
        rcode = dns.rcode.to_text(reply.rcode())
        if rcode == "SERVFAIL" and FORGED not in reply.to_text():
            self.fail("%s: the forgery was not accepted (the cache is safe), but the resolver gave "
                      "up with SERVFAIL instead of waiting for the genuine reply, which came "
                      "%.1f s later on the same port\n%s" % (name, DELAY, self.story(r)))
        self.assertAnswer(r, name, reply, GENUINE)

    def test_forgery_with_the_right_id_but_the_wrong_case_is_rejected(self):
        r = self.resolver()
        for name in ("case1.victim.test", "case2.victim.test"):
            self.assertWaitedForGenuine(r, name)
        self.assertCleanCache(r)
        events = self.events_for("case")
        self.assertTrue(events and all(e[3].get("ok") for e in events), self.story(r))
        self.assertTrue(all(e[0] != e[0].lower() for e in events),
                        "names not sent in mixed case, so the forgery (in swapped case) "
                        "could not be told apart by 0x20: %s" % [e[0] for e in events])

    def test_forgery_with_the_right_id_for_another_question_is_rejected(self):
        r = self.resolver()
        for name in ("other1.victim.test", "type1.victim.test"):
            self.assertWaitedForGenuine(r, name)
        self.assertCleanCache(r)
        for prefix in ("other", "type"):
            events = self.events_for(prefix)
            self.assertEqual(len(events), 1, self.story(r))
            self.assertTrue(events[0][3].get("ok"), self.story(r))

    def test_perfect_forgery_is_accepted_but_scrubbed(self):
        # The control that shows the checks above can fail: a forged reply right in id, port,
        # case and question wins (nothing tells it from the real one). Its out-of-bailiwick
        # records must still be dropped.
        r = self.resolver()
        reply = self.resolve(r, "exact1.victim.test")
        got = rh.from_message(reply)
        self.assertEqual(got["answer"], [("exact1.victim.test.", "A", FORGED)],
                         "a perfect forgery was not accepted: the forged datagrams do not "
                         "reach the resolver as the attacker built them, so the other checks "
                         "prove nothing\n%s\n%s" % (reply, self.story(r)))
        dump = r.dump()
        self.assertRegex(dump, r"(?mi)^exact1\.victim\.test\.\s+\d+\s+IN\s+A\s+203\.0\.113\.66$")
        self.assertCleanCache(r, allowed=("exact1.victim.test.",))
        self.assertNotResolvable(r, "bank.example", "ns.attacker.example")

    def test_out_of_bailiwick_records_from_genuine_servers_are_not_cached(self):
        r = self.resolver()
        # The referral from test. carries glue.example. A 203.0.113.88; the answer from
        # victim.test carries bank.example. A 203.0.113.77 (and ns.attacker.example.).
        reply = self.resolve(r, "oob1.victim.test")
        self.assertAnswer(r, "oob1.victim.test", reply, GENUINE)
        self.assertTrue(self.hierarchy.servers[1].seen, "the resolver never asked test.")
        self.assertCleanCache(r)
        self.assertNotResolvable(r, "bank.example", "glue.example", "ns.attacker.example")


class PoisoningTest(l7test.TestCase):
    """Re-executes this script inside a new network namespace (see the module's doc)."""

    def test_in_network_namespace(self):
        unshare, ip = shutil.which("unshare"), shutil.which("ip")
        if unshare is None or ip is None:
            self.skipTest("needs unshare (util-linux) and ip (iproute2)")
        if os.geteuid() == 0:
            prefix = [unshare, "-n"]
        else:
            prefix = [unshare, "-rn"]
            probe = subprocess.run(prefix + ["true"], capture_output=True, timeout=30)
            if probe.returncode != 0:
                self.skipTest("not root, and no user namespaces here (unshare -rn: %s)"
                              % probe.stderr.decode(errors="replace").strip())
        env = l7test.clean_env({INSIDE_ENV: "1", "PYTHONDONTWRITEBYTECODE": "1",
                                OUTER_NS_ENV: os.readlink("/proc/self/ns/net")})
        argv = prefix + ["/usr/bin/python3", os.path.abspath(__file__), l7test.l7(),
                         "InNamespace", "-v"]
        try:
            cp = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=240, env=env)
        except subprocess.TimeoutExpired as e:
            raise AssertionError("the tests in the namespace did not finish in 240 s:\n%s"
                                 % (e.stderr or b"")[-6000:])
        sys.stderr.write("\n--- in the namespace ---\n" + cp.stderr + cp.stdout)
        self.assertEqual(cp.returncode, 0, "the tests in the namespace failed (see above)")
        self.assertRegex(cp.stderr, r"Ran 5 tests", "not every test ran in the namespace")
        self.assertNotIn("skipped", cp.stderr.splitlines()[-1])


if __name__ == "__main__":
    if os.environ.get(INSIDE_ENV) != "1" and len(sys.argv) == 2:
        sys.argv.append("PoisoningTest")
    l7test.main()
