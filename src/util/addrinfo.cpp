// evutil_getaddrinfo, evutil_freeaddrinfo and evutil_gai_strerror.
//
// On Linux libevent 2.1.12 passes every lookup to the system getaddrinfo(), with its
// own private ai_flags bit cleared and a zeroed hints structure standing in for a NULL
// one (so glibc's AI_V4MAPPED|AI_ADDRCONFIG default for NULL hints never applies).
// Results, error codes and their order are therefore glibc's, and vigil keeps them:
//
//  * Numeric hosts in their plain form (dotted decimal IPv4, IPv6 without a zone) and
//    a NULL host with one address family are answered here, without the resolver, with
//    exactly the list glibc builds for them (tests/util compares the two field by
//    field). Their order is fixed, so no address sorting is involved.
//  * Everything else -- names such as "localhost" (answered from /etc/hosts by the
//    system resolver), service names, AI_ADDRCONFIG, AI_V4MAPPED, zones, inet_aton
//    forms such as "127.1" -- goes to the system getaddrinfo(), as in libevent.
//
// Every list handed out is allocated through event_set_mem_functions' allocator and
// laid out as glibc lays out its own (one block per entry holding the addrinfo and
// its address, the canonical name apart), so evutil_freeaddrinfo() frees it, and a
// program that calls freeaddrinfo(3) on it -- which works with libevent on Linux --
// keeps working as long as it has not replaced the allocator.
#include "core/runtime.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace vigil {
namespace {

// libevent's private "allocated by libevent" ai_flags bit; it never reaches the system.
constexpr int kLibeventAllocatedFlag = int(0x80000000u);

// The flags the in-process path answers exactly as glibc does; any other bit sends
// the lookup to the system.
constexpr int kLocalFlags = AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_NUMERICSERV;

addrinfo* new_entry(int flags, int family, int socktype, int protocol, const sockaddr* addr, socklen_t addrlen) {
    void* block = mm_malloc(sizeof(addrinfo) + addrlen);
    if (!block) return nullptr;
    memset(block, 0, sizeof(addrinfo) + addrlen);
    auto* ai = static_cast<addrinfo*>(block);
    ai->ai_flags = flags;
    ai->ai_family = family;
    ai->ai_socktype = socktype;
    ai->ai_protocol = protocol;
    ai->ai_addrlen = addrlen;
    ai->ai_addr = reinterpret_cast<sockaddr*>(static_cast<char*>(block) + sizeof(addrinfo));
    memcpy(ai->ai_addr, addr, addrlen);
    return ai;
}

void free_list(addrinfo* ai) {
    while (ai) {
        addrinfo* next = ai->ai_next;
        if (ai->ai_canonname) mm_free(ai->ai_canonname);
        mm_free(ai);
        ai = next;
    }
}

// A copy of a list from the system getaddrinfo() in our allocator; nullptr if memory
// runs out.
addrinfo* copy_list(const addrinfo* src) {
    addrinfo* head = nullptr;
    addrinfo** tail = &head;
    for (; src; src = src->ai_next) {
        addrinfo* ai = new_entry(src->ai_flags, src->ai_family, src->ai_socktype, src->ai_protocol, src->ai_addr,
                                 src->ai_addr ? src->ai_addrlen : 0);
        if (!ai) {
            free_list(head);
            return nullptr;
        }
        if (!src->ai_addr) ai->ai_addr = nullptr;
        if (src->ai_canonname && !(ai->ai_canonname = mm_strdup(src->ai_canonname))) {
            mm_free(ai);
            free_list(head);
            return nullptr;
        }
        *tail = ai;
        tail = &ai->ai_next;
    }
    return head;
}

// A service glibc reads as a plain port number: 1 to 5 decimal digits, at most 65535.
// Other spellings it also takes as numbers (" 80", "+80", "-1", "99999", "") get the
// system's own treatment.
bool plain_port(const char* serv, int& port) {
    if (!serv) {
        port = 0;
        return true;
    }
    size_t n = 0;
    long v = 0;
    for (; serv[n]; ++n) {
        if (n >= 5 || serv[n] < '0' || serv[n] > '9') return false;
        v = v * 10 + (serv[n] - '0');
    }
    if (n == 0 || v > 65535) return false;
    port = int(v);
    return true;
}

enum class Local { kAnswered, kNotHandled, kNoMemory };

// The lookups answered without the system resolver (see the top of the file).
Local answer_locally(const char* node, const char* serv, const addrinfo& hints, addrinfo** res) {
    if (hints.ai_flags & ~kLocalFlags) return Local::kNotHandled;
    if (hints.ai_family != AF_UNSPEC && hints.ai_family != AF_INET && hints.ai_family != AF_INET6)
        return Local::kNotHandled;

    // The socket types glibc lists, in its order, for these hints.
    struct Kind {
        int socktype, protocol;
    } kinds[3];
    int nkinds = 0;
    if (hints.ai_socktype == 0 && hints.ai_protocol == 0) {
        kinds[nkinds++] = {SOCK_STREAM, IPPROTO_TCP};
        kinds[nkinds++] = {SOCK_DGRAM, IPPROTO_UDP};
        kinds[nkinds++] = {SOCK_RAW, 0};
    } else if (hints.ai_socktype == SOCK_STREAM && (hints.ai_protocol == 0 || hints.ai_protocol == IPPROTO_TCP)) {
        kinds[nkinds++] = {SOCK_STREAM, IPPROTO_TCP};
    } else if (hints.ai_socktype == SOCK_DGRAM && (hints.ai_protocol == 0 || hints.ai_protocol == IPPROTO_UDP)) {
        kinds[nkinds++] = {SOCK_DGRAM, IPPROTO_UDP};
    } else {
        return Local::kNotHandled;
    }

    int port;
    if (!plain_port(serv, port)) return Local::kNotHandled;

    sockaddr_in sin;
    sockaddr_in6 sin6;
    memset(&sin, 0, sizeof sin);
    memset(&sin6, 0, sizeof sin6);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(uint16_t(port));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(uint16_t(port));
    bool v4;
    if (!node) {
        // One family only: with both, glibc orders the two addresses by RFC 3484
        // rules that depend on the host's configuration.
        if (hints.ai_family == AF_UNSPEC || (hints.ai_flags & AI_CANONNAME)) return Local::kNotHandled;
        v4 = hints.ai_family == AF_INET;
        if (!(hints.ai_flags & AI_PASSIVE)) {
            if (v4)
                sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            else
                sin6.sin6_addr = in6addr_loopback;
        }
    } else if (inet_pton(AF_INET, node, &sin.sin_addr) == 1) {
        if (hints.ai_family == AF_INET6) return Local::kNotHandled;
        v4 = true;
    } else if (!strchr(node, '%') && inet_pton(AF_INET6, node, &sin6.sin6_addr) == 1) {
        if (hints.ai_family == AF_INET) return Local::kNotHandled;
        v4 = false;
    } else {
        return Local::kNotHandled;
    }

    const sockaddr* addr = v4 ? reinterpret_cast<const sockaddr*>(&sin) : reinterpret_cast<const sockaddr*>(&sin6);
    const socklen_t addrlen = v4 ? socklen_t(sizeof sin) : socklen_t(sizeof sin6);
    addrinfo* head = nullptr;
    addrinfo** tail = &head;
    for (int i = 0; i < nkinds; ++i) {
        addrinfo* ai = new_entry(hints.ai_flags, v4 ? AF_INET : AF_INET6, kinds[i].socktype, kinds[i].protocol,
                                 addr, addrlen);
        if (!ai) {
            free_list(head);
            return Local::kNoMemory;
        }
        *tail = ai;
        tail = &ai->ai_next;
    }
    // For a numeric host glibc's canonical name is the host text itself.
    if ((hints.ai_flags & AI_CANONNAME) && !(head->ai_canonname = mm_strdup(node))) {
        free_list(head);
        return Local::kNoMemory;
    }
    *res = head;
    return Local::kAnswered;
}

}  // namespace
}  // namespace vigil

