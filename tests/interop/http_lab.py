#!/usr/bin/python3
"""The lab's web servers: `l7 lab` with its http services, fetched with curl (--resolve, so the
Host header carries the site's name) and with l7's own clients by name through the lab's
local DNS server. Every site answers with its own content on each of its names, the objects
of www.hamburger.edu's page (the course's ten) all come with 200, gaia's conditional GET
object answers 304, the shop hands out a session cookie and recognises it, and `l7 lab
--check` probes the http services. The lab's state goes to a temporary XDG_RUNTIME_DIR.

The lab's addresses are fixed (127.10.x.x), so this test holds RESOURCE_LOCK lab."""

import json
import os
import re
import signal
import subprocess
import tempfile
import urllib.parse

import l7test
from l7test import run_l7

UP_RE = r"^\s*up\s+%s\s+http\s+tcp 127\.10\.0\.\d+:(\d+)$"
SITES = {
    # name -> (address, a phrase of its home page)
    "www.hamburger.edu": ("127.10.0.3", "Department of Computer Science"),
    "hamburger.edu": ("127.10.0.3", "Department of Computer Science"),
    "gaia.cs.umass.edu": ("127.10.0.2", "<h1>gaia.cs.umass.edu</h1>"),
    "www.networkutopia.com": ("127.10.0.5", "We are a start-up."),
    "shop.networkutopia.com": ("127.10.0.5", "Network Utopia shop"),
    "cis.poly.edu": ("127.10.0.8", "Computer and Information Science"),
    "www.poly.edu": ("127.10.0.8", "Computer and Information Science"),
}
HAMBURGER_OBJECTS = (["/css/department.css", "/js/department.js"] +
                     ["/images/%s.svg" % n for n in ("crest", "campus", "lecture-hall",
                                                     "network-lab", "server-room", "mail-server",
                                                     "library", "cafeteria")])


