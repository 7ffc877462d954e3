#!/usr/bin/python3
"""`l7 http shop`, the course's cookie demo (Kurose & Ross 2.2.4), against real cookie jars:
curl's (-c/-b files, so the state crosses separate curl invocations as it crosses a
browser's visits) and Python's http.cookiejar with urllib. Susan's first visit gets
Set-Cookie: sid, later ones carry it and find her cart; another jar is another user with an
empty cart; the session survives a restart of the server on the same database; what the
server acknowledged is in the SQLite file when the reply arrives."""

import http.cookiejar
import os
import re
import sqlite3
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import l7test
from l7test import IO_TIMEOUT

SID_RE = re.compile(rb"(?mi)^set-cookie: sid=([0-9a-f]{32}); ([^\r\n]*)\r?$")


class ShopServer(l7test.HttpServer):
    def __init__(self, database):
        super().__init__(["shop", "--listen", "127.0.0.1:0", "--threads", "2",
                          "--database", database])


class Curl:
    """curl with a cookie jar file of its own, one process per request, as a user's visits."""

    def __init__(self, jar):
        self.jar = jar

    def run(self, *args):
        cp = subprocess.run(["curl", "-sS", "--max-time", "10", "-b", self.jar, "-c", self.jar]
                            + list(args), capture_output=True, timeout=30)
        if cp.returncode != 0:
            raise AssertionError("curl %s: exit %d: %r" % (args, cp.returncode, cp.stderr))
        return cp

    def request(self, *args):
        """(status, head, body) of one request; -v's request lines are in self.sent."""
        cp = self.run("-v", "-D", "-", *args)
        head, _, body = cp.stdout.partition(b"\r\n\r\n")
        self.sent = [line[2:] for line in cp.stderr.splitlines() if line.startswith(b"> ")]
        status = int(head.split(b" ", 2)[1])
        return status, head, body

    def sent_cookie(self):
        for line in self.sent:
            if line.lower().startswith(b"cookie:"):
                return line.split(b":", 1)[1].strip().decode()
        return None

    def jar_lines(self):
        with open(self.jar) as f:
            return [line.rstrip("\n").split("\t") for line in f
                    if line.strip() and (not line.startswith("#") or line.startswith("#HttpOnly_"))]


