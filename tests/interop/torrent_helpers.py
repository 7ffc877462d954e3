"""Shared helpers for the BitTorrent interop tests (torrent_peers.py, torrent_tracker.py,
torrent_magnet.py); stdlib only.

  * Proc: any program in the background (inside a network namespace if given), its output in
    files, with l7test.L7Process's wait_for/wait/stop/close;
  * netns_add/netns_delete: a loopback-only network namespace, and its removal (whatever it
    still runs, all started by the test, is killed by pid first). Real clients reach for DHT,
    LSD and UPnP and keep one peer per IP, so swarms run in one, every peer on its own
    127.0.0.x;
  * SwarmCase: a class-wide namespace, a 3 MiB random file in 256 KiB pieces, and l7 seeds,
    gets and a tracker started in it;
  * bencode/bdecode, and the BEP 3 handshake and message framing for peers made of sockets;
  * LT_SCRIPT: a python3-libtorrent peer (Debian's, run by /usr/bin/python3 in a child).
"""

import json
import os
import re
import signal
import struct
import subprocess
import tempfile
import unittest

import l7test

PY = "/usr/bin/python3"
PIECE = 256 * 1024
BLOCK = 16 * 1024
SIZE = 12 * PIECE
TRACKER_ADDR, SEED_ADDR, GET_ADDR = "127.0.0.1", "127.0.0.2", "127.0.0.3"
TRACKER_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+) \(http\)"
ARIA2_ADDR, TR_ADDR, LT_ADDR = "127.0.0.5", "127.0.0.6", "127.0.0.7"
RUN = 60.0  # for one download, start to finish
CLIENT = 90.0  # for a third-party client's download (it announces at its own pace)


def listen_re(addr):
    """l7's log line for a peer listener on `addr`; group 1 is the port."""
    return r"listening on tcp %s:(\d+) \(bittorrent\)" % re.escape(addr)


def have_libtorrent():
    return subprocess.run([PY, "-c", "import libtorrent"], capture_output=True,
                          timeout=30).returncode == 0


# --- processes and namespaces ----------------------------------------------------------------


class Proc(l7test.L7Process):
    """Any background program (in network namespace `ns` unless None), output to files."""

    def __init__(self, argv, ns=None):
        self.args = (["ip", "netns", "exec", ns] if ns else []) + list(argv)
        self._dir = tempfile.TemporaryDirectory(prefix="l7-torrent-")
        self.stdout_path = os.path.join(self._dir.name, "stdout")
        self.stderr_path = os.path.join(self._dir.name, "stderr")
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, env=l7test.clean_env())
        self.returncode = None

    def describe(self):
        return "%s (exit %s)\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            " ".join(self.args), self.proc.poll(), self.stdout()[-3000:], self.stderr()[-5000:])

    def output(self):
        return self.stdout() + self.stderr()


def netns_add(name):
    """Creates namespace `name` with `lo` up; returns None, or why it could not."""
    add = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True,
                         timeout=30)
    if add.returncode != 0:
        return "ip netns add failed: " + add.stderr.strip()
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True, timeout=30)
    return None


def netns_delete(name):
    """Kills by pid whatever still runs in namespace `name` (the test started it all), then
    deletes the namespace."""
    pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True,
                          timeout=30).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    subprocess.run(["ip", "netns", "delete", name], timeout=30)


