// epoll(7): O(1) readiness, edge triggering, EPOLLRDHUP for EV_CLOSED, and a timerfd
// for microsecond timeouts when the base asks for precise timers.
#include "backend/backend.hpp"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>

namespace vigil {
namespace {

constexpr int kInitialEvents = 32;
constexpr int kMaxEvents = 4096;

uint32_t to_epoll(short want) {
    uint32_t e = 0;
    if (want & EV_READ) e |= EPOLLIN;
    if (want & EV_WRITE) e |= EPOLLOUT;
    if (want & EV_CLOSED) e |= EPOLLRDHUP;
    if (want & EV_ET) e |= EPOLLET;
    return e;
}

class EpollBackend final : public BackendWith<EpollBackend> {
public:
    EpollBackend(int epfd, int timerfd) : epfd_(epfd), timerfd_(timerfd), nevents_(kInitialEvents), events_(kInitialEvents) {}
    ~EpollBackend() override {
        close(epfd_);
        if (timerfd_ >= 0) close(timerfd_);
    }

    int update(int fd, short had, short want) override {
        epoll_event ev{};
        ev.data.fd = fd;
        if (!want) {
            // The fd may already be closed, which removed it from the set for us.
            if (epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev) == 0 || errno == ENOENT || errno == EBADF ||
                errno == EPERM)
                return 0;
            log_errno("epoll_ctl(DEL, %d)", fd);
            return -1;
        }
        ev.events = to_epoll(want);
        int op = had ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        if (epoll_ctl(epfd_, op, fd, &ev) == 0) return 0;
        // Our record and the kernel's can disagree when an fd was closed and its number
        // reused, or dup'ed: fall back to the other operation once.
        if (op == EPOLL_CTL_MOD && errno == ENOENT) {
            if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0) return 0;
        } else if (op == EPOLL_CTL_ADD && errno == EEXIST) {
            if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0) return 0;
        }
        log_errno("epoll_ctl(%s, %d)", op == EPOLL_CTL_MOD ? "MOD" : "ADD", fd);
        return -1;
    }

    template <bool kLocked>
    int run(event_base& base, Micros timeout_us) {
        int ms = timeout_us == 0 ? 0 : timeout_ms(timeout_us);
        if (VIGIL_UNLIKELY(timerfd_ >= 0) && timeout_us != 0) {
            // epoll_wait counts whole milliseconds; the timerfd wakes us on the microsecond.
            itimerspec its{};
            if (timeout_us > 0) {
                its.it_value.tv_sec = time_t(timeout_us / 1000000);
                its.it_value.tv_nsec = long(timeout_us % 1000000) * 1000;
            }
            if (timeout_us > 0 || timer_armed_) {
                if (timerfd_settime(timerfd_, 0, &its, nullptr) < 0) log_errno("timerfd_settime");
                timer_armed_ = timeout_us > 0;
            }
            ms = -1;
        }
        if constexpr (kLocked) wait_begin(base);
        int n = epoll_wait(epfd_, events_.data(), nevents_, ms);
        if constexpr (kLocked) wait_end(base);
        if (n < 0) {
            if (errno == EINTR) return 0;
            log_errno("epoll_wait");
            return -1;
        }
        for (int i = 0; i < n; ++i) {
            uint32_t e = events_[size_t(i)].events;
            int fd = events_[size_t(i)].data.fd;
            if (fd == timerfd_) continue;
            // EPOLLIN -> EV_READ, EPOLLOUT -> EV_WRITE, EPOLLRDHUP -> EV_CLOSED; an error, or
            // a hang-up without the read-side one, wakes readers and writers alike.
            static_assert(EPOLLIN == 0x1 && EPOLLOUT == 0x4 && EPOLLRDHUP == 0x2000);
            short what = EV_READ;
            if (VIGIL_UNLIKELY(e != EPOLLIN)) {  // plain readability is by far the most common
                what = short(((e & EPOLLIN) << 1) | (e & EPOLLOUT) | ((e & EPOLLRDHUP) >> 6));
                if ((e & (EPOLLHUP | EPOLLERR)) && ((e & EPOLLERR) || !(e & EPOLLRDHUP)))
                    what = EV_READ | EV_WRITE;
                if (!what) continue;
            }
            base.io_ready(fd, short(what | EV_ET));
        }
        if (VIGIL_UNLIKELY(n == nevents_) && n < kMaxEvents) {
            // A full batch: more may be waiting, so take more next time.
            nevents_ *= 2;
            events_.resize(size_t(nevents_));
        }
        return 0;
    }

private:
    int epfd_;
    int timerfd_;
    bool timer_armed_ = false;
    int nevents_;
    Vec<epoll_event> events_;
};

}  // namespace

Backend* create_epoll(int base_flags) {
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        if (errno != ENOSYS) log_errno("epoll_create1");
        return nullptr;
    }
    int tfd = -1;
    if (base_flags & EVENT_BASE_FLAG_PRECISE_TIMER) {
        tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (tfd >= 0) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.fd = tfd;
            if (epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev) < 0) {
                close(tfd);
                tfd = -1;
            }
        }
    }
    return mm_new<EpollBackend>(epfd, tfd);
}

}  // namespace vigil
