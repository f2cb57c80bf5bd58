// Which correctness tools this build talks to. Each is detected from the
// compiler (ASan, TSan) or the configuration (Valgrind headers), so the
// annotations cost nothing in a build without them.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define WEFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define WEFT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_TSAN 1
#endif
#endif

#if defined(WEFT_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(WEFT_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

#if defined(WEFT_HAVE_VALGRIND)
#include <valgrind/valgrind.h>
#endif
