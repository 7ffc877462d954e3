#!/usr/bin/python3
"""A real browser against `l7 http serve --config` with virtual hosts: headless Chromium.

(a) www.hamburger.edu, the lab's department page (src/lab/www): the dumped DOM holds the
    page's text and what its script wrote once every object had loaded, and the server's
    access log shows each of the ten referenced objects fetched with 200.
(b) shop.networkutopia.com, the cookie demo: a first visit gets a session (one row in the
    shop's database) and Set-Cookie; a second visit in the same browser profile sends the
    cookie back and is greeted as a returning visitor: Chromium stored the cookie and sent it.

Chromium reaches out to the Internet on its own (background networking), so the whole test
runs in a network namespace with only a loopback interface: the script re-runs itself under
`unshare -n` (root) or `unshare -rn`, and starts both the server and Chromium inside, where
any address but 127.0.0.0/8 is unreachable. Names reach the server through
--host-resolver-rules, without DNS. Skips (exit 0, SKIP) only when Chromium is missing."""

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import l7test

IN_NETNS = "L7_BROWSER_TEST_NETNS"
HERE = os.path.dirname(os.path.abspath(__file__))
HAMBURGER = os.path.join(HERE, "..", "..", "src", "lab", "www", "www.hamburger.edu")
HTTP_LISTEN_RE = r"listening on tcp 127\.0\.0\.1:(\d+)"
HAMBURGER_OBJECTS = (["/css/department.css", "/js/department.js"] +
                     ["/images/%s.svg" % n for n in ("crest", "campus", "lecture-hall",
                                                     "network-lab", "server-room", "mail-server",
                                                     "library", "cafeteria")])
