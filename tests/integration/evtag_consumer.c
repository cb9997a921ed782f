/*
 * A libevent_extra consumer for evtag_dropin_test.sh: built against the SYSTEM
 * libevent-dev (headers in /usr/include, linked with -levent_extra -levent_core), then
 * run unchanged on the system libraries and on vigil's. It prints the records it
 * marshals, as hex, and what it reads back; the two runs must print the same. Its last
 * line names the file evtag_marshal was loaded from.
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/tag.h>

static void print_hex(const char *label, struct evbuffer *b) {
  size_t n = evbuffer_get_length(b);
  unsigned char *p = evbuffer_pullup(b, -1);
  size_t i;
  printf("%s:", label);
  for (i = 0; i < n; ++i) printf(" %02x", p[i]);
  printf("\n");
}

int main(void) {
  struct evbuffer *b = evbuffer_new();
  struct timeval tv = {1234567, 890};
  struct timeval tv_out = {0, 0};
  ev_uint32_t tag = 0, u32 = 0, total = 0;
  ev_uint64_t u64 = 0;
  char *s = NULL;
  unsigned char fixed[3];
  Dl_info info;

  evtag_init();
  evtag_marshal_int(b, 1, 0xdeadbeefu);
  evtag_marshal_int64(b, 2, 0x0123456789abcdefULL);
  evtag_marshal_string(b, 300, "drop-in");
  evtag_marshal_timeval(b, 4, &tv);
  evtag_marshal(b, 5, "\x01\x02\x03", 3);
  print_hex("records", b);

  printf("peek %d tag %u\n", evtag_peek(b, &tag), tag);
  printf("peek_length %d len %u\n", evtag_peek_length(b, &total), total);
  printf("int %d %x\n", evtag_unmarshal_int(b, 1, &u32), u32);
  printf("int64 %d %llx\n", evtag_unmarshal_int64(b, 2, &u64), (unsigned long long)u64);
  printf("string %d %s\n", evtag_unmarshal_string(b, 300, &s), s ? s : "(null)");
  free(s);
  printf("timeval %d %ld %ld\n", evtag_unmarshal_timeval(b, 4, &tv_out), (long)tv_out.tv_sec,
         (long)tv_out.tv_usec);
  printf("fixed %d %02x%02x%02x\n", evtag_unmarshal_fixed(b, 5, fixed, 3), fixed[0], fixed[1], fixed[2]);
  printf("left %zu\n", evbuffer_get_length(b));
  /* A malformed record: the tag is taken, the rest stays. */
  evbuffer_add(b, "\x07\x90", 2);
  printf("bad header %d left %zu\n", evtag_unmarshal_header(b, &tag), evbuffer_get_length(b));
  evbuffer_free(b);

  if (dladdr((void *)&evtag_marshal, &info) && info.dli_fname)
    printf("library %s\n", info.dli_fname);
  else
    printf("library unknown\n");
  return 0;
}
