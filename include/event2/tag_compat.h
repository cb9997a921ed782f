/*
 * vigil - event2/tag_compat.h
 *
 * The old names of evtag_encode_int and evtag_encode_int64, kept for source
 * compatibility. Include <event2/tag.h> for the functions themselves.
 */
#ifndef VIGIL_EVENT2_TAG_COMPAT_H_
#define VIGIL_EVENT2_TAG_COMPAT_H_
#ifndef EVENT2_TAG_COMPAT_H_INCLUDED_
#define EVENT2_TAG_COMPAT_H_INCLUDED_
#endif

#define encode_int(evbuf, number) evtag_encode_int((evbuf), (number))
#define encode_int64(evbuf, number) evtag_encode_int64((evbuf), (number))

#endif /* VIGIL_EVENT2_TAG_COMPAT_H_ */
