#!/usr/bin/env python3
"""bench/quote_figures.py on a small tree of its own: --write refills a stale
quote, and --check fails, naming the place, on each kind of drift it is
meant to catch. Run by ctest (tests/docs/CMakeLists.txt); standard library
only."""
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "quote_figures.py")

PERFORMANCE = """# weft performance

## Event loop

| benchmark | median ns | min–max ns | instructions / iteration |
|---|---:|---:|---:|
| `BM_yield_pingpong` | 21.62 | 19.36–26.25 | 251.0 |
| `BM_yield_pingpong/boost_fiber` | 116.8 | 112.1–178.5 | – |

| claim | source | medians | ratio | result |
|---|---|---|---:|---|
| `BM_yield_pingpong` ≤ 0.25 × `BM_yield_pingpong/boost_fiber` | issue 5 | 21.62 / 116.8 ns | 0.185 | **PASS** |

## rotated at scale

```
  start (spawn, baseline, first checks): 400 ms
```
"""


class quote_figures(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.TemporaryDirectory()
        self.write("docs/performance.md", PERFORMANCE)

    def tearDown(self):
        self.root.cleanup()

    def write(self, path, text):
        full = os.path.join(self.root.name, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8") as f:
            f.write(text)

    def read(self, path):
        with open(os.path.join(self.root.name, path), encoding="utf-8") as f:
            return f.read()

    def run_script(self, mode):
        return subprocess.run([sys.executable, SCRIPT, mode, "--root", self.root.name], capture_output=True,
                              text=True)

    def test_write_refills_every_kind_of_key_and_check_then_passes(self):
        self.write("docs/a.md", "median <!-- fig: BM_yield_pingpong median_ns -->9<!-- /fig --> ns,\n"
                                "max <!-- fig: BM_yield_pingpong max_ns -->9<!-- /fig --> ns,\n"
                                "<!-- fig: BM_yield_pingpong instructions -->9<!-- /fig --> instructions,\n"
                                "ratio <!-- fig: BM_yield_pingpong ratio_to BM_yield_pingpong/boost_fiber -->9<!-- /fig -->,\n"
                                "start <!-- fig: rotated.idle_start_ms -->9<!-- /fig --> ms\n")
        self.assertEqual(self.run_script("--write").returncode, 0)
        self.assertEqual(self.read("docs/a.md"),
                         "median <!-- fig: BM_yield_pingpong median_ns -->21.62<!-- /fig --> ns,\n"
                         "max <!-- fig: BM_yield_pingpong max_ns -->26.25<!-- /fig --> ns,\n"
                         "<!-- fig: BM_yield_pingpong instructions -->251.0<!-- /fig --> instructions,\n"
                         "ratio <!-- fig: BM_yield_pingpong ratio_to BM_yield_pingpong/boost_fiber -->0.185<!-- /fig -->,\n"
                         "start <!-- fig: rotated.idle_start_ms -->400<!-- /fig --> ms\n")
        result = self.run_script("--check")
        self.assertEqual((result.returncode, result.stdout), (0, ""))

    def test_check_names_the_doc_line_key_and_both_values_of_a_stale_quote(self):
        self.write("docs/a.md", "text\nmedian <!-- fig: BM_yield_pingpong median_ns -->10.8<!-- /fig --> ns\n")
        result = self.run_script("--check")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, "docs/a.md:2: <!-- fig: BM_yield_pingpong median_ns --> quotes '10.8', "
                                        "docs/performance.md has '21.62'\n")

    def test_check_fails_on_a_key_performance_md_lacks(self):
        self.write("README.md", "<!-- fig: BM_gone median_ns -->1<!-- /fig --> ns\n"
                                "<!-- fig: BM_yield_pingpong/boost_fiber instructions -->1<!-- /fig -->\n")
        result = self.run_script("--check")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout,
                         "README.md:1: <!-- fig: BM_gone median_ns --> names a figure docs/performance.md does not have\n"
                         "README.md:2: <!-- fig: BM_yield_pingpong/boost_fiber instructions --> names a figure "
                         "docs/performance.md does not have\n")

    def test_check_fails_on_a_figure_typed_by_hand_but_not_on_marked_or_code_ones(self):
        self.write("docs/a.md", "A yield costs 10.8 ns,\n"
                                "a spawn 683 instructions, 0.60x and 1.12–1.28× and 3\n"
                                "ms.\n"
                                "<!-- fact -->18 instructions<!-- /fact --> each way, `sleep(50ms)`, 0x10 ms\n"
                                "```\nlateness 9.4 us\n```\n"
                                "<!-- once -->2.7 ns (measured once on 2026-12-04, AMD EPYC;\nnot regenerated)<!-- /once -->\n")
        result = self.run_script("--check")
        self.assertEqual(result.returncode, 1)
        self.assertEqual([line.split(": ", 1)[0] + " " + line.split("'")[1] for line in result.stdout.splitlines()],
                         ["docs/a.md:1 10.8 ns", "docs/a.md:2 683 instructions", "docs/a.md:2 0.60x",
                          "docs/a.md:2 1.12–1.28×", "docs/a.md:2 3 ms"])

    def test_check_fails_on_a_one_off_figure_that_does_not_say_it_is_one(self):
        self.write("docs/a.md", "x\n<!-- once -->2.7 ns on AMD EPYC<!-- /once -->\n")
        result = self.run_script("--check")
        self.assertEqual(result.returncode, 1)
        self.assertIn("docs/a.md:2: <!-- once --> span without", result.stdout)

    def test_check_fails_on_a_link_to_a_missing_section_of_performance_md(self):
        self.write("docs/a.md", "[figures](performance.md#event-loop), [gone](performance.md#sockets)\n")
        result = self.run_script("--check")
        self.assertEqual((result.returncode, result.stdout),
                         (1, "docs/a.md:1: docs/performance.md has no section #sockets\n"))

    def test_check_fails_on_a_measured_figure_in_a_code_comment(self):
        self.write("src/loop/x.cpp", "int a = 1;  // a round trip took 2.7 ns\n// 18 instructions each way\n")
        result = self.run_script("--check")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, "src/loop/x.cpp:1: measured figure in a comment (link to the docs instead): "
                                        "int a = 1;  // a round trip took 2.7 ns\n")


if __name__ == "__main__":
    unittest.main()
