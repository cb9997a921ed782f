// Address text <-> binary conversions of event2/util.h: evutil_inet_pton,
// evutil_inet_pton_scope, evutil_inet_ntop, evutil_parse_sockaddr_port and
// evutil_sockaddr_cmp.
//
// libevent 2.1.12 does not use inet_pton(3) / inet_ntop(3) for these: it has its own
// parser and formatter, and programs see their rules, which are looser than libc's in
// some places and format some addresses differently. vigil reproduces those rules exactly (the tests in
// tests/util and the differential fuzzers in fuzz/ compare the two libraries):
//
//  * An IPv4 address is four "%u" conversions of sscanf separated by dots and followed
//    by nothing: each number may carry white space and a sign in front of it and any
//    number of leading zeros, is read like strtoul() and then cut to 32 bits, and must
//    end up at most 255 ("01.2.3.4", " 1.2.3.4", "+1.2.3.4" are all 1.2.3.4).
//  * An IPv6 address is up to eight groups of 1 to 4 characters read by strtol(..., 16)
//    (so "0x12" is a group, the 0x included in the 4), at most one "::", a single ':'
//    after the last group tolerated ("1::2:"), and an optional trailing IPv4 part
//    in the form above, which starts at the last run of decimal digits before the
//    first '.'.
//  * Formatting IPv6 compresses the first longest run (two or more) of zero groups and
//    writes ::a.b.c.d and ::ffff:a.b.c.d for the IPv4-compatible and IPv4-mapped forms.
//
// Every parser here works on a [begin, end) range and reads nothing outside it, so
// hostile text of any length is handled without copies or allocations.
#include "core/runtime.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vigil {
namespace {

bool ascii_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// One "%u" conversion of glibc's scanf family, starting at p: optional white space,
// an optional sign, then at least one decimal digit. The digits are converted like
// strtoul() (saturating at ULONG_MAX, a '-' negating modulo 2^64) and the result is
// truncated to unsigned int, as scanf stores it. Returns false on a matching failure.
bool scan_unsigned(const char*& p, const char* end, uint32_t& out) {
    while (p < end && isspace(static_cast<unsigned char>(*p))) ++p;
    bool negative = false;
    if (p < end && (*p == '+' || *p == '-')) {
        negative = *p == '-';
        ++p;
    }
    if (p >= end || !ascii_digit(*p)) return false;
    uint64_t value = 0;
    bool overflow = false;
    for (; p < end && ascii_digit(*p); ++p) {
        const uint64_t digit = uint64_t(*p - '0');
        if (value > (UINT64_MAX - digit) / 10)
            overflow = true;
        else
            value = value * 10 + digit;
    }
    if (overflow)
        value = UINT64_MAX;
    else if (negative)
        value = uint64_t(0) - value;
    out = static_cast<uint32_t>(value);
    return true;
}

// The IPv4 text form described at the top of the file. Writes 4 bytes (network order)
// to out only on success.
bool parse_ipv4(const char* p, const char* end, unsigned char out[4]) {
    unsigned char bytes[4];
    for (int i = 0; i < 4; ++i) {
        if (i > 0) {
            if (p >= end || *p != '.') return false;
            ++p;
        }
        uint32_t v;
        if (!scan_unsigned(p, end, v) || v > 255) return false;
        bytes[i] = static_cast<unsigned char>(v);
    }
    if (p != end) return false;  // anything after the fourth number
    memcpy(out, bytes, 4);
    return true;
}

// What strtol(p, &next, 16) consumes when *p is a hex digit: an optional "0x"/"0X"
// (only when a hex digit follows it; otherwise just the "0"), then hex digits.
// Returns the number of characters consumed; the value is only meaningful when that
// is at most 4, and the caller refuses anything longer.
size_t scan_hex_group(const char* p, const char* end, unsigned& value) {
    const char* q = p;
    if (q[0] == '0' && end - q >= 2 && (q[1] == 'x' || q[1] == 'X')) {
        if (end - q >= 3 && hex_value(q[2]) >= 0) {
            q += 2;
        } else {
            value = 0;
            return 1;  // "0" followed by an 'x' that starts no number
        }
    }
    unsigned v = 0;
    const char* digits = q;
    while (q < end && hex_value(*q) >= 0) {
        if (q - digits < 8) v = (v << 4) | unsigned(hex_value(*q));
        ++q;
    }
    value = v;
    return size_t(q - p);
}

// The IPv6 text form described at the top of the file. Writes 16 bytes to out only on
// success. Returns 1 or 0 like inet_pton.
int parse_ipv6(const char* s, const char* end, unsigned char out[16]) {
    uint16_t words[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int set_words = 0;
    const char* dot = static_cast<const char*>(memchr(s, '.', size_t(end - s)));
    const char* words_end = end;
    if (dot == s) return 0;
    if (dot) {
        // The IPv4 tail starts at the run of decimal digits just before the first dot.
        words_end = dot;
        while (words_end > s && ascii_digit(words_end[-1])) --words_end;
        unsigned char v4[4];
        if (!parse_ipv4(words_end, end, v4)) return 0;
        words[6] = uint16_t((v4[0] << 8) | v4[1]);
        words[7] = uint16_t((v4[2] << 8) | v4[3]);
        set_words = 2;
    }

    int count = 0;     // groups read so far
    int gap_at = -1;   // index of the group where "::" stands
    const char* p = s;
    while (p < words_end) {
        if (count > 7) return 0;
        if (hex_value(*p) >= 0) {
            unsigned value;
            const size_t used = scan_hex_group(p, end, value);
            if (used > 4) return 0;
            words[count++] = uint16_t(value);
            ++set_words;
            p += used;
            // A group ends at a ':' or exactly where the IPv4 tail (or the text) ends;
            // the separator, or that position, is then stepped over.
            if (p != words_end && (p >= end || *p != ':')) return 0;
            ++p;
        } else if (*p == ':' && count > 0 && gap_at < 0) {
            gap_at = count;
            ++p;
        } else if (*p == ':' && count == 0 && end - p >= 2 && p[1] == ':' && gap_at < 0) {
            gap_at = 0;
            p += 2;
        } else {
            return 0;
        }
    }

    if (set_words > 8 || (set_words == 8 && gap_at >= 0) || (set_words < 8 && gap_at < 0)) return 0;
    if (gap_at >= 0) {
        // Slide the groups written after "::" to the end and zero the hole.
        const int after_gap = count - gap_at;
        const int hole = 8 - set_words;
        for (int k = after_gap - 1; k >= 0; --k) words[gap_at + hole + k] = words[gap_at + k];
        for (int k = 0; k < hole; ++k) words[gap_at + k] = 0;
    }
    for (int k = 0; k < 8; ++k) {
        out[2 * k] = static_cast<unsigned char>(words[k] >> 8);
        out[2 * k + 1] = static_cast<unsigned char>(words[k] & 0xff);
    }
    return 1;
}

// evutil_snprintf(dst, len, "%s", text) followed by the "r >= len means failure" test
// that libevent's IPv4 formatter applies: copies what fits, terminates at the end of
// the copy and at dst[len - 1], returns whether the whole text fitted.
bool put_truncated(char* dst, size_t len, const char* text, size_t text_len) {
    if (len == 0) return false;
    const size_t n = text_len < len - 1 ? text_len : len - 1;
    memcpy(dst, text, n);
    dst[n] = '\0';
    dst[len - 1] = '\0';
    return text_len < len;
}

size_t format_ipv4(const unsigned char a[4], char* buf, size_t size) {
    return size_t(snprintf(buf, size, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]));
}

size_t format_ipv6(const unsigned char a[16], char buf[64]) {
    uint16_t w[8];
    for (int i = 0; i < 8; ++i) w[i] = uint16_t((a[2 * i] << 8) | a[2 * i + 1]);

    if (w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 &&
        ((w[5] == 0 && w[6] != 0 && w[7] != 0) || w[5] == 0xffff)) {
        // IPv4-compatible (::a.b.c.d, both halves non-zero) or IPv4-mapped.
        if (w[5] == 0) return size_t(snprintf(buf, 64, "::%u.%u.%u.%u", a[12], a[13], a[14], a[15]));
        return size_t(snprintf(buf, 64, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]));
    }

