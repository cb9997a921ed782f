/*
 * vigil - evutil.h
 *
 * Compatibility header for programs written against libevent 1.x: it just
 * pulls in <event2/util.h>, which new code should include directly.
 */
#ifndef VIGIL_EVUTIL_H_
#define VIGIL_EVUTIL_H_
#ifndef EVENT1_EVUTIL_H_INCLUDED_
#define EVENT1_EVUTIL_H_INCLUDED_
#endif

#include <event2/util.h>

#endif /* VIGIL_EVUTIL_H_ */
