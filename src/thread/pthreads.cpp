// libevent_pthreads: evthread_use_pthreads() installs POSIX mutexes, condition
// variables and pthread_self() as the thread callbacks.
#include <event2/thread.h>
#include <pthread.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>

#define VIGIL_EXPORT __attribute__((visibility("default")))

namespace {

void* mutex_alloc(unsigned locktype) {
    auto* m = static_cast<pthread_mutex_t*>(malloc(sizeof(pthread_mutex_t)));
    if (!m) return nullptr;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    if (locktype & EVTHREAD_LOCKTYPE_RECURSIVE) pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    int r = pthread_mutex_init(m, &attr);
    pthread_mutexattr_destroy(&attr);
    if (r) {
        free(m);
        return nullptr;
    }
    return m;
}

void mutex_free(void* lock, unsigned) {
    auto* m = static_cast<pthread_mutex_t*>(lock);
    pthread_mutex_destroy(m);
    free(m);
}

int mutex_lock(unsigned mode, void* lock) {
    auto* m = static_cast<pthread_mutex_t*>(lock);
    return (mode & EVTHREAD_TRY) ? pthread_mutex_trylock(m) : pthread_mutex_lock(m);
}

int mutex_unlock(unsigned, void* lock) { return pthread_mutex_unlock(static_cast<pthread_mutex_t*>(lock)); }

void* cond_alloc(unsigned) {
    auto* c = static_cast<pthread_cond_t*>(malloc(sizeof(pthread_cond_t)));
    if (!c) return nullptr;
    if (pthread_cond_init(c, nullptr)) {
        free(c);
        return nullptr;
    }
    return c;
}

void cond_free(void* cond) {
    auto* c = static_cast<pthread_cond_t*>(cond);
    pthread_cond_destroy(c);
    free(c);
}

int cond_signal(void* cond, int broadcast) {
    auto* c = static_cast<pthread_cond_t*>(cond);
    return (broadcast ? pthread_cond_broadcast(c) : pthread_cond_signal(c)) ? -1 : 0;
}

int cond_wait(void* cond, void* lock, const struct timeval* tv) {
    auto* c = static_cast<pthread_cond_t*>(cond);
    auto* m = static_cast<pthread_mutex_t*>(lock);
    if (!tv) return pthread_cond_wait(c, m) ? -1 : 0;
    // pthread_cond_timedwait wants an absolute CLOCK_REALTIME deadline.
    timeval now;
    gettimeofday(&now, nullptr);
    timespec abs;
    long usec = now.tv_usec + tv->tv_usec;
    abs.tv_sec = now.tv_sec + tv->tv_sec + usec / 1000000;
    abs.tv_nsec = (usec % 1000000) * 1000;
    int r = pthread_cond_timedwait(c, m, &abs);
    if (r == ETIMEDOUT) return 1;
    return r ? -1 : 0;
}

unsigned long thread_id() { return static_cast<unsigned long>(pthread_self()); }

}  // namespace

extern "C" VIGIL_EXPORT int evthread_use_pthreads(void) {
    static const evthread_lock_callbacks locks = {
        EVTHREAD_LOCK_API_VERSION, EVTHREAD_LOCKTYPE_RECURSIVE, mutex_alloc, mutex_free, mutex_lock, mutex_unlock};
    static const evthread_condition_callbacks conds = {EVTHREAD_CONDITION_API_VERSION, cond_alloc, cond_free,
                                                       cond_signal, cond_wait};
    if (evthread_set_lock_callbacks(&locks) < 0) return -1;
    if (evthread_set_condition_callbacks(&conds) < 0) return -1;
    evthread_set_id_callback(thread_id);
    return 0;
}