    // The first of the longest runs of zero groups; a lone zero group stays as "0".
    int best_at = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (w[i] != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < 8 && w[j] == 0) ++j;
        if (j - i > best_len) {
            best_at = i;
            best_len = j - i;
        }
        i = j;
    }
    if (best_len < 2) best_at = -1;

    size_t n = 0;
    for (int i = 0; i < 8; ++i) {
        if (i == best_at) {
            if (i == 0) buf[n++] = ':';
            buf[n++] = ':';
            i += best_len - 1;
            continue;
        }
        n += size_t(snprintf(buf + n, 64 - n, "%x", unsigned(w[i])));
        if (i != 7) buf[n++] = ':';
    }
    buf[n] = '\0';
    return n;
}

// Looks up the zone of "addr%zone": an interface name, else a decimal number read by
// strtoul() (white space, sign and wrap-around included) that must use up the text.
bool parse_zone(const char* zone, unsigned& index) {
    unsigned idx = if_nametoindex(zone);
    if (idx == 0) {
        char* rest = nullptr;
        const unsigned long v = strtoul(zone, &rest, 10);
        if (*rest != '\0') return false;
        idx = static_cast<unsigned>(v);
    }
    index = idx;
    return true;
}

// evutil_inet_pton_scope's IPv6 case over [s, end), where *end is the text's NUL or,
// inside "[...]", the closing bracket (at most 127 characters after s). The zone, if
// any, follows the first '%'. *indexp is set as soon as the zone is understood, even
// if the address then is not.
int pton_scoped6(const char* s, const char* end, void* dst, unsigned* indexp) {
    const char* pct = static_cast<const char*>(memchr(s, '%', size_t(end - s)));
    if (!pct) return parse_ipv6(s, end, static_cast<unsigned char*>(dst));
    unsigned idx = 0;
    bool ok;
    if (*end == '\0') {
        ok = parse_zone(pct + 1, idx);
    } else {
        char zone[128];
        const size_t n = size_t(end - (pct + 1));
        if (n >= sizeof zone) return 0;  // callers never pass more; kept for safety
        memcpy(zone, pct + 1, n);
        zone[n] = '\0';
        ok = parse_zone(zone, idx);
    }
    if (!ok) return 0;
    if (indexp) *indexp = idx;
    return parse_ipv6(s, pct, static_cast<unsigned char*>(dst));
}

}  // namespace
}  // namespace vigil

