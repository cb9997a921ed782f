/*
 * vigil - event2/util.h
 *
 * Portability helpers shared by the whole library: fixed-width integer
 * names, the socket handle type, socket and address utilities, timeval
 * arithmetic, a locale-independent string toolkit, getaddrinfo() wrappers,
 * a monotonic clock and a cryptographically strong random number source.
 */
#ifndef VIGIL_EVENT2_UTIL_H_
#define VIGIL_EVENT2_UTIL_H_
#ifndef EVENT2_UTIL_H_INCLUDED_
#define EVENT2_UTIL_H_INCLUDED_
#endif

#include <event2/visibility.h>
#include <event2/event-config.h>

#ifdef EVENT__HAVE_SYS_TIME_H
#include <sys/time.h>
#endif
#ifdef EVENT__HAVE_STDINT_H
#include <stdint.h>
#elif defined(EVENT__HAVE_INTTYPES_H)
#include <inttypes.h>
#endif
#ifdef EVENT__HAVE_SYS_TYPES_H
#include <sys/types.h>
#endif
#ifdef EVENT__HAVE_STDDEF_H
#include <stddef.h>
#endif
#include <stdarg.h>
#ifdef EVENT__HAVE_NETDB_H
#include <netdb.h>
#endif
#ifdef EVENT__HAVE_ERRNO_H
#include <errno.h>
#endif
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Fixed-width integer names.  They are macros rather than typedefs, as in
 * libevent, so "#ifdef ev_uint32_t" style tests keep working.
 */
#define ev_uint64_t uint64_t
#define ev_int64_t int64_t
#define ev_uint32_t uint32_t
#define ev_int32_t int32_t
#define ev_uint16_t uint16_t
#define ev_int16_t int16_t
#define ev_uint8_t uint8_t
#define ev_int8_t int8_t
#define ev_uintptr_t uintptr_t
#define ev_intptr_t intptr_t
#define ev_ssize_t ssize_t
/* File offsets are always 64 bits wide on the target. */
#define ev_off_t ev_int64_t
#define ev_socklen_t socklen_t

/* Limits of the types above, taken from <stdint.h>. */
#define EV_UINT64_MAX UINT64_MAX
#define EV_INT64_MAX INT64_MAX
#define EV_INT64_MIN INT64_MIN
#define EV_UINT32_MAX UINT32_MAX
#define EV_INT32_MAX INT32_MAX
#define EV_INT32_MIN INT32_MIN
#define EV_UINT16_MAX UINT16_MAX
#define EV_INT16_MAX INT16_MAX
#define EV_INT16_MIN INT16_MIN
#define EV_UINT8_MAX UINT8_MAX
#define EV_INT8_MAX INT8_MAX
#define EV_INT8_MIN INT8_MIN

/* Limits of size_t and of its signed counterpart (64-bit target). */
#define EV_SIZE_MAX EV_UINT64_MAX
#define EV_SSIZE_MAX EV_INT64_MAX
#define EV_SSIZE_MIN ((-EV_SSIZE_MAX) - 1)

/* A socket handle: a plain file descriptor on POSIX systems. */
#define evutil_socket_t int

/* Flags for evutil_configure_monotonic_time(). */
#define EV_MONOT_PRECISE 1  /* ask for the finest clock available */
#define EV_MONOT_FALLBACK 2 /* use only the portable fallback clock */

/* Opaque monotonic clock state. */
struct evutil_monotonic_timer;

struct sockaddr;
struct timeval;
struct tm;

/**
 * Allocates a monotonic timer.  Returns NULL if memory runs out.
 */
EVENT2_EXPORT_SYMBOL
struct evutil_monotonic_timer *evutil_monotonic_timer_new(void);

/**
 * Releases a timer from evutil_monotonic_timer_new().  NULL is ignored.
 */
EVENT2_EXPORT_SYMBOL
void evutil_monotonic_timer_free(struct evutil_monotonic_timer *timer);

