/*
 * vigil - event2/visibility.h
 *
 * Marks the functions that form the public interface.  The library build
 * compiles with hidden visibility by default and defines VIGIL_BUILDING_LIBRARY,
 * so the marker turns into a "default" visibility attribute there and the
 * symbol gets exported.  For programs that merely use the library the marker
 * expands to nothing.
 */
#ifndef VIGIL_EVENT2_VISIBILITY_H_
#define VIGIL_EVENT2_VISIBILITY_H_
#ifndef EVENT2_VISIBILITY_H_INCLUDED_
#define EVENT2_VISIBILITY_H_INCLUDED_
#endif

#include <event2/event-config.h>

#if defined(VIGIL_BUILDING_LIBRARY) && (defined(__GNUC__) || defined(__clang__))
#define EVENT2_EXPORT_SYMBOL __attribute__((visibility("default")))
#else
#define EVENT2_EXPORT_SYMBOL
#endif

/* Symbols of the core library; on ELF platforms no different from the above. */
#ifndef EVENT2_CORE_EXPORT_SYMBOL
#define EVENT2_CORE_EXPORT_SYMBOL EVENT2_EXPORT_SYMBOL
#endif

#endif /* VIGIL_EVENT2_VISIBILITY_H_ */
