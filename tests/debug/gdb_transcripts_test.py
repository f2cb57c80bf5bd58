#!/usr/bin/env python3
"""What tests/debug/gdb_transcripts.py compares: two sessions have the same
shape when they differ only in addresses, task ids, high-water marks,
process and thread ids, argument values and the lines of files outside
weft; a moved weft frame or another function changes it. Needs no gdb."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gdb_transcripts import shape  # noqa: E402

SESSION = """[New LWP 15905]
weft loop 0x555555587eb0: 6 tasks (asm context)
  task #1 'sleeper' waiting on sleep (spawned at tests/debug/gdb_target.cpp:63) stack 256 KiB, high water 1 KiB
task #1 'sleeper' waiting on sleep (spawned at tests/debug/gdb_target.cpp:63)
#0  0x0000555555563d24 in weft::detail::switch_out<false> (f=0x7ffff7eaff40) at include/weft/detail/fiber/fiber_switch.hpp:114
#1  weft::this_fiber::suspend () at include/weft/detail/fiber/fiber_switch.hpp:191
#2  0x00007ffff7c8ef1f in __pthread_kill_implementation (no_tid=0) at ./nptl/pthread_kill.c:44
#3  0x000055555555b783 in (anonymous namespace)::sleeper_waits_on_timer () at tests/debug/gdb_target.cpp:23
"""


class gdb_transcript_shape(unittest.TestCase):
    def test_addresses_ids_marks_values_and_foreign_lines_do_not_count(self):
        other = (SESSION.replace("15905", "20001").replace("0x555555587eb0", "0x5555555a0eb0")
                 .replace("task #1", "task #7").replace("high water 1 KiB", "high water 2 KiB")
                 .replace("0x0000555555563d24", "0x0000555555564007").replace("f=0x7ffff7eaff40", "f=...")
                 .replace("pthread_kill.c:44", "pthread_kill.c:45"))
        self.assertEqual(shape(other), shape(SESSION))

    def test_frames_keep_their_function_and_weft_file_and_line(self):
        self.assertEqual(shape(SESSION)[4:], [
            "#0 weft::detail::switch_out<false> at include/weft/detail/fiber/fiber_switch.hpp:114",
            "#1 weft::this_fiber::suspend at include/weft/detail/fiber/fiber_switch.hpp:191",
            "#2 __pthread_kill_implementation",
            "#3 (anonymous namespace)::sleeper_waits_on_timer at tests/debug/gdb_target.cpp:23"])

    def test_a_moved_weft_line_or_another_function_changes_the_shape(self):
        self.assertNotEqual(shape(SESSION.replace("fiber_switch.hpp:191", "fiber_switch.hpp:190")), shape(SESSION))
        self.assertNotEqual(shape(SESSION.replace("switch_out<false>", "jump<false>")), shape(SESSION))
        self.assertNotEqual(shape(SESSION.replace("gdb_target.cpp:63)", "gdb_target.cpp:64)")), shape(SESSION))


if __name__ == "__main__":
    unittest.main()
