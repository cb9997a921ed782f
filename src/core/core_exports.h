// What libevent_core exports beyond the public headers for the libraries built on it
// (libevent_extra): the replaceable allocator and the log, under libevent's internal
// names. Code in src/rpc (and later dns, http) uses these instead of vigil::mm_malloc
// and vigil::log_message, which are hidden inside libevent_core.
#pragma once

#include <stddef.h>

extern "C" {
void* event_mm_malloc_(size_t n);
void* event_mm_calloc_(size_t count, size_t size);
void* event_mm_realloc_(void* p, size_t n);
void event_mm_free_(void* p);
char* event_mm_strdup_(const char* s);

void event_warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void event_warnx(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void event_msgx(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void event_debugx_(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
}
