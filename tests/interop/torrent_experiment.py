"""`l7 torrent experiment`: the course's distribution-time experiment, small enough for a test.

For N = 1 and 3 it measures an l7 HTTP server behind an l7 link and an l7 swarm, and writes
experiment.csv and experiment.png. Checked: one CSV row per N with the course's lower bounds
(computed here from F, u_s, u_i, d_i), every measured time positive, the PNG well formed
(signature, IHDR of the chart's size, CRCs) and usage errors. Nothing about speed is asserted.
"""

import csv
import os
import struct
import tempfile
import zlib

import l7test

F = 512 * 1024
US, UI, DI = 80e6 / 8, 8e6 / 8, 20e6 / 8  # bytes/s


class ExperimentTest(l7test.TestCase):
    def test_csv_and_png_for_each_n(self):
        with tempfile.TemporaryDirectory() as out:
            cp = l7test.run_l7(["torrent", "experiment", "--peers", "1,3", "--file-size",
                                "512KiB", "--piece-size", "32k", "-o", out], timeout=120)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            self.assertIn("P2P/bound", cp.stdout)
            with open(os.path.join(out, "experiment.csv"), newline="") as f:
                rows = list(csv.DictReader(f))
            self.assertEqual([int(r["peers"]) for r in rows], [1, 3])
            for r in rows:
                n = int(r["peers"])
                self.assertAlmostEqual(float(r["client_server_bound_s"]),
                                       max(n * F / US, F / DI), places=2)
                self.assertAlmostEqual(float(r["p2p_bound_s"]),
                                       max(F / US, F / DI, n * F / (US + n * UI)), places=2)
                self.assertGreater(float(r["client_server_s"]), 0)
                self.assertGreater(float(r["p2p_s"]), 0)
            with open(os.path.join(out, "experiment.png"), "rb") as f:
                png = f.read()
            self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
            pos = 8
            chunks = []
            while pos < len(png):
                (length,) = struct.unpack(">I", png[pos:pos + 4])
                kind = png[pos + 4:pos + 8]
                data = png[pos + 8:pos + 8 + length]
                (crc,) = struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])
                self.assertEqual(crc, zlib.crc32(kind + data), kind)
                chunks.append((kind, data))
                pos += 12 + length
            self.assertEqual(chunks[0][0], b"IHDR")
            self.assertEqual(struct.unpack(">II", chunks[0][1][:8]), (900, 600))
            self.assertEqual(chunks[-1][0], b"IEND")

    def test_usage_errors(self):
        for args, word in ((["--peers", "0"], "--peers"), (["--peers", "5..2"], "backwards"),
                           (["--us", "fast"], "--us"), (["--file-size", "1KiB"], "--file-size")):
            cp = l7test.run_l7(["torrent", "experiment"] + args)
            self.assertEqual(cp.returncode, 2, cp.stderr)
            self.assertIn(word, cp.stderr)


if __name__ == "__main__":
    l7test.main()
