#!/usr/bin/python3
"""`l7 http page`: a page of eight objects served by `l7 http serve` behind `l7 link --delay
20ms`, loaded in each of the course's modes (Kurose & Ross 2.2.2). Asserts what the course
predicts in counts, never in milliseconds: how many connections each mode opens, that every
object arrives whole (200, the file's size), and that the computed RTTs spent order as
non-persistent > persistent > pipelined with a wide margin. Also objects on a second origin
(one connection per origin), Python's http.server (HTTP/1.0: it closes after every response,
so the persistent and pipelined loads must reconnect, and count it), and failures."""

import functools
import http.server
import json
import os
import re
import tempfile
import threading

import l7test
from l7test import LISTEN_RE, run_l7


# name -> size; sizes differ so a byte count cannot match the wrong file.
OBJECTS = {
    "style.css": 3_000,
    "app.js": 12_345,
    "img/a.png": 40_000,
    "img/b.png": 777,
    "img/c.png": 25_001,
    "img/d.png": 9_999,
    "media/clip.bin": 70_000,
    "media/poster.jpg": 5_432,
}

INDEX = b"""<!DOCTYPE html>
<html><head><title>A page of <b>eight</b> objects</title>
<link rel="stylesheet" href="style.css"><link rel="canonical" href="/elsewhere.html">
<script src="app.js"></script>
<script>document.write('<img src="not-fetched.png">');</script>
</head><body>
<!-- <img src="commented-out.png"> -->
<IMG SRC="img/a.png?v=1&amp;w=2" alt="entity in the URL">
<img src='img/b.png'><img src=img/c.png><img src="/img/d.png">
<img src="img/b.png"><img src="data:image/png;base64,AAAA">
<video src="media/clip.bin" poster="media/poster.jpg"></video>
<a href="not-an-object.html">links are not fetched</a>
</body></html>
"""

