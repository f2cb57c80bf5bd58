// rotated --import-logrotate: logrotate directives to TOML, each one
// translated or named with the reason, on fixtures in the style of the
// logrotate.d files Debian's packages install (tests/rotated/logrotate.d).
#include <gtest/gtest.h>
#include <unistd.h>

#include "logrotate_import.hpp"
#include "support.hpp"

#ifndef ROTATED_FIXTURES
#error "ROTATED_FIXTURES must name tests/rotated/logrotate.d"
#endif

namespace {

using rotated_test::temp_dir;
using rotated_test::write_text;

std::string fixture(const char* name) { return std::string(ROTATED_FIXTURES) + "/" + name; }

// The translation parses as a configuration, with `files` entries.
rotated::config parsed(const rotated::import_result& r, std::size_t files) {
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.files, files);
  auto c = rotated::parse_config(r.toml, "imported.toml");
  for (const auto& e : c.errors) ADD_FAILURE() << e << "\n" << r.toml;
  if (!c.value) throw std::runtime_error("not a valid configuration");
  EXPECT_EQ(c.value->files.size(), files);
  return *c.value;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

// The files themselves, as Debian 12's packages install them (apt, dpkg,
// nginx-common, rsyslog, and logrotate's btmp and wtmp; .ci/install-deps
// installs the packages for this test): each translates into a valid
// configuration with every translation error-free.
TEST(rotated_import, the_logrotate_d_files_installed_by_debian_packages_translate) {
  for (const char* name : {"apt", "dpkg", "nginx", "rsyslog", "btmp", "wtmp"}) {
    const std::string path = std::string("/etc/logrotate.d/") + name;
    ASSERT_EQ(::access(path.c_str(), R_OK), 0) << path << " is not installed: run .ci/install-deps";
    auto r = rotated::import_logrotate({path});
    EXPECT_TRUE(r.errors.empty()) << path;
    EXPECT_GE(r.files, 1u) << path;
    auto c = rotated::parse_config(r.toml, path + ".toml");
    for (const auto& e : c.errors) ADD_FAILURE() << e << "\n" << r.toml;
    ASSERT_TRUE(c.value) << path;
    EXPECT_EQ(c.value->files.size(), r.files) << path;
  }
}

TEST(rotated_import, dpkg_translates_completely) {
  auto r = rotated::import_logrotate({fixture("dpkg")});
  auto cfg = parsed(r, 2);
  const auto& f = cfg.files[0];
  EXPECT_EQ(f.path, "/var/log/dpkg.log");
  EXPECT_EQ(f.keep, 12u);
  ASSERT_TRUE(f.calendar);
  EXPECT_EQ(f.calendar->period, rotated::calendar_period::monthly);
  EXPECT_TRUE(f.compress && f.missing_ok && f.not_if_empty);
  EXPECT_EQ(f.create.mode, mode_t(0644));
  EXPECT_EQ(f.create.owner, uid_t(0));
  EXPECT_EQ(cfg.files[1].path, "/var/log/alternatives.log");
  EXPECT_EQ(r.toml.find("# untranslated"), std::string::npos) << r.toml;
}

// sharedscripts over several paths: one group of [[file]] tables sharing
// its postrotate.
TEST(rotated_import, rsyslog_gives_one_entry_per_file_in_one_group_sharing_its_hooks) {
  auto r = rotated::import_logrotate({fixture("rsyslog")});
  auto cfg = parsed(r, 6);
  for (const auto& f : cfg.files) {
    EXPECT_EQ(f.keep, 4u);
    EXPECT_EQ(f.calendar->period, rotated::calendar_period::weekly);
    ASSERT_TRUE(f.postrotate);
    EXPECT_EQ(f.postrotate->command, (std::vector<std::string>{"/usr/lib/rsyslog/rsyslog-rotate"}));
    EXPECT_TRUE(f.shared_hooks);
    EXPECT_EQ(f.group, "imported.toml: group " + fixture("rsyslog") + ":3");
  }
  EXPECT_EQ(cfg.files[5].path, "/var/log/cron.log");
  EXPECT_EQ(r.toml.find("# untranslated"), std::string::npos) << r.toml;
}

// firstaction and lastaction become the group's; a block of one path
// needs no group name, a pattern's matches form its group by themselves.
TEST(rotated_import, firstaction_and_lastaction_translate_to_the_group_hooks) {
  auto r = rotated::import_logrotate_text(
      "/var/log/a.log /var/log/b.log {\n  daily\n  rotate 2\n  firstaction\n    /usr/bin/first\n  endscript\n"
      "  lastaction\n    /usr/bin/last x || true\n  endscript\n}\n"
      "/var/log/c/*.log {\n  weekly\n  rotate 3\n  sharedscripts\n  postrotate\n    /usr/bin/reopen\n  endscript\n"
      "  firstaction\n    echo $1 | mail root\n  endscript\n  preremove\n    /bin/true\n  endscript\n}\n",
      "l.conf");
  auto cfg = parsed(r, 3);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& f = cfg.files[i];
    ASSERT_TRUE(f.firstaction && f.lastaction);
    EXPECT_EQ(f.firstaction->command, (std::vector<std::string>{"/usr/bin/first"}));
    EXPECT_EQ(f.lastaction->command, (std::vector<std::string>{"/usr/bin/last", "x"}));
    EXPECT_FALSE(f.shared_hooks);
    EXPECT_EQ(f.group, "imported.toml: group l.conf:1");
  }
  const auto& c = cfg.files[2];
  EXPECT_TRUE(c.pattern);
  EXPECT_TRUE(c.shared_hooks);
  EXPECT_FALSE(c.firstaction);
  EXPECT_EQ(c.group, "imported.toml: [[file]] at line " + std::to_string(c.line));
  EXPECT_TRUE(has_line(r.toml,
                       "# untranslated `firstaction`: a shell script, and rotated runs no shell; were it "
                       "wanted:"))
      << r.toml;
  EXPECT_TRUE(has_line(r.toml, "#  firstaction = [\"/bin/sh\", \"-c\", \"echo $1 | mail root\"]")) << r.toml;
  EXPECT_TRUE(has_line(r.toml,
                       "# untranslated `preremove` (l.conf:21): rotated runs no hook before it removes a "
                       "version; the script is left out"))
      << r.toml;
  EXPECT_EQ(r.toml.find("group = \"l.conf:11\""), std::string::npos) << r.toml;
}

