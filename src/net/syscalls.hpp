// The syscalls the socket layer makes, called through this table so that
// tests can put faults on a schedule (EINTR, EAGAIN, short transfers,
// ECONNRESET, EMFILE): tests/net/fault_injection_test.cpp. Unused, it costs
// one indirect call per syscall and no branch.
//
// Points at libc. A test may swap entries while no loop runs any socket
// code; every thread shares the table.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

namespace weft::net::detail {

struct syscall_table {
  ssize_t (*recv)(int fd, void* buf, size_t len, int flags);
  ssize_t (*send)(int fd, const void* buf, size_t len, int flags);
  ssize_t (*sendmsg)(int fd, const msghdr* msg, int flags);
  ssize_t (*recvfrom)(int fd, void* buf, size_t len, int flags, sockaddr* from, socklen_t* from_len);
  ssize_t (*sendto)(int fd, const void* buf, size_t len, int flags, const sockaddr* to, socklen_t to_len);
  int (*accept4)(int fd, sockaddr* addr, socklen_t* len, int flags);
  int (*connect)(int fd, const sockaddr* addr, socklen_t len);
  ssize_t (*sendfile)(int out_fd, int in_fd, off_t* offset, size_t count);
  // Whether a recv on a stream socket that returns fewer bytes than asked
  // found the receive queue empty, as the kernel's does (socket_io.hpp,
  // after_stream_read). A `recv` that cuts transfers short while bytes are
  // left must set it false, or the reader would wait for an edge that
  // never comes.
  bool short_recv_empties;
};

extern syscall_table sys;
// libc's entries, to restore `sys` from.
extern const syscall_table libc_syscalls;

}  // namespace weft::net::detail
