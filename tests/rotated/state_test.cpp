// The state file: atomic, private, parsed tolerantly.
#include <gtest/gtest.h>

#include "state.hpp"
#include "support.hpp"

namespace {

using rotated_test::utc;

TEST(rotated_state, saves_and_loads_back_every_entry_with_mode_0600) {
  rotated_test::temp_dir dir;
  rotated::state_table t;
  t.set("/var/log/a.log", utc("2026-03-08T05:00:00.123456789Z"));
  t.set("/var/log/with space.log", utc("2026-01-01T00:00:00Z"));
  rotated::save_state(dir.path(), t);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(rotated_test::list_dir(dir.path()), (std::vector<std::string>{"state"}));  // no temp left
  auto text = rotated_test::read_text(dir / "state");
  EXPECT_NE(text->find("1772946000123456789 2026-03-08T05:00:00Z /var/log/a.log\n"), std::string::npos) << *text;
  auto back = rotated::load_state(dir.path());
  EXPECT_EQ(back.entries(), t.entries());
}

TEST(rotated_state, a_missing_state_is_empty) {
  rotated_test::temp_dir dir;
  EXPECT_TRUE(rotated::load_state(dir / "nowhere").entries().empty());
  EXPECT_TRUE(rotated::load_state(dir.path()).entries().empty());
}

TEST(rotated_state, damaged_lines_are_skipped_with_a_warning_and_the_rest_kept) {
  std::vector<std::string> warnings;
  auto t = rotated::state_table::parse(
      "# header\n"
      "1772946000000000000 2026-03-08T05:00:00Z /a\n"
      "garbage\n"
      "12x4 2026 /b\n"
      "1772946000000000000 2026-03-08T05:00:00Z relative\n"
      "\n"
      "1700000000000000000 2023-11-14T22:13:20Z /a\n"  // older duplicate: ignored
      "1772946001000000000 2026-03-08T05:00:01Z /c\n"
      "1772946002000000000 2026-03-0",  // torn last line
      &warnings);
  EXPECT_EQ(t.entries().size(), 2u);
  EXPECT_EQ(t.last("/a"), utc("2026-03-08T05:00:00Z"));
  EXPECT_EQ(t.last("/c"), utc("2026-03-08T05:00:01Z"));
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "state line 3: not 'NANOSECONDS UTC [keep=N] /path'; ignored",
                          "state line 4: bad instant; ignored",
                          "state line 5: not 'NANOSECONDS UTC [keep=N] /path'; ignored",
                          "state line 9: incomplete (no newline); ignored",
                      }));
}

TEST(rotated_state, a_save_replaces_the_file_atomically_even_over_a_leftover_temp) {
  rotated_test::temp_dir dir;
  rotated_test::write_text(dir / ".state.tmp", "half-written by a crash");
  rotated::state_table t;
  t.set("/a", utc("2026-01-01T00:00:00Z"));
  rotated::save_state(dir.path(), t);
  t.set("/b", utc("2026-01-02T00:00:00Z"));
  rotated::save_state(dir.path(), t);
  EXPECT_EQ(rotated_test::list_dir(dir.path()), (std::vector<std::string>{"state"}));
  EXPECT_EQ(rotated::load_state(dir.path()).entries().size(), 2u);
}

// How many versions a file's last rotation kept goes with its instant, so
// that a later, smaller keep drops exactly the versions rotated made.
TEST(rotated_state, the_versions_kept_are_saved_and_loaded_back_beside_the_instant) {
  rotated_test::temp_dir dir;
  rotated::state_table t;
  t.set("/var/log/a.log", utc("2026-03-08T05:00:00Z"));
  t.set_kept("/var/log/a.log", 14);
  t.set("/var/log/b.log", utc("2026-03-08T05:00:00Z"));  // never rotated yet: unknown
  rotated::save_state(dir.path(), t);
  auto text = rotated_test::read_text(dir / "state");
  EXPECT_NE(text->find("1772946000000000000 2026-03-08T05:00:00Z keep=14 /var/log/a.log\n"), std::string::npos)
      << *text;
  EXPECT_NE(text->find("1772946000000000000 2026-03-08T05:00:00Z /var/log/b.log\n"), std::string::npos) << *text;
  auto back = rotated::load_state(dir.path());
  EXPECT_EQ(back.kept("/var/log/a.log"), 14u);
  EXPECT_EQ(back.kept("/var/log/b.log"), 0u);
  EXPECT_EQ(back.kept("/var/log/none.log"), 0u);
}

TEST(rotated_state, a_v1_line_has_no_keep_and_a_bad_keep_is_a_damaged_line) {
  std::vector<std::string> warnings;
  auto t = rotated::state_table::parse(
      "1772946000000000000 2026-03-08T05:00:00Z /v1 with space.log\n"
      "1772946000000000000 2026-03-08T05:00:00Z keep=x /a\n"
      "1772946000000000000 2026-03-08T05:00:00Z keep=100001 /b\n"
      "1772946000000000000 2026-03-08T05:00:00Z keep=3 relative\n"
      "1772946000000000000 2026-03-08T05:00:00Z keep=3 /c\n",
      &warnings);
  EXPECT_EQ(t.last("/v1 with space.log"), utc("2026-03-08T05:00:00Z"));
  EXPECT_EQ(t.kept("/v1 with space.log"), 0u);
  EXPECT_EQ(t.kept("/c"), 3u);
  EXPECT_EQ(t.entries().size(), 2u);
  EXPECT_EQ(warnings, (std::vector<std::string>{
                          "state line 2: bad keep=; ignored",
                          "state line 3: bad keep=; ignored",
                          "state line 4: not 'NANOSECONDS UTC [keep=N] /path'; ignored",
                      }));
}

// A 19-digit instant beyond what nanoseconds since 1970 can hold wrapped
// round to a negative one (a time before 1970, so a spurious catch-up).
TEST(rotated_state, an_instant_too_large_for_64_bits_is_a_damaged_line) {
  std::vector<std::string> warnings;
  auto t = rotated::state_table::parse("9999999999999999999 2286-11-20T17:46:39Z /a\n", &warnings);
  EXPECT_FALSE(t.last("/a"));
  EXPECT_EQ(warnings, (std::vector<std::string>{"state line 1: bad instant; ignored"}));
}

}  // namespace
