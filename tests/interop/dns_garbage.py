#!/usr/bin/python3
"""`l7 dns serve` against bad input: 100,000 random and mutated datagrams over UDP and a few
thousand over TCP (bit flips, truncations, random section counts, compression pointers, bad
framing). Afterwards the server must still be running and answer a normal query correctly,
and every reply that came back must be well-formed (dnspython parses it), have QR=1 and
carry the id of a query we sent.

The packets come from a seeded generator (DNS_GARBAGE_SEED overrides the seed), so a failure
can be replayed. Counts and the time spent are bounded; how many replies come back is not
asserted (UDP may drop, and the server rightly ignores much of this)."""

import errno
import os
import random
import select
import socket
import struct

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rcode

import l7test
from l7test import Deadline, IO_TIMEOUT, tcp_connect, udp_socket
from dns_helpers import DnsTestCase, SERVER_UDP_SIZE, ask_udp, from_message, query, rr, tcp_frame

SEED = int(os.environ.get("DNS_GARBAGE_SEED", "20240101"))
UDP_PACKETS = 100_000
UDP_BATCH = 250  # datagrams sent before the replies are read
UDP_TIME_LIMIT = 35.0  # stop sending early rather than run past this (slow sanitizer builds)
TCP_CONNECTIONS = 100
TCP_MESSAGES_PER_CONNECTION = 30
TCP_TIME_LIMIT = 20.0

# Opcodes dnspython can parse; others are checked from the header alone.
KNOWN_OPCODES = {int(o) for o in dns.opcode.Opcode}


def seed_queries():
    """Valid queries of many shapes: the material the mutations start from."""
    out = []
    names = [
        "www.example.test",
        "alias.example.test",
        "foo.wild.example.test",
        "x.sub.example.test",
        "www.old.example.test",
        "big.example.test",
        "nope.example.test",
        "example.test",
        "example.org",
        "_sip._tcp.example.test",
    ]
    types = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "ANY", "DS", "SRV", "CNAME", "AXFR", "IXFR"]
    for i, name in enumerate(names):
        for j, rtype in enumerate(types):
            kwargs = {}
            if (i + j) % 3 == 1:
                kwargs = {"use_edns": 0, "payload": 4096}
            elif (i + j) % 3 == 2:
                kwargs = {
                    "use_edns": 0,
                    "payload": 1232,
                    "want_dnssec": True,
                    "options": [dns.edns.GenericOption(10, b"\x01" * 8)],
                }  # a COOKIE
            out.append(query(name, rtype, **kwargs).to_wire())
    # One with a compression pointer in the additional section (an OPT owned by a pointer to
    # the question name is invalid, and so a good FORMERR case to mutate).
    base = query("www.example.test", "A").to_wire()
    opt = b"\xc0\x0c" + struct.pack("!HHIH", 41, 1232, 0, 0)
    out.append(base[:10] + struct.pack("!H", 1) + base[12:] + opt)
    return out


