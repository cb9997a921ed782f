// event_set_mem_functions, the log and fatal callbacks, debug logging and debug mode.
#include "core/base.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace {

void* (*g_malloc_fn)(size_t) = nullptr;
void* (*g_realloc_fn)(void*, size_t) = nullptr;
void (*g_free_fn)(void*) = nullptr;
event_log_cb g_log_cb = nullptr;
event_fatal_cb g_fatal_cb = nullptr;

void emit(int severity, const char* msg) {
    if (g_log_cb) {
        g_log_cb(severity, msg);
        return;
    }
    const char* tag = "???";
    switch (severity) {
        case EVENT_LOG_DEBUG: tag = "debug"; break;
        case EVENT_LOG_MSG: tag = "msg"; break;
        case EVENT_LOG_WARN: tag = "warn"; break;
        case EVENT_LOG_ERR: tag = "err"; break;
    }
    fprintf(stderr, "[%s] %s\n", tag, msg);
}

// Debug mode's registry: every assigned event, and whether it is added.
struct DebugRegistry {
    std::mutex lock;
    std::unordered_map<const event*, bool> events;
};
DebugRegistry& registry() {
    static DebugRegistry* r = new DebugRegistry;  // never destroyed: events may outlive exit handlers
    return *r;
}

}  // namespace

extern "C" {
VIGIL_EXPORT ev_uint32_t event_debug_logging_mask_ = 0;
VIGIL_EXPORT int event_debug_mode_on_ = 0;
}