TEST(rotated_import, nginx_keeps_its_pattern_and_names_the_shell_prerotate) {
  auto r = rotated::import_logrotate({fixture("nginx")});
  auto cfg = parsed(r, 1);
  const auto& f = cfg.files[0];
  EXPECT_TRUE(f.pattern);
  EXPECT_EQ(f.path, "/var/log/nginx/*.log");
  EXPECT_EQ(f.keep, 14u);
  EXPECT_EQ(f.calendar->period, rotated::calendar_period::daily);
  EXPECT_FALSE(f.prerotate);
  EXPECT_TRUE(f.shared_hooks);
  ASSERT_TRUE(f.postrotate);
  EXPECT_EQ(f.postrotate->command, (std::vector<std::string>{"invoke-rc.d", "nginx", "rotate"}));
  EXPECT_TRUE(
      has_line(r.toml, "# untranslated `prerotate`: a shell script, and rotated runs no shell; were it wanted:"))
      << r.toml;
  EXPECT_TRUE(has_line(r.toml,
                       "#  prerotate = [\"/bin/sh\", \"-c\", \"if [ -d /etc/logrotate.d/httpd-prerotate ]; then "
                       "run-parts /etc/logrotate.d/httpd-prerotate; fi\"]"))
      << r.toml;
}

TEST(rotated_import, apt_and_logrotate_name_what_differs) {
  auto apt = rotated::import_logrotate({fixture("apt")});
  parsed(apt, 2);
  EXPECT_TRUE(has_line(apt.toml,
                       "# untranslated `compress` without `delaycompress`: rotated leaves FILE.1 "
                       "uncompressed all the same"))
      << apt.toml;
  auto lr = rotated::import_logrotate({fixture("logrotate")});
  auto cfg = parsed(lr, 2);
  EXPECT_EQ(cfg.files[0].path, "/var/log/wtmp");
  EXPECT_EQ(cfg.files[0].keep, 1u);
  EXPECT_EQ(cfg.files[0].min_size, 1u << 20);
  EXPECT_EQ(cfg.files[0].create.mode, mode_t(0664));
}

