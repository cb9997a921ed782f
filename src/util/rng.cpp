// The secure random number source of event2/util.h.
//
// Debian's libevent 2.1.12 is built on glibc's arc4random (which itself reads
// getrandom(2) for every request), and in that build:
//   evutil_secure_rng_init()                      returns 0,
//   evutil_secure_rng_set_urandom_device_file()   returns -1 and changes nothing,
//   evutil_secure_rng_add_bytes()                 does nothing,
//   evutil_secure_rng_get_bytes()                 fills the buffer from the kernel.
// vigil behaves the same, reading getrandom(2) directly: there is no generator state
// to seed, reseed after fork() or mix extra bytes into, so nothing can weaken it.
// Kernels without getrandom(2) are served from /dev/urandom; if neither source works
// the process stops (as glibc's arc4random does), rather than return weak bytes.
#include "core/runtime.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace {

// Fills buf from getrandom(2); false if the system call is unavailable or refused.
bool fill_from_getrandom(unsigned char* buf, size_t n) {
    while (n > 0) {
        const ssize_t got = getrandom(buf, n, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        buf += got;
        n -= size_t(got);
    }
    return true;
}

bool fill_from_urandom(unsigned char* buf, size_t n) {
    int fd;
    do {
        fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return false;
    while (n > 0) {
        const ssize_t got = read(fd, buf, n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            close(fd);
            return false;
        }
        buf += got;
        n -= size_t(got);
    }
    close(fd);
    return true;
}

bool fill_random(void* buf, size_t n) {
    const int saved = errno;  // the caller's errno is not ours to change
    auto* p = static_cast<unsigned char*>(buf);
    const bool ok = fill_from_getrandom(p, n) || fill_from_urandom(p, n);
    errno = saved;
    return ok;
}

}  // namespace

extern "C" {

VIGIL_EXPORT int evutil_secure_rng_init(void) {
    unsigned char probe;
    return fill_random(&probe, 1) ? 0 : -1;
}

VIGIL_EXPORT int evutil_secure_rng_set_urandom_device_file(char* fname) {
    (void)fname;
    return -1;
}

VIGIL_EXPORT void evutil_secure_rng_add_bytes(const char* dat, size_t datlen) {
    (void)dat;
    (void)datlen;
}

VIGIL_EXPORT void evutil_secure_rng_get_bytes(void* buf, size_t n) {
    if (n == 0 || !buf) return;
    if (!fill_random(buf, n)) vigil::fatal("evutil_secure_rng_get_bytes: no source of random bytes");
}

}  // extern "C"