class Mutator:
    def __init__(self, rng, seeds):
        self.rng = rng
        self.seeds = seeds

    def random_packet(self):
        rng = self.rng
        kind = rng.randrange(4)
        if kind == 0:
            return rng.randbytes(rng.randrange(0, 64))  # short, often below a header
        if kind == 1:
            return rng.randbytes(rng.randrange(12, 700))
        # A plausible header (QR=0, small counts) over random bytes: gets past the first checks.
        header = struct.pack(
            "!6H",
            rng.randrange(65536),
            rng.randrange(65536) & 0x7FFF,
            rng.choice([0, 1, 1, 1, 2]),
            rng.choice([0, 0, 1]),
            rng.choice([0, 0, 1]),
            rng.choice([0, 1, 2]),
        )
        return header + rng.randbytes(rng.randrange(0, 300))

    def mutate(self, data):
        rng = self.rng
        data = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            op = rng.randrange(9)
            if op == 0 and data:  # bit flips
                for _ in range(rng.randrange(1, 9)):
                    i = rng.randrange(len(data))
                    data[i] ^= 1 << rng.randrange(8)
            elif op == 1 and data:  # truncation
                del data[rng.randrange(len(data)) :]
            elif op == 2 and len(data) >= 12:  # random section counts
                field = rng.randrange(4)
                value = rng.choice([0, 1, 2, 3, 255, 0x7FFF, 0xFFFF, rng.randrange(65536)])
                data[4 + 2 * field : 6 + 2 * field] = struct.pack("!H", value)
            elif op == 3 and len(data) > 12:  # a compression pointer somewhere
                i = rng.randrange(12, len(data))
                target = rng.choice([0, 12, i, i + 1, len(data), 0x3FFF, rng.randrange(0x4000)])
                data[i : i + 2] = struct.pack("!H", 0xC000 | (target & 0x3FFF))
            elif op == 4:  # random bytes appended
                data += rng.randbytes(rng.randrange(1, 64))
            elif op == 5 and data:  # a byte set to an interesting value
                data[rng.randrange(len(data))] = rng.choice(
                    [0, 1, 0x3F, 0x40, 0x7F, 0x80, 0xC0, 0xFF]
                )
            elif op == 6 and len(data) >= 4:  # opcode, flags, rcode
                data[2] = rng.randrange(256) & 0x7F  # QR stays 0: we want replies
                data[3] = rng.randrange(256)
            elif op == 7 and len(data) > 13:  # a label length made wrong
                data[12] = rng.randrange(256)
            elif op == 8 and len(data) > 12:  # a chunk repeated
                a = rng.randrange(12, len(data))
                b = rng.randrange(a, min(len(data), a + 40) + 1)
                data[b:b] = data[a:b] * rng.randrange(1, 4)
        return bytes(data)

    def packet(self):
        if self.rng.random() < 0.25:
            return self.random_packet()
        return self.mutate(self.rng.choice(self.seeds))