EXPECTED_PATHS = ["/style.css", "/app.js", "/img/a.png?v=1&w=2", "/img/b.png", "/img/c.png",
                  "/img/d.png", "/media/clip.bin", "/media/poster.jpg"]


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class HttpPageTest(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.TemporaryDirectory(prefix="l7-page-")
        self.addCleanup(self.dir.cleanup)
        self.root = self.dir.name
        for name, size in OBJECTS.items():
            self.write(name, os.urandom(size))
        self.write("index.html", INDEX)
        self.server = self.background(["http", "serve", self.root, "--listen", "127.0.0.1:0",
                                       "--threads", "1"])
        self.port = int(self.server.wait_for(l7test.HTTP_LISTEN_RE).group(1))
        self.link = self.background(["link", "--listen", "127.0.0.1:0", "--to",
                                     "127.0.0.1:%d" % self.port, "--tcp-only", "--delay", "20ms"])
        self.link.wait_for(r"link: delay ")
        self.link_port = int(LISTEN_RE.search(self.link.stderr()).group(3))
        self.base = "http://127.0.0.1:%d" % self.link_port

    def write(self, name, data):
        path = os.path.join(self.root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    def load(self, url, *args, expect_exit=0):
        cp = run_l7(["http", "page", url, "--json"] + list(args))
        self.assertEqual(cp.returncode, expect_exit, cp.stderr)
        return json.loads(cp.stdout)

    def assertWholePage(self, load, origin):
        self.assertEqual(load["page"]["status"], 200, load)
        self.assertEqual(load["page"]["bytes"], len(INDEX))
        self.assertEqual([o["url"] for o in load["objects"]],
                         [origin + p for p in EXPECTED_PATHS])
        for o in load["objects"]:
            name = o["url"][len(origin) + 1:].split("?")[0]
            self.assertEqual((o["status"], o["bytes"]), (200, OBJECTS[name]), o)
            self.assertGreater(o["connection"], 0, o)
        self.assertEqual(load["object_count"], 8)
        self.assertEqual(load["failed"], 0)
        self.assertEqual(load["skipped_refs"], 1)  # the data: URL
        self.assertEqual(load["bytes"], len(INDEX) + sum(OBJECTS.values()))
        self.assertGreater(load["wire_bytes"], load["bytes"])  # the heads too
        self.assertGreater(load["rtt_ms"], 0)

    def test_the_four_modes_cost_what_the_course_predicts(self):
        url = self.base + "/"
        loads = {}
        for mode in ("non-persistent", "persistent", "pipelined", "parallel=3"):
            loads[mode] = load = self.load(url, "--mode", mode)
            self.assertEqual(load["mode"], mode)
            self.assertWholePage(load, self.base)
        # Non-persistent: a connection per object, one at a time.
        np = loads["non-persistent"]
        self.assertEqual(np["connections_opened"], 9)
        self.assertEqual(np["peak_connections"], 1)
        self.assertEqual(sorted(o["connection"] for o in [np["page"]] + np["objects"]),
                         list(range(1, 10)))
        # Persistent and pipelined: the page's connection carries everything.
        for mode in ("persistent", "pipelined"):
            self.assertEqual(loads[mode]["connections_opened"], 1, mode)
            self.assertEqual({o["connection"] for o in loads[mode]["objects"]}, {1}, mode)
            self.assertEqual(loads[mode]["connections"][0]["responses"], 9, mode)
        # Parallel: non-persistent connections, three at a time at most.
        par = loads["parallel=3"]
        self.assertEqual(par["connections_opened"], 9)
        self.assertEqual(par["peak_connections"], 3)
        # The RTT counts (computed, not timed): about 18, 10, 3 and 8. Wide margins: the
        # order is what the course teaches.
        rtts = {mode: load["rtts"] for mode, load in loads.items()}
        self.assertGreater(rtts["non-persistent"], 1.3 * rtts["persistent"], rtts)
        self.assertGreater(rtts["persistent"], 1.5 * rtts["pipelined"], rtts)
        self.assertGreater(rtts["non-persistent"], 1.3 * rtts["parallel=3"], rtts)

    def test_all_modes_side_by_side(self):
        cp = run_l7(["http", "page", self.base + "/", "--mode", "all"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        header = cp.stdout.splitlines()[0].split()
        self.assertEqual(header[-4:], ["non-persistent", "persistent", "pipelined", "parallel=6"])
        self.assertRegex(cp.stdout, r"(?m)^connections +9 +1 +1 +9$")
        self.assertEqual(len(re.findall(r"(?m)^mode=\S+ objects=8 connections=\d+ rtt=[0-9.]+m?s "
                                        r"total=[0-9.]+m?s \([0-9.]+ RTT\)$", cp.stdout)), 4,
                         cp.stdout)
        loads = json.loads(run_l7(["http", "page", self.base + "/", "--mode", "all",
                                   "--json"]).stdout)["loads"]
        self.assertEqual([l["mode"] for l in loads],
                         ["non-persistent", "persistent", "pipelined", "parallel=6"])

    def test_trace_shows_every_head_per_connection(self):
        cp = run_l7(["http", "page", self.base + "/", "--mode", "persistent", "--trace"])
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertEqual(len(re.findall(r"(?m)^\[#1 [^]]+\] C: GET /\S* HTTP/1\.1$", cp.stderr)),
                         9, cp.stderr)
        self.assertEqual(len(re.findall(r"(?m)^\[#1 [^]]+\] S: HTTP/1\.1 200 OK$", cp.stderr)),
                         9, cp.stderr)
        self.assertNotIn("[#2 ", cp.stderr)
        self.assertRegex(cp.stdout, r"(?m)^mode=persistent objects=8 connections=1 ")

    def test_one_connection_per_origin(self):
        # The same server reached directly is another origin (another port).
        direct = "http://127.0.0.1:%d" % self.port
        self.write("two.html", ('<img src="img/a.png"><img src="%s/img/b.png">'
                                '<script src="app.js"></script><img src="%s/img/c.png">'
                                % (direct, direct)).encode())
        for mode in ("persistent", "pipelined"):
            load = self.load(self.base + "/two.html", "--mode", mode)
            self.assertEqual(load["connections_opened"], 2, mode)
            self.assertEqual([o["same_origin"] for o in load["objects"]],
                             [True, False, True, False])
            self.assertEqual([o["status"] for o in load["objects"]], [200] * 4)
            by_conn = {o["url"]: o["connection"] for o in load["objects"]}
            self.assertEqual(by_conn[self.base + "/img/a.png"], 1)
            self.assertEqual(by_conn[direct + "/img/b.png"], by_conn[direct + "/img/c.png"])
            self.assertNotEqual(by_conn[direct + "/img/b.png"], 1)
        load = self.load(self.base + "/two.html", "--mode", "non-persistent")
        self.assertEqual(load["connections_opened"], 5)

    def test_pythons_http10_server_closes_and_the_loader_reconnects(self):
        handler = functools.partial(_QuietFiles, directory=self.root)
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                  daemon=True)
        thread.start()

        def stop():
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)

        self.addCleanup(stop)
        origin = "http://127.0.0.1:%d" % httpd.server_address[1]
        for mode in ("persistent", "pipelined", "non-persistent", "parallel=4"):
            load = self.load(origin + "/index.html", "--mode", mode)
            self.assertWholePage(load, origin)
            # HTTP/1.0 without keep-alive: every response ends its connection.
            self.assertEqual(load["connections_opened"], 9, mode)
            self.assertEqual([c["responses"] for c in load["connections"]], [1] * 9, mode)

    def test_failures_are_reported(self):
        nothing = l7test.free_port()
        self.write("broken.html", ('<img src="img/a.png"><img src="http://127.0.0.1:%d/x.png">'
                                   '<img src="missing.png"><img src="https://127.0.0.1/y.png">'
                                   % nothing).encode())
        for mode in ("persistent", "pipelined", "parallel=2"):
            load = self.load(self.base + "/broken.html", "--mode", mode, expect_exit=1)
            self.assertEqual([o["status"] for o in load["objects"]], [200, 0, 404, 0], mode)
            self.assertIn("cannot connect", load["objects"][1]["error"])
            self.assertIn("TLS", load["objects"][3]["error"])
            self.assertEqual(load["failed"], 2)
        cp = run_l7(["http", "page", "http://127.0.0.1:%d/" % nothing])
        self.assertEqual(cp.returncode, 7, cp.stderr)
        self.assertEqual(len(l7test.stderr_lines(cp.stderr)), 1, cp.stderr)
        for bad in (["--mode", "fast"], ["--mode", "parallel=0"], ["--mode", "parallel=99"]):
            args = ["http", "page", self.base + "/"] + bad
            self.assertUsageError(run_l7(args), args)
        self.assertEqual(run_l7(["http", "page", "nonsense"]).returncode, 3)


if __name__ == "__main__":
    l7test.main()
