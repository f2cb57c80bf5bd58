// An LD_PRELOAD library for kill_at_every_syscall.py: it numbers, in the
// order they are made across all threads, the calls by which a process
// changes files, and
//   KILL_AT_SYSCALL=N   kills the process (SIGKILL) just before the N-th,
//                       so that call and everything after it never happen;
//   SYSCALL_TRACE=FILE  appends "N call what" to FILE for each of them.
// Counted: open/openat that may write or create, write/pwrite/writev to a
// regular file (not to fds 0-2: the log), fsync, fdatasync, ftruncate,
// rename*, link*, unlink*, mkdir*, rmdir, fchmod*, fchown*. Anything a
// program does through other libc entry points is not seen, which is why
// the script compares this count with strace's.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static atomic_long calls;
static long kill_at = -1;
static int trace_fd = -1;

__attribute__((constructor)) static void init(void) {
  const char* k = getenv("KILL_AT_SYSCALL");
  if (k != NULL) kill_at = atol(k);
  const char* t = getenv("SYSCALL_TRACE");
  // A raw syscall: this open is the shim's own, not the program's.
  if (t != NULL) trace_fd = (int)syscall(SYS_openat, AT_FDCWD, t, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

// The next counted call, described by `what`: traced, and killed at.
static void count(const char* call, const char* what) {
  long n = atomic_fetch_add(&calls, 1) + 1;
  if (trace_fd >= 0) {
    char line[PATH_MAX + 128];
    int len = snprintf(line, sizeof line, "%ld %s %s\n", n, call, what);
    if (len > (int)sizeof line - 1) len = (int)sizeof line - 1;
    if (syscall(SYS_write, trace_fd, line, (size_t)len) < 0) abort();
  }
  if (n == kill_at) syscall(SYS_kill, getpid(), SIGKILL);
}

static void count_fd(const char* call, int fd) {
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = trace_fd >= 0 ? readlink(link, target, sizeof target - 1) : -1;
  target[n > 0 ? n : 0] = '\0';
  count(call, target);
}

static int writes_a_file(int fd) {
  struct stat st;
  return fd > 2 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static void count_two(const char* call, const char* from, const char* to) {
  char what[2 * PATH_MAX + 8];
  snprintf(what, sizeof what, "%s -> %s", from, to);
  count(call, what);
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))
#define WRITES(flags) (((flags) & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0)
#define MODE_ARG(flags, mode)            \
  if ((flags) & (O_CREAT | O_TMPFILE)) { \
    va_list ap;                          \
    va_start(ap, flags);                 \
    mode = va_arg(ap, mode_t);           \
    va_end(ap);                          \
  }

int open(const char* path, int flags, ...) {
  mode_t mode = 0;
  MODE_ARG(flags, mode)
  if (WRITES(flags)) count("open", path);
  return REAL(open)(path, flags, mode);
}
int open64(const char* path, int flags, ...) {
  mode_t mode = 0;
  MODE_ARG(flags, mode)
  if (WRITES(flags)) count("open", path);
  return REAL(open64)(path, flags, mode);
}
int openat(int dirfd, const char* path, int flags, ...) {
  mode_t mode = 0;
  MODE_ARG(flags, mode)
  if (WRITES(flags)) count("openat", path);
  return REAL(openat)(dirfd, path, flags, mode);
}
int openat64(int dirfd, const char* path, int flags, ...) {
  mode_t mode = 0;
  MODE_ARG(flags, mode)
  if (WRITES(flags)) count("openat", path);
  return REAL(openat64)(dirfd, path, flags, mode);
}
ssize_t write(int fd, const void* buf, size_t size) {
  if (writes_a_file(fd)) count_fd("write", fd);
  return REAL(write)(fd, buf, size);
}
ssize_t pwrite(int fd, const void* buf, size_t size, off_t at) {
  if (writes_a_file(fd)) count_fd("pwrite", fd);
  return REAL(pwrite)(fd, buf, size, at);
}
ssize_t writev(int fd, const struct iovec* iov, int n) {
  if (writes_a_file(fd)) count_fd("writev", fd);
  return REAL(writev)(fd, iov, n);
}
int fsync(int fd) {
  count_fd("fsync", fd);
  return REAL(fsync)(fd);
}
int fdatasync(int fd) {
  count_fd("fdatasync", fd);
  return REAL(fdatasync)(fd);
}
int ftruncate(int fd, off_t size) {
  count_fd("ftruncate", fd);
  return REAL(ftruncate)(fd, size);
}
int rename(const char* from, const char* to) {
  count_two("rename", from, to);
  return REAL(rename)(from, to);
}
int renameat(int fromfd, const char* from, int tofd, const char* to) {
  count_two("renameat", from, to);
  return REAL(renameat)(fromfd, from, tofd, to);
}
int renameat2(int fromfd, const char* from, int tofd, const char* to, unsigned flags) {
  count_two("renameat2", from, to);
  return REAL(renameat2)(fromfd, from, tofd, to, flags);
}
int link(const char* from, const char* to) {
  count_two("link", from, to);
  return REAL(link)(from, to);
}
int linkat(int fromfd, const char* from, int tofd, const char* to, int flags) {
  count_two("linkat", from, to);
  return REAL(linkat)(fromfd, from, tofd, to, flags);
}
int unlink(const char* path) {
  count("unlink", path);
  return REAL(unlink)(path);
}
int unlinkat(int dirfd, const char* path, int flags) {
  count("unlinkat", path);
  return REAL(unlinkat)(dirfd, path, flags);
}
int mkdir(const char* path, mode_t mode) {
  count("mkdir", path);
  return REAL(mkdir)(path, mode);
}
int mkdirat(int dirfd, const char* path, mode_t mode) {
  count("mkdirat", path);
  return REAL(mkdirat)(dirfd, path, mode);
}
int rmdir(const char* path) {
  count("rmdir", path);
  return REAL(rmdir)(path);
}
int fchmod(int fd, mode_t mode) {
  count_fd("fchmod", fd);
  return REAL(fchmod)(fd, mode);
}
int fchmodat(int dirfd, const char* path, mode_t mode, int flags) {
  count("fchmodat", path);
  return REAL(fchmodat)(dirfd, path, mode, flags);
}
int fchown(int fd, uid_t uid, gid_t gid) {
  count_fd("fchown", fd);
  return REAL(fchown)(fd, uid, gid);
}
int fchownat(int dirfd, const char* path, uid_t uid, gid_t gid, int flags) {
  count("fchownat", path);
  return REAL(fchownat)(dirfd, path, uid, gid, flags);
}