BROWSER_TIMEOUT = 60  # seconds for one Chromium run, start to exit


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def reexec_in_netns():
    """Runs this script again in a loopback-only network namespace; returns its exit code."""
    env = dict(os.environ, **{IN_NETNS: "1"})
    args = [sys.executable, os.path.abspath(__file__)] + sys.argv[1:]
    attempts = [["unshare", "--net", "--"]] if os.geteuid() == 0 else []
    attempts.append(["unshare", "--map-root-user", "--net", "--"])
    last = None
    for prefix in attempts:
        probe = subprocess.run(prefix + ["true"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return subprocess.run(prefix + args, env=env, timeout=600).returncode
        last = probe.stderr.decode(errors="replace").strip()
    print("FAIL: cannot make a loopback-only network namespace for Chromium (unshare: %s); "
          "run as root or allow unprivileged user namespaces" % last, file=sys.stderr)
    return 1


def loopback_only():
    """Brings up `lo` in this namespace; fails unless it is the only interface."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=30)
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                           check=True, timeout=30).stdout
    names = re.findall(r"^\d+: ([^:@]+)", links, re.M)
    if names != ["lo"]:
        raise AssertionError("not a loopback-only namespace: " + links)


class BrowserTest(l7test.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.chromium = find_chromium()
        cls.tmp = tempfile.TemporaryDirectory(prefix="l7-browser-")
        shop_root = os.path.join(cls.tmp.name, "shop-root")
        os.mkdir(shop_root)
        cls.access_log = os.path.join(cls.tmp.name, "access.log")
        cls.database = os.path.join(cls.tmp.name, "shop.db")
        config = os.path.join(cls.tmp.name, "sites.toml")
        with open(config, "w") as f:
            f.write('access_log = "%s"\n\n'
                    '[[host]]\nnames = ["www.hamburger.edu", "hamburger.edu"]\nroot = "%s"\n\n'
                    '[[host]]\nnames = ["shop.networkutopia.com"]\nroot = "%s"\n'
                    'app = "shop"\ndatabase = "%s"\n'
                    % (cls.access_log, os.path.realpath(HAMBURGER), shop_root, cls.database))
        cls.server = l7test.L7Process(["http", "serve", "--config", config,
                                       "--listen", "127.0.0.1:0"])
        try:
            cls.port = int(cls.server.wait_for(HTTP_LISTEN_RE).group(1))
        except BaseException:
            cls.server.close()
            cls.tmp.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.tmp.cleanup()

    def dump_dom(self, url, profile):
        """Chromium's DOM of `url` once loaded, with the browser profile in `profile`."""
        rules = ", ".join("MAP %s 127.0.0.1:%d" % (name, self.port)
                          for name in ("www.hamburger.edu", "shop.networkutopia.com"))
        args = [self.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-features=HttpsUpgrades",
                "--user-data-dir=" + profile, "--host-resolver-rules=" + rules,
                "--dump-dom", url]
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    start_new_session=True)
            try:
                code = proc.wait(timeout=BROWSER_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                code = None
            out.seek(0)
            err.seek(0)
            dom = out.read().decode("utf-8", "replace")
            errors = err.read().decode("utf-8", "replace")[-3000:]
        self.assertEqual(code, 0, "chromium %s: exit %s\n%s" % (url, code, errors))
        self.assertIn("<html", dom, errors)
        return dom

    def logged(self, predicate, what):
        """The access log's requests [(method, path, status)] once `predicate` holds."""
        def requests():
            with open(self.access_log) as f:
                found = re.findall(r'"(GET|HEAD|POST) (\S+) HTTP/1\.[01]" (\d{3}) ', f.read())
            found = [(m, p, int(s)) for m, p, s in found]
            return found if predicate(found) else None
        return l7test.wait_until(requests, 15, interval=0.1, what=what)

    def test_a_page_and_its_ten_objects(self):
        with tempfile.TemporaryDirectory(prefix="l7-chromium-") as profile:
            dom = self.dump_dom("http://www.hamburger.edu/", profile)
        self.assertIn("<h1>Department of Computer Science</h1>", dom)
        self.assertIn("Lecture hall B", dom)
        # The page's script ran after every object had loaded, and counted them.
        self.assertIn("This page references 10 objects: 8 images, 1 stylesheet and 1 script.",
                      dom)
        self.assertRegex(dom, r'data-objects="10"')

        def all_objects(requests):
            ok = {p for m, p, s in requests if m == "GET" and s == 200}
            return "/" in ok and all(o in ok for o in HAMBURGER_OBJECTS)
        requests = self.logged(all_objects, "every object of the page in the access log")
        fetched = [p for m, p, s in requests if m == "GET" and p in HAMBURGER_OBJECTS]
        # Each object once: the browser had no reason to fetch one twice.
        self.assertEqual(sorted(fetched), sorted(HAMBURGER_OBJECTS), requests)
        # Nothing but the favicon, which the page does not name, may have failed.
        self.assertEqual([r for r in requests if r[2] != 200 and r[1] != "/favicon.ico"], [],
                         requests)

    def sessions(self):
        with sqlite3.connect("file:%s?mode=ro" % self.database, uri=True, timeout=10) as db:
            return db.execute("SELECT id, requests FROM sessions").fetchall()

    def test_the_shop_cookie_round_trip(self):
        with tempfile.TemporaryDirectory(prefix="l7-chromium-") as profile:
            first = self.dump_dom("http://shop.networkutopia.com/", profile)
            self.assertIn("This is your first visit", first)
            self.assertIn("no Cookie header.", first)
            sid = re.search(r"This response sets: <code>Set-Cookie: sid=([0-9A-Za-z_-]+);",
                            first)
            self.assertTrue(sid, first)
            sid = sid.group(1)
            self.assertEqual(self.sessions(), [(sid, 1)])

            # The same profile: Chromium kept the cookie on disk and sends it back.
            second = self.dump_dom("http://shop.networkutopia.com/", profile)
            self.assertIn("Welcome back! You have visited 2 times", second)
            self.assertRegex(second, r"Your browser sent: <code>Cookie: [^<]*sid=%s" % sid)
            self.assertNotIn("This response sets: <code>Set-Cookie: sid=", second)
            # sid is HttpOnly: the page's script must not see it.
            self.assertNotRegex(second, r'id="js-cookies">[^<]*sid=')
            self.assertEqual(self.sessions(), [(sid, 2)])


def main():
    if find_chromium() is None:
        print("SKIP: chromium is not installed (apt-get install chromium)")
        return 0
    if os.environ.get(IN_NETNS) != "1":
        return reexec_in_netns()
    loopback_only()
    l7test.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
