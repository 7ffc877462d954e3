#!/usr/bin/python3
"""Magnet links in `l7 torrent get` and `l7 torrent seed`: the info dictionary fetched from
peers by metadata exchange (BEP 9, ut_metadata, over the extension protocol of BEP 10) and
checked against the link's info-hash (BEP 9 "magnet URI format": xt=urn:btih:, dn, tr, x.pe).

  * l7 with l7: a get of the link `l7 torrent show` prints, from an l7 seed given with --peer
    (both traced: extended handshakes naming ut_metadata and the seed's metadata_size, which
    is the size of the .torrent's info dictionary; metadata request and data of piece 0), from
    the link's x.pe peer alone, through its tr= (`l7 torrent tracker`; the tracker hears
    "completed" once, at the end), and from an l7 get that stays with --seed and serves the
    metadata on.
  * aria2c 1.36, transmission-daemon 3.00 (transmission-remote -a LINK) and python3-libtorrent
    2.0 each download the link from an l7 seed found through the l7 tracker: they have nothing
    but the link, and the seed's trace shows each one's metadata request. Then l7 downloads the
    link from each of them seeding the .torrent (Transmission both ways at once, in one test).
  * Hostile peers (Python sockets, no namespace) next to an honest l7 seed reached through a
    Python proxy that holds the seed's bytes until the hostile peer has had its turn, so that
    l7 meets it first: one advertises ut_metadata with the right metadata_size and answers with
    an info dictionary that is valid bencoding of the right length but names another file (l7
    must drop it for failing the info-hash and take the seed's); one advertises a metadata_size
    of 100 MiB, over l7's 16 MiB bound (it must never be asked; the get completes). The liar,
    banned, is not dialled again for the pieces.
  * Usage errors: malformed links, a link with no tracker and no peer (exit 2, one line).

Swarms run in loopback-only network namespaces (`ip netns`, one per class, deleted in
tearDownClass), each peer on its own 127.0.0.x, plain TCP; helpers are torrent_helpers.py.
Needs root (skipped otherwise, except for the usage errors); a test whose client is missing is
skipped. The data is a 3 MiB random file in 256 KiB pieces; every download is compared byte for
byte with it. Every wait is bounded. Bugs l7 has are expectedFailure tests, each with a comment
on what l7 did and what it should do."""

import hashlib
import os
import re
import shutil
import socket
import struct
import tempfile
import threading
import unittest
from urllib.parse import parse_qs, urlsplit

import l7test
from torrent_helpers import (ARIA2_ADDR, CLIENT, GET_ADDR, LT_ADDR, PIECE, SEED_ADDR, SIZE,
                             TR_ADDR, SwarmCase, bdecode, bdecode_prefix, bencode, handshake,
                             have_libtorrent, listen_re, message, read_exact)

EXTENDED = 20  # BEP 10: the message id of every extension message
META_PIECE = 16 * 1024  # BEP 9: metadata travels in 16 KiB pieces
LIAR_UT_METADATA = 3  # the extended id our Python peers take ut_metadata requests under
# BEP 10 handshake, reserved byte 5, bit 0x10: "I speak the extension protocol".
EXTENSION_BIT = bytes([0, 0, 0, 0, 0, 0x10, 0, 0])


def metadata_rx(verb, what):
    """A --trace line of ut_metadata: verb "send" or "recv", what "request" or "data"."""
    return r"%s metadata %s piece 0\b" % (verb, what)