/**
 * Chooses the clock behind @p timer according to the EV_MONOT_* bits in
 * @p flags.  Returns 0 on success, -1 if the timer is NULL or no usable
 * clock exists.
 */
EVENT2_EXPORT_SYMBOL
int evutil_configure_monotonic_time(struct evutil_monotonic_timer *timer,
    int flags);

/**
 * Stores the current reading of @p timer in @p tp.  The value only grows and
 * is meaningful only relative to other readings.  Returns 0 on success, -1 if
 * an argument is NULL or the clock cannot be read.
 */
EVENT2_EXPORT_SYMBOL
int evutil_gettime_monotonic(struct evutil_monotonic_timer *timer,
    struct timeval *tp);

/**
 * Creates a pair of connected sockets in sv[0] and sv[1], like
 * socketpair(2).  Returns 0 on success, -1 (errno set) on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_socketpair(int d, int type, int protocol, evutil_socket_t sv[2]);

/**
 * Switches @p sock to non-blocking mode.  Returns 0 on success, -1 if the
 * descriptor is invalid or the mode cannot be changed.
 */
EVENT2_EXPORT_SYMBOL
int evutil_make_socket_nonblocking(evutil_socket_t sock);

/**
 * Lets a listening socket re-bind its address right after a previous owner
 * closed it (SO_REUSEADDR).  Returns 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_make_listen_socket_reuseable(evutil_socket_t sock);

/**
 * Lets several sockets listen on the same port (SO_REUSEPORT).  Returns 0 on
 * success, -1 on failure or where unsupported.
 */
EVENT2_EXPORT_SYMBOL
int evutil_make_listen_socket_reuseable_port(evutil_socket_t sock);

/**
 * Restricts an IPv6 listening socket to IPv6 traffic only (IPV6_V6ONLY).
 * Returns 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_make_listen_socket_ipv6only(evutil_socket_t sock);

/**
 * Sets the close-on-exec flag of @p sock.  Returns 0 on success, -1 if the
 * descriptor is invalid.
 */
EVENT2_EXPORT_SYMBOL
int evutil_make_socket_closeonexec(evutil_socket_t sock);

/**
 * Closes a socket.  Returns 0 on success, -1 (errno set) on failure, e.g.
 * for an invalid descriptor.
 */
EVENT2_EXPORT_SYMBOL
int evutil_closesocket(evutil_socket_t sock);

/** Old spelling of evutil_closesocket(). */
#define EVUTIL_CLOSESOCKET(s) evutil_closesocket(s)

/**
 * Asks the kernel not to report a connection on a listening socket until
 * data has arrived (TCP_DEFER_ACCEPT).  Returns 0 on success, -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_make_tcp_listen_socket_deferred(evutil_socket_t sock);

/* Socket error reporting: on POSIX systems this is simply errno. */
#define EVUTIL_SOCKET_ERROR() (errno)
#define EVUTIL_SET_SOCKET_ERROR(errcode) \
	do { errno = (errcode); } while (0)
#define evutil_socket_geterror(sock) (errno)
#define evutil_socket_error_to_string(errcode) (strerror(errcode))
/* The value no valid socket ever has. */
#define EVUTIL_INVALID_SOCKET -1

/*
 * struct timeval arithmetic.  The libc macros are used when <sys/time.h>
 * provides them (they need _DEFAULT_SOURCE or similar); otherwise
 * equivalent local versions are supplied so the names work in strict ISO
 * modes too.
 */
#ifdef timeradd
#define evutil_timeradd(tvp, uvp, vvp) timeradd((tvp), (uvp), (vvp))
#else
#define evutil_timeradd(tvp, uvp, vvp)                                        \
	do {                                                                  \
		(vvp)->tv_sec = (tvp)->tv_sec + (uvp)->tv_sec;                \
		(vvp)->tv_usec = (tvp)->tv_usec + (uvp)->tv_usec;             \
		if ((vvp)->tv_usec >= 1000000) {                              \
			(vvp)->tv_usec -= 1000000;                            \
			++(vvp)->tv_sec;                                      \
		}                                                             \
	} while (0)