class GarbageTest(DnsTestCase):
    def setUp(self):
        super().setUp()
        self.rng = random.Random(SEED)
        self.mutator = Mutator(self.rng, seed_queries())

    def where(self, srv):
        return "seed %d (DNS_GARBAGE_SEED)\n%s" % (SEED, srv.describe())

    def assertWellFormedReply(self, reply, sent_ids, srv, transport):
        """The checks every reply must pass, whatever was sent."""
        what = "%s reply %r\n%s" % (transport, reply[:64], self.where(srv))
        self.assertGreaterEqual(len(reply), 12, what)
        qid, flags = struct.unpack("!HH", reply[:4])
        self.assertTrue(flags & dns.flags.QR, "QR=0 in a reply: " + what)
        self.assertIn(qid, sent_ids, "a reply with an id we never sent: " + what)
        if transport == "udp":
            self.assertLessEqual(len(reply), SERVER_UDP_SIZE, what)
        # dnspython only knows the assigned opcodes, and parses UPDATE's sections by their
        # UPDATE meaning; the structure is the same for all, so parse it as a QUERY.
        opcode = (flags >> 11) & 0xF
        if opcode not in KNOWN_OPCODES or opcode == dns.opcode.UPDATE:
            reply = reply[:2] + struct.pack("!H", flags & ~0x7800) + reply[4:]
        try:
            msg = dns.message.from_wire(reply, ignore_trailing=False)
        except Exception as e:  # any parse failure is a malformed reply
            self.fail("reply does not parse (%s: %s): %s" % (type(e).__name__, e, what))
        self.assertTrue(len(msg.question) <= 1, what)

    def assertStillAnswers(self, srv):
        self.assertStillRunning(srv)
        msg, _ = ask_udp(srv, query("www.example.test", "A"))
        got = from_message(msg)
        self.assertEqual(got["rcode"], "NOERROR", self.where(srv))
        self.assertEqual(got["flags"], {"qr", "aa"}, self.where(srv))
        self.assertEqual(got["answer"], [rr("www", 300, "A", "192.0.2.80")], self.where(srv))

    def test_udp_flood_of_bad_datagrams(self):
        srv = self.dns_server("--threads", "2")
        sent_ids = set()
        replies = []
        with udp_socket(rcvbuf=4 << 20) as s:
            s.setblocking(False)

            def drain(wait):
                # Reads whatever has arrived; waits up to `wait` seconds for the first datagram.
                while True:
                    if wait > 0:
                        ready, _, _ = select.select([s], [], [], wait)
                        if not ready:
                            return
                    try:
                        data, peer = s.recvfrom(65535)
                    except BlockingIOError:
                        return
                    self.assertEqual(peer, srv.address)
                    replies.append(data)
                    wait = 0

            deadline = Deadline(UDP_TIME_LIMIT)
            sent = 0
            while sent < UDP_PACKETS and not deadline.expired():
                for _ in range(UDP_BATCH):
                    packet = self.mutator.packet()
                    if len(packet) >= 2:
                        sent_ids.add(struct.unpack("!H", packet[:2])[0])
                    try:
                        s.sendto(packet, srv.address)
                    except OSError as e:
                        # A full send buffer is the only acceptable failure; skip the packet.
                        if e.errno not in (errno.EAGAIN, errno.ENOBUFS):
                            raise
                    sent += 1
                drain(0.002)
            # The stragglers: wait until nothing has come for a while (bounded).
            quiet = Deadline(10)
            while not quiet.expired():
                before = len(replies)
                drain(0.3)
                if len(replies) == before:
                    break
        self.assertGreater(sent, 1000, "the flood hardly started")
        for reply in replies:
            self.assertWellFormedReply(reply, sent_ids, srv, "udp")
        print("\nudp: %d datagrams sent, %d replies checked" % (sent, len(replies)))
        self.assertStillAnswers(srv)
        self.assertStopsCleanly(srv)

    def test_tcp_streams_of_bad_messages(self):
        srv = self.dns_server("--threads", "2", "--tcp-idle-timeout", "2s")
        deadline = Deadline(TCP_TIME_LIMIT)
        total_sent = total_replies = 0
        for conn in range(TCP_CONNECTIONS):
            if deadline.expired():
                break
            sent_ids = set()
            stream = b""
            for _ in range(TCP_MESSAGES_PER_CONNECTION):
                packet = self.mutator.packet()
                if len(packet) >= 2:
                    sent_ids.add(struct.unpack("!H", packet[:2])[0])
                stream += tcp_frame(packet)
            # Some connections end with broken framing: a length beyond what follows, or a
            # zero length; the server must drop them without harm.
            tail = self.rng.randrange(4)
            if tail == 1:
                stream += struct.pack("!H", 500) + b"\x00" * 20
            elif tail == 2:
                stream += b"\x00\x00"
            elif tail == 3:
                stream += b"\x05"
            total_sent += TCP_MESSAGES_PER_CONNECTION
            with tcp_connect(srv.address) as s:
                try:
                    s.sendall(stream)
                    s.shutdown(socket.SHUT_WR)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server may give up on the connection before reading it all
                # The server closes after the last reply (our EOF) or at the idle timeout.
                data = l7test.recv_to_eof(s, timeout=IO_TIMEOUT + 5)
            offset = 0
            while offset < len(data):
                self.assertGreaterEqual(
                    len(data) - offset, 2, "half a length prefix: %r" % data[offset:]
                )
                (length,) = struct.unpack("!H", data[offset : offset + 2])
                reply = data[offset + 2 : offset + 2 + length]
                self.assertEqual(len(reply), length, "a reply cut short\n" + self.where(srv))
                self.assertWellFormedReply(reply, sent_ids, srv, "tcp")
                offset += 2 + length
                total_replies += 1
        print("\ntcp: %d messages sent, %d replies checked" % (total_sent, total_replies))
        self.assertGreater(total_sent, 100, "the TCP part hardly started")
        self.assertStillAnswers(srv)
        self.assertStopsCleanly(srv)


if __name__ == "__main__":
    l7test.main()