class ShopTest(l7test.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.TemporaryDirectory(prefix="l7-shop-")
        self.addCleanup(self.dir.cleanup)
        self.database = os.path.join(self.dir.name, "shop.db")
        self.server = self.start()

    def start(self):
        server = ShopServer(self.database)
        self._procs.append(server)
        return server

    def jar(self, name):
        return Curl(os.path.join(self.dir.name, name))

    def db(self, query, *args):
        """Rows of `query` on the shop's database, through a connection of our own."""
        with sqlite3.connect(self.database, timeout=IO_TIMEOUT) as conn:
            return conn.execute(query, args).fetchall()

    def test_susans_visits_with_curl(self):
        base = self.server.base
        susan = self.jar("susan.jar")
        # First visit: no cookie sent, one made.
        status, head, body = susan.request(base + "/")
        self.assertEqual(status, 200)
        self.assertIsNone(susan.sent_cookie())
        m = SID_RE.search(head)
        self.assertIsNotNone(m, head)
        sid = m.group(1).decode()
        self.assertEqual(m.group(2), b"Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax")
        self.assertIn(b"first visit", body)
        self.assertRegex(head, rb"(?mi)^cache-control: no-store\r?$")
        # The back-end database has an entry for it.
        self.assertEqual(self.db("SELECT id FROM sessions"), [(sid,)])
        # curl's jar holds it, HttpOnly.
        [line] = [l for l in susan.jar_lines() if l[5] == "sid"]
        self.assertEqual(line[0], "#HttpOnly_127.0.0.1")
        self.assertEqual((line[2], line[6]), ("/", sid))

        # Later visits carry it and are recognised.
        status, head, body = susan.request(base + "/")
        self.assertEqual(susan.sent_cookie(), "sid=" + sid)
        self.assertIsNone(SID_RE.search(head), head)
        self.assertIn(b"Welcome back! You have visited 2 times", body)

        # An item page, then the cart: the server acts on the cookie.
        status, _, body = susan.request(base + "/item/router")
        self.assertEqual(status, 200)
        status, head, _ = susan.request("-d", "item=socks&qty=2", base + "/cart")
        self.assertEqual(status, 303)
        self.assertRegex(head, rb"(?mi)^location: /cart\r?$")
        self.assertRegex(head, rb"(?mi)^set-cookie: last_added=socks; Max-Age=3600; Path=/cart;")
        # Acknowledged, so committed: another connection sees it now.
        self.assertEqual(self.db("SELECT session, item, qty FROM carts"), [(sid, "socks", 2)])
        status, _, body = susan.request(base + "/cart")
        self.assertIn(b'<a href="/item/socks">Socks</a></td><td>2</td>', body)
        # Path=/cart: sent to /cart, not to /.
        self.assertIn("last_added=socks", susan.sent_cookie())
        self.assertIn(b"Last added:", body)
        # Recommendations from the history: router was looked at, so hardware.
        self.assertIn(b"Recommended for you", body)
        self.assertIn(b'<li><a href="/item/switch">', body)
        susan.request(base + "/")
        self.assertEqual(susan.sent_cookie(), "sid=" + sid)
        status, _, body = susan.request(base + "/history")
        self.assertIn(b'<a href="/item/router">', body)

        # Another jar is another user, with a cart of its own.
        bob = self.jar("bob.jar")
        status, head, body = bob.request(base + "/cart")
        self.assertIn(b"Your cart is empty", body)
        bob_sid = SID_RE.search(head).group(1).decode()
        self.assertNotEqual(bob_sid, sid)
        self.assertEqual(len(self.db("SELECT id FROM sessions")), 2)

        # Restart the server on the same database: Susan's session and cart are still known.
        self.assertStopsCleanly(self.server)
        self.server = self.start()
        status, head, body = susan.request(self.server.base + "/cart")
        self.assertEqual(susan.sent_cookie().count("sid=" + sid), 1)
        self.assertIsNone(SID_RE.search(head), head)
        self.assertIn(b'<a href="/item/socks">Socks</a></td><td>2</td>', body)

        # Emptying the cart deletes last_added (Max-Age=0), and curl drops it from the jar.
        status, head, _ = susan.request("-X", "POST", self.server.base + "/cart/clear")
        self.assertEqual(status, 303)
        self.assertRegex(head, rb"(?mi)^set-cookie: last_added=; Max-Age=0; Path=/cart;")
        status, _, body = susan.request(self.server.base + "/cart")
        self.assertNotIn("last_added", susan.sent_cookie())
        self.assertIn(b"Your cart is empty", body)
        self.assertStopsCleanly(self.server)

    def test_a_bad_sid_is_replaced(self):
        for n, bad in enumerate(["sid=not-hex", "sid=" + "0" * 32]):
            stranger = self.jar("stranger%d.jar" % n)
            status, head, body = stranger.request("-b", bad, self.server.base + "/")
            self.assertEqual(status, 200)
            m = SID_RE.search(head)
            self.assertIsNotNone(m, head)
            self.assertNotEqual(m.group(1), b"0" * 32)
            self.assertIn(b"first visit", body)
        self.server.wait_for(r"malformed sid cookie, replaced by a new session")
        self.server.wait_for(r"unknown or expired sid cookie, replaced by a new session")
        self.assertNotIn("0" * 32, self.server.stderr())

    def test_hostile_forms_are_refused(self):
        user = self.jar("user.jar")
        base = self.server.base
        for data in ["item=socks&qty=99999999999999999999", "item=socks&qty=0",
                     "item=nonesuch&qty=1", "item=%3Cscript%3E"]:
            status, _, body = user.request("-d", data, base + "/cart")
            self.assertEqual(status, 400, data)
            self.assertNotIn(b"<script>", body)
        status, _, _ = user.request("-d", "&".join(["item=socks"] * 10000), base + "/cart")
        self.assertEqual(status, 413)
        # Over the driver's body limit: refused before it is read whole.
        big = os.path.join(self.dir.name, "big")
        with open(big, "wb") as f:
            f.write(b"item=" + b"a" * 200_000)
        status, _, _ = user.request("--data-binary", "@" + big, base + "/cart")
        self.assertEqual(status, 413)
        self.assertEqual(self.db("SELECT count(*) FROM carts"), [(0,)])
        # Multipart (curl -F) works as well as urlencoded.
        status, _, _ = user.request("-F", "item=mug", "-F", "qty=3", base + "/cart")
        self.assertEqual(status, 303)
        self.assertEqual(self.db("SELECT item, qty FROM carts"), [("mug", 3)])
        self.assertStillRunning(self.server)

    def test_python_cookiejar_and_urllib(self):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        base = self.server.base
        with opener.open(base + "/", timeout=IO_TIMEOUT) as r:
            self.assertIn(b"first visit", r.read())
        [sid] = [c for c in jar if c.name == "sid"]
        self.assertEqual(sid.path, "/")
        self.assertTrue(sid.has_nonstandard_attr("HttpOnly"))
        self.assertFalse(sid.secure)
        self.assertIsNotNone(sid.expires)
        # POST, then urllib follows the 303 with a GET carrying the cookies.
        form = urllib.parse.urlencode({"item": "textbook", "qty": "2"}).encode()
        with opener.open(base + "/cart", data=form, timeout=IO_TIMEOUT) as r:
            self.assertEqual(r.geturl(), base + "/cart")
            body = r.read()
        self.assertIn(b'<a href="/item/textbook">', body)
        self.assertIn(b"Last added:", body)
        [last] = [c for c in jar if c.name == "last_added"]
        self.assertEqual((last.value, last.path), ("textbook", "/cart"))
        # The theme cookie: POST /prefs, 303 back to the page named in the form.
        form = urllib.parse.urlencode({"theme": "dark", "back": "/history"}).encode()
        with opener.open(base + "/prefs", data=form, timeout=IO_TIMEOUT) as r:
            self.assertEqual(r.geturl(), base + "/history")
            self.assertIn(b'<body class="dark">', r.read())
        [theme] = [c for c in jar if c.name == "theme"]
        self.assertFalse(theme.has_nonstandard_attr("HttpOnly"))
        # A fresh jar: someone else.
        other = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with other.open(base + "/cart", timeout=IO_TIMEOUT) as r:
            self.assertIn(b"Your cart is empty", r.read())
        # Unknown items are 404 pages, with the cookie still honoured.
        with self.assertRaises(urllib.error.HTTPError) as e:
            opener.open(base + "/item/no-such-thing", timeout=IO_TIMEOUT)
        self.assertEqual(e.exception.code, 404)
        e.exception.close()


if __name__ == "__main__":
    l7test.main()
