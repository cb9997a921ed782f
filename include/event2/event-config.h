/*
 * vigil - event2/event-config.h
 *
 * Build-configuration facts that the other public headers consult.  They
 * describe the one platform vigil targets (x86-64 Linux with glibc) and use
 * the EVENT__ prefix because client code written for libevent 2.1 may test
 * them too.  Only the macros the public headers (or their users) look at are
 * provided; everything here is fixed, nothing is probed at build time.
 */
#ifndef VIGIL_EVENT2_EVENT_CONFIG_H_
#define VIGIL_EVENT2_EVENT_CONFIG_H_
/* libevent's own guard name, for programs that check whether it was seen. */
#ifndef EVENT2_EVENT_CONFIG_H_INCLUDED_
#define EVENT2_EVENT_CONFIG_H_INCLUDED_
#endif

/* Release we are compatible with: text form and 0xMMmmppss form. */
#define EVENT__VERSION "2.1.12-stable"
#define EVENT__NUMERIC_VERSION 0x02010c00

/* System headers that exist on the target. */
#define EVENT__HAVE_ERRNO_H 1
#define EVENT__HAVE_INTTYPES_H 1
#define EVENT__HAVE_NETDB_H 1
#define EVENT__HAVE_STDDEF_H 1
#define EVENT__HAVE_STDINT_H 1
#define EVENT__HAVE_SYS_TIME_H 1
#define EVENT__HAVE_SYS_TYPES_H 1
#define EVENT__HAVE_SYS_UIO_H 1

/* Library functions, types and helper macros the target's libc offers. */
#define EVENT__HAVE_GETADDRINFO 1
#define EVENT__HAVE_GETTIMEOFDAY 1
#define EVENT__HAVE_STRUCT_ADDRINFO 1
#define EVENT__HAVE_STRUCT_SOCKADDR_STORAGE_SS_FAMILY 1
#define EVENT__HAVE_TIMERADD 1
#define EVENT__HAVE_TIMERCLEAR 1
#define EVENT__HAVE_TIMERISSET 1
#define EVENT__HAVE_UINT8_T 1
#define EVENT__HAVE_UINT16_T 1
#define EVENT__HAVE_UINT32_T 1
#define EVENT__HAVE_UINT64_T 1
#define EVENT__HAVE_UINTPTR_T 1

/* Optional parts that are built: the pthreads locking glue and TLS support. */
#define EVENT__HAVE_OPENSSL 1
#define EVENT__HAVE_PTHREADS 1

/* Sizes, in bytes, of the C types on x86-64 (LP64). */
#define EVENT__SIZEOF_SHORT 2
#define EVENT__SIZEOF_INT 4
#define EVENT__SIZEOF_LONG 8
#define EVENT__SIZEOF_LONG_LONG 8
#define EVENT__SIZEOF_OFF_T 8
#define EVENT__SIZEOF_SIZE_T 8
#define EVENT__SIZEOF_VOID_P 8

/*
 * Deliberately left undefined: EVENT__DISABLE_MM_REPLACEMENT and
 * EVENT__DISABLE_THREAD_SUPPORT (both features are present), and the
 * EVENT__socklen_t / EVENT__ssize_t substitutes (the system types exist).
 */

#endif /* VIGIL_EVENT2_EVENT_CONFIG_H_ */
