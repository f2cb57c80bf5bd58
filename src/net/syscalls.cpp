#include "net/syscalls.hpp"

#include <sys/sendfile.h>

namespace weft::net::detail {

const syscall_table libc_syscalls = {
    &::recv, &::send, &::sendmsg, &::recvfrom, &::sendto, &::accept4, &::connect, &::sendfile, true,
};

syscall_table sys = libc_syscalls;

}  // namespace weft::net::detail
