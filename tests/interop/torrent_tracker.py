#!/usr/bin/python3
"""`l7 torrent tracker` (BEP 3 announce and scrape over HTTP, BEP 23 compact lists, BEP 7
peers6, BEP 15 over UDP), and l7's announces to another tracker.

(1) By hand, with stdlib sockets and a small bencode decoder: HTTP announces (binary info_hash
    percent-encoded, compact=1 and compact=0, numwant, events started/completed/stopped) from
    127.0.0.2, .3, ... (the client socket bound there): peers of a torrent see each other,
    never themselves; stopped removes; scrape counts complete/incomplete/downloaded; missing
    parameters get a bencoded "failure reason" with status 200; the status page lists the
    torrent. BEP 15: connect, announce and scrape with the connection id; a made-up id, or
    another address's, gets an error (action 3); garbage gets no answer and the tracker goes
    on. IPv6 (when ::1 works): v6 announces get peers6 (HTTP) or 18-byte peers (UDP) of v6
    peers only, v4 ones only v4 peers.
(2) Real clients announcing to l7's tracker over HTTP and UDP: transmission-daemon 3.00,
    aria2c 1.36, python3-libtorrent 2.0. Each test is a download between two of them that
    found each other only through l7's tracker (no DHT, PEX, LSD or --peer): the file arrives
    whole, scrape and status page show the seed, and the clients' events are counted.
(3) l7 announcing to webtorrent's bittorrent-tracker 9 (npm; scripts/deps.sh installs it into
    ${L7_NPM_DIR:-$HOME/.cache/l7/npm}): an l7 seed and an l7 get meet through its http:// and
    its udp:// URL; its /stats.json counts the torrent.

Real clients reach out on their own (DHT bootstrap, LSD, UPnP) and want a loopback address
each (Transmission keeps one peer per IP): (2) and (3) run each test in a namespace of its own
with only `lo` (every process started with `ip netns exec`, the namespace deleted afterwards,
also on failure). They need root, and skip when a client is missing. The namespace, process,
bencoding and libtorrent helpers are torrent_helpers.py, shared with torrent_peers.py."""

import http.client
import importlib.util
import itertools
import json
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest
from urllib.parse import quote_from_bytes

import l7test
from l7test import IO_TIMEOUT, START_TIMEOUT
from torrent_helpers import LT_SCRIPT, PY, Proc, bdecode, netns_add, netns_delete

TRACKER_RE = r"listening on tcp (127\.0\.0\.1|\[::1\]):(\d+)"
NPM_DIR = os.environ.get("L7_NPM_DIR") or os.path.expanduser("~/.cache/l7/npm")
WEBTORRENT_TRACKER = os.path.join(NPM_DIR, "node_modules", "bittorrent-tracker", "bin", "cmd.js")
CLIENT_TIMEOUT = 90  # seconds for one download by a real client, start to exit
SERIAL = itertools.count()

# Debian's python3-libtorrent (the peer runs in a child /usr/bin/python3)
HAVE_LIBTORRENT = importlib.util.find_spec("libtorrent") is not None


# --- compact peer lists -----------------------------------------------------------------------


def compact_peers(blob, size):
    """[(ip text, port)] of a compact list: 6-byte (IPv4) or 18-byte (IPv6) entries."""
    assert len(blob) % size == 0, "compact list of %d bytes" % len(blob)
    family = socket.AF_INET if size == 6 else socket.AF_INET6
    return sorted((socket.inet_ntop(family, blob[i:i + size - 2]),
                   struct.unpack(">H", blob[i + size - 2:i + size])[0])
                  for i in range(0, len(blob), size))


# --- HTTP and UDP tracker clients by hand ---------------------------------------------------


