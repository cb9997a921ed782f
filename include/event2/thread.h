/*
 * event2/thread.h: making event bases usable from several threads.
 *
 * vigil's thread support follows libevent 2.1's contract: install lock (and
 * condition) callbacks before creating any event_base, usually with
 * evthread_use_pthreads(); every base created afterwards (unless it has
 * EVENT_BASE_FLAG_NOLOCK) locks its own state, and a call from another thread
 * that changes what the loop waits for wakes the loop at once.
 */
#ifndef VIGIL_EVENT2_THREAD_H_
#define VIGIL_EVENT2_THREAD_H_
#ifndef EVENT2_THREAD_H_INCLUDED_
#define EVENT2_THREAD_H_INCLUDED_
#endif

#include <event2/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

#include <event2/event-config.h>

/* Modes passed to the lock and unlock callbacks. */
#define EVTHREAD_WRITE 0x04 /* take a read-write lock for writing */
#define EVTHREAD_READ 0x08  /* take a read-write lock for reading */
#define EVTHREAD_TRY 0x10   /* fail at once instead of waiting */

#if !defined(EVENT__DISABLE_THREAD_SUPPORT)

#define EVTHREAD_LOCK_API_VERSION 1

/* Lock types: a recursive lock may be taken again by the thread that holds it. */
#define EVTHREAD_LOCKTYPE_RECURSIVE 1
#define EVTHREAD_LOCKTYPE_READWRITE 2

/* The functions the library uses to make, take, release and destroy locks. */
struct evthread_lock_callbacks {
	/* Must be EVTHREAD_LOCK_API_VERSION. */
	int lock_api_version;
	/* EVTHREAD_LOCKTYPE_* bits this implementation can make; RECURSIVE is required. */
	unsigned supported_locktypes;
	/* Makes a lock of the given type; NULL on failure. */
	void *(*alloc)(unsigned locktype);
	/* Destroys a lock made by alloc with the same type. */
	void (*free)(void *lock, unsigned locktype);
	/* Takes the lock (mode: EVTHREAD_* bits); 0 on success. */
	int (*lock)(unsigned mode, void *lock);
	/* Releases the lock; 0 on success. */
	int (*unlock)(unsigned mode, void *lock);
};

/* Installs lock callbacks, copied. Call before any event_base exists; NULL removes
   them again while nothing uses them. Returns 0, or -1 if the callbacks are
   incomplete or conflict with ones already in use. */
EVENT2_EXPORT_SYMBOL
int evthread_set_lock_callbacks(const struct evthread_lock_callbacks *);

#define EVTHREAD_CONDITION_API_VERSION 1

struct timeval;

/* The functions the library uses for condition variables. */
struct evthread_condition_callbacks {
	/* Must be EVTHREAD_CONDITION_API_VERSION. */
	int condition_api_version;
	/* Makes a condition variable (condtype is 0); NULL on failure. */
	void *(*alloc_condition)(unsigned condtype);
	/* Destroys a condition variable. */
	void (*free_condition)(void *cond);
	/* Wakes one waiter, or all when broadcast is 1; called with the lock held.
	   Returns 0 or -1. */
	int (*signal_condition)(void *cond, int broadcast);
	/* Releases lock, waits for a signal (or until timeout, if not NULL), takes
	   lock again. Returns 0 when signalled, 1 on timeout, -1 on error. */
	int (*wait_condition)(void *cond, void *lock, const struct timeval *timeout);
};

/* Installs condition-variable callbacks, copied. Returns 0, or -1 if they are
   incomplete or conflict with ones already in use. */
EVENT2_EXPORT_SYMBOL
int evthread_set_condition_callbacks(const struct evthread_condition_callbacks *);

/* Sets the function that names the calling thread (an id that differs between
   live threads). */
EVENT2_EXPORT_SYMBOL
void evthread_set_id_callback(unsigned long (*id_fn)(void));

#if defined(EVENT__HAVE_PTHREADS) || defined(EVENT_IN_DOXYGEN_)
/* Uses POSIX threads for locks, conditions and thread ids. Lives in
   libevent_pthreads. Returns 0, or -1 if the callbacks could not be set. */
EVENT2_EXPORT_SYMBOL
int evthread_use_pthreads(void);
#define EVTHREAD_USE_PTHREADS_IMPLEMENTED 1
#endif

/* Checks every lock operation from now on: unlocking a lock the thread does not
   hold, or taking a non-recursive lock twice, is a fatal error with a message.
   Call it after installing the lock callbacks and before creating any base. */
EVENT2_EXPORT_SYMBOL
void evthread_enable_lock_debugging(void);

/* The same as evthread_enable_lock_debugging (kept for its old spelling). */
EVENT2_EXPORT_SYMBOL
void evthread_enable_lock_debuging(void);

#endif /* !EVENT__DISABLE_THREAD_SUPPORT */

struct event_base;
/* Makes base wake up when another thread changes it while it waits. Bases made
   after thread support was enabled are notifiable already. Returns 0, or -1 if
   base has no lock (threads not enabled, or EVENT_BASE_FLAG_NOLOCK) or the wake-up
   channel could not be made. */
EVENT2_EXPORT_SYMBOL
int evthread_make_base_notifiable(struct event_base *base);

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_EVENT2_THREAD_H_ */
