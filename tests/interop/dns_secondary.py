#!/usr/bin/python3
"""An l7 secondary follows its primary's SOA timers (RFC 1035 section 4.3.5): it serves the
transferred zone, answers SERVFAIL once `expire` passes without contact, and serves again
when the primary is back. Timers here are seconds long; every wait is bounded."""

import os
import signal

import dns.flags
import dns.message
import dns.query
import dns.rcode

import dns_helpers
import l7test
from l7test import wait_until

ZONE = os.path.join(dns_helpers.DATA, "secondary", "expire.test.zone")


def ask(server, name="www.expire.test", rtype="A"):
    """(rcode text, aa) of one UDP query, or None when nothing came back."""
    q = dns.message.make_query(name, rtype)
    try:
        r = dns.query.udp(q, server.host, port=server.port, timeout=1.0)
    except Exception:  # noqa: BLE001 - a lost or refused datagram is just "no answer yet"
        return None
    return dns.rcode.to_text(r.rcode()), bool(r.flags & dns.flags.AA)


class SecondaryTest(dns_helpers.DnsTestCase):
    def primary(self, port=0):
        srv = dns_helpers.DnsServer(
            ["--zone", "expire.test=%s" % ZONE, "--threads", "1", "--listen", "127.0.0.1:%d" % port]
        )
        self._procs.append(srv)
        return srv

    def test_expires_without_its_primary_and_recovers(self):
        primary = self.primary()
        secondary = self.dns_server(
            "--secondary", "expire.test=127.0.0.1:%d" % primary.port, zone=None
        )
        wait_until(lambda: ask(secondary) == ("NOERROR", True), 30, interval=0.2,
                   what="the secondary to serve the transferred zone")
        secondary.wait_for(r"AXFR from 127\.0\.0\.1:%d, serial 1" % primary.port)

        primary.stop(signal.SIGTERM)
        wait_until(lambda: ask(secondary) == ("SERVFAIL", False), 30, interval=0.2,
                   what="the secondary to expire the zone")
        secondary.wait_for(r"SOA expire")

        # The primary comes back on the same port: the secondary serves again.
        self.primary(primary.port)
        wait_until(lambda: ask(secondary) == ("NOERROR", True), 30, interval=0.2,
                   what="the secondary to serve again after its primary returned")
        self.assertStopsCleanly(secondary)


if __name__ == "__main__":
    l7test.main()
