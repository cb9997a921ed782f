// Process-wide services every component uses: the replaceable allocator, the log and
// fatal-error channel, debug mode's registry, and the monotonic clock.
#pragma once

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/util.h>

#include <sys/time.h>
#include <time.h>

#include <cstddef>
#include <cstdint>
#include <atomic>
#include <new>
#include <vector>

#define VIGIL_EXPORT __attribute__((visibility("default")))
#define VIGIL_LIKELY(x) __builtin_expect(!!(x), 1)
#define VIGIL_UNLIKELY(x) __builtin_expect(!!(x), 0)

// libevent exports these internal globals; programs built against it may refer to them.
extern "C" {
VIGIL_EXPORT extern ev_uint32_t event_debug_logging_mask_;
VIGIL_EXPORT extern int event_debug_mode_on_;
VIGIL_EXPORT extern struct event_base* event_global_current_base_;
}

namespace vigil {

// Reports through the fatal callback (event_set_fatal_callback) and never returns.
[[noreturn]] void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// ---- memory: every allocation the library makes goes through event_set_mem_functions' hooks.
void* mm_malloc(size_t n);
void* mm_calloc(size_t count, size_t size);
void* mm_realloc(void* p, size_t n);
void mm_free(void* p);
char* mm_strdup(const char* s);

template <class T>
struct MmAllocator {
    using value_type = T;
    MmAllocator() noexcept = default;
    template <class U>
    MmAllocator(const MmAllocator<U>&) noexcept {}
    T* allocate(size_t n) {
        // Containers cannot report failure through the C API; running out of memory
        // while growing one is fatal, as it is for libevent's internal tables.
        void* p = mm_malloc(n * sizeof(T));
        if (!p) fatal("out of memory (%zu bytes)", n * sizeof(T));
        return static_cast<T*>(p);
    }
    void deallocate(T* p, size_t) noexcept { mm_free(p); }
    template <class U>
    bool operator==(const MmAllocator<U>&) const noexcept { return true; }
};
template <class T>
using Vec = std::vector<T, MmAllocator<T>>;

// Objects made with mm_new live in the user's allocator too.
template <class T, class... A>
T* mm_new(A&&... args) {
    void* p = mm_malloc(sizeof(T));
    if (!p) return nullptr;
    return new (p) T(static_cast<A&&>(args)...);
}
template <class T>
void mm_delete(T* p) {
    if (!p) return;
    p->~T();
    mm_free(p);
}

// ---- logging: messages go to the event_set_log_callback hook, or stderr.
void log_message(int severity, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
// Like log_message(EVENT_LOG_WARN) with ": strerror(errno)" appended.
void log_errno(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
#define vigil_warn(...) ::vigil::log_message(EVENT_LOG_WARN, __VA_ARGS__)
#define vigil_debug(...) \
    do { if (VIGIL_UNLIKELY(event_debug_logging_mask_)) ::vigil::log_message(EVENT_LOG_DEBUG, __VA_ARGS__); } while (0)

// ---- debug mode: a registry of every event that has been assigned and not freed.
// g_debug_mode mirrors the exported event_debug_mode_on_ without a GOT load per check.
extern bool g_debug_mode;
// Set (by any thread) once a base or event exists; debug mode must be enabled before.
extern std::atomic<bool> g_any_base_or_event_created;
void debug_note_setup(const event* ev);  // also records that an event exists
void debug_note_teardown_slow(const event* ev);
void debug_set_added_slow(const event* ev, bool added);
void debug_assert_is_setup_slow(const event* ev, const char* func);
void debug_assert_not_added_slow(const event* ev, const char* func);
// Free unless debug mode is on.
inline void debug_note_teardown(const event* ev) {
    if (VIGIL_UNLIKELY(g_debug_mode)) debug_note_teardown_slow(ev);
}
inline void debug_note_add(const event* ev) {
    if (VIGIL_UNLIKELY(g_debug_mode)) debug_set_added_slow(ev, true);
}
inline void debug_note_del(const event* ev) {
    if (VIGIL_UNLIKELY(g_debug_mode)) debug_set_added_slow(ev, false);
}
inline void debug_assert_is_setup(const event* ev, const char* func) {
    if (VIGIL_UNLIKELY(g_debug_mode)) debug_assert_is_setup_slow(ev, func);
}
inline void debug_assert_not_added(const event* ev, const char* func) {
    if (VIGIL_UNLIKELY(g_debug_mode)) debug_assert_not_added_slow(ev, func);
}

// ---- time: the core counts microseconds of CLOCK_MONOTONIC.
using Micros = int64_t;
inline Micros mono_now(clockid_t clock = CLOCK_MONOTONIC) {
    timespec ts;
    clock_gettime(clock, &ts);
    return Micros(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}
inline Micros wall_now() {
    timeval tv;
    gettimeofday(&tv, nullptr);
    return Micros(tv.tv_sec) * 1000000 + tv.tv_usec;
}
inline Micros tv_to_us(const timeval& tv) { return Micros(tv.tv_sec) * 1000000 + tv.tv_usec; }
inline timeval us_to_tv(Micros us) {
    timeval tv;
    tv.tv_sec = time_t(us / 1000000);
    tv.tv_usec = suseconds_t(us % 1000000);
    if (tv.tv_usec < 0) {
        tv.tv_usec += 1000000;
        tv.tv_sec -= 1;
    }
    return tv;
}

}  // namespace vigil
