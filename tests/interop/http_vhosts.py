#!/usr/bin/python3
"""`l7 http serve --config`: virtual hosts chosen by Host (curl -H, curl --resolve, wget,
Python's http.client), configured redirects followed by curl -L, custom error pages,
directory listings, gzip on the fly (curl --compressed, Python's gzip) with Vary and its own
ETag; SIGHUP reloads the configuration (and keeps the running one when the new file is bad);
SIGTERM lets a download in progress finish; configuration mistakes exit 2 naming file:line."""

import gzip
import http.client
import os
import re
import signal
import subprocess
import tempfile
import textwrap

import l7test



def curl(*args, timeout=30):
    return subprocess.run(["curl", "-sS", "--max-time", "20"] + list(args), capture_output=True,
                          timeout=timeout)


class ConfigServer(l7test.HttpServer):
    def __init__(self, config, *args):
        super().__init__(["serve", "--config", config, "--listen", "127.0.0.1:0",
                          "--threads", "2"] + list(args))


class VirtualHostsTest(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.TemporaryDirectory(prefix="l7-vhosts-")
        self.addCleanup(self.dir.cleanup)
        d = self.dir.name
        self.files = {
            "hamburger/index.html": "<h1>Hamburger U</h1>\n",
            "hamburger/new/page.html": "the new page\n",
            "hamburger/docs/guide.txt": "a guide to hamburgers\n" * 200,
            "hamburger/docs/notes.txt": "notes\n",
            "hamburger/errors/404.html": "<h1>No such burger</h1>\n",
            "crepes/index.html": "<h1>Crepes</h1>\n",
            "crepes2/index.html": "<h1>Crepes, version 2</h1>\n",
            "big/file.bin": None,
        }
        for name, text in self.files.items():
            path = os.path.join(d, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if text is None:
                with open(path, "wb") as f:
                    f.write(os.urandom(1 << 20) * 6)
            else:
                with open(path, "w") as f:
                    f.write(text)
        self.config = os.path.join(d, "sites.toml")
        self.write_config("crepes")

    def write_config(self, crepes_root, extra=""):
        with open(self.config, "w") as f:
            f.write(textwrap.dedent("""\
                [[host]]
                names = ["www.hamburger.edu", "hamburger.edu"]
                root = "hamburger"
                listing = true
                default = true

                  [[host.redirect]]
                  from = "/old/*"
                  to = "/new/*"
                  status = 301

                  [[host.redirect]]
                  from = "/elsewhere"
                  to = "http://www.crepes.fr/"
                  status = 302

                  [[host.error_page]]
                  status = 404
                  file = "hamburger/errors/404.html"

                [[host]]
                names = ["www.crepes.fr", "*.crepes.fr"]
                root = "%s"

                [[host]]
                names = ["big.test"]
                root = "big"
                """ % crepes_root) + extra)

    def server(self, *args):
        s = ConfigServer(self.config, *args)
        self.addCleanup(s.close)
        return s

    def test_the_host_header_chooses_the_site(self):
        s = self.server()
        cp = curl("-H", "Host: www.crepes.fr", s.base + "/")
        self.assertEqual(cp.stdout.decode(), self.files["crepes/index.html"])
        cp = curl("-H", "Host: menu.CREPES.fr:8080", s.base + "/")
        self.assertEqual(cp.stdout.decode(), self.files["crepes/index.html"])
        # curl --resolve puts the name in Host the way a browser does.
        cp = curl("--resolve", "hamburger.edu:%d:127.0.0.1" % s.port,
                  "http://hamburger.edu:%d/" % s.port)
        self.assertEqual(cp.stdout.decode(), self.files["hamburger/index.html"])
        # An unknown name gets the default host.
        cp = curl("-H", "Host: unknown.test", s.base + "/")
        self.assertEqual(cp.stdout.decode(), self.files["hamburger/index.html"])
        # wget and http.client, too.
        with tempfile.TemporaryDirectory() as out:
            subprocess.run(["wget", "-q", "-O", os.path.join(out, "x"), "--header",
                            "Host: www.crepes.fr", s.base + "/"], check=True, timeout=30)
            with open(os.path.join(out, "x")) as f:
                self.assertEqual(f.read(), self.files["crepes/index.html"])
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        for host, key in (("www.crepes.fr", "crepes/index.html"),
                          ("www.hamburger.edu", "hamburger/index.html"),
                          ("www.crepes.fr", "crepes/index.html")):
            conn.request("GET", "/", headers={"Host": host})  # one connection, two hosts
            r = conn.getresponse()
            self.assertEqual(r.read().decode(), self.files[key])
        conn.close()

    def test_redirects_are_followed_by_curl(self):
        s = self.server()
        cp = curl("-i", s.base + "/old/page.html?x=1")
        head = cp.stdout.decode()
        self.assertRegex(head, r"^HTTP/1.1 301 ")
        self.assertIn("Location: /new/page.html?x=1\r\n", head)
        cp = curl("-L", s.base + "/old/page.html")
        self.assertEqual(cp.stdout.decode(), self.files["hamburger/new/page.html"])
        # A redirect to another virtual host of the same server, followed with --resolve.
        cp = curl("-L", "-w", "%{num_redirects} %{http_code}", "-o", os.devnull, "--resolve",
                  "www.crepes.fr:80:127.0.0.1", "--resolve",
                  "www.hamburger.edu:%d:127.0.0.1" % s.port,
                  "http://www.hamburger.edu:%d/elsewhere" % s.port)
        # www.crepes.fr:80 is not ours (port 80 is closed here): curl reports the redirect.
        self.assertTrue(cp.stdout.decode().startswith("1 "), cp.stdout)

    def test_error_page_and_listing(self):
        s = self.server()
        cp = curl("-w", "%{http_code}", s.base + "/no/such/thing")
        self.assertEqual(cp.stdout.decode(), self.files["hamburger/errors/404.html"] + "404")
        cp = curl("-w", "%{http_code}", "-H", "Host: www.crepes.fr", s.base + "/nothing")
        self.assertTrue(cp.stdout.decode().endswith("404"))
        self.assertNotIn("No such burger", cp.stdout.decode())  # that page is hamburger's
        cp = curl(s.base + "/docs/")
        listing = cp.stdout.decode()
        self.assertIn('href="./guide.txt"', listing)
        self.assertIn('href="./notes.txt"', listing)
        self.assertEqual(curl("-w", "%{http_code}", "-o", os.devnull, "-H",
                              "Host: www.crepes.fr", s.base + "/").stdout, b"200")

    def test_gzip_on_the_fly(self):
        s = self.server()
        cp = curl("--compressed", "-D", "-", s.base + "/docs/guide.txt")
        out = cp.stdout.decode()
        head, body = out.split("\r\n\r\n", 1)
        self.assertIn("Content-Encoding: gzip", head)
        self.assertIn("Vary: Accept-Encoding", head)
        self.assertEqual(body, self.files["hamburger/docs/guide.txt"])
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        conn.request("GET", "/docs/guide.txt", headers={"Accept-Encoding": "gzip"})
        r = conn.getresponse()
        raw = r.read()
        self.assertLess(len(raw), len(self.files["hamburger/docs/guide.txt"]) // 4)
        self.assertEqual(gzip.decompress(raw).decode(), self.files["hamburger/docs/guide.txt"])
        etag = r.getheader("ETag")
        conn.request("GET", "/docs/guide.txt", headers={"Accept-Encoding": "gzip",
                                                        "If-None-Match": etag})
        r = conn.getresponse()
        r.read()
        self.assertEqual(r.status, 304)
        conn.request("GET", "/docs/guide.txt")
        r = conn.getresponse()
        self.assertEqual(r.read().decode(), self.files["hamburger/docs/guide.txt"])
        self.assertIsNone(r.getheader("Content-Encoding"))
        self.assertNotEqual(r.getheader("ETag"), etag)
        conn.close()

    def test_sighup_reloads_and_a_bad_file_keeps_the_running_one(self):
        s = self.server()

        def crepes():
            return curl("-H", "Host: www.crepes.fr", s.base + "/").stdout.decode()

        self.assertEqual(crepes(), self.files["crepes/index.html"])
        self.write_config("crepes2")
        s.send_signal(signal.SIGHUP)
        l7test.wait_until(lambda: crepes() == self.files["crepes2/index.html"], 10,
                          what="the new root after SIGHUP")
        s.wait_for(r"SIGHUP: reloaded, 3 host")
        with open(self.config, "a") as f:
            f.write("[[host]]\nnames = ['x.test']\nroot = 'missing'\n")
        s.send_signal(signal.SIGHUP)
        s.wait_for(r"SIGHUP: keeping the running configuration: .*sites\.toml:\d+")
        self.assertEqual(crepes(), self.files["crepes2/index.html"])

    def test_sigterm_lets_a_download_finish(self):
        s = self.server("--access-log", "-")
        size = os.path.getsize(os.path.join(self.dir.name, "big/file.bin"))
        download = subprocess.Popen(
            ["curl", "-sS", "--max-time", "30", "--limit-rate", "2M", "-o", os.devnull, "-w",
             "%{size_download} %{http_code}", "-H", "Host: big.test", s.base + "/file.bin"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(download.kill)
        # Wait until the server has taken the request, then ask it to stop.
        s.wait_for(r'"GET /file\.bin HTTP/1\.1" 200', stream="stdout")
        s.send_signal(signal.SIGTERM)
        # New connections are refused; the download (about 3 s at this rate) goes on.
        l7test.wait_until(lambda: curl(s.base + "/").returncode != 0, 10,
                          what="new connections to be refused")
        out, err = download.communicate(timeout=60)
        self.assertEqual(out.decode(), "%d 200" % size, err)
        self.assertEqual(s.wait(), 0)

    def test_configuration_mistakes_exit_2_naming_the_line(self):
        with open(self.config, "a") as f:
            f.write("[[host]]\nnames = ['y.test']\nroot = 'crepes'\nlistng = true\n")
        cp = l7test.run_l7(["http", "serve", "--config", self.config, "--listen",
                            "127.0.0.1:0"])
        self.assertEqual(cp.returncode, 2, cp.stderr)
        self.assertRegex(cp.stderr, r"sites\.toml:\d+.*listng")
        cp = l7test.run_l7(["http", "serve", self.dir.name, "--config", self.config])
        self.assertEqual(cp.returncode, 2, cp.stderr)
        self.assertIn("DIR", cp.stderr)


if __name__ == "__main__":
    l7test.main()