#endif
#ifdef timersub
#define evutil_timersub(tvp, uvp, vvp) timersub((tvp), (uvp), (vvp))
#else
#define evutil_timersub(tvp, uvp, vvp)                                        \
	do {                                                                  \
		(vvp)->tv_sec = (tvp)->tv_sec - (uvp)->tv_sec;                \
		(vvp)->tv_usec = (tvp)->tv_usec - (uvp)->tv_usec;             \
		if ((vvp)->tv_usec < 0) {                                     \
			(vvp)->tv_usec += 1000000;                            \
			--(vvp)->tv_sec;                                      \
		}                                                             \
	} while (0)
#endif
#ifdef timerclear
#define evutil_timerclear(tvp) timerclear(tvp)
#else
#define evutil_timerclear(tvp) ((tvp)->tv_sec = 0, (tvp)->tv_usec = 0)
#endif
#ifdef timerisset
#define evutil_timerisset(tvp) timerisset(tvp)
#else
#define evutil_timerisset(tvp) ((tvp)->tv_sec != 0 || (tvp)->tv_usec != 0)
#endif
/* Compares two timevals with the operator given as @p cmp (<, <=, ==, ...). */
#define evutil_timercmp(tvp, uvp, cmp)                                        \
	(((tvp)->tv_sec != (uvp)->tv_sec) ?                                   \
	    ((tvp)->tv_sec cmp (uvp)->tv_sec) :                               \
	    ((tvp)->tv_usec cmp (uvp)->tv_usec))

/* Byte offset of a member; the standard macro from <stddef.h>. */
#define evutil_offsetof(type, field) offsetof(type, field)

/* Wall-clock time; the system gettimeofday(). */
#define evutil_gettimeofday(tv, tz) gettimeofday((tv), (tz))

/**
 * Parses a signed 64-bit integer like strtoll().  Returns the value; 0 (with
 * *endptr == s when endptr is not NULL) if nothing could be parsed.
 */
EVENT2_EXPORT_SYMBOL
ev_int64_t evutil_strtoll(const char *s, char **endptr, int base);

/**
 * A snprintf() that always NUL-terminates (when @p buflen > 0).  Returns the
 * length the full output would have had, 0 when @p buflen is 0 (as libevent
 * does), or -1 on an output error.
 */
EVENT2_EXPORT_SYMBOL
int evutil_snprintf(char *buf, size_t buflen, const char *format, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 3, 4)))
#endif
	;

/**
 * The va_list form of evutil_snprintf().  Returns the full output length, or
 * -1 on an output error.
 */
EVENT2_EXPORT_SYMBOL
int evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap)
#ifdef __GNUC__
	__attribute__((format(printf, 3, 0)))
#endif
	;

/**
 * Writes the text form of the address @p src (family @p af) into @p dst.
 * Returns @p dst, or NULL for an unknown family or a too small buffer.  As in
 * libevent, an IPv6 text exactly as long as @p len is cut short (the last byte
 * always holds the terminator) and still reported as success.
 */
EVENT2_EXPORT_SYMBOL
const char *evutil_inet_ntop(int af, const void *src, char *dst, size_t len);

/**
 * Like evutil_inet_pton(), but for AF_INET6 also accepts a "%scope" suffix,
 * whose interface index is stored in *indexp.  Returns 1 on success, 0 if
 * the text is not a valid address, -1 for an unsupported family.
 */
EVENT2_EXPORT_SYMBOL
int evutil_inet_pton_scope(int af, const char *src, void *dst,
    unsigned *indexp);

/**
 * Parses an address in text form into binary form at @p dst.  Returns 1 on
 * success, 0 if the text is not a valid address, -1 for an unsupported
 * family.
 */
