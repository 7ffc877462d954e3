#!/usr/bin/python3
"""`l7 torrent create|show`, metainfo files (BEP 3 version 1, BEP 12 announce-list, BEP 27
private), against the torrent makers and readers people use: mktorrent 1.1, transmission-create
and transmission-show 3.00 (Debian packages mktorrent and transmission-cli) and libtorrent
(python3-libtorrent). Each peer's part is skipped when it is not installed; a reference
written here (Python's hashlib over bencoding written by hand, byte for byte what mktorrent's
output.c writes) always runs, so l7's bytes are checked even without the tools.

Contents: a single 300 KB file, and a tree with nested directories whose names sort
differently byte-wise ("b.txt" before "b/...", as strcmp orders them) than component-wise;
at two piece sizes, 32 KiB and 256 KiB. Checked:
  * l7's info dictionary is the reference's bytes exactly (files in byte-wise path order,
    keys files/length, name, piece length, pieces, and private only with --private);
  * l7's info-hash equals mktorrent's, public and private;
  * transmission-create: equal info-hash for private torrents; for public ones its info
    dictionary is l7's plus "private" 0 (what transmission 3.00 always writes);
  * transmission-show reads l7's torrent and prints the same hash and files; l7 torrent show
    reads mktorrent's and transmission's and prints their hash and files;
  * libtorrent's torrent_info agrees on the hash and the files of l7's torrents;
  * usage errors of `l7 torrent create|show` exit 2 with one line; a tree with a symbolic
    link or a FIFO, and a hostile torrent with "..", exit 1 naming the problem."""

import hashlib
import itertools
import os
import random
import re
import shutil
import subprocess
import tempfile
import unittest

import l7test
from l7test import RUN_TIMEOUT

MKTORRENT = shutil.which("mktorrent")
TR_CREATE = shutil.which("transmission-create")
TR_SHOW = shutil.which("transmission-show")
try:
    import libtorrent as lt  # Debian's python3-libtorrent
except ImportError:
    lt = None

TRACKER = "http://127.0.0.1:6969/announce"
PIECE_SIZES = (32 * 1024, 256 * 1024)
SERIAL = itertools.count()  # output file names

# The tree: relative path -> size. Names are lowercase (transmission-create sorts without
# case, mktorrent with strcmp: the same order here) and no file is empty or hidden
# (transmission-create leaves those out).
TREE = {
    "a.txt": 1000,
    "b.txt": 70001,
    "b/c.bin": 100000,
    "b/d/e.dat": 33000,
    "b/d/f.txt": 5,
    "b/g/h": 65536,
    "z.bin": 40000,
}


# --- bencoding, as a reference -------------------------------------------------------------


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:" % len(v) + v
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(type(v))