class MagnetCase(SwarmCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (ip netns, and peers on 127.0.0.x)")
        super().setUpClass()

    def magnet(self, torrent):
        """The link `l7 torrent show` prints for `torrent` (its "magnet:" line)."""
        cp = l7test.run_l7(["torrent", "show", torrent])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        m = re.search(r"^magnet:\s+(magnet:\?\S+)$", cp.stdout, re.M)
        self.assertTrue(m, cp.stdout)
        return m.group(1)

    def info(self, torrent, info_hash):
        """The bytes of the .torrent's info dictionary (what BEP 9 exchanges)."""
        with open(torrent, "rb") as f:
            info = bencode(bdecode(f.read())[b"info"])  # l7 writes canonical bencoding
        self.assertEqual(hashlib.sha1(info).digest(), info_hash)
        return info

    def assertMetadataVerified(self, get):
        self.assertLog(get, r"metadata.*verified")

    def wait_metadata(self, get, timeout=30):
        """Until the get logs its metadata verified. A failed announce fails the test at once:
        these gets find their peers only through the tracker."""
        def state():
            text = get.stderr()
            if re.search(r"metadata.*verified", text):
                return "verified"
            if re.search(r"announce \(started\) failed", text):
                return "announce failed"
            return None if get.running() else "exited"
        try:
            got = l7test.wait_until(state, timeout, interval=0.1, what="the metadata")
        except AssertionError as e:
            self.fail("%s\n%s" % (e, get.describe()))
        if got != "verified":
            self.fail("%s before the metadata was verified:\n%s" % (got, get.describe()))


# --- l7 with l7 ------------------------------------------------------------------------------


class L7MagnetTest(MagnetCase):
    def test_magnet_from_a_seed_given_with_peer(self):
        torrent, info_hash = self.torrent("http://127.0.0.1:9/announce")
        link = self.magnet(torrent)
        fields = parse_qs(urlsplit(link).query)
        self.assertEqual(fields["xt"], ["urn:btih:" + info_hash.hex()], link)
        self.assertEqual(fields["dn"], ["data.bin"], link)
        self.assertEqual(fields["tr"], ["http://127.0.0.1:9/announce"], link)
        size = len(self.info(torrent, info_hash))

        seed, where = self.seed(torrent, "--no-tracker", "--trace", tracked=False)
        get, out = self.get(link, "--peer", where, "--no-tracker", "--trace", "-v")
        self.assertComplete(get, out)
        self.assertMetadataVerified(get)
        for rx in (r"send extended handshake \(.*ut_metadata",
                   r"recv extended handshake \(.*ut_metadata.*metadata_size %d\b" % size,
                   metadata_rx("send", "request"), metadata_rx("recv", "data")):
            self.assertLog(get, r"%s:\d+: %s" % (re.escape(SEED_ADDR), rx))
        for rx in (r"send extended handshake \(.*ut_metadata.*metadata_size %d\b" % size,
                   r"recv extended handshake \(.*ut_metadata", metadata_rx("recv", "request"),
                   metadata_rx("send", "data")):
            self.assertLog(seed, r"%s:\d+: %s" % (re.escape(GET_ADDR), rx))

    def test_magnet_with_an_x_pe_peer_and_no_tracker(self):
        torrent, _ = self.torrent()
        seed, where = self.seed(torrent, "--no-tracker", tracked=False)
        link = self.magnet(torrent) + "&x.pe=" + where
        get, out = self.get(link, "-v")
        self.assertComplete(get, out)
        self.assertMetadataVerified(get)
        self.assertIn(where + ": connected", get.stderr())

    # A get that finds its peers through the tracker listens on a fixed port (the namespace
    # is ours): with --listen ADDR:0 it announces port 0, see the test after this one.
    def test_magnet_through_the_l7_tracker(self):
        torrent = self.tracked_torrent()
        self.seed(torrent)
        get, out = self.get(self.magnet(torrent), "-v", port=self.port())
        self.wait_metadata(get)
        self.assertComplete(get, out)
        self.assertLog(get, r"announce \(started\) to http://127\.0\.0\.1:")
        self.assertLog(get, r"%s:\d+: connected" % re.escape(SEED_ADDR))

    # BEP 3: "completed" is sent when the download completes: not when the metadata is in
    # (one announcer serves both steps: one started, one completed, one stopped).
    def test_the_metadata_fetch_announces_no_completed(self):
        torrent = self.tracked_torrent()
        self.seed(torrent)
        get, out = self.get(self.magnet(torrent), "-v", port=self.port())
        self.wait_metadata(get)
        self.assertComplete(get, out)
        log = get.stderr()
        verified = re.search(r"^.*metadata.*verified.*$", log, re.M)
        self.assertNotIn("announce (completed)", log[:verified.end()], log)
        self.assertEqual(log.count("announce (completed)"), 1, log)

    # A get listening on ADDR:0 announces a real port while it fetches the metadata (a
    # tracker refuses port 0, BEP 3): the port is chosen before the first announce.
    def test_magnet_through_the_l7_tracker_listening_on_port_0(self):
        torrent = self.tracked_torrent()
        self.seed(torrent)
        get, out = self.get(self.magnet(torrent), "-v")  # --listen 127.0.0.3:0
        self.wait_metadata(get)
        self.assertComplete(get, out)
        self.assertMetadataVerified(get)
        self.assertLog(get, r"announce \(started\) to http://127\.0\.0\.1:")
        self.assertLog(get, r"%s:\d+: connected" % re.escape(SEED_ADDR))

    # The metadata a get fetched is what it serves once it seeds (get --seed).
    def test_a_get_that_seeds_serves_the_metadata_on(self):
        torrent, _ = self.torrent()
        link = self.magnet(torrent)
        _, where = self.seed(torrent, "--no-tracker", tracked=False)
        first, out = self.get(link, "--peer", where, "--no-tracker", "--seed", "--trace")
        first.wait_for(r"complete, every piece verified", timeout=60)
        self.assertSameData(os.path.join(out, "data.bin"), first)
        port = first.wait_for(listen_re(GET_ADDR)).group(1)
        second, out2 = self.get(link, "--peer", "%s:%s" % (GET_ADDR, port), "--no-tracker",
                                "--trace", addr="127.0.0.4")
        self.assertComplete(second, out2)
        self.assertLog(second, r"%s:%s: %s" % (re.escape(GET_ADDR), port,
                                               metadata_rx("recv", "data")))
        self.assertLog(first, r"127\.0\.0\.4:\d+: %s" % metadata_rx("send", "data"))
        self.assertTrue(first.running(), first.describe())


# --- third-party clients ---------------------------------------------------------------------


class ClientCase(MagnetCase):
    def traced_seed(self):
        """A tracker, a torrent naming it and a traced l7 seed: (torrent, link, seed)."""
        torrent = self.tracked_torrent()
        seed, _ = self.seed(torrent, "--trace")
        return torrent, self.magnet(torrent), seed

    def assertServedMetadata(self, seed, addr_rx):
        """The l7 seed's trace shows the client (at an address matching addr_rx) asking for
        and getting piece 0."""
        for rx in (metadata_rx("recv", "request"), metadata_rx("send", "data")):
            self.assertLog(seed, r"%s:\d+: %s" % (addr_rx, rx))

    def l7_get_link(self, torrent, addr):
        """l7 gets the link of `torrent` from a client at `addr` (via the tracker)."""
        get, out = self.get(self.magnet(torrent), "-v", port=self.port())
        self.wait_metadata(get)
        self.assertComplete(get, out, timeout=CLIENT)
        self.assertMetadataVerified(get)
        self.assertLog(get, r"%s:\d+" % re.escape(addr))


@unittest.skipUnless(shutil.which("aria2c"), "aria2c is not installed (apt-get install aria2)")
class Aria2MagnetTest(ClientCase):
    # aria2c announces left=0 while it fetches the metadata (it knows no size yet:
    # "GET /announce?...&left=0&...&port=31001"): `l7 torrent tracker` gives a seed the
    # leechers first and then the other seeds, so aria2c finds the l7 seed.
    # The 30 s bound is a hang guard (aria2c announces every 2 s, as the tracker says).
    def test_aria2c_downloads_the_link_from_l7(self):
        _, link, seed = self.traced_seed()
        out = self.mkdir("aria2")
        aria = self.aria2c(out, link, "--seed-time=0")
        self.assertComplete(aria, out, timeout=30)
        self.assertServedMetadata(seed, re.escape(ARIA2_ADDR))

    def test_l7_downloads_the_link_from_aria2c(self):
        torrent = self.tracked_torrent()
        self.aria2c(self.src, torrent, "--seed-ratio=0.0", "--check-integrity=true")
        self.l7_get_link(torrent, ARIA2_ADDR)


@unittest.skipUnless(shutil.which("transmission-daemon") and shutil.which("transmission-remote"),
                     "transmission is not installed (transmission-daemon, transmission-cli)")
class TransmissionMagnetTest(ClientCase):
    # Both directions at once, in one daemon, with two torrents of the file (256 KiB and
    # 128 KiB pieces: two info-hashes), because each waits about a minute on reconnects:
    # Transmission, once it has a link's metadata, restarts the torrent and reconnects to the
    # l7 seed only some 30 s later (or the seed redials it after its 60 s); l7 get closes its
    # metadata connection to Transmission and redials at once, Transmission closes that second
    # connection within a second, and l7 redials only after 60 s (keeping the connection the
    # metadata came on would spare that minute). Both downloads complete; as two tests they
    # would take 2.5 minutes.
    def test_transmission_and_l7_download_each_others_links(self):
        _, port = self.tracker()
        url = "http://127.0.0.1:%d/announce" % port
        to_transmission, _ = self.torrent(url)
        from_transmission, _ = self.torrent(url, piece_size="128k")
        remote = self.transmission_daemon()
        code, text = remote("-a", from_transmission, "-w", self.src)  # torrent 1: seeded
        self.assertEqual(code, 0, text)
        remote("-t", "1", "-v")
        self.transmission_wait_done(remote, 1)
        seed, _ = self.seed(to_transmission, "--trace")
        out = self.mkdir("tr-get")
        code, text = remote("-a", self.magnet(to_transmission), "-w", out)  # torrent 2
        self.assertEqual(code, 0, text)

        get, get_out = self.get(self.magnet(from_transmission), "-v", port=self.port())
        self.wait_metadata(get)
        self.transmission_wait_done(remote, 2)
        path = os.path.join(out, "data.bin")
        # 100% is reported as blocks arrive; Transmission writes its cache out right after.
        l7test.wait_until(lambda: os.path.exists(path) and
                          len(self.pieces_matching(path)) == SIZE // PIECE, 15,
                          interval=0.2, what="every piece in transmission's file")
        self.assertSameData(path)
        self.assertServedMetadata(seed, re.escape(TR_ADDR))

        self.assertComplete(get, get_out, timeout=CLIENT)
        self.assertLog(get, r"%s:\d+" % re.escape(TR_ADDR))


@unittest.skipUnless(have_libtorrent(), "python3-libtorrent is not installed")
class LibtorrentMagnetTest(ClientCase):
    def test_libtorrent_downloads_the_link_from_l7(self):
        _, link, seed = self.traced_seed()
        out = self.mkdir("lt-get")
        self.assertComplete(self.libtorrent("leech", link, out), out, timeout=CLIENT + 10)
        # libtorrent listens on 127.0.0.7 but connects out from 127.0.0.1.
        self.assertServedMetadata(seed, r"127\.0\.0\.[17]")

    def test_l7_downloads_the_link_from_libtorrent(self):
        torrent = self.tracked_torrent()
        lt = self.libtorrent("seed", torrent, self.src)
        lt.wait_for("SEEDING", stream="stdout", timeout=30)
        self.l7_get_link(torrent, LT_ADDR)


# --- hostile peers ---------------------------------------------------------------------------


class Stoppable:
    """Threads that accept on a listening socket bound to `addr` and serve each connection;
    close() ends them (every loop also ends after LIFETIME seconds)."""

    LIFETIME = 120.0

    def __init__(self, addr):
        self.sock = socket.socket()
        self.sock.bind((addr, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.hostport = "%s:%d" % self.sock.getsockname()
        self.deadline = l7test.Deadline(self.LIFETIME)
        self._stop = threading.Event()
        self._threads = []
        self._start(self._accept)

    def _start(self, target, *args):
        t = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(t)
        t.start()

    def alive(self):
        return not self._stop.is_set() and not self.deadline.expired()

    def _accept(self):
        while self.alive():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._start(self.serve, conn)

    def close(self):
        self._stop.set()
        self.sock.close()
        for t in self._threads:
            t.join(timeout=5)


class MetadataLiar(Stoppable):
    """A Python peer that speaks BEP 10, advertises ut_metadata and a metadata_size of
    len(metadata) (or `size`), and answers each request with that piece of `metadata`. It has
    no pieces of the data. Records what it was asked; .closed is set when l7 hangs up."""

    def __init__(self, info_hash, addr, metadata, size=None):
        self.info_hash, self.metadata = info_hash, metadata
        self.size = len(metadata) if size is None else size
        self.asked, self.answered = [], threading.Event()
        self.extended, self.closed = threading.Event(), threading.Event()
        super().__init__(addr)

    def serve(self, conn):
        conn.settimeout(1.0)
        try:
            with conn:
                if read_exact(conn, 68)[28:48] != self.info_hash:
                    return
                theirs = {}
                ours = bencode({"m": {"ut_metadata": LIAR_UT_METADATA},
                                "metadata_size": self.size, "v": "PY metadata liar"})
                conn.sendall(handshake(self.info_hash, b"-PY0001-metadataliar", EXTENSION_BIT)
                             + message(EXTENDED, b"\x00" + ours))
                self.extended.set()
                for _ in range(1000):  # bounded: l7 asks for one piece, maybe twice
                    try:
                        length = struct.unpack(">I", read_exact(conn, 4))[0]
                    except socket.timeout:
                        if not self.alive():
                            return
                        continue
                    body = read_exact(conn, min(length, 1 << 20)) if length else b""
                    if body[:1] != bytes([EXTENDED]) or len(body) < 2:
                        continue
                    if body[1] == 0:
                        theirs = bdecode(body[2:]).get(b"m", {})
                    elif body[1] == LIAR_UT_METADATA and b"ut_metadata" in theirs:
                        request, _ = bdecode_prefix(body[2:])
                        if request.get(b"msg_type") != 0:
                            continue
                        piece = request[b"piece"]
                        self.asked.append(piece)
                        data = self.metadata[piece * META_PIECE:(piece + 1) * META_PIECE]
                        conn.sendall(message(EXTENDED, bytes([theirs[b"ut_metadata"]]) + bencode(
                            {"msg_type": 1, "piece": piece, "total_size": self.size}) + data))
                        self.answered.set()
        except (OSError, EOFError, ValueError, KeyError, AttributeError):
            pass
        finally:
            self.closed.set()


class HoldingProxy(Stoppable):
    """Forwards each connection made to it (on `addr`) to `target` ("host:port"); what the
    target sends back is held until release() (at most LIFETIME seconds)."""

    def __init__(self, target, addr):
        self.target, self.addr = target, addr
        self.released = threading.Event()
        super().__init__(addr)

    def release(self):
        self.released.set()

    def serve(self, conn):
        host, port = self.target.split(":")
        try:
            up = socket.create_connection((host, int(port)), timeout=l7test.IO_TIMEOUT,
                                          source_address=(self.addr, 0))
        except OSError:
            conn.close()
            return
        self._start(self._pump, conn, up, False)
        self._pump(up, conn, True)

    def _pump(self, src, dst, hold):
        src.settimeout(0.2)
        try:
            while self.alive():
                try:
                    data = src.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                if hold:
                    self.released.wait(max(0.0, self.deadline.remaining()))
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            src.close()


class HostileMetadataTest(MagnetCase):
    """No namespace: these peers are Python sockets on 127.0.0.x."""

    use_netns = False

    def hostile_and_honest(self, make_hostile):
        """An honest l7 seed behind a HoldingProxy on 127.0.0.9, a hostile peer from
        make_hostile(info_hash, info), and an l7 get of the link given both with --peer
        (hostile first); returns (get, out, hostile, proxy), all running."""
        torrent, info_hash = self.torrent("http://127.0.0.1:9/announce")
        _, where = self.seed(torrent, "--no-tracker", tracked=False)
        hostile = make_hostile(info_hash, self.info(torrent, info_hash))
        self.addCleanup(hostile.close)
        proxy = HoldingProxy(where, "127.0.0.9")
        self.addCleanup(proxy.close)
        get, out = self.get(self.magnet(torrent), "--peer", hostile.hostport, "--peer",
                            proxy.hostport, "--no-tracker", "-v", "--trace")
        return get, out, hostile, proxy

    def wait(self, what, predicate, get, timeout=30):
        l7test.wait_until(lambda: predicate() or not get.running(), timeout, interval=0.05,
                          what=what)
        if not predicate():
            self.fail("l7 exited before %s:\n%s" % (what, get.describe()))

    def lied_to(self):
        """A get that met a MetadataLiar on 127.0.0.8 first, then the seed; (get, out, liar)
        once the get is complete."""
        def liar(info_hash, info):
            # Valid bencoding of the right length, another name: not the info-hash's.
            forged = info.replace(b"8:data.bin", b"8:evil.bin")
            self.assertNotEqual(forged, info)
            return MetadataLiar(info_hash, "127.0.0.8", forged)
        get, out, liar_peer, proxy = self.hostile_and_honest(liar)
        try:
            self.wait("the liar's answer", liar_peer.answered.is_set, get)
            self.wait("l7 to close the liar", liar_peer.closed.is_set, get, timeout=15)
        finally:
            proxy.release()
        self.assertComplete(get, out)
        return get, out, liar_peer

    def test_metadata_that_fails_the_info_hash_is_dropped(self):
        get, out, liar_peer = self.lied_to()
        self.assertMetadataVerified(get)
        self.assertEqual(liar_peer.asked[:1], [0])
        self.assertLog(get, r"127\.0\.0\.8:\d+: closing: .*(info-hash|metadata)")
        self.assertLog(get, r"%s:\d+: %s" % (re.escape("127.0.0.9"),
                                             metadata_rx("recv", "data")))
        self.assertEqual(os.listdir(out), ["data.bin"])

    # l7 closes the liar with "gave metadata that does not match the info-hash: banned", and
    # the ban outlives the metadata fetch: the pieces' step does not dial it again.
    def test_the_banned_liar_is_not_dialled_again(self):
        get, _, _ = self.lied_to()
        log = get.stderr()
        banned = re.search(r"127\.0\.0\.8:\d+: closing: .*banned", log)
        self.assertTrue(banned, log)
        later = log[banned.end():]
        self.assertNotRegex(later, r"127\.0\.0\.8:\d+: (connected|send handshake)")

    # BEP 9 sets no bound on metadata_size; l7's is 16 MiB. A peer claiming 100 MiB must not
    # make l7 fetch 6400 pieces from it, nor stop it from fetching the seed's 1 piece.
    def test_a_metadata_size_of_100_mib_is_not_fetched(self):
        def huge(info_hash, info):
            return MetadataLiar(info_hash, "127.0.0.10", b"\x00" * META_PIECE,
                                size=100 * 1024 * 1024)
        get, out, big, proxy = self.hostile_and_honest(huge)
        try:
            self.wait("the 100 MiB peer's extended handshake", big.extended.is_set, get)
            try:  # l7 may close it at once (its bound) or leave it be; either is fine
                l7test.wait_until(lambda: big.closed.is_set() or big.asked, 5, interval=0.05)
            except AssertionError:
                pass
        finally:
            proxy.release()
        self.assertComplete(get, out)
        self.assertMetadataVerified(get)
        self.assertEqual(big.asked, [], "l7 asked the 100 MiB peer for metadata pieces")


# --- usage errors ----------------------------------------------------------------------------


class UsageTest(l7test.TestCase):
    HASH = "0123456789abcdef0123456789abcdef01234567"

    def usage_error(self, link, *extra):
        out = tempfile.mkdtemp(prefix="l7-magnet-")
        self.addCleanup(shutil.rmtree, out, True)
        args = ["torrent", "get", link, "-o", out] + list(extra)
        cp = l7test.run_l7(args, timeout=30)
        self.assertUsageError(cp, args)
        self.assertEqual(os.listdir(out), [], "it wrote files")
        return cp.stderr

    def test_malformed_links(self):
        for link, rx in (("magnet:?xt=urn:btih:zz", r"info-hash|btih"),
                         ("magnet:?xt=urn:btih:" + "g" * 40, r"info-hash|btih"),
                         ("magnet:?xt=urn:btih:" + self.HASH[:39], r"info-hash|btih"),
                         ("magnet:?dn=data.bin&tr=http%3A%2F%2F127.0.0.1%3A9%2F",
                          r"xt|info-hash|btih"),
                         ("magnet:?xt=urn:sha1:" + self.HASH + "&x.pe=127.0.0.2:1",
                          r"xt|info-hash|btih")):
            with self.subTest(link=link):
                err = self.usage_error(link, "--peer", "127.0.0.2:1")
                self.assertRegex(err, r"(?i)magnet")
                self.assertRegex(err, rx)

    def test_a_link_with_no_tracker_and_no_peer(self):
        bare = "magnet:?xt=urn:btih:%s&dn=data.bin" % self.HASH
        tracked = bare + "&tr=http%3A%2F%2F127.0.0.1%3A9%2Fannounce"
        for link, extra in ((bare, []), (tracked, ["--no-tracker"])):
            with self.subTest(link=link, extra=extra):
                err = self.usage_error(link, *extra)
                self.assertRegex(err, r"(?i)no tracker.* no peer")


if __name__ == "__main__":
    l7test.main()
