#!/usr/bin/python3
"""Dynamic update (RFC 2136) with TSIG (RFC 8945): BIND's nsupdate changes zones served by
`l7 dns serve`, `l7 dns update` and `l7 dns register` change zones served by l7 and by BIND's
named, and an acknowledged update survives kill -9 (the journal is fsynced before the reply).
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile

import dns_helpers
import l7test
from l7test import free_port
from l7test import run_l7, wait_until

ZONE = os.path.join(dns_helpers.DATA, "update", "example.test.zone")
KEY_NAME = "update-key"
SECRET = "bDctaW50ZXJvcC10c2lnLXNlY3JldC0wMDE="  # base64 of a 25-byte secret
WRONG = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA=="
KEY = "hmac-sha256:%s:%s" % (KEY_NAME, SECRET)


def run_tool(args, input=None):
    return subprocess.run(args, input=input, capture_output=True, text=True, timeout=60)


class UpdateTest(dns_helpers.DnsTestCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="l7-dns-update-")
        self.zone = os.path.join(self.tmp, "example.test.zone")
        shutil.copy(ZONE, self.zone)

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def serve(self):
        return self.dns_server("--tsig-key", "%s:%s" % (KEY_NAME, SECRET), zone=self.zone)

    def dig(self, server, *args):
        cp = run_tool(["dig", "@" + server.host, "-p", str(server.port), "+norec", "+time=2",
                       "+tries=2"] + list(args))
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        return cp.stdout

    def short(self, server, name, rtype="A"):
        out = self.dig(server, "+short", name, rtype)
        return sorted(line for line in out.splitlines() if line)

    def status(self, server, name, rtype="A"):
        out = self.dig(server, name, rtype)
        return out.split("status: ", 1)[1].split(",", 1)[0]

    def nsupdate(self, server, commands, key=KEY):
        script = "server %s %d\nzone example.test\n%s\nsend\n" % (server.host, server.port, commands)
        return run_tool(["nsupdate", "-y", key], input=script)

    def test_nsupdate_adds_and_deletes_records(self):
        srv = self.serve()
        cp = self.nsupdate(srv, "update add new.example.test 600 A 192.0.2.7\n"
                                "update add new.example.test 600 TXT \"from nsupdate\"\n"
                                "update delete old.example.test A")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)  # nsupdate checked our TSIG
        self.assertEqual(self.short(srv, "new.example.test"), ["192.0.2.7"])
        self.assertEqual(self.short(srv, "new.example.test", "TXT"), ['"from nsupdate"'])
        self.assertEqual(self.short(srv, "old.example.test"), [])
        self.assertEqual(self.short(srv, "old.example.test", "TXT"), ['"to be deleted"'])
        # RFC 2136 section 3.6: the serial went up by one.
        self.assertEqual(self.short(srv, "example.test", "SOA")[0].split()[2], "2026010102")
        # Deleting every RRset of a name makes it stop existing.
        cp = self.nsupdate(srv, "update delete old.example.test")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertEqual(self.status(srv, "old.example.test"), "NXDOMAIN")

    def test_updates_need_the_right_key(self):
        srv = self.serve()
        unsigned = run_tool(["nsupdate"], input="server %s %d\nzone example.test\n"
                            "update add x.example.test 60 A 192.0.2.9\nsend\n" % srv.address)
        self.assertNotEqual(unsigned.returncode, 0)
        self.assertIn("REFUSED", unsigned.stdout + unsigned.stderr)
        wrong = self.nsupdate(srv, "update add x.example.test 60 A 192.0.2.9",
                              key="hmac-sha256:%s:%s" % (KEY_NAME, WRONG))
        self.assertNotEqual(wrong.returncode, 0)
        self.assertIn("BADSIG", wrong.stdout + wrong.stderr)
        unknown = self.nsupdate(srv, "update add x.example.test 60 A 192.0.2.9",
                                key="hmac-sha256:nobody:%s" % SECRET)
        self.assertNotEqual(unknown.returncode, 0)
        self.assertIn("BADKEY", unknown.stdout + unknown.stderr)
        self.assertEqual(self.status(srv, "x.example.test"), "NXDOMAIN")
        srv.wait_for(r"TSIG update-key\. BADSIG")

    def test_prerequisites(self):
        srv = self.serve()
        taken = self.nsupdate(srv, "prereq nxdomain www.example.test\n"
                                   "update add www.example.test 60 TXT \"mine\"")
        self.assertNotEqual(taken.returncode, 0)
        self.assertIn("YXDOMAIN", taken.stdout + taken.stderr)
        missing = self.nsupdate(srv, "prereq yxrrset www.example.test TXT\n"
                                     "update delete www.example.test A")
        self.assertIn("NXRRSET", missing.stdout + missing.stderr)
        self.assertEqual(self.short(srv, "www.example.test"), ["192.0.2.80"])
        exact = self.nsupdate(srv, "prereq yxrrset www.example.test A 192.0.2.80\n"
                                   "update delete www.example.test A 192.0.2.80\n"
                                   "update add www.example.test 300 A 192.0.2.81")
        self.assertEqual(exact.returncode, 0, exact.stdout + exact.stderr)
        self.assertEqual(self.short(srv, "www.example.test"), ["192.0.2.81"])

    def test_acknowledged_update_survives_kill_9(self):
        srv = self.serve()
        cp = self.nsupdate(srv, "update add durable.example.test 300 A 192.0.2.55")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        srv.send_signal(signal.SIGKILL)  # no shutdown, no flush: only what was fsynced stays
        srv.wait()
        again = self.serve()
        again.wait_for(r"1 journal entries replayed")
        self.assertEqual(self.short(again, "durable.example.test"), ["192.0.2.55"])
        # The journal also feeds IXFR: the change since the file's serial, incrementally.
        ixfr = self.dig(again, "example.test", "IXFR=2026010101", "+tcp")
        self.assertIn("durable.example.test.", ixfr)
        self.assertNotIn("www.example.test.", ixfr)

    def test_key_from_the_config_file(self):
        conf = os.path.join(self.tmp, "l7.toml")
        with open(conf, "w") as f:
            f.write('listen = ["127.0.0.1:0"]\nthreads = 1\n'
                    '[[key]]\nname = "%s"\nsecret = "%s"\n'
                    '[[zone]]\norigin = "example.test"\nfile = "example.test.zone"\n'
                    % (KEY_NAME, SECRET))
        srv = dns_helpers.DnsServer(["--config", conf])
        self._procs.append(srv)
        cp = self.nsupdate(srv, "update add conf.example.test 60 A 192.0.2.60")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertEqual(self.short(srv, "conf.example.test"), ["192.0.2.60"])

    def test_l7_update_and_register_against_l7(self):
        srv = self.serve()
        args = ["dns", "update", "-s", "%s:%d" % srv.address, "-z", "example.test", "-k", KEY,
                "--add", "api 120 A 192.0.2.40", "--add", "api 120 AAAA 2001:db8::40",
                "--delete", "old"]
        cp = run_l7(args)
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("updated", cp.stdout)
        self.assertEqual(self.short(srv, "api.example.test"), ["192.0.2.40"])
        self.assertEqual(self.short(srv, "api.example.test", "AAAA"), ["2001:db8::40"])
        self.assertEqual(self.status(srv, "old.example.test"), "NXDOMAIN")
        # A failed prerequisite is exit 1 with the rcode, and changes nothing.
        cp = run_l7(["dns", "update", "-s", "%s:%d" % srv.address, "-z", "example.test", "-k", KEY,
                     "--require-no-name", "api", "--add", "api 120 A 192.0.2.41"])
        self.assertEqual(cp.returncode, 1, cp.stdout + cp.stderr)
        self.assertIn("YXDOMAIN", cp.stderr)
        self.assertEqual(self.short(srv, "api.example.test"), ["192.0.2.40"])
        # The registrar's job: NS and glue for a new child domain, and the zone refers to it.
        cp = run_l7(["dns", "register", "shop.example.test", "-s", "%s:%d" % srv.address, "-k", KEY,
                     "--ns", "ns1.shop.example.test=192.0.2.201", "--ns", "ns.elsewhere.net"])
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        referral = self.dig(srv, "www.shop.example.test", "A")
        self.assertRegex(referral, r"(?m)^shop\.example\.test\.\s+172800\s+IN\s+NS\s+ns1\.shop\.example\.test\.$")
        self.assertRegex(referral, r"(?m)^shop\.example\.test\.\s+172800\s+IN\s+NS\s+ns\.elsewhere\.net\.$")
        self.assertRegex(referral, r"(?m)^ns1\.shop\.example\.test\.\s+172800\s+IN\s+A\s+192\.0\.2\.201$")
        self.assertNotRegex(referral, r"flags: qr aa")
        # A wrong key: the server says BADSIG and l7 exits 1.
        cp = run_l7(["dns", "update", "-s", "%s:%d" % srv.address, "-z", "example.test",
                     "-k", "%s:%s" % (KEY_NAME, WRONG), "--add", "bad 60 A 192.0.2.1"])
        self.assertEqual(cp.returncode, 1, cp.stdout + cp.stderr)
        self.assertIn("NOTAUTH", cp.stderr)

    def test_l7_update_against_bind(self):
        named = shutil.which("named")
        self.assertIsNotNone(named, "named (bind9) is not installed")
        port = free_port()
        conf = os.path.join(self.tmp, "named.conf")
        with open(conf, "w") as f:
            f.write("""
