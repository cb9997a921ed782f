/*
 * vigil - event2/keyvalq_struct.h
 *
 * A queue of key/value string pairs, used for HTTP headers and URI query
 * arguments.  The layout is part of the ABI: programs walk these lists
 * directly with the BSD <sys/queue.h> style TAILQ macros.
 */
#ifndef VIGIL_EVENT2_KEYVALQ_STRUCT_H_
#define VIGIL_EVENT2_KEYVALQ_STRUCT_H_
#ifndef EVENT2_KEYVALQ_STRUCT_H_INCLUDED_
#define EVENT2_KEYVALQ_STRUCT_H_INCLUDED_
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Minimal tail-queue declarators, shaped like the <sys/queue.h> ones.  They
 * are only provided when the program has not already got its own, and are
 * withdrawn again at the end of this header so that a later <sys/queue.h>
 * does not clash with them.
 */
#ifndef TAILQ_ENTRY
#define VIGIL_KVQ_OWNS_TAILQ_ENTRY_
#define TAILQ_ENTRY(type)                                                     \
	struct {                                                              \
		struct type *tqe_next;  /* following element, or NULL */      \
		struct type **tqe_prev; /* link field that points at us */    \
	}
#endif

#ifndef TAILQ_HEAD
#define VIGIL_KVQ_OWNS_TAILQ_HEAD_
#define TAILQ_HEAD(name, type)                                                \
	struct name {                                                         \
		struct type *tqh_first; /* first element, or NULL */          \
		struct type **tqh_last; /* link field of the last element */  \
	}
#endif

/* One key/value pair; both strings are owned by the list. */
struct evkeyval {
	TAILQ_ENTRY(evkeyval) next;
	char *key;
	char *value;
};

/* The list head: struct evkeyvalq. */
TAILQ_HEAD(evkeyvalq, evkeyval);

#ifdef VIGIL_KVQ_OWNS_TAILQ_ENTRY_
#undef TAILQ_ENTRY
#undef VIGIL_KVQ_OWNS_TAILQ_ENTRY_
#endif
#ifdef VIGIL_KVQ_OWNS_TAILQ_HEAD_
#undef TAILQ_HEAD
#undef VIGIL_KVQ_OWNS_TAILQ_HEAD_
#endif

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_EVENT2_KEYVALQ_STRUCT_H_ */