using namespace vigil;

extern "C" {

VIGIL_EXPORT int evutil_getaddrinfo(const char* nodename, const char* servname,
                                    const struct evutil_addrinfo* hints_in, struct evutil_addrinfo** res) {
    if (!nodename && !servname) return EVUTIL_EAI_NONAME;
    if (!res) {
        errno = EINVAL;
        return EVUTIL_EAI_SYSTEM;
    }
    addrinfo hints;
    if (hints_in) {
        memcpy(&hints, hints_in, sizeof hints);
    } else {
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
    }
    hints.ai_flags &= ~kLibeventAllocatedFlag;

    switch (answer_locally(nodename, servname, hints, res)) {
        case Local::kAnswered: return 0;
        case Local::kNoMemory: return EVUTIL_EAI_MEMORY;
        case Local::kNotHandled: break;
    }

    addrinfo* sys = nullptr;
    const int err = getaddrinfo(nodename, servname, &hints, &sys);
    if (err != 0) return err;
    addrinfo* copy = copy_list(sys);
    freeaddrinfo(sys);
    if (!copy) return EVUTIL_EAI_MEMORY;
    *res = copy;
    return 0;
}

VIGIL_EXPORT void evutil_freeaddrinfo(struct evutil_addrinfo* ai) { free_list(ai); }

VIGIL_EXPORT const char* evutil_gai_strerror(int err) {
    // libevent's own wording for the codes it knows; the C library's for the rest.
    switch (err) {
        case 0: return "No error";
        case EVUTIL_EAI_CANCEL: return "Request canceled";
        case EVUTIL_EAI_ADDRFAMILY: return "address family for nodename not supported";
        case EVUTIL_EAI_AGAIN: return "temporary failure in name resolution";
        case EVUTIL_EAI_BADFLAGS: return "invalid value for ai_flags";
        case EVUTIL_EAI_FAIL: return "non-recoverable failure in name resolution";
        case EVUTIL_EAI_FAMILY: return "ai_family not supported";
        case EVUTIL_EAI_MEMORY: return "memory allocation failure";
        case EVUTIL_EAI_NODATA: return "no address associated with nodename";
        case EVUTIL_EAI_NONAME: return "nodename nor servname provided, or not known";
        case EVUTIL_EAI_SERVICE: return "servname not supported for ai_socktype";
        case EVUTIL_EAI_SOCKTYPE: return "ai_socktype not supported";
        case EVUTIL_EAI_SYSTEM: return "system error";
        default: return gai_strerror(err);
    }
}

}  // extern "C"
