// Glob patterns in [[file]] paths: only the name, matched through the
// directory's descriptor, never a symlink, never one of rotated's versions.
#include <gtest/gtest.h>

#include <unistd.h>

#include "patterns.hpp"
#include "support.hpp"

namespace {

using rotated_test::config_from;
using rotated_test::temp_dir;
using rotated_test::write_text;

std::vector<std::string> paths_of(const rotated::config& cfg) {
  std::vector<std::string> out;
  for (const auto& f : cfg.files) out.push_back(f.path);
  return out;
}

TEST(rotated_patterns, a_name_is_a_pattern_unless_its_wildcards_are_escaped) {
  EXPECT_TRUE(rotated::is_pattern("*.log"));
  EXPECT_TRUE(rotated::is_pattern("app-?.log"));
  EXPECT_TRUE(rotated::is_pattern("app-[0-9].log"));
  EXPECT_FALSE(rotated::is_pattern("app.log"));
  EXPECT_FALSE(rotated::is_pattern("a\\*b\\?\\[c.log"));
  EXPECT_EQ(rotated::unescape_name("a\\*b\\\\c.log"), "a*b\\c.log");
  auto cfg = config_from(
      "[[file]]\npath = \"/v/*.log\"\nkeep = 2\ndaily = true\n"
      "[[file]]\npath = \"/v/a\\\\*b.log\"\nkeep = 2\ndaily = true\n");
  EXPECT_TRUE(cfg.files[0].pattern);
  EXPECT_FALSE(cfg.files[1].pattern);
  EXPECT_EQ(cfg.files[1].path, "/v/a*b.log");
  auto bad = rotated::parse_config(
      "[[file]]\npath = \"/var/*/a.log\"\nkeep = 2\ndaily = true\n"
      "[[file]]\npath = \"/var/\\\\.\\\\.\"\nkeep = 2\ndaily = true\n",
      "c.toml");
  EXPECT_EQ(bad.errors,
            (std::vector<std::string>{"c.toml:2: 'path': only the file name may be a pattern, not a directory",
                                      "c.toml:6: 'path' must name a file, not '..'"}));
}

TEST(rotated_patterns, expansion_lists_regular_files_only_never_versions_symlinks_or_rotated_temporaries) {
  temp_dir dir;
  for (const char* name : {"access.log", "error.log", "access.log.1", "access.log.2.gz", "access.log.3.zst",
                           ".hidden.log", "other.txt", ".access.log.rotated-new", "error.log.rotated-drop"})
    write_text(dir / name, "x");
  ASSERT_EQ(::symlink((dir / "access.log").c_str(), (dir / "link.log").c_str()), 0);
  ASSERT_EQ(::mkdir((dir / "sub.log").c_str(), 0755), 0);
  auto cfg = config_from("[[file]]\npath = \"" + dir / "error.log" +
                         "\"\nkeep = 9\ndaily = true\n"
                         "[[file]]\npath = \"" +
                         dir / "*.log" + "\"\nkeep = 2\nevery = \"1h\"\n");
  std::vector<std::string> notes;
  auto out = rotated::expand_patterns(cfg, &notes);
  EXPECT_EQ(paths_of(out), (std::vector<std::string>{dir / "error.log", dir / "access.log"}));
  EXPECT_EQ(out.files[0].keep, 9u);  // the literal entry wins over the pattern's match
  EXPECT_EQ(out.files[1].keep, 2u);
  EXPECT_FALSE(out.files[1].pattern);
  EXPECT_TRUE(notes.empty());
}

TEST(rotated_patterns, a_missing_or_symlinked_directory_or_no_match_is_noted_unless_missing_ok) {
  temp_dir dir;
  ASSERT_EQ(::mkdir((dir / "real").c_str(), 0755), 0);
  write_text(dir / "real/a.log", "x");
  ASSERT_EQ(::symlink((dir / "real").c_str(), (dir / "link").c_str()), 0);
  auto cfg = config_from("[[file]]\npath = \"" + dir / "link/*.log" +
                         "\"\nkeep = 2\ndaily = true\n"
                         "[[file]]\npath = \"" +
                         dir / "gone/*.log" +
                         "\"\nkeep = 2\ndaily = true\n"
                         "[[file]]\npath = \"" +
                         dir / "gone2/*.log" +
                         "\"\nkeep = 2\ndaily = true\nmissing_ok = true\n"
                         "[[file]]\npath = \"" +
                         dir / "real/*.txt" + "\"\nkeep = 2\ndaily = true\n");
  std::vector<std::string> notes;
  auto out = rotated::expand_patterns(cfg, &notes);
  EXPECT_TRUE(out.files.empty());
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_EQ(notes[0].rfind(dir / "link/*.log: ", 0), 0u) << notes[0];
  EXPECT_EQ(notes[1].rfind(dir / "gone/*.log: ", 0), 0u) << notes[1];
  EXPECT_EQ(notes[2], dir / "real/*.txt: no file matches");
}

}  // namespace