key "%(key)s" { algorithm hmac-sha256; secret "%(secret)s"; };
options {
    directory "%(dir)s";
    listen-on port %(port)d { 127.0.0.1; };
    listen-on-v6 { none; };
    pid-file "%(dir)s/named.pid";
    session-keyfile "%(dir)s/session.key";
    recursion no;
    dnssec-validation no;
};
controls { };
zone "example.test" {
    type primary;
    file "%(zone)s";
    allow-update { key "%(key)s"; };
};
""" % {"key": KEY_NAME, "secret": SECRET, "dir": self.tmp, "port": port, "zone": self.zone})
        log = open(os.path.join(self.tmp, "named.log"), "w")
        proc = subprocess.Popen([named, "-g", "-u", "root", "-c", conf], stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            class Named:
                host = "127.0.0.1"
            Named.port = port
            Named.address = ("127.0.0.1", port)

            def answers():
                cp = run_tool(["dig", "@127.0.0.1", "-p", str(port), "+short", "+time=1",
                               "+tries=1", "example.test", "SOA"])
                return cp.returncode == 0 and "2026010101" in cp.stdout
            wait_until(answers, 20, interval=0.2, what="named to load the zone")
            cp = run_l7(["dns", "update", "-s", "127.0.0.1:%d" % port, "-z", "example.test",
                         "-k", KEY, "--add", "from-l7 60 TXT \"hello bind\"", "--delete", "old"])
            self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
            self.assertEqual(self.short(Named, "from-l7.example.test", "TXT"), ['"hello bind"'])
            self.assertEqual(self.status(Named, "old.example.test"), "NXDOMAIN")
            cp = run_l7(["dns", "update", "-s", "127.0.0.1:%d" % port, "-z", "example.test",
                         "-k", "%s:%s" % (KEY_NAME, WRONG), "--add", "bad 60 A 192.0.2.1"])
            self.assertEqual(cp.returncode, 1, cp.stdout + cp.stderr)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


if __name__ == "__main__":
    l7test.main()