EVENT2_EXPORT_SYMBOL
int evutil_inet_pton(int af, const char *src, void *dst);

/**
 * Parses "ip", "ip:port", "[ipv6]" or "[ipv6]:port" into a sockaddr.
 * *outlen is the size of @p out on entry and the size used on return.
 * Returns 0 on success, -1 if the text cannot be parsed or does not fit.
 */
EVENT2_EXPORT_SYMBOL
int evutil_parse_sockaddr_port(const char *str, struct sockaddr *out,
    int *outlen);

/**
 * Orders two socket addresses (family, then address, then the port if
 * @p include_port is non-zero).  Returns <0, 0 or >0 like strcmp().
 */
EVENT2_EXPORT_SYMBOL
int evutil_sockaddr_cmp(const struct sockaddr *sa1,
    const struct sockaddr *sa2, int include_port);

/**
 * Case-insensitive comparison that only folds ASCII letters, whatever the
 * locale.  Returns <0, 0 or >0 like strcmp().
 */
EVENT2_EXPORT_SYMBOL
int evutil_ascii_strcasecmp(const char *str1, const char *str2);

/**
 * evutil_ascii_strcasecmp() limited to the first @p n characters.
 */
EVENT2_EXPORT_SYMBOL
int evutil_ascii_strncasecmp(const char *str1, const char *str2, size_t n);

/* Our name for the system's struct addrinfo. */
#define evutil_addrinfo addrinfo
struct evutil_addrinfo;

/*
 * getaddrinfo() error codes.  The values are glibc's; the system macros are
 * preferred when <netdb.h> makes them visible, the literal numbers are used
 * in strict ISO modes where it does not, so the values never change.
 */
#ifdef EAI_ADDRFAMILY
#define EVUTIL_EAI_ADDRFAMILY EAI_ADDRFAMILY
#else
#define EVUTIL_EAI_ADDRFAMILY -9
#endif
#ifdef EAI_AGAIN
#define EVUTIL_EAI_AGAIN EAI_AGAIN
#else
#define EVUTIL_EAI_AGAIN -3
#endif
#ifdef EAI_BADFLAGS
#define EVUTIL_EAI_BADFLAGS EAI_BADFLAGS
#else
#define EVUTIL_EAI_BADFLAGS -1
#endif
#ifdef EAI_FAIL
#define EVUTIL_EAI_FAIL EAI_FAIL
#else
#define EVUTIL_EAI_FAIL -4
#endif
#ifdef EAI_FAMILY
#define EVUTIL_EAI_FAMILY EAI_FAMILY
#else
#define EVUTIL_EAI_FAMILY -6
#endif
#ifdef EAI_MEMORY
#define EVUTIL_EAI_MEMORY EAI_MEMORY
#else
#define EVUTIL_EAI_MEMORY -10
#endif
#ifdef EAI_NODATA
#define EVUTIL_EAI_NODATA EAI_NODATA
#else
#define EVUTIL_EAI_NODATA -5
#endif
#ifdef EAI_NONAME
#define EVUTIL_EAI_NONAME EAI_NONAME
#else
#define EVUTIL_EAI_NONAME -2
#endif
#ifdef EAI_SERVICE
#define EVUTIL_EAI_SERVICE EAI_SERVICE
#else
#define EVUTIL_EAI_SERVICE -8
#endif
#ifdef EAI_SOCKTYPE
#define EVUTIL_EAI_SOCKTYPE EAI_SOCKTYPE
#else
#define EVUTIL_EAI_SOCKTYPE -7
#endif
#ifdef EAI_SYSTEM
#define EVUTIL_EAI_SYSTEM EAI_SYSTEM
#else
#define EVUTIL_EAI_SYSTEM -11
#endif
/* Reported when an asynchronous lookup is cancelled (no libc equivalent). */
#define EVUTIL_EAI_CANCEL -90001

