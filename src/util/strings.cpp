// String helpers of event2/util.h: evutil_snprintf / evutil_vsnprintf,
// evutil_strtoll, the ASCII-only case-insensitive comparisons and evutil_date_rfc1123.
#include "core/runtime.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

// Folds 'A'..'Z' only; every other byte, including those above 0x7f, is left alone.
// The result is a plain (signed on x86) char because libevent compares folded
// characters that way: bytes above 0x7f sort before every ASCII character.
inline char fold(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

}  // namespace

extern "C" {

VIGIL_EXPORT int evutil_vsnprintf(char* buf, size_t buflen, const char* format, va_list ap) {
    // No room at all: nothing is written and, as in libevent, 0 is returned rather
    // than the length the output would have had.
    if (buflen == 0) return 0;
    if (!buf || !format) return -1;
    const int r = vsnprintf(buf, buflen, format, ap);
    // libevent terminates the last byte of the buffer in every case, also when the
    // output was shorter (the byte after the output's own terminator is then cleared).
    buf[buflen - 1] = '\0';
    return r;
}

VIGIL_EXPORT int evutil_snprintf(char* buf, size_t buflen, const char* format, ...) {
    va_list ap;
    va_start(ap, format);
    const int r = evutil_vsnprintf(buf, buflen, format, ap);
    va_end(ap);
    return r;
}

VIGIL_EXPORT ev_int64_t evutil_strtoll(const char* s, char** endptr, int base) {
    if (!s) {
        if (endptr) *endptr = nullptr;
        errno = EINVAL;
        return 0;
    }
    // libevent hands this to the C library; so does vigil (locale, errno and all).
    return static_cast<ev_int64_t>(strtoll(s, endptr, base));
}

VIGIL_EXPORT int evutil_ascii_strcasecmp(const char* s1, const char* s2) {
    if (!s1 || !s2) return s1 == s2 ? 0 : (s1 ? 1 : -1);
    for (;; ++s1, ++s2) {
        const char c1 = fold(*s1), c2 = fold(*s2);
        if (c1 < c2) return -1;
        if (c1 > c2) return 1;
        if (c1 == '\0') return 0;
    }
}

VIGIL_EXPORT int evutil_ascii_strncasecmp(const char* s1, const char* s2, size_t n) {
    if (n == 0) return 0;
    if (!s1 || !s2) return s1 == s2 ? 0 : (s1 ? 1 : -1);
    for (; n > 0; --n, ++s1, ++s2) {
        const char c1 = fold(*s1), c2 = fold(*s2);
        if (c1 < c2) return -1;
        if (c1 > c2) return 1;
        if (c1 == '\0') return 0;
    }
    return 0;
}

VIGIL_EXPORT int evutil_date_rfc1123(char* date, const size_t datelen, const struct tm* tm) {
    static const char kDays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm now;
    if (!tm) {
        const time_t t = time(nullptr);
        if (!gmtime_r(&t, &now)) return -1;
        tm = &now;
    }
    // libevent indexes its name tables with these unchecked; vigil refuses instead.
    if (tm->tm_wday < 0 || tm->tm_wday > 6 || tm->tm_mon < 0 || tm->tm_mon > 11) return -1;
    // The fields are printed as they are, without normalising them (like libevent),
    // and the result is evutil_snprintf's: 0 for an empty buffer, else the full length.
    return evutil_snprintf(date, datelen, "%s, %02d %s %4lld %02d:%02d:%02d GMT", kDays[tm->tm_wday], tm->tm_mday,
                           kMonths[tm->tm_mon], 1900LL + tm->tm_year, tm->tm_hour, tm->tm_min, tm->tm_sec);
}

}  // extern "C"