class SwarmCase(l7test.TestCase):
    """A network namespace (none when use_netns is False), a random file and helpers to run a
    swarm of l7 peers in it."""

    use_netns = True

    @classmethod
    def setUpClass(cls):
        cls.ns = None
        cls.tmp = tempfile.TemporaryDirectory(prefix="l7-torrent-")
        try:
            if cls.use_netns:
                name = "l7tp-%d-%s" % (os.getpid(), cls.__name__[:12])
                why = netns_add(name)
                if why:
                    raise unittest.SkipTest(why)
                cls.ns = name
            cls.src = os.path.join(cls.tmp.name, "src")
            os.mkdir(cls.src)
            cls.data = os.urandom(SIZE)
            cls.data_path = os.path.join(cls.src, "data.bin")
            with open(cls.data_path, "wb") as f:
                f.write(cls.data)
        except BaseException:
            cls.tearDownClass()
            raise
        cls.next_port = 31000

    @classmethod
    def tearDownClass(cls):
        if cls.ns:
            netns_delete(cls.ns)
            cls.ns = None
        cls.tmp.cleanup()

    # --- processes and files ---

    def port(self):
        """A port for a client that needs a fixed one: the namespace is ours, all are free."""
        type(self).next_port += 1
        return self.next_port

    def spawn(self, argv):
        p = Proc(argv, self.ns)
        self._procs.append(p)
        return p

    def l7(self, *args):
        return self.spawn([l7test.l7(), "torrent"] + list(args))

    def mkdir(self, name):
        return tempfile.mkdtemp(prefix=name + "-", dir=self.tmp.name)

    def tracker(self, *extra):
        """`l7 torrent tracker` on 127.0.0.1 (HTTP and UDP on one port); returns (proc, port)."""
        p = self.l7("tracker", "--listen", TRACKER_ADDR + ":0", "--interval", "2s", *extra)
        return p, int(p.wait_for(TRACKER_LISTEN_RE).group(1))

    def torrent(self, *trackers, piece_size="256k"):
        """A .torrent of the class's file; returns (path, info hash bytes)."""
        path = os.path.join(self.mkdir("torrent"), "data.torrent")
        args = ["torrent", "create", self.data_path, "--piece-size", piece_size, "-o", path]
        for t in trackers:
            args += ["-t", t]
        cp = l7test.run_l7(args)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        m = re.search(r"info hash ([0-9a-f]{40})", cp.stdout)
        self.assertTrue(m, cp.stdout)
        return path, bytes.fromhex(m.group(1))

    def tracked_torrent(self, kind="http"):
        """A tracker and a torrent naming it (kind: http, udp or both)."""
        _, port = self.tracker()
        urls = {"http": ["http://127.0.0.1:%d/announce" % port],
                "udp": ["udp://127.0.0.1:%d" % port]}
        return self.torrent(*urls.get(kind, urls["http"] + urls["udp"]))[0]

    def seed(self, torrent, *extra, addr=SEED_ADDR, tracked=True):
        """`l7 torrent seed` on addr:0, listening (and announced); returns (proc, "addr:port")."""
        p = self.l7("seed", torrent, self.data_path, "--listen", addr + ":0",
                    "--announce-interval", "2s", *extra)
        port = int(p.wait_for(listen_re(addr)).group(1))
        if tracked:
            p.wait_for(r"announce \(started\) to ")
        return p, "%s:%d" % (addr, port)

    def get(self, torrent, *extra, addr=GET_ADDR, port=0):
        """`l7 torrent get` into a new directory; returns (proc, directory)."""
        out = self.mkdir("get")
        p = self.l7("get", torrent, "-o", out, "--listen", "%s:%d" % (addr, port),
                    "--announce-interval", "2s", *extra)
        return p, out

    # --- third-party clients, each on its own address ---

    def aria2c(self, directory, torrent, *extra):
        """aria2c on 127.0.0.5 (no DHT, LPD, PEX) for `torrent` (a file or a magnet link)."""
        return self.spawn(["aria2c", "--interface=" + ARIA2_ADDR, "--enable-dht=false",
                           "--enable-dht6=false", "--bt-enable-lpd=false",
                           "--enable-peer-exchange=false", "--listen-port=%d" % self.port(),
                           "--dir=" + directory, "--summary-interval=0",
                           "--console-log-level=notice", "--file-allocation=none"]
                          + list(extra) + [torrent])

    def transmission_daemon(self):
        """A transmission-daemon with peers on 127.0.0.6, RPC on 127.0.0.1; returns remote(),
        which runs transmission-remote with its arguments: (exit code, output)."""
        home, rpc = self.mkdir("transmission"), self.port()
        settings = {"dht-enabled": False, "lpd-enabled": False, "pex-enabled": False,
                    "utp-enabled": False, "port-forwarding-enabled": False, "encryption": 0,
                    "peer-port": self.port(), "peer-port-random-on-start": False,
                    "bind-address-ipv4": TR_ADDR, "rpc-enabled": True,
                    "rpc-bind-address": "127.0.0.1", "rpc-port": rpc,
                    "rpc-whitelist": "127.0.0.1", "rpc-authentication-required": False,
                    "rpc-host-whitelist-enabled": False, "download-dir": home,
                    "incomplete-dir-enabled": False, "ratio-limit-enabled": False,
                    "idle-seeding-limit-enabled": False, "message-level": 2}
        with open(os.path.join(home, "settings.json"), "w") as f:
            json.dump(settings, f)
        self.daemon_proc = self.spawn(["transmission-daemon", "-f", "-g", home])

        def remote(*args):
            cp = subprocess.run(["ip", "netns", "exec", self.ns, "transmission-remote",
                                 "127.0.0.1:%d" % rpc] + list(args),
                                capture_output=True, text=True, timeout=30)
            return cp.returncode, cp.stdout + cp.stderr
        l7test.wait_until(lambda: remote("-l")[0] == 0, 30, interval=0.2,
                          what="transmission's RPC\n" + self.daemon_proc.describe())
        return remote

    def transmission_wait_done(self, remote, ident=1, timeout=CLIENT):
        """Until transmission's torrent `ident` (1: the first added) is at 100% (bounded)."""
        def done():
            return "Percent Done: 100%" in remote("-t", str(ident), "-i")[1]
        try:
            l7test.wait_until(done, timeout, interval=0.5, what="transmission at 100%")
        except AssertionError:
            raise AssertionError("transmission did not complete:\n"
                                 + remote("-t", str(ident), "-i")[1]
                                 + self.daemon_proc.describe()) from None

    def libtorrent(self, mode, torrent, directory):
        """LT_SCRIPT on 127.0.0.7 (mode "leech" or "seed"; torrent a file or a magnet link)."""
        return self.spawn([PY, "-c", LT_SCRIPT, mode, torrent, directory,
                           "%s:%d" % (LT_ADDR, self.port()), str(CLIENT)])

    # --- assertions ---

    def assertComplete(self, proc, directory, timeout=RUN):
        """The program exits 0 in time and `directory` holds the file, byte for byte."""
        code = proc.wait(timeout)
        self.assertEqual(code, 0, proc.describe())
        self.assertSameData(os.path.join(directory, "data.bin"), proc)

    def assertLog(self, proc, rx):
        """`rx` (a regex) matches a line of proc's output."""
        if not re.search(rx, proc.output(), re.M):
            self.fail("no %r in the output of %s" % (rx, proc.describe()))

    def assertSameData(self, path, proc=None):
        with open(path, "rb") as f:
            got = f.read()
        where = proc.describe() if proc else path
        self.assertEqual(len(got), SIZE, where)
        self.assertTrue(got == self.data, "downloaded bytes differ from the original\n" + where)

    def pieces_matching(self, path):
        """Indexes of the pieces of `path` that equal the original's."""
        with open(path, "rb") as f:
            got = f.read()
        return {i for i in range(SIZE // PIECE)
                if got[i * PIECE:(i + 1) * PIECE] == self.data[i * PIECE:(i + 1) * PIECE]}


# --- bencoding (BEP 3) -----------------------------------------------------------------------


def bencode(v):
    """Bencoding of ints, bytes/str, lists and dicts (keys sorted, as BEP 3 requires)."""
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError("cannot bencode %r" % type(v))


def bdecode_prefix(data):
    """(value, end): the bencoded value at the start of `data` and where it ends (dictionary
    keys as bytes); ValueError if bad."""
    def value(i):
        c = data[i:i + 1]
        if c == b"i":
            end = data.index(b"e", i)
            return int(data[i + 1:end]), end + 1
        if c.isdigit():
            colon = data.index(b":", i)
            n = int(data[i:colon])
            if colon + 1 + n > len(data):
                raise ValueError("string past the end")
            return data[colon + 1:colon + 1 + n], colon + 1 + n
        if c in (b"l", b"d"):
            items, i = [], i + 1
            while data[i:i + 1] != b"e":  # at the end, value() raises
                v, i = value(i)
                items.append(v)
            if c == b"l":
                return items, i + 1
            return dict(zip(items[0::2], items[1::2])), i + 1
        raise ValueError("bad bencoding at %d: %r" % (i, data[i:i + 20]))
    return value(0)


def bdecode(data):
    """The value of a whole bencoded message (dictionary keys as bytes); ValueError if bad."""
    v, end = bdecode_prefix(data)
    if end != len(data):
        raise ValueError("trailing bytes after the value")
    return v


# --- the peer wire by hand (BEP 3) -----------------------------------------------------------


def handshake(info_hash, peer_id=b"-PY0001-hostile-peer", reserved=bytes(8)):
    """BEP 3: pstrlen 19, "BitTorrent protocol", 8 reserved bytes, info_hash, peer_id."""
    return b"\x13BitTorrent protocol" + reserved + info_hash + peer_id


def message(ident, payload=b""):
    """BEP 3: a 4-byte big-endian length (id + payload), the id, the payload."""
    return struct.pack(">IB", 1 + len(payload), ident) + payload


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


# --- python3-libtorrent ----------------------------------------------------------------------

# A libtorrent peer: MODE TORRENT SAVE_DIR LISTEN LIMIT. TORRENT is a .torrent file or a
# magnet link. It prints its alerts, and "SEEDING" once it has the whole torrent; in mode
# "leech" it then exits 0, in mode "seed" it stays so that others can download from it. After
# LIMIT seconds it prints TIMEOUT and its state, and exits 1. No DHT, LSD, UPnP, NAT-PMP, uTP.
LT_SCRIPT = r"""
import sys, time
import libtorrent as lt
mode, torrent, save, iface, limit = sys.argv[1:6]
cat = lt.alert.category_t
s = lt.session({"listen_interfaces": iface, "enable_dht": False, "enable_lsd": False,
                "enable_upnp": False, "enable_natpmp": False, "dht_bootstrap_nodes": "",
                "enable_outgoing_utp": False, "enable_incoming_utp": False,
                "allow_multiple_connections_per_ip": True,
                "alert_mask": cat.error_notification | cat.status_notification
                              | cat.peer_notification | cat.tracker_notification})
if torrent.startswith("magnet:"):
    p = lt.parse_magnet_uri(torrent)
else:
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
p.save_path = save
h = s.add_torrent(p)
end, said = time.monotonic() + float(limit), False
while time.monotonic() < end:
    for a in s.pop_alerts():
        print(a.what(), a.message(), flush=True)
    st = h.status()
    if st.is_seeding and not said:
        print("SEEDING", flush=True)
        said = True
        if mode == "leech":
            s.pause()
            time.sleep(0.5)
            sys.exit(0)
    time.sleep(0.1)
print("TIMEOUT", st.state, st.progress, st.num_peers, flush=True)
sys.exit(1)
"""
