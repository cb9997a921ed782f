/*
 * vigil - event.h
 *
 * Compatibility header for programs written against libevent 1.x.  It makes
 * the whole classic interface visible at once, together with the system
 * headers such programs tended to rely on implicitly.  New code should
 * include just the <event2/...> headers it needs instead.
 */
#ifndef VIGIL_EVENT_H_
#define VIGIL_EVENT_H_
#ifndef EVENT1_EVENT_H_INCLUDED_
#define EVENT1_EVENT_H_INCLUDED_
#endif

#include <event2/event-config.h>
#ifdef EVENT__HAVE_SYS_TYPES_H
#include <sys/types.h>
#endif
#ifdef EVENT__HAVE_SYS_TIME_H
#include <sys/time.h>
#endif
#ifdef EVENT__HAVE_STDINT_H
#include <stdint.h>
#endif
#include <stdarg.h>

#include <evutil.h>

#include <event2/event_struct.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/buffer.h>
#include <event2/buffer_compat.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/bufferevent_compat.h>
#include <event2/tag.h>
#include <event2/tag_compat.h>

#endif /* VIGIL_EVENT_H_ */