def bdecode(data, i=0, spans=None):
    """(value, end); with `spans`, the top-level dictionary's raw value bytes by key."""
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c.isdigit():
        colon = data.index(b":", i)
        n = int(data[i:colon])
        return data[colon + 1:colon + 1 + n], colon + 1 + n
    if c == b"l":
        out, i = [], i + 1
        while data[i:i + 1] != b"e":
            v, i = bdecode(data, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        out, i = {}, i + 1
        while data[i:i + 1] != b"e":
            k, i = bdecode(data, i)
            start = i
            v, i = bdecode(data, i)
            out[k] = v
            if spans is not None:
                spans[k] = data[start:i]
        return out, i + 1
    raise ValueError("bad bencoding at %d" % i)


def raw_info(path):
    with open(path, "rb") as f:
        data = f.read()
    spans = {}
    top, end = bdecode(data, 0, spans)
    assert end == len(data), "trailing bytes in " + path
    return top, spans[b"info"]


def info_hash(path):
    return hashlib.sha1(raw_info(path)[1]).hexdigest()


def reference_info(root, piece_length, private=False):
    """The info dictionary mktorrent writes for `root` (output.c: the files sorted with strcmp
    on their path below root, private only when set)."""
    name = os.path.basename(os.path.normpath(root))
    if os.path.isfile(root):
        files = [(name, root)]
    else:
        files = []
        for d, _, names in os.walk(root):
            for n in names:
                full = os.path.join(d, n)
                files.append((os.path.relpath(full, root), full))
        files.sort(key=lambda f: f[0].encode())
    content = b""
    for _, full in files:
        with open(full, "rb") as f:
            content += f.read()
    pieces = b"".join(hashlib.sha1(content[i:i + piece_length]).digest()
                      for i in range(0, len(content), piece_length))
    info = {"name": name, "piece length": piece_length, "pieces": pieces}
    if os.path.isfile(root):
        info["length"] = len(content)
    else:
        info["files"] = [{"length": os.path.getsize(full), "path": rel.split("/")}
                         for rel, full in files]
    if private:
        info["private"] = 1
    return bencode(info)


def make_content(base):
    """single.bin (300 KB) and tree/ under `base`, random but the same on every run."""
    rng = random.Random(8)
    single = os.path.join(base, "single.bin")
    with open(single, "wb") as f:
        f.write(rng.randbytes(300 * 1000))
    tree = os.path.join(base, "tree")
    for rel, size in TREE.items():
        full = os.path.join(tree, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(rng.randbytes(size))
    return single, tree


def run(args, cwd=None):
    try:
        return subprocess.run(args, capture_output=True, timeout=RUN_TIMEOUT, cwd=cwd,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise AssertionError("%s did not finish within %.0f s" % (args[0], RUN_TIMEOUT))


def size_arg(piece_length):
    return "%dk" % (piece_length // 1024)


class TorrentCase(l7test.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="l7-torrent-")
        cls.single, cls.tree = make_content(cls.dir)
        cls.out = os.path.join(cls.dir, "out")
        os.mkdir(cls.out)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def output(self, label):
        return os.path.join(self.out, "%s-%d.torrent" % (label, next(SERIAL)))

    def l7_create(self, path, piece_length, private=False, extra=()):
        out = self.output("l7")
        args = ["torrent", "create", path, "--piece-size", size_arg(piece_length),
                "--tracker", TRACKER, "-o", out] + list(extra)
        if private:
            args.append("--private")
        cp = l7test.run_l7(args)
        self.assertEqual(cp.returncode, 0, "l7 %s\n%s" % (" ".join(args), cp.stderr))
        m = re.search(r"info hash ([0-9a-f]{40})", cp.stdout)
        self.assertIsNotNone(m, cp.stdout)
        self.assertEqual(m.group(1), info_hash(out), "the hash l7 prints is the file's")
        return out

    def l7_show(self, path):
        cp = l7test.run_l7(["torrent", "show", path])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        return cp.stdout

    def contents(self):
        """(label, path) for the single file and the tree."""
        return (("single", self.single), ("tree", self.tree))

    def expected_files(self, path):
        """The files `l7 torrent show` lists: paths below the torrent's directory."""
        if os.path.isfile(path):
            return [os.path.basename(path)]
        return sorted(TREE, key=str.encode)


class Reference(TorrentCase):
    """l7 against the reference bytes (always runs)."""

    def test_info_dictionary_is_the_reference(self):
        for label, path in self.contents():
            for piece_length in PIECE_SIZES:
                for private in (False, True):
                    with self.subTest(content=label, piece_length=piece_length, private=private):
                        out = self.l7_create(path, piece_length, private)
                        top, raw = raw_info(out)
                        self.assertEqual(raw, reference_info(path, piece_length, private))
                        self.assertEqual(top[b"announce"], TRACKER.encode())
                        self.assertNotIn(b"announce-list", top)  # one tracker: no list
                        self.assertTrue(top[b"created by"].startswith(b"l7 "))
                        self.assertIsInstance(top[b"creation date"], int)

    def test_show_prints_hash_files_and_magnet(self):
        out = self.l7_create(self.tree, 32 * 1024, extra=["--comment", "nested tree",
                                                          "--tracker", "udp://127.0.0.1:6969"])
        text = self.l7_show(out)
        digest = info_hash(out)
        self.assertRegex(text, r"(?m)^info hash: +%s$" % digest)
        self.assertRegex(text, r"(?m)^name: +tree$")
        self.assertRegex(text, r"(?m)^total size: .*\(%d bytes\)$" % sum(TREE.values()))
        self.assertRegex(text, r"(?m)^piece size: .*\(32768 bytes\)$")
        pieces = (sum(TREE.values()) + 32767) // 32768
        self.assertRegex(text, r"(?m)^pieces: +%d$" % pieces)
        self.assertRegex(text, r"(?m)^private: +no$")
        self.assertRegex(text, r"(?m)^comment: +nested tree$")
        self.assertRegex(text, r"(?m)^  tier 1: %s$" % re.escape(TRACKER))
        self.assertRegex(text, r"(?m)^  tier 2: udp://127\.0\.0\.1:6969$")
        listed = re.findall(r"(?m)^  (\S+)  (\d+) bytes$", text)
        self.assertEqual(listed, [(rel, str(TREE[rel])) for rel in self.expected_files(self.tree)])
        self.assertRegex(text, r"(?m)^magnet: +magnet:\?xt=urn:btih:%s&dn=tree&tr=http%%3A" % digest)

    def test_default_piece_size_follows_transmission(self):
        out = self.output("default")
        cp = l7test.run_l7(["torrent", "create", self.single, "-o", out])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        top, raw = raw_info(out)
        self.assertEqual(bdecode(raw)[0][b"piece length"], 32 * 1024)  # under 50 MiB
        self.assertNotIn(b"announce", top)

    def test_hidden_and_empty_files_are_included(self):
        base = tempfile.mkdtemp(dir=self.dir)
        root = os.path.join(base, "withdots")
        os.makedirs(os.path.join(root, ".git"))
        os.makedirs(os.path.join(root, "emptydir"))
        for rel, data in ((".hidden", b"h"), (".git/config", b"[core]\n"), ("empty", b""),
                          ("Upper", b"U"), ("lower", b"l")):
            with open(os.path.join(root, rel), "wb") as f:
                f.write(data)
        out = self.output("dots")
        cp = l7test.run_l7(["torrent", "create", root, "-o", out, "--piece-size", "16k"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("emptydir", cp.stderr)  # left out, with a warning
        _, raw = raw_info(out)
        self.assertEqual(raw, reference_info(root, 16 * 1024))
        paths = [b"/".join(f[b"path"]) for f in bdecode(raw)[0][b"files"]]
        self.assertEqual(paths, [b".git/config", b".hidden", b"Upper", b"empty", b"lower"])


@unittest.skipUnless(MKTORRENT, "mktorrent is not installed")
class Mktorrent(TorrentCase):
    def mktorrent(self, path, piece_length, private=False):
        out = self.output("mktorrent")
        args = [MKTORRENT, "-l", str(piece_length.bit_length() - 1), "-a", TRACKER, "-o", out]
        if private:
            args.append("-p")
        cp = run(args + [path])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        return out

    def test_same_info_hash(self):
        for label, path in self.contents():
            for piece_length in PIECE_SIZES:
                for private in (False, True):
                    with self.subTest(content=label, piece_length=piece_length, private=private):
                        ours = self.l7_create(path, piece_length, private)
                        theirs = self.mktorrent(path, piece_length, private)
                        self.assertEqual(raw_info(ours)[1], raw_info(theirs)[1])
                        self.assertEqual(info_hash(ours), info_hash(theirs))

    def test_l7_shows_mktorrents_torrent(self):
        for label, path in self.contents():
            with self.subTest(content=label):
                theirs = self.mktorrent(path, 256 * 1024)
                text = self.l7_show(theirs)
                self.assertRegex(text, r"(?m)^info hash: +%s$" % info_hash(theirs))
                self.assertRegex(text, r"(?m)^created by: +mktorrent")
                listed = re.findall(r"(?m)^  (\S+)  \d+ bytes$", text)
                self.assertEqual(listed, self.expected_files(path))


@unittest.skipUnless(TR_CREATE, "transmission-create is not installed")
class TransmissionCreate(TorrentCase):
    def transmission_create(self, path, piece_length, private=False):
        out = self.output("transmission")
        args = [TR_CREATE, "-s", str(piece_length // 1024), "-t", TRACKER, "-o", out]
        if private:
            args.append("-p")
        cp = run(args + [path])
        # transmission-create 3.00 exits 0 even when it failed: the file tells.
        self.assertTrue(os.path.isfile(out), cp.stdout + cp.stderr)
        return out

    def test_same_info_hash_when_private(self):
        for label, path in self.contents():
            for piece_length in PIECE_SIZES:
                with self.subTest(content=label, piece_length=piece_length):
                    ours = self.l7_create(path, piece_length, private=True)
                    theirs = self.transmission_create(path, piece_length, private=True)
                    self.assertEqual(info_hash(ours), info_hash(theirs))

    def test_public_differs_only_by_private_zero(self):
        for label, path in self.contents():
            for piece_length in PIECE_SIZES:
                with self.subTest(content=label, piece_length=piece_length):
                    ours = self.l7_create(path, piece_length)
                    theirs = self.transmission_create(path, piece_length)
                    info = bdecode(raw_info(theirs)[1])[0]
                    self.assertEqual(info.pop(b"private", 0), 0)
                    self.assertEqual(bencode(info), raw_info(ours)[1])

    def test_l7_shows_transmissions_torrent(self):
        for label, path in self.contents():
            with self.subTest(content=label):
                theirs = self.transmission_create(path, 32 * 1024, private=True)
                text = self.l7_show(theirs)
                self.assertRegex(text, r"(?m)^info hash: +%s$" % info_hash(theirs))
                self.assertRegex(text, r"(?m)^private: +yes$")
                listed = re.findall(r"(?m)^  (\S+)  \d+ bytes$", text)
                self.assertEqual(listed, self.expected_files(path))


@unittest.skipUnless(TR_SHOW, "transmission-show is not installed")
class TransmissionShow(TorrentCase):
    def test_reads_l7s_torrents(self):
        for label, path in self.contents():
            for private in (False, True):
                with self.subTest(content=label, private=private):
                    ours = self.l7_create(path, 256 * 1024, private)
                    cp = run([TR_SHOW, ours])
                    text = cp.stdout.decode("utf-8", "replace")
                    self.assertEqual(cp.returncode, 0, text + cp.stderr.decode())
                    self.assertRegex(text, r"(?m)^\s*Hash: %s$" % info_hash(ours))
                    self.assertRegex(text, r"(?m)^\s*Privacy: %s" %
                                     ("Private" if private else "Public"))
                    files = text[text.index("FILES"):]
                    name = os.path.basename(path)
                    for rel in self.expected_files(path):
                        shown = rel if os.path.isfile(path) else name + "/" + rel
                        self.assertIn("  %s (" % shown, files)


@unittest.skipUnless(lt is not None, "python3-libtorrent is not installed")
class Libtorrent(TorrentCase):
    def test_reads_l7s_torrents(self):
        for label, path in self.contents():
            for piece_length in PIECE_SIZES:
                with self.subTest(content=label, piece_length=piece_length):
                    ours = self.l7_create(path, piece_length)
                    ti = lt.torrent_info(ours)
                    self.assertEqual(str(ti.info_hash()), info_hash(ours))
                    self.assertEqual(ti.piece_length(), piece_length)
                    fs = ti.files()
                    paths = [fs.file_path(i).replace(os.sep, "/") for i in range(fs.num_files())]
                    name = os.path.basename(path)
                    expected = [rel if os.path.isfile(path) else name + "/" + rel
                                for rel in self.expected_files(path)]
                    self.assertEqual(paths, expected)


class Errors(TorrentCase):
    def test_create_usage_errors(self):
        existing = self.output("existing")
        with open(existing, "wb") as f:
            f.write(b"keep me")
        missing_dir = os.path.join(self.dir, "no-such-dir", "x.torrent")
        for args in (
            ["torrent", "create"],
            ["torrent", "create", os.path.join(self.dir, "does-not-exist")],
            ["torrent", "create", self.single, "--piece-size", "100k"],
            ["torrent", "create", self.single, "--piece-size", "8k"],
            ["torrent", "create", self.single, "--piece-size", "128m"],
            ["torrent", "create", self.single, "--piece-size", "lots"],
            ["torrent", "create", self.single, "--tracker", "ftp://127.0.0.1/announce"],
            ["torrent", "create", self.single, "--private"],
            ["torrent", "create", self.single, "-o", existing],
            ["torrent", "create", self.single, "-o", missing_dir],
            ["torrent", "create", self.single, "-o", self.out],
            ["torrent", "create", self.single, "--no-such-option"],
            ["torrent", "show"],
            ["torrent", "show", os.path.join(self.dir, "does-not-exist.torrent")],
            ["torrent"],
        ):
            with self.subTest(args=args):
                cp = l7test.run_l7(args)
                self.assertUsageError(cp, args)
        with open(existing, "rb") as f:
            self.assertEqual(f.read(), b"keep me")
        # --force replaces it.
        cp = l7test.run_l7(["torrent", "create", self.single, "-o", existing, "--force"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(info_hash(existing),
                         hashlib.sha1(reference_info(self.single, 32 * 1024)).hexdigest())

    def test_default_output_name_in_the_working_directory(self):
        cwd = tempfile.mkdtemp(dir=self.dir)
        env_args = ["torrent", "create", self.tree]
        cp = subprocess.run([l7test.l7()] + env_args, cwd=cwd, capture_output=True,
                            timeout=RUN_TIMEOUT, env=l7test.clean_env(), stdin=subprocess.DEVNULL)
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertTrue(os.path.isfile(os.path.join(cwd, "tree.torrent")))
        cp = subprocess.run([l7test.l7()] + env_args, cwd=cwd, capture_output=True,
                            timeout=RUN_TIMEOUT, env=l7test.clean_env(), stdin=subprocess.DEVNULL)
        self.assertEqual(cp.returncode, 2, cp.stderr)
        self.assertIn(b"--force", cp.stderr)

    def test_links_and_special_files_are_errors(self):
        base = tempfile.mkdtemp(dir=self.dir)
        linked = os.path.join(base, "linked")
        os.makedirs(linked)
        with open(os.path.join(linked, "real"), "wb") as f:
            f.write(b"data")
        os.symlink("real", os.path.join(linked, "link"))
        fifo = os.path.join(base, "fifo")
        os.makedirs(fifo)
        with open(os.path.join(fifo, "real"), "wb") as f:
            f.write(b"data")
        os.mkfifo(os.path.join(fifo, "pipe"))
        for root, culprit, why in ((linked, "link", "symbolic link"),
                                   (fifo, "pipe", "not a regular file")):
            with self.subTest(root=root):
                args = ["torrent", "create", root, "-o", self.output("bad")]
                cp = l7test.run_l7(args)
                self.assertFailureLine(cp, args)
                self.assertIn(os.path.join(root, culprit), cp.stderr)
                self.assertIn(why, cp.stderr)

    def test_show_refuses_hostile_torrents(self):
        content = b"x" * 10
        for files, why in (
            ([{"length": 10, "path": ["..", "evil"]}], "leave the torrent's directory"),
            ([{"length": 10, "path": ["a/../../evil"]}], "contains '/'"),
            ([{"length": 10, "path": []}], "path is empty"),
            ([{"length": 5, "path": ["a"]}, {"length": 5, "path": ["a"]}], "listed twice"),
        ):
            with self.subTest(why=why):
                info = {"files": files, "name": "t", "piece length": 16384,
                        "pieces": hashlib.sha1(content).digest()}
                path = self.output("hostile")
                with open(path, "wb") as f:
                    f.write(bencode({"info": info}))
                args = ["torrent", "show", path]
                cp = l7test.run_l7(args)
                self.assertFailureLine(cp, args)
                self.assertIn(why, cp.stderr)
        path = self.output("garbage")
        with open(path, "wb") as f:
            f.write(b"d8:announce")
        cp = l7test.run_l7(["torrent", "show", path])
        self.assertFailureLine(cp, ["torrent", "show", path])
        self.assertIn("bencoding", cp.stderr)


if __name__ == "__main__":
    l7test.main()
