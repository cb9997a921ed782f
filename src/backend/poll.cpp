// poll(2): a dense pollfd array plus an fd -> slot index, so updates are O(1).
// POLLRDHUP gives EV_CLOSED, as with epoll.
#include "backend/backend.hpp"

#include <poll.h>

#include <cerrno>

namespace vigil {
namespace {

class PollBackend final : public BackendWith<PollBackend> {
public:
    int update(int fd, short, short want) override {
        if (size_t(fd) >= slot_of_.size()) slot_of_.resize(size_t(fd) + 1, -1);
        int slot = slot_of_[size_t(fd)];
        if (!want) {
            if (slot < 0) return 0;
            // Move the last entry into the hole.
            pollfd last = fds_.back();
            fds_.pop_back();
            if (size_t(slot) < fds_.size()) {
                fds_[size_t(slot)] = last;
                slot_of_[size_t(last.fd)] = slot;
            }
            slot_of_[size_t(fd)] = -1;
            return 0;
        }
        short events = 0;
        if (want & EV_READ) events |= POLLIN;
        if (want & EV_WRITE) events |= POLLOUT;
        if (want & EV_CLOSED) events |= POLLRDHUP;
        if (slot < 0) {
            slot_of_[size_t(fd)] = int(fds_.size());
            fds_.push_back(pollfd{fd, events, 0});
        } else {
            fds_[size_t(slot)].events = events;
        }
        return 0;
    }

    template <bool kLocked>
    int run(event_base& base, Micros timeout_us) {
        if constexpr (kLocked) wait_begin(base);
        int n = poll(fds_.data(), nfds_t(fds_.size()), timeout_ms(timeout_us));
        if constexpr (kLocked) wait_end(base);
        if (n < 0) {
            if (errno == EINTR) return 0;
            log_errno("poll");
            return -1;
        }
        for (size_t i = 0; i < fds_.size() && n > 0; ++i) {
            short r = fds_[i].revents;
            if (!r) continue;
            --n;
            if (r & (POLLHUP | POLLERR | POLLNVAL)) r |= POLLIN | POLLOUT;
            short what = 0;
            if (r & POLLIN) what |= EV_READ;
            if (r & POLLOUT) what |= EV_WRITE;
            if (r & POLLRDHUP) what |= EV_CLOSED;
            if (what) base.io_ready(fds_[i].fd, what);
        }
        return 0;
    }

private:
    Vec<pollfd> fds_;
    Vec<int> slot_of_;
};

}  // namespace

Backend* create_poll(int) { return mm_new<PollBackend>(); }

}  // namespace vigil