/* ai_flags bits, again glibc's values with the same fallback rule. */
#ifdef AI_PASSIVE
#define EVUTIL_AI_PASSIVE AI_PASSIVE
#else
#define EVUTIL_AI_PASSIVE 0x0001
#endif
#ifdef AI_CANONNAME
#define EVUTIL_AI_CANONNAME AI_CANONNAME
#else
#define EVUTIL_AI_CANONNAME 0x0002
#endif
#ifdef AI_NUMERICHOST
#define EVUTIL_AI_NUMERICHOST AI_NUMERICHOST
#else
#define EVUTIL_AI_NUMERICHOST 0x0004
#endif
#ifdef AI_NUMERICSERV
#define EVUTIL_AI_NUMERICSERV AI_NUMERICSERV
#else
#define EVUTIL_AI_NUMERICSERV 0x0400
#endif
#ifdef AI_V4MAPPED
#define EVUTIL_AI_V4MAPPED AI_V4MAPPED
#else
#define EVUTIL_AI_V4MAPPED 0x0008
#endif
#ifdef AI_ALL
#define EVUTIL_AI_ALL AI_ALL
#else
#define EVUTIL_AI_ALL 0x0010
#endif
#ifdef AI_ADDRCONFIG
#define EVUTIL_AI_ADDRCONFIG AI_ADDRCONFIG
#else
#define EVUTIL_AI_ADDRCONFIG 0x0020
#endif

/**
 * A getaddrinfo() that also copes with numeric hosts and services itself and
 * honours the EVUTIL_AI_* flags.  On success stores a list in *res (free it
 * with evutil_freeaddrinfo()) and returns 0; otherwise returns an
 * EVUTIL_EAI_* code (e.g. EVUTIL_EAI_NONAME when both names are NULL).
 */
EVENT2_EXPORT_SYMBOL
int evutil_getaddrinfo(const char *nodename, const char *servname,
    const struct evutil_addrinfo *hints_in, struct evutil_addrinfo **res);

/**
 * Frees a list returned by evutil_getaddrinfo().  NULL is ignored.
 */
EVENT2_EXPORT_SYMBOL
void evutil_freeaddrinfo(struct evutil_addrinfo *ai);

/**
 * Returns a static message for an EVUTIL_EAI_* code; never NULL (unknown
 * codes get a generic text).
 */
EVENT2_EXPORT_SYMBOL
const char *evutil_gai_strerror(int err);

/**
 * Fills @p buf with @p n cryptographically strong random bytes, seeding the
 * generator first if needed.
 */
EVENT2_EXPORT_SYMBOL
void evutil_secure_rng_get_bytes(void *buf, size_t n);

/**
 * Seeds the random number generator now instead of on first use.  Returns
 * 0 on success, -1 if no entropy source could be read.
 */
EVENT2_EXPORT_SYMBOL
int evutil_secure_rng_init(void);

/**
 * Names a device to read seed bytes from.  The generator seeds itself from
 * the kernel (getrandom), so, like Debian's libevent (built on arc4random),
 * this always returns -1 and changes nothing.
 */
EVENT2_EXPORT_SYMBOL
int evutil_secure_rng_set_urandom_device_file(char *fname);

/**
 * Mixes @p datlen bytes of extra entropy into the generator.  It never
 * reduces the generator's strength.
 */
EVENT2_EXPORT_SYMBOL
void evutil_secure_rng_add_bytes(const char *dat, size_t datlen);

/**
 * Formats @p tm (the current time when NULL) as an RFC 1123 date such as
 * "Sun, 06 Nov 1994 08:49:37 GMT" into @p date, truncating (but always
 * terminating) if @p datelen is too small.  Returns the length the complete
 * date needs, like snprintf() (0 when @p datelen is 0), or -1 on failure.
 */
EVENT2_EXPORT_SYMBOL
int evutil_date_rfc1123(char *date, const size_t datelen, const struct tm *tm);

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_EVENT2_UTIL_H_ */