def http_get(host, port, target, source=None):
    """(status, body) of GET target, the connection made from `source` if given."""
    conn = http.client.HTTPConnection(host, port, timeout=IO_TIMEOUT,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request("GET", target)
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def announce_target(info_hash, peer_id, port, left, **extra):
    q = ["info_hash=" + quote_from_bytes(info_hash, safe=""),
         "peer_id=" + quote_from_bytes(peer_id, safe=""),
         "port=%d" % port, "uploaded=0", "downloaded=0", "left=%d" % left]
    q += ["%s=%s" % kv for kv in extra.items()]
    return "/announce?" + "&".join(q)


PROTOCOL_ID = 0x41727101980  # BEP 15's magic constant
EVENTS = {"none": 0, "completed": 1, "started": 2, "stopped": 3}


class UdpClient:
    """A BEP 15 client, peer n: its socket bound to `source`, peer id peer_id(n), listening
    on port 7000+n."""

    def __init__(self, tracker, source, n):
        family = socket.AF_INET6 if ":" in source else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.sock.settimeout(IO_TIMEOUT)
        self.tracker, self.n = tracker, n

    def call(self, payload, tx):
        """Sends a request; returns (action, body) of the reply with transaction id `tx`."""
        self.sock.sendto(payload, self.tracker)
        for _ in range(10):  # a late reply to an earlier request may come first
            data = self.sock.recv(65536)
            if len(data) >= 8 and struct.unpack(">I", data[4:8])[0] == tx:
                return struct.unpack(">I", data[:4])[0], data[8:]
        raise AssertionError("no reply with transaction id %d" % tx)

    def connect(self):
        tx = random.getrandbits(32)
        action, body = self.call(struct.pack(">QII", PROTOCOL_ID, 0, tx), tx)
        assert action == 0 and len(body) == 8, (action, body)
        return struct.unpack(">Q", body)[0]

    def announce(self, cid, info_hash, left, event="none"):
        """(action, body): body is (interval, leechers, seeders, peer bytes) for action 1."""
        tx = random.getrandbits(32)
        action, body = self.call(
            struct.pack(">QII20s20sQQQIIIiH", cid, 1, tx, info_hash, peer_id(self.n), 0, left,
                        0, EVENTS[event], 0, 0x5eed, -1, 7000 + self.n), tx)
        if action == 1:
            return action, struct.unpack(">III", body[:12]) + (body[12:],)
        return action, body

    def scrape(self, cid, hashes):
        tx = random.getrandbits(32)
        action, body = self.call(struct.pack(">QII", cid, 2, tx) + b"".join(hashes), tx)
        assert action == 2 and len(body) == 12 * len(hashes), (action, body)
        # (seeders, completed, leechers) per hash
        return [struct.unpack(">III", body[i:i + 12]) for i in range(0, len(body), 12)]


def peer_id(tag):
    return ("-PY0001-%012d" % tag).encode()


# --- (1) the protocol by hand ---------------------------------------------------------------


class ProtocolTest(l7test.TestCase):
    def start_tracker(self, *listen):
        tracker = self.background(["torrent", "tracker", "--interval", "2s"] +
                                  [a for addr in listen for a in ("--listen", addr)])
        tracker.wait_for(r"(?s)" + r"listening on tcp .*" * len(listen))
        ports = {host.strip("[]"): int(port)
                 for host, port in re.findall(TRACKER_RE, tracker.stderr())}
        self.assertEqual(len(ports), len(listen), tracker.describe())
        return tracker, ports

    def setUp(self):
        super().setUp()
        self.tracker, ports = self.start_tracker("127.0.0.1:0")
        self.port = ports["127.0.0.1"]

    def announce(self, n, info_hash, left, **extra):
        """Peer n's announce: from 127.0.0.n, peer id peer_id(n), listening on port 7000+n."""
        target = announce_target(info_hash, peer_id(n), 7000 + n, left, **extra)
        status, body = http_get("127.0.0.1", self.port, target, "127.0.0.%d" % n)
        self.assertEqual(status, 200, body)
        reply = bdecode(body)
        self.assertNotIn(b"failure reason", reply, reply)
        return reply

    def scrape(self, *hashes):
        target = "/scrape?" + "&".join("info_hash=" + quote_from_bytes(h, safe="")
                                       for h in hashes)
        status, body = http_get("127.0.0.1", self.port, target)
        self.assertEqual(status, 200, body)
        files = bdecode(body)[b"files"]
        return [(files[h][b"complete"], files[h][b"incomplete"], files[h][b"downloaded"])
                for h in hashes]

    def test_http_peers_see_each_other_never_themselves(self):
        ih = os.urandom(20)
        first = self.announce(2, ih, 1000, compact=1, event="started")
        self.assertEqual(first[b"interval"], 2)
        self.assertEqual(first[b"peers"], b"")  # nobody else yet, and never itself
        second = self.announce(3, ih, 0, compact=1, event="started")
        self.assertEqual(compact_peers(second[b"peers"], 6), [("127.0.0.2", 7002)])
        self.assertEqual((second[b"complete"], second[b"incomplete"]), (1, 1))
        # compact=0: a list of dictionaries with the peer's id.
        again = self.announce(2, ih, 1000, compact=0)
        self.assertEqual(again[b"peers"], [{b"ip": b"127.0.0.3", b"port": 7003,
                                            b"peer id": peer_id(3)}])
        # Another torrent's peers are not handed out.
        self.assertEqual(self.announce(4, os.urandom(20), 5, compact=1)[b"peers"], b"")
        # numwant caps the list: four more leechers, then ask for two.
        for n in range(5, 9):
            self.announce(n, ih, 100, compact=1)
        got = compact_peers(self.announce(9, ih, 100, compact=1, numwant=2)[b"peers"], 6)
        self.assertEqual(len(got), 2, got)
        everyone = compact_peers(self.announce(9, ih, 100, compact=1, numwant=50)[b"peers"], 6)
        self.assertEqual(len(everyone), 6, everyone)
        self.assertNotIn(("127.0.0.9", 7009), everyone)
        self.assertTrue(set(got) <= set(everyone), (got, everyone))

    def test_http_events_and_scrape_counts(self):
        ih, unknown = os.urandom(20), os.urandom(20)
        self.announce(2, ih, 0, event="started")  # a seed
        self.announce(3, ih, 500, event="started")
        self.assertEqual(self.scrape(ih, unknown), [(1, 1, 0), (0, 0, 0)])
        done = self.announce(3, ih, 0, event="completed")
        self.assertEqual((done[b"complete"], done[b"incomplete"]), (2, 0))
        self.assertEqual(self.scrape(ih), [(2, 0, 1)])
        self.announce(3, ih, 0, event="completed")  # counted once per peer
        self.assertEqual(self.scrape(ih), [(2, 0, 1)])
        # stopped removes the peer; "downloaded" stays.
        self.announce(2, ih, 0, event="stopped")
        self.assertEqual(self.scrape(ih), [(1, 0, 1)])
        late = self.announce(4, ih, 500, compact=1)
        self.assertEqual(compact_peers(late[b"peers"], 6), [("127.0.0.3", 7003)])
        # The status page lists the torrent in hex.
        status, page = http_get("127.0.0.1", self.port, "/")
        self.assertEqual(status, 200)
        self.assertIn(ih.hex().encode(), page)

    def test_http_missing_parameters_fail_in_bencoding(self):
        ih = os.urandom(20)
        full = dict(info_hash=quote_from_bytes(ih, safe=""), peer_id=quote_from_bytes(
            peer_id(1), safe=""), port="7001", left="0")
        cases = [{k: v for k, v in full.items() if k != drop} for drop in full]
        cases.append(dict(full, info_hash=quote_from_bytes(ih[:19], safe="")))
        cases.append(dict(full, port="0"))
        for query in cases:
            target = "/announce?" + "&".join("%s=%s" % kv for kv in query.items())
            status, body = http_get("127.0.0.1", self.port, target)
            self.assertEqual(status, 200, (target, body))
            reply = bdecode(body)
            self.assertIsInstance(reply.get(b"failure reason"), bytes, (target, body))
            self.assertNotIn(b"peers", reply)
        self.assertEqual(self.scrape(ih), [(0, 0, 0)])  # none of them registered

    def udp_client(self, n, tracker=None, source=None):
        c = UdpClient(tracker or ("127.0.0.1", self.port), source or "127.0.0.%d" % n, n)
        self.addCleanup(c.sock.close)
        return c

    def test_udp_connect_announce_scrape(self):
        ih = os.urandom(20)
        a, b = self.udp_client(2), self.udp_client(3)
        ca, cb = a.connect(), b.connect()
        action, (interval, leechers, seeders, peers) = a.announce(ca, ih, 1000, "started")
        self.assertEqual((action, interval, leechers, seeders, peers), (1, 2, 1, 0, b""))
        action, (_, leechers, seeders, peers) = b.announce(cb, ih, 0, "started")
        self.assertEqual((action, leechers, seeders), (1, 1, 1))
        self.assertEqual(compact_peers(peers, 6), [("127.0.0.2", 7002)])
        # The UDP and HTTP sides share one registry.
        self.assertEqual(compact_peers(self.announce(4, ih, 10, compact=1)[b"peers"], 6),
                         [("127.0.0.2", 7002), ("127.0.0.3", 7003)])
        b.announce(cb, ih, 0, "stopped")
        self.assertEqual(a.scrape(ca, [ih, os.urandom(20)]), [(0, 0, 2), (0, 0, 0)])
        # A made-up connection id, and b's id used from a's address: error, action 3.
        for cid in (ca ^ 0x5A5A5A5A5A5A5A5A, cb):
            action, message = a.announce(cid, ih, 0, "completed")
            self.assertEqual(action, 3, message)
            self.assertTrue(message, "an error without a message")
        self.assertEqual(a.scrape(ca, [ih]), [(0, 0, 2)])  # nothing changed

    def test_udp_garbage_gets_no_answer(self):
        c = self.udp_client(2)
        for junk in (b"\x00", b"\x00" * 15, os.urandom(7),
                     struct.pack(">QII", PROTOCOL_ID, 9, 1)):  # an unknown action
            c.sock.sendto(junk, c.tracker)
        c.sock.settimeout(1.0)
        with self.assertRaises(socket.timeout):
            c.sock.recv(65536)
        c.sock.settimeout(IO_TIMEOUT)
        self.assertEqual(c.announce(c.connect(), os.urandom(20), 0)[0], 1)  # still serving
        self.assertStillRunning(self.tracker)

    def test_ipv6_peers_only_to_ipv6(self):
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
                s.bind(("::1", 0))
        except OSError as e:
            self.skipTest("no ::1 here: %s" % e)
        _, ports = self.start_tracker("127.0.0.1:0", "[::1]:0")
        v4, v6 = ports["127.0.0.1"], ports["::1"]
        ih = os.urandom(20)

        def announce(n, v4_source=None):
            host, port = ("127.0.0.1", v4) if v4_source else ("::1", v6)
            status, body = http_get(host, port, announce_target(ih, peer_id(n), 7000 + n, 9,
                                                                compact=1), v4_source or "::1")
            self.assertEqual(status, 200, body)
            return bdecode(body)
        announce(2, "127.0.0.2")
        announce(3)
        six = announce(4)
        self.assertEqual(compact_peers(six[b"peers6"], 18), [("::1", 7003)])
        self.assertEqual(six.get(b"peers", b""), b"")  # no v4 peer to a v6 one
        four = announce(5, "127.0.0.3")
        self.assertEqual(compact_peers(four[b"peers"], 6), [("127.0.0.2", 7002)])
        self.assertNotIn(b"peers6", four)
        u = self.udp_client(6, ("::1", v6), "::1")
        action, (_, leechers, seeders, peers) = u.announce(u.connect(), ih, 9)
        self.assertEqual((action, leechers, seeders), (1, 5, 0))
        self.assertEqual(compact_peers(peers, 18), [("::1", 7003), ("::1", 7004)])


# --- namespaces and processes for (2) and (3) -----------------------------------------------


def netns_usable():
    name = "l7-tt-probe-%d" % os.getpid()
    if os.geteuid() != 0 or not shutil.which("ip") or netns_add(name):
        return False
    netns_delete(name)
    return True


NETNS = netns_usable()


class NetnsTest(l7test.TestCase):
    """Each test in a loopback-only namespace of its own; every process started inside."""

    def setUp(self):
        if not NETNS:
            self.skipTest("needs root and `ip netns` (a loopback-only namespace)")
        super().setUp()
        self.ns = "l7-tt-%d-%d" % (os.getpid(), next(SERIAL))
        why = netns_add(self.ns)
        if why:
            raise AssertionError(why)
        self.addCleanup(netns_delete, self.ns)
        self.tmp = tempfile.mkdtemp(prefix="l7-tracker-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def inside(self, argv):
        return ["ip", "netns", "exec", self.ns] + list(argv)

    def start(self, argv):
        p = Proc(self.inside(argv))
        self.addCleanup(p.close)  # before the namespace goes; also when setUp fails
        return p

    def run_inside(self, argv, timeout=CLIENT_TIMEOUT):
        """Runs argv in the namespace to completion: (exit code or "timeout", output)."""
        log = os.path.join(self.tmp, "run-%d.log" % next(SERIAL))
        with open(log, "wb") as out:
            try:
                code = subprocess.run(self.inside(argv), stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.STDOUT, timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                code = "timeout after %d s" % timeout
        with open(log, "rb") as f:
            return code, f.read().decode("utf-8", "replace")[-3000:]

    def fetch(self, url):
        """The body of GET url, fetched from inside the namespace."""
        code, out = self.run_inside([PY, "-c", "import sys, urllib.request; sys.stdout.write("
                                     "urllib.request.urlopen(sys.argv[1], timeout=10).read()"
                                     ".hex())", url], timeout=30)
        self.assertEqual(code, 0, out)
        return bytes.fromhex(out.strip())

    def l7_tracker(self):
        self.tracker = self.start([l7test.l7(), "torrent", "tracker", "--listen", "127.0.0.1:0",
                                   "--interval", "2s"])
        self.port = int(self.tracker.wait_for(TRACKER_RE).group(2))
        return self.port

    def content(self, trackers):
        """A fresh 256 KiB file in seed/ and its .torrent (32 KiB pieces): (path, torrent,
        info hash)."""
        os.makedirs(os.path.join(self.tmp, "seed"), exist_ok=True)
        data = os.path.join(self.tmp, "seed", "data-%d.bin" % next(SERIAL))
        with open(data, "wb") as f:
            f.write(os.urandom(256 * 1024))
        torrent = data + ".torrent"
        cp = l7test.run_l7(["torrent", "create", data, "--piece-size", "32k", "-o", torrent] +
                           [a for t in trackers for a in ("-t", t)])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        info_hash = re.search(r"info hash ([0-9a-f]{40})", cp.stdout).group(1)
        return data, torrent, bytes.fromhex(info_hash)

    def scrape(self, info_hash):
        body = self.fetch("http://127.0.0.1:%d/scrape?info_hash=%s"
                          % (self.port, quote_from_bytes(info_hash, safe="")))
        e = bdecode(body)[b"files"].get(info_hash, {})
        return (e.get(b"complete", 0), e.get(b"incomplete", 0), e.get(b"downloaded", 0))

    def wait_scrape(self, info_hash, predicate, what, nudge=None):
        """Polls the l7 tracker's scrape until predicate((complete, incomplete, downloaded));
        `nudge` (e.g. a reannounce) is called every few seconds meanwhile."""
        last = [time.monotonic()]

        def check():
            counts = self.scrape(info_hash)
            if not predicate(counts) and nudge and time.monotonic() - last[0] > 3:
                nudge()
                last[0] = time.monotonic()
            return counts if predicate(counts) else None
        return l7test.wait_until(check, 45, interval=0.3, what=what)

    def assertSameFile(self, got, want):
        self.assertTrue(os.path.isfile(got), "%s was not written" % got)
        with open(got, "rb") as a, open(want, "rb") as b:
            self.assertTrue(a.read() == b.read(), "%s differs from %s" % (got, want))


# --- (2) real clients announcing to l7's tracker --------------------------------------------

TRANSMISSION = shutil.which("transmission-daemon") and shutil.which("transmission-remote")
ARIA2C = shutil.which("aria2c")

class RealClientsTest(NetnsTest):
    def transmission(self, address, torrent, data_dir):
        """transmission-daemon on `address` (peer port 6881, RPC 127.0.0.1:9091), with no DHT,
        LSD, PEX or uTP, given `torrent` whose data is in data_dir."""
        if not TRANSMISSION:
            self.skipTest("transmission-daemon is not installed (apt-get install "
                          "transmission-daemon transmission-cli)")
        conf = os.path.join(self.tmp, "transmission")
        os.makedirs(conf)
        with open(os.path.join(conf, "settings.json"), "w") as f:
            json.dump({"dht-enabled": False, "lpd-enabled": False, "pex-enabled": False,
                       "utp-enabled": False, "port-forwarding-enabled": False,
                       "peer-port": 6881, "bind-address-ipv4": address,
                       "rpc-bind-address": "127.0.0.1", "rpc-port": 9091,
                       "rpc-whitelist": "127.0.0.1", "rpc-authentication-required": False,
                       "download-dir": data_dir, "ratio-limit-enabled": False,
                       "message-level": 2}, f)
        daemon = self.start(["transmission-daemon", "-f", "-g", conf, "--logfile",
                             os.path.join(conf, "log")])
        l7test.wait_until(lambda: self.remote("-l")[0] == 0, START_TIMEOUT, interval=0.3,
                          what="transmission's RPC port")
        code, out = self.remote("-a", torrent, "-w", data_dir)
        self.assertEqual(code, 0, out)
        return daemon

    def remote(self, *args):
        return self.run_inside(["transmission-remote", "127.0.0.1:9091"] + list(args),
                               timeout=30)

    def reannounce(self):
        self.remote("-t", "all", "--reannounce")

    def aria2c(self, torrent, out_dir, udp=False):
        """aria2c from 127.0.0.4, to completion; (exit code, output)."""
        if not ARIA2C:
            self.skipTest("aria2c is not installed (apt-get install aria2)")
        args = ["aria2c", "--interface=127.0.0.4", "--disable-ipv6=true", "--enable-dht6=false",
                "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--listen-port=6884",
                "--seed-time=0", "--bt-stop-timeout=60", "--summary-interval=0",
                "--console-log-level=warn", "--dir=" + out_dir]
        if udp:
            # aria2c sends UDP tracker requests from its DHT socket: no DHT, no udp:// ("udp
            # is not supported yet"). It has no bootstrap nodes, so it finds no DHT peer.
            args += ["--enable-dht=true", "--dht-listen-port=6885",
                     "--dht-file-path=" + os.path.join(out_dir, "dht.dat")]
        else:
            args += ["--enable-dht=false"]
        return self.run_inside(args + [torrent])

    def libtorrent(self, torrent, save_dir, listen):
        if not HAVE_LIBTORRENT:
            self.skipTest("python3-libtorrent is not installed")
        # Mode "seed": it stays once complete (a leecher too), until the test ends.
        return self.start([PY, "-c", LT_SCRIPT, "seed", torrent, save_dir, listen, "150"])

    def seed_registered(self, info_hash, nudge=None):
        self.wait_scrape(info_hash, lambda c: c[0] == 1, "the seed's announce", nudge)
        self.assertIn(info_hash.hex().encode(), self.fetch("http://127.0.0.1:%d/" % self.port))

    def transmission_to_aria2c(self, scheme):
        port = self.l7_tracker()
        url = ("http://127.0.0.1:%d/announce" if scheme == "http" else "udp://127.0.0.1:%d") % port
        data, torrent, ih = self.content([url])
        daemon = self.transmission("127.0.0.2", torrent, os.path.dirname(data))
        self.seed_registered(ih, self.reannounce)
        out = os.path.join(self.tmp, "aria2c")
        code, log = self.aria2c(torrent, out, udp=scheme == "udp")
        self.assertEqual(code, 0, log)
        self.assertSameFile(os.path.join(out, os.path.basename(data)), data)
        # aria2c sent stopped when it left (it sends no completed with --seed-time=0).
        self.wait_scrape(ih, lambda c: c[:2] == (1, 0), "aria2c's stopped")
        # Transmission, told to stop the torrent, announces stopped: the swarm is empty.
        code, out = self.remote("-t", "all", "--stop")
        self.assertEqual(code, 0, out)
        self.wait_scrape(ih, lambda c: c[:2] == (0, 0), "transmission's stopped")
        self.assertStopsCleanly(daemon)

    def test_transmission_seeds_to_aria2c_over_http_tracker(self):
        self.transmission_to_aria2c("http")

    def test_transmission_seeds_to_aria2c_over_udp_tracker(self):
        self.transmission_to_aria2c("udp")

    def test_libtorrent_seeds_to_aria2c_over_http_tracker(self):
        port = self.l7_tracker()
        data, torrent, ih = self.content(["http://127.0.0.1:%d/announce" % port])
        seed = self.libtorrent(torrent, os.path.dirname(data), "127.0.0.3:6883")
        seed.wait_for("^SEEDING", stream="stdout")
        self.seed_registered(ih)
        out = os.path.join(self.tmp, "aria2c")
        code, log = self.aria2c(torrent, out)
        self.assertEqual(code, 0, log)
        self.assertSameFile(os.path.join(out, os.path.basename(data)), data)

    def test_libtorrent_leeches_from_transmission_over_udp_tracker(self):
        port = self.l7_tracker()
        data, torrent, ih = self.content(["udp://127.0.0.1:%d" % port])
        self.transmission("127.0.0.2", torrent, os.path.dirname(data))
        self.seed_registered(ih, self.reannounce)
        out = os.path.join(self.tmp, "libtorrent")
        os.makedirs(out)
        leech = self.libtorrent(torrent, out, "127.0.0.3:6883")
        leech.wait_for("^SEEDING", stream="stdout", timeout=CLIENT_TIMEOUT)
        self.assertSameFile(os.path.join(out, os.path.basename(data)), data)
        # libtorrent announces completed: two seeds, one download counted.
        self.wait_scrape(ih, lambda c: c == (2, 0, 1), "libtorrent's completed")


# --- (3) l7 announcing to webtorrent's bittorrent-tracker -----------------------------------


class WebtorrentTrackerTest(NetnsTest):
    PORT = 8000  # inside a namespace of its own: free

    def setUp(self):
        super().setUp()
        if not shutil.which("node") or not os.path.isfile(WEBTORRENT_TRACKER):
            self.skipTest("webtorrent's bittorrent-tracker 9 is not installed in %s "
                          "(scripts/deps.sh installs it with npm)" % NPM_DIR)
        self.node = self.start(["node", WEBTORRENT_TRACKER, "-p", str(self.PORT), "--http",
                                "--udp", "--http-hostname", "127.0.0.1", "--udp-hostname",
                                "127.0.0.1"])
        self.node.wait_for(r"HTTP tracker: ", stream="stdout")
        self.node.wait_for(r"UDP tracker: ", stream="stdout")

    def stats(self):
        return json.loads(self.fetch("http://127.0.0.1:%d/stats.json" % self.PORT))

    def seed_and_get(self, url):
        data, torrent, ih = self.content([url])
        seed = self.start([l7test.l7(), "torrent", "seed", torrent, data, "--listen",
                           "127.0.0.2:6881", "--announce-interval", "2s"])
        l7test.wait_until(lambda: self.stats().get("peersSeederOnly", 0) >= 1, 30,
                          interval=0.3, what="the l7 seed in bittorrent-tracker's stats")
        out = os.path.join(self.tmp, "get")
        code, log = self.run_inside([l7test.l7(), "torrent", "get", torrent, "-o", out,
                                     "--listen", "127.0.0.3:6882", "--announce-interval", "2s"])
        self.assertEqual(code, 0, log)
        self.assertSameFile(os.path.join(out, os.path.basename(data)), data)
        stats = self.stats()
        self.assertEqual(stats["torrents"], 1, stats)
        self.assertGreaterEqual(stats["peersAll"], 1, stats)
        self.assertStillRunning(seed)
        self.assertStillRunning(self.node)
        # Its log names each event: the get's started, then its stopped when it left.
        log = self.node.wait_for(r"^stop: 127\.0\.0\.3:6882$", stream="stdout").string
        self.assertIn("start: 127.0.0.2:6881\n", log)
        self.assertIn("start: 127.0.0.3:6882\n", log)
        return log

    def test_l7_peers_meet_through_http_tracker(self):
        self.seed_and_get("http://127.0.0.1:%d/announce" % self.PORT)

    def test_l7_peers_meet_through_udp_tracker(self):
        self.seed_and_get("udp://127.0.0.1:%d" % self.PORT)

    # BEP 3: "completed" is sent when the download completes, also by a get that exits at
    # once (before its "stopped"), so that the tracker counts the download.
    def test_l7_get_announces_completed(self):
        log = self.seed_and_get("http://127.0.0.1:%d/announce" % self.PORT)
        self.assertIn("complete: 127.0.0.3:6882\n", log)


if __name__ == "__main__":
    l7test.main()