using namespace vigil;

extern "C" {

VIGIL_EXPORT int evutil_inet_pton(int af, const char* src, void* dst) {
    if (af != AF_INET && af != AF_INET6) return -1;
    if (!src || !dst) return -1;
    const char* end = src + strlen(src);
    if (af == AF_INET) return parse_ipv4(src, end, static_cast<unsigned char*>(dst)) ? 1 : 0;
    return parse_ipv6(src, end, static_cast<unsigned char*>(dst));
}

VIGIL_EXPORT int evutil_inet_pton_scope(int af, const char* src, void* dst, unsigned* indexp) {
    // The index is reset first, whatever happens next; it keeps the zone's index when
    // the zone was understood but the address was not.
    if (indexp) *indexp = 0;
    if (af != AF_INET6) return evutil_inet_pton(af, src, dst);
    if (!src || !dst) return -1;
    return pton_scoped6(src, src + strlen(src), dst, indexp);
}

VIGIL_EXPORT const char* evutil_inet_ntop(int af, const void* src, char* dst, size_t len) {
    if (!src || (!dst && len > 0)) return nullptr;
    if (af == AF_INET) {
        char text[16];
        const size_t n = format_ipv4(static_cast<const unsigned char*>(src), text, sizeof text);
        return put_truncated(dst, len, text, n) ? dst : nullptr;
    }
    if (af == AF_INET6) {
        char text[64];
        const size_t n = format_ipv6(static_cast<const unsigned char*>(src), text);
        // libevent refuses only a buffer shorter than the text; one exactly as long as
        // the text gets it cut by one character (and NUL-terminated) and still succeeds.
        if (n > len) return nullptr;
        const size_t copy = n < len ? n : len - 1;
        memcpy(dst, text, copy);
        dst[copy] = '\0';
        return dst;
    }
    return nullptr;
}

VIGIL_EXPORT int evutil_parse_sockaddr_port(const char* str, struct sockaddr* out, int* outlen) {
    if (!str || !out || !outlen) return -1;
    // Longest address part libevent copies out of "[...]" or "...:port" (its buffer).
    constexpr size_t kMaxPart = 127;

    const char* const end = str + strlen(str);
    const char* colon = strchr(str, ':');
    const char* addr = str;
    const char* addr_end = end;
    const char* port_text = nullptr;
    bool ipv6;
    if (*str == '[') {
        const char* close = strchr(str, ']');
        if (!close) return -1;
        addr = str + 1;
        addr_end = close;
        if (size_t(addr_end - addr) > kMaxPart) return -1;
        // Anything after "]" other than ":port" is ignored, as in libevent.
        if (close[1] == ':') port_text = close + 2;
        ipv6 = true;
    } else if (colon && strchr(colon + 1, ':')) {
        ipv6 = true;  // two colons or more: a bare IPv6 address, no port
    } else if (colon) {
        addr_end = colon;
        if (size_t(addr_end - addr) > kMaxPart) return -1;
        port_text = colon + 1;
        ipv6 = false;
    } else {
        ipv6 = false;
    }

    int port = 0;
    if (port_text) {
        // atoi(): strtol's reading (white space, sign, trailing junk ignored), then the
        // long cut to int, so "80x" is 80 and 4294967376 wraps to 80.
        port = static_cast<int>(strtol(port_text, nullptr, 10));
        if (port <= 0 || port > 65535) return -1;
    }

    if (ipv6) {
        sockaddr_in6 sin6;
        memset(&sin6, 0, sizeof sin6);
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(uint16_t(port));
        unsigned scope = 0;
        if (pton_scoped6(addr, addr_end, &sin6.sin6_addr, &scope) != 1) return -1;
        if (*outlen < int(sizeof sin6)) return -1;
        sin6.sin6_scope_id = scope;
        memset(out, 0, size_t(*outlen));
        memcpy(out, &sin6, sizeof sin6);
        *outlen = int(sizeof sin6);
        return 0;
    }
    sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(uint16_t(port));
    if (!parse_ipv4(addr, addr_end, reinterpret_cast<unsigned char*>(&sin.sin_addr))) return -1;
    if (*outlen < int(sizeof sin)) return -1;
    memset(out, 0, size_t(*outlen));
    memcpy(out, &sin, sizeof sin);
    *outlen = int(sizeof sin);
    return 0;
}

VIGIL_EXPORT int evutil_sockaddr_cmp(const struct sockaddr* sa1, const struct sockaddr* sa2, int include_port) {
    if (!sa1 || !sa2) return sa1 == sa2 ? 0 : (sa1 ? 1 : -1);
    const int by_family = int(sa1->sa_family) - int(sa2->sa_family);
    if (by_family != 0) return by_family;
    if (sa1->sa_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(sa1);
        const auto* b = reinterpret_cast<const sockaddr_in*>(sa2);
        // libevent compares the raw (network order) words as integers.
        if (a->sin_addr.s_addr != b->sin_addr.s_addr) return a->sin_addr.s_addr < b->sin_addr.s_addr ? -1 : 1;
        return include_port ? int(a->sin_port) - int(b->sin_port) : 0;
    }
    if (sa1->sa_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(sa1);
        const auto* b = reinterpret_cast<const sockaddr_in6*>(sa2);
        for (int i = 0; i < 16; ++i) {
            const int d = int(a->sin6_addr.s6_addr[i]) - int(b->sin6_addr.s6_addr[i]);
            if (d != 0) return d;
        }
        return include_port ? int(a->sin6_port) - int(b->sin6_port) : 0;
    }
    // Addresses of any other family never compare equal, not even to themselves.
    return 1;
}

}  // extern "C"
