// What libevent_core exports beyond the public headers for the libraries built on it
// (libevent_extra): the replaceable allocator and the log, under libevent's internal
// names (src/core/log.cpp defines them, with event_mm_calloc_, _realloc_, _strdup_,
// event_msgx, event_debugx_, event_err and co. for binaries that refer to them). Code in
// src/rpc (and later dns, http) uses these, since vigil::mm_malloc and
// vigil::log_message are hidden inside libevent_core.
#pragma once

#include <stddef.h>

extern "C" {
void* event_mm_malloc_(size_t n);
void event_mm_free_(void* p);
void event_warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void event_warnx(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
}