namespace vigil {

std::atomic<bool> g_any_base_or_event_created{false};
bool g_debug_mode = false;

void* mm_malloc(size_t n) {
    if (n == 0) return nullptr;
    return g_malloc_fn ? g_malloc_fn(n) : malloc(n);
}
void* mm_calloc(size_t count, size_t size) {
    if (count == 0 || size == 0) return nullptr;
    if (size > SIZE_MAX / count) {
        errno = ENOMEM;
        return nullptr;
    }
    if (!g_malloc_fn) return calloc(count, size);
    void* p = g_malloc_fn(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}
void* mm_realloc(void* p, size_t n) { return g_realloc_fn ? g_realloc_fn(p, n) : realloc(p, n); }
void mm_free(void* p) {
    if (g_free_fn)
        g_free_fn(p);
    else
        free(p);
}
char* mm_strdup(const char* s) {
    size_t n = strlen(s) + 1;
    char* d = static_cast<char*>(mm_malloc(n));
    if (d) memcpy(d, s, n);
    return d;
}

// As libevent's, debug messages are dropped unless event_enable_debug_logging is on.
static void log_va(int severity, bool with_errno, const char* fmt, va_list ap) {
    if (severity == EVENT_LOG_DEBUG && !event_debug_logging_mask_) return;
    const int err = errno;
    char buf[1024];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (with_errno && n >= 0 && size_t(n) < sizeof buf)
        snprintf(buf + n, sizeof buf - size_t(n), ": %s", strerror(err));
    emit(severity, buf);
}

void log_message(int severity, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_va(severity, false, fmt, ap);
    va_end(ap);
}

void log_errno(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_va(EVENT_LOG_WARN, true, fmt, ap);
    va_end(ap);
}

// libevent's code for internal assertion failures.
constexpr int kAbortCode = int(0xdeaddead);

// Ends the program after a fatal error, as libevent does: through the fatal callback
// (which may not return: if it does, the program exits anyway), else abort() for an
// internal error and exit(code) for the others.
[[noreturn]] static void exit_with(int code) {
    if (g_fatal_cb) {
        g_fatal_cb(code);
        exit(code);
    }
    if (code == kAbortCode) abort();
    exit(code);
}

void fatal(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    log_va(EVENT_LOG_ERR, false, fmt, ap);
    va_end(ap);
    exit_with(kAbortCode);
}

void debug_note_setup(const event* ev) {
    if (!g_any_base_or_event_created.load(std::memory_order_relaxed))
        g_any_base_or_event_created.store(true, std::memory_order_relaxed);
    if (!event_debug_mode_on_) return;
    auto& r = registry();
    std::lock_guard<std::mutex> g(r.lock);
    r.events[ev] = false;
}

void debug_note_teardown_slow(const event* ev) {
    auto& r = registry();
    std::lock_guard<std::mutex> g(r.lock);
    r.events.erase(ev);
}

void debug_set_added_slow(const event* ev, bool added) {
    auto& r = registry();
    std::lock_guard<std::mutex> g(r.lock);
    auto it = r.events.find(ev);
    if (it == r.events.end())
        fatal("%s on an event that was never assigned or is already freed: %p (events 0x%x, fd %d)",
              added ? "event_add" : "event_del", static_cast<const void*>(ev), unsigned(ev->ev_events) & 0xffff,
              ev->ev_fd);
    it->second = added;
}

void debug_assert_is_setup_slow(const event* ev, const char* func) {
    auto& r = registry();
    std::lock_guard<std::mutex> g(r.lock);
    if (!r.events.count(ev))
        fatal("%s called on an event that was never assigned or is already freed: %p (events 0x%x, fd %d)",
              func, static_cast<const void*>(ev), unsigned(ev->ev_events) & 0xffff, ev->ev_fd);
}

void debug_assert_not_added_slow(const event* ev, const char* func) {
    auto& r = registry();
    std::lock_guard<std::mutex> g(r.lock);
    auto it = r.events.find(ev);
    if (it != r.events.end() && it->second)
        fatal("%s called on an event that is already added: %p (events 0x%x, fd %d); delete it first",
              func, static_cast<const void*>(ev), unsigned(ev->ev_events) & 0xffff, ev->ev_fd);
}

}  // namespace vigil

using namespace vigil;

extern "C" {

VIGIL_EXPORT void event_set_mem_functions(void* (*malloc_fn)(size_t), void* (*realloc_fn)(void*, size_t),
                                          void (*free_fn)(void*)) {
    g_malloc_fn = malloc_fn;
    g_realloc_fn = realloc_fn;
    g_free_fn = free_fn;
}

VIGIL_EXPORT void event_set_log_callback(event_log_cb cb) { g_log_cb = cb; }
VIGIL_EXPORT void event_set_fatal_callback(event_fatal_cb cb) { g_fatal_cb = cb; }
VIGIL_EXPORT void event_enable_debug_logging(ev_uint32_t which) { event_debug_logging_mask_ = which; }

VIGIL_EXPORT void event_enable_debug_mode(void) {
    if (event_debug_mode_on_) fatal("event_enable_debug_mode was called twice");
    if (g_any_base_or_event_created)
        fatal("event_enable_debug_mode must be called before any event or event_base is created");
    event_debug_mode_on_ = 1;
    g_debug_mode = true;
}

// libevent_core exports its allocator and log entry points under these internal names
// for libevent_extra; vigil's extra library uses them the same way, and binaries built
// against libevent may refer to them.
VIGIL_EXPORT void* event_mm_malloc_(size_t n) { return mm_malloc(n); }
VIGIL_EXPORT void* event_mm_calloc_(size_t count, size_t size) { return mm_calloc(count, size); }
VIGIL_EXPORT void* event_mm_realloc_(void* p, size_t n) { return mm_realloc(p, n); }
VIGIL_EXPORT void event_mm_free_(void* p) { mm_free(p); }
VIGIL_EXPORT char* event_mm_strdup_(const char* s) {
    if (!s) {
        errno = EINVAL;
        return nullptr;
    }
    return mm_strdup(s);
}

// The socket variants report errno too: on POSIX a socket's error is errno.
#define VIGIL_LOG_ENTRY(name, params, severity, with_errno) \
    VIGIL_EXPORT void name params {                         \
        va_list ap;                                         \
        va_start(ap, fmt);                                  \
        log_va(severity, with_errno, fmt, ap);              \
        va_end(ap);                                         \
    }
VIGIL_LOG_ENTRY(event_warn, (const char* fmt, ...), EVENT_LOG_WARN, true)
VIGIL_LOG_ENTRY(event_warnx, (const char* fmt, ...), EVENT_LOG_WARN, false)
VIGIL_LOG_ENTRY(event_msgx, (const char* fmt, ...), EVENT_LOG_MSG, false)
VIGIL_LOG_ENTRY(event_debugx_, (const char* fmt, ...), EVENT_LOG_DEBUG, false)
VIGIL_LOG_ENTRY(event_sock_warn, (evutil_socket_t, const char* fmt, ...), EVENT_LOG_WARN, true)
#undef VIGIL_LOG_ENTRY

#define VIGIL_ERR_ENTRY(name, params, with_errno) \
    [[noreturn]] VIGIL_EXPORT void name params {  \
        va_list ap;                               \
        va_start(ap, fmt);                        \
        log_va(EVENT_LOG_ERR, with_errno, fmt, ap); \
        va_end(ap);                               \
        exit_with(eval);                          \
    }
VIGIL_ERR_ENTRY(event_err, (int eval, const char* fmt, ...), true)
VIGIL_ERR_ENTRY(event_errx, (int eval, const char* fmt, ...), false)
VIGIL_ERR_ENTRY(event_sock_err, (int eval, evutil_socket_t, const char* fmt, ...), true)
#undef VIGIL_ERR_ENTRY

VIGIL_EXPORT void event_debug_unassign(struct event* ev) {
    if (!ev) return;
    debug_assert_not_added(ev, "event_debug_unassign");
    debug_note_teardown(ev);
    ev->ev_flags &= ~EVLIST_INIT;
}

}  // extern "C"
