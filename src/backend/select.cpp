// select(2) with fd sets sized to the highest fd, so it is not limited to FD_SETSIZE.
#include "backend/backend.hpp"

#include <sys/select.h>

#include <cerrno>
#include <cstring>

namespace vigil {
namespace {

using Word = unsigned long;
constexpr int kBits = int(sizeof(Word) * 8);

class SelectBackend final : public BackendWith<SelectBackend> {
public:
    int update(int fd, short, short want) override {
        size_t words = size_t(fd / kBits) + 1;
        if (words > read_.size()) {
            // select() reads whole fd_set-sized chunks on some libcs: keep a full fd_set minimum.
            size_t n = words < kMinWords ? kMinWords : words * 2;
            read_.resize(n, 0);
            write_.resize(n, 0);
            out_read_.resize(n, 0);
            out_write_.resize(n, 0);
        }
        set(read_, fd, want & EV_READ);
        set(write_, fd, want & EV_WRITE);
        if (want && fd > maxfd_) maxfd_ = fd;
        if (!want && fd == maxfd_) {
            while (maxfd_ >= 0 && !test(read_, maxfd_) && !test(write_, maxfd_)) --maxfd_;
        }
        return 0;
    }

    template <bool kLocked>
    int run(event_base& base, Micros timeout_us) {
        size_t words = size_t(maxfd_ / kBits) + 1;
        if (maxfd_ >= 0) {
            memcpy(out_read_.data(), read_.data(), words * sizeof(Word));
            memcpy(out_write_.data(), write_.data(), words * sizeof(Word));
        }
        timeval tv, *tvp = nullptr;
        if (timeout_us >= 0) {
            tv = us_to_tv(timeout_us);
            tvp = &tv;
        }
        fd_set* rs = maxfd_ >= 0 ? reinterpret_cast<fd_set*>(out_read_.data()) : nullptr;
        fd_set* ws = maxfd_ >= 0 ? reinterpret_cast<fd_set*>(out_write_.data()) : nullptr;
        if constexpr (kLocked) wait_begin(base);
        int n = select(maxfd_ + 1, rs, ws, nullptr, tvp);
        if constexpr (kLocked) wait_end(base);
        if (n < 0) {
            if (errno == EINTR) return 0;
            log_errno("select");
            return -1;
        }
        for (size_t w = 0; w < words && n > 0 && maxfd_ >= 0; ++w) {
            Word bits = out_read_[w] | out_write_[w];
            while (bits) {
                int b = __builtin_ctzl(bits);
                bits &= bits - 1;
                int fd = int(w) * kBits + b;
                short what = 0;
                if (test(out_read_, fd)) what |= EV_READ;
                if (test(out_write_, fd)) what |= EV_WRITE;
                --n;
                base.io_ready(fd, what);
            }
        }
        return 0;
    }

private:
    static constexpr size_t kMinWords = sizeof(fd_set) / sizeof(Word);
    static void set(Vec<Word>& v, int fd, bool on) {
        Word m = Word(1) << (fd % kBits);
        if (on)
            v[size_t(fd / kBits)] |= m;
        else
            v[size_t(fd / kBits)] &= ~m;
    }
    static bool test(const Vec<Word>& v, int fd) { return v[size_t(fd / kBits)] >> (fd % kBits) & 1; }

    Vec<Word> read_, write_, out_read_, out_write_;
    int maxfd_ = -1;
};

}  // namespace

Backend* create_select(int) { return mm_new<SelectBackend>(); }

}  // namespace vigil