// Globals apply to the blocks after them, includes are followed (files of
// a directory in name order, taboo extensions skipped), and directives
// without an equivalent are named with their line and reason.
TEST(rotated_import, globals_includes_and_untranslatable_directives) {
  temp_dir dir;
  ASSERT_EQ(::mkdir((dir / "d").c_str(), 0755), 0);
  write_text(dir / "d/b", "/var/log/b.log {\n  daily\n}\n");
  write_text(dir / "d/a",
             "/var/log/a.log {\n  rotate 2\n  dateyesterday\n  olddir /var/log/old\n  mail root\n  dateext\n"
             "  dateformat -%Y-%m-%d\n}\n");
  write_text(dir / "d/a.dpkg-old", "/var/log/old.log {\n}\n");
  write_text(dir / "main.conf", "weekly\nrotate 5\nfrobnicate\ninclude " + dir / "d" +
                                    "\n/var/log/a.log {\n}\n"
                                    "/var/log/c.log /var/*/x.log {\n  size 100k\n  maxsize 1M\n  copytruncate\n}\n");
  auto r = rotated::import_logrotate({dir / "main.conf"});
  auto cfg = parsed(r, 3);
  EXPECT_EQ(cfg.files[0].path, "/var/log/a.log");
  EXPECT_EQ(cfg.files[0].keep, 2u);
  EXPECT_EQ(cfg.files[0].calendar->period, rotated::calendar_period::weekly);
  EXPECT_EQ(cfg.files[1].path, "/var/log/b.log");
  EXPECT_EQ(cfg.files[1].keep, 5u);
  EXPECT_EQ(cfg.files[1].calendar->period, rotated::calendar_period::daily);
  EXPECT_EQ(cfg.files[2].path, "/var/log/c.log");
  EXPECT_FALSE(cfg.files[2].calendar);
  EXPECT_EQ(cfg.files[2].max_size, 100u * 1024);
  EXPECT_TRUE(cfg.files[2].copytruncate);
  const std::string a = dir / "d/a";
  for (const std::string& line : std::vector<std::string>{
           "# untranslated `frobnicate` (" + dir / "main.conf" + ":3): no rotated equivalent",
           "# untranslated `dateyesterday` (" + a + ":3): rotated dates a version by the time of its rotation",
           "dateext = \"-%Y-%m-%d\"", "olddir = \"/var/log/old\"",
           "# untranslated `mail root` (" + a + ":5): rotated never mails a dropped version",
           "# untranslated path \"/var/log/a.log\": named by an earlier block, whose settings rotated keeps",
           "# untranslated path \"/var/*/x.log\": a pattern in a directory name; rotated takes patterns in the file "
           "name only",
           "# untranslated `maxsize` with `size`: size alone decides, as in logrotate"})
    EXPECT_TRUE(has_line(r.toml, line)) << line << "\n---\n" << r.toml;
  EXPECT_EQ(r.toml.find("old.log"), std::string::npos);
  EXPECT_EQ(cfg.files[0].olddir, "/var/log/old");
}

// olddir (relative to the file's directory, as in logrotate) and
// createolddir with its mode and owner, and --check (load_config, which
// also checks the filesystem) accepts the output.
TEST(rotated_import, olddir_and_createolddir_translate) {
  temp_dir dir;
  auto r = rotated::import_logrotate_text("createolddir 0750 root root\n" + dir / "a.log" +
                                              " {\n  rotate 2\n  olddir old\n}\n" + dir / "b.log" +
                                              " {\n  rotate 2\n  olddir " + dir / "older" + "\n  nocreateolddir\n}\n",
                                          "l.conf");
  auto cfg = parsed(r, 2);
  EXPECT_EQ(cfg.files[0].olddir, dir / "old");
  EXPECT_TRUE(cfg.files[0].create_olddir.enabled);
  EXPECT_EQ(cfg.files[0].create_olddir.mode, mode_t(0750));
  EXPECT_EQ(cfg.files[0].create_olddir.owner, uid_t(0));
  EXPECT_EQ(cfg.files[1].olddir, dir / "older");
  EXPECT_FALSE(cfg.files[1].create_olddir.enabled);
  write_text(dir / "c.toml", r.toml, 0644);
  auto checked = rotated::load_config(dir / "c.toml", false);
  for (const auto& e : checked.errors) ADD_FAILURE() << e;
  EXPECT_TRUE(checked.value);
}

}  // namespace
