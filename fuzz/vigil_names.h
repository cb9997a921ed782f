/*
 * Included (with -include) into every source of a fuzz build, vigil's and the
 * fuzzers'. It renames vigil's evutil functions so that the fuzzer can load Debian's
 * libevent next to them, as the oracle, without either library's calls reaching the
 * other one's functions. The fuzzers call the vigil versions by their usual names;
 * fuzz_oracle.h looks the system ones up by name with dlsym().
 */
#ifndef VIGIL_FUZZ_NAMES_H
#define VIGIL_FUZZ_NAMES_H
#define evutil_inet_pton vigil_fuzz_evutil_inet_pton
#define evutil_inet_pton_scope vigil_fuzz_evutil_inet_pton_scope
#define evutil_inet_ntop vigil_fuzz_evutil_inet_ntop
#define evutil_parse_sockaddr_port vigil_fuzz_evutil_parse_sockaddr_port
#define evutil_sockaddr_cmp vigil_fuzz_evutil_sockaddr_cmp
#define evutil_snprintf vigil_fuzz_evutil_snprintf
#define evutil_vsnprintf vigil_fuzz_evutil_vsnprintf
#define evutil_strtoll vigil_fuzz_evutil_strtoll
#define evutil_ascii_strcasecmp vigil_fuzz_evutil_ascii_strcasecmp
#define evutil_ascii_strncasecmp vigil_fuzz_evutil_ascii_strncasecmp
#define evutil_date_rfc1123 vigil_fuzz_evutil_date_rfc1123
#endif