class HttpLabTest(l7test.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.runtime = tempfile.TemporaryDirectory(prefix="l7-http-lab-")
        cls.env = {"XDG_RUNTIME_DIR": cls.runtime.name}
        cls.lab = l7test.L7Process(["lab", "-v"], env=cls.env)
        try:
            cls.lab.wait_for(r"press Ctrl-C", stream="stdout", timeout=30)
            out = cls.lab.stdout()
            cls.port = int(re.search(UP_RE % r"hamburger\.edu", out, re.M).group(1))
            m = re.search(r"^\s*up\s+resolver\.isp\.net\s+dns-resolver\s+udp\+tcp "
                          r"([\d.]+:\d+)$", out, re.M)
            cls.resolver = m.group(1)
        except BaseException:
            cls.lab.close()
            cls.runtime.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()
        cls.runtime.cleanup()

    def state(self, *parts):
        return os.path.join(self.runtime.name, "l7-lab", *parts)

    def curl(self, name, path="/", *args):
        """curl to the site `name` on its lab address: (status, headers text, body bytes)."""
        address = SITES[name][0]
        url = "http://%s:%d%s" % (name, self.port, path)
        cp = subprocess.run(
            ["curl", "-sS", "--max-time", "20", "--resolve", "%s:%d:%s" % (name, self.port, address),
             "-D", "-", url] + list(args),
            capture_output=True, timeout=30)
        self.assertEqual(cp.returncode, 0, "curl %s: %s" % (url, cp.stderr))
        head, _, body = cp.stdout.partition(b"\r\n\r\n")
        head = head.decode("latin-1")
        status = int(head.split(" ", 2)[1])
        return status, head, body

    def test_every_site_answers_with_its_own_page_on_each_name(self):
        self.assertIn(self.port, (80, 10080))
        out = self.lab.stdout()
        for host in ("gaia\\.cs\\.umass\\.edu", "hamburger\\.edu", "networkutopia\\.com",
                     "cis\\.poly\\.edu"):
            self.assertEqual(int(re.search(UP_RE % host, out, re.M).group(1)), self.port, out)
        for name, (address, phrase) in SITES.items():
            with self.subTest(site=name):
                status, head, body = self.curl(name)
                self.assertEqual(status, 200, head)
                self.assertRegex(head, r"(?im)^content-type: text/html")
                self.assertIn(phrase.encode(), body)
        # A name no site has goes to the server's first site (the default host).
        cp = subprocess.run(["curl", "-sS", "--max-time", "20", "-H", "Host: nobody.example",
                             "http://127.10.0.5:%d/" % self.port], capture_output=True, timeout=30)
        self.assertIn(b"We are a start-up.", cp.stdout)
        # The document roots are in the state directory, one per service and site.
        for service, site in (("http-127.10.0.3-%d" % self.port, "www.hamburger.edu"),
                              ("http-127.10.0.2-%d" % self.port, "gaia.cs.umass.edu"),
                              ("http-127.10.0.8-%d" % self.port, "cis.poly.edu")):
            self.assertTrue(os.path.isfile(self.state(service, "www", site, "index.html")))

    def test_hamburger_page_and_its_ten_objects(self):
        status, _, body = self.curl("www.hamburger.edu")
        self.assertEqual(status, 200)
        refs = re.findall(rb'(?:src|href)="(/[^"]+)"', body)
        self.assertEqual(sorted(r.decode() for r in refs), sorted(HAMBURGER_OBJECTS))
        types = {".css": "text/css", ".js": "javascript", ".svg": "image/svg+xml"}
        for path in HAMBURGER_OBJECTS:
            with self.subTest(object=path):
                status, head, body = self.curl("www.hamburger.edu", path)
                self.assertEqual(status, 200, head)
                self.assertRegex(head, r"(?im)^content-type: [^\r\n]*%s" %
                                 re.escape(types[os.path.splitext(path)[1]]))
                self.assertGreater(len(body), 100)
        # The course's load of the page, by name through the lab's DNS, behind the access link.
        cp = run_l7(["http", "page", "http://www.hamburger.edu:%d/" % self.port, "--json",
                     "--mode", "persistent"], env={"L7_RESOLVER": self.resolver})
        self.assertEqual(cp.returncode, 0, cp.stderr)
        load = json.loads(cp.stdout)
        self.assertEqual(load["page"]["status"], 200, load)
        self.assertEqual(load["object_count"], 10, load)
        self.assertEqual([o["status"] for o in load["objects"]], [200] * 10, load)
        self.assertEqual(sorted(urllib.parse.urlsplit(o["url"]).path for o in load["objects"]),
                         sorted(HAMBURGER_OBJECTS))
        self.assertEqual(load["connections_opened"], 1, load)

    def test_gaia_kurose_ross_and_the_conditional_get(self):
        status, _, body = self.curl("gaia.cs.umass.edu", "/kurose_ross/")
        self.assertEqual(status, 200)
        self.assertIn(b"Interactive exercises", body)
        for ref in re.findall(rb'src="(/[^"]+)"', body):
            self.assertEqual(self.curl("gaia.cs.umass.edu", ref.decode())[0], 200, ref)
        path = "/kurose_ross/conditional_get.html"
        status, head, body = self.curl("gaia.cs.umass.edu", path)
        self.assertEqual(status, 200, head)
        self.assertIn(b"The conditional GET object", body)
        modified = re.search(r"(?im)^last-modified: ([^\r\n]+)", head).group(1)
        etag = re.search(r"(?im)^etag: ([^\r\n]+)", head).group(1)
        status, head, body = self.curl("gaia.cs.umass.edu", path, "-H",
                                       "If-Modified-Since: " + modified)
        self.assertEqual((status, body), (304, b""), head)
        status, head, body = self.curl("gaia.cs.umass.edu", path, "-H", "If-None-Match: " + etag)
        self.assertEqual((status, body), (304, b""), head)
        status, _, body = self.curl("gaia.cs.umass.edu", path, "-H",
                                    "If-Modified-Since: Thu, 01 Jan 1998 00:00:00 GMT")
        self.assertEqual(status, 200)
        self.assertIn(b"The conditional GET object", body)
        # By name through the lab's local DNS server, with l7's client.
        cp = run_l7(["http", "get", "-f", "http://gaia.cs.umass.edu:%d/kurose_ross/" % self.port],
                    env={"L7_RESOLVER": self.resolver})
        self.assertEqual(cp.returncode, 0, cp.stderr)
        self.assertIn("Interactive exercises", cp.stdout)

    def test_shop_sets_a_session_cookie_and_recognises_it(self):
        with tempfile.TemporaryDirectory(prefix="l7-http-lab-jar-") as tmp:
            jar = os.path.join(tmp, "cookies.txt")
            status, head, body = self.curl("shop.networkutopia.com", "/", "-c", jar)
            self.assertEqual(status, 200, head)
            sid = re.search(r"(?im)^set-cookie: sid=([0-9A-Za-z_-]+)", head)
            self.assertTrue(sid, head)
            self.assertIn(b"first visit", body)
            status, head, body = self.curl("shop.networkutopia.com", "/", "-b", jar, "-c", jar)
            self.assertEqual(status, 200, head)
            self.assertIn(b"Welcome back! You have visited 2 times", body)
            self.assertNotRegex(head, r"(?im)^set-cookie: sid=")
        # The home page links to the shop with the port the lab uses.
        _, _, home = self.curl("www.networkutopia.com")
        self.assertIn(b'href="http://shop.networkutopia.com/"', home)
        # The shop's database lives in the state directory, outside every document root.
        service = "http-127.10.0.5-%d" % self.port
        self.assertTrue(os.path.isfile(self.state(service, "shop.networkutopia.com.shop.db")))
        self.assertEqual(self.curl("shop.networkutopia.com",
                                   "/shop.networkutopia.com.shop.db")[0], 404)
        with open(self.state(service, "access.log")) as f:
            log = f.read()
        self.assertRegex(log, r'"GET / HTTP/1\.1" 200 ')

    def test_slow_sites_are_behind_the_access_link(self):
        # The relay took the service's port and forwards to the server's own port.
        err = self.lab.stderr()
        for address in ("127.10.0.2", "127.10.0.3"):
            self.assertRegex(err, r"listening on tcp %s:%d \(link to %s:\d+\)" %
                             (re.escape(address), self.port, re.escape(address)))
        self.assertNotRegex(err, r"listening on tcp 127\.10\.0\.5:%d \(link" % self.port)


class HttpLabCheckTest(l7test.TestCase):
    def test_check_probes_the_http_services(self):
        with tempfile.TemporaryDirectory(prefix="l7-http-lab-check-") as runtime:
            cp = run_l7(["lab", "--check"], env={"XDG_RUNTIME_DIR": runtime}, timeout=120)
            self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
            passes = re.findall(r"(?m)^PASS\s+(\S+)\s+http\s+tcp [\d.]+:\d+\s+(.*)$", cp.stdout)
            self.assertEqual(dict(passes), {
                "gaia.cs.umass.edu": "GET / 200 for 1 name(s)",
                "hamburger.edu": "GET / 200 for 2 name(s)",
                "networkutopia.com":
                    "GET / 200 for 2 name(s), sid cookie from shop.networkutopia.com",
                "cis.poly.edu": "GET / 200 for 2 name(s)",
            }, cp.stdout)
            self.assertTrue(os.path.isdir(os.path.join(runtime, "l7-lab")))

    def test_a_second_lab_leaves_the_first_ones_state_alone(self):
        with tempfile.TemporaryDirectory(prefix="l7-http-lab-two-") as runtime:
            env = {"XDG_RUNTIME_DIR": runtime}
            config = os.path.join(runtime, "one-site.toml")
            with open(config, "w") as f:
                f.write('[[host]]\nname = "web"\naddress = "127.10.9.1"\n'
                        '  [[host.service]]\n  kind = "http"\n  port = 18080\n'
                        '    [[host.service.site]]\n    names = ["cis.poly.edu"]\n'
                        '    content = "cis.poly.edu"\n')
            first = self.background(["lab", "--config", config], env=env)
            first.wait_for(r"press Ctrl-C", stream="stdout", timeout=30)
            index = os.path.join(runtime, "l7-lab", "http-127.10.9.1-18080", "www",
                                 "cis.poly.edu", "index.html")
            self.assertTrue(os.path.isfile(index))
            second = run_l7(["lab", "--check", "--config", config], env=env)
            self.assertEqual(second.returncode, 1, second.stdout + second.stderr)
            self.assertIn("another l7 lab of yours is running", second.stdout)
            self.assertTrue(os.path.isfile(index))
            self.assertStopsCleanly(first, signal.SIGINT)


if __name__ == "__main__":
    l7test.main()
