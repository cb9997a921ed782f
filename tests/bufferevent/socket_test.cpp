// Behaviour of socket bufferevents (bufferevent_socket_new and the generic bufferevent
// API on top of it), pinned against libevent 2.1.12 on every backend.
#include "bev_support.h"

#include <sys/un.h>

#include <climits>

using namespace bt;

namespace {

class BevSocket : public BevTest {};

INSTANTIATE_TEST_SUITE_P(Backends, BevSocket, ::testing::ValuesIn(backends()), backend_name);

constexpr short kEofReading = BEV_EVENT_EOF | BEV_EVENT_READING;            // 0x11
constexpr short kErrorReading = BEV_EVENT_ERROR | BEV_EVENT_READING;        // 0x21
constexpr short kErrorWriting = BEV_EVENT_ERROR | BEV_EVENT_WRITING;        // 0x22
constexpr short kTimeoutReading = BEV_EVENT_TIMEOUT | BEV_EVENT_READING;    // 0x41
constexpr short kTimeoutWriting = BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING;    // 0x42

void dummy_read(bufferevent*, void*) {}
void dummy_write(bufferevent*, void*) {}
void dummy_event(bufferevent*, short, void*) {}

// ------------------------------------------------------------ creation ----

TEST_P(BevSocket, NewWithFdHasLibeventDefaults) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  ASSERT_NE(bev.get(), nullptr);
  EXPECT_EQ(bufferevent_getfd(bev), sp.a());
  EXPECT_EQ(bufferevent_get_base(bev), base);
  EXPECT_EQ(bufferevent_get_underlying(bev), nullptr);
  // Writing is enabled from the start, reading is not.
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
  evbuffer* in = bufferevent_get_input(bev);
  evbuffer* out = bufferevent_get_output(bev);
  ASSERT_NE(in, nullptr);
  ASSERT_NE(out, nullptr);
  EXPECT_NE(in, out);
  EXPECT_EQ(evbuffer_get_length(in), 0u);
  EXPECT_EQ(evbuffer_get_length(out), 0u);
  size_t lo = 99, hi = 99;
  EXPECT_EQ(bufferevent_getwatermark(bev, EV_READ, &lo, &hi), 0);
  EXPECT_EQ(lo, 0u);
  EXPECT_EQ(hi, 0u);
  lo = hi = 99;
  EXPECT_EQ(bufferevent_getwatermark(bev, EV_WRITE, &lo, &hi), 0);
  EXPECT_EQ(lo, 0u);
  EXPECT_EQ(hi, 0u);
  EXPECT_EQ(bufferevent_get_max_single_read(bev), 16384);
  EXPECT_EQ(bufferevent_get_max_single_write(bev), 16384);
  EXPECT_EQ(bufferevent_get_max_to_read(bev), 16384);
  EXPECT_EQ(bufferevent_get_max_to_write(bev), 16384);
  EXPECT_EQ(bufferevent_get_priority(bev), 0);
  EXPECT_EQ(bufferevent_socket_get_dns_error(bev), 0);
  bufferevent_data_cb r = dummy_read, w = dummy_write;
  bufferevent_event_cb e = dummy_event;
  void* arg = &r;
  bufferevent_getcb(bev, &r, &w, &e, &arg);
  EXPECT_EQ(r, nullptr);
  EXPECT_EQ(w, nullptr);
  EXPECT_EQ(e, nullptr);
  EXPECT_EQ(arg, nullptr);
  // Nothing is registered with the base until something is enabled or written.
  EXPECT_FALSE(event_pending(&bev->ev_read, EV_READ, nullptr));
  EXPECT_FALSE(event_pending(&bev->ev_write, EV_WRITE, nullptr));
  EXPECT_EQ(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 0);
  // The fd stays open while the bufferevent lives.
  EXPECT_TRUE(fd_is_open(sp.a()));
}

TEST_P(BevSocket, StructMembersMirrorTheAccessors) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  ASSERT_NE(bev.get(), nullptr);
  Rec rec;
  rec.attach(bev);
  EXPECT_EQ(bev->ev_base, base);
  EXPECT_EQ(bev->input, bufferevent_get_input(bev));
  EXPECT_EQ(bev->output, bufferevent_get_output(bev));
  EXPECT_EQ(bev->enabled, EV_WRITE);
  EXPECT_EQ(bev->readcb, &Rec::read_cb);
  EXPECT_EQ(bev->writecb, &Rec::write_cb);
  EXPECT_EQ(bev->errorcb, &Rec::event_cb);
  EXPECT_EQ(bev->cbarg, &rec);
  EXPECT_EQ(bev->wm_read.low, 0u);
  EXPECT_EQ(bev->wm_read.high, 0u);
  EXPECT_EQ(bev->wm_write.low, 0u);
  EXPECT_EQ(bev->wm_write.high, 0u);
  EXPECT_EQ(bev->timeout_read.tv_sec, 0);
  EXPECT_EQ(bev->timeout_read.tv_usec, 0);
  EXPECT_EQ(bev->timeout_write.tv_sec, 0);
  EXPECT_EQ(bev->timeout_write.tv_usec, 0);
  // The two embedded events watch the socket, persistently, on this base.
  EXPECT_EQ(event_get_fd(&bev->ev_read), sp.a());
  EXPECT_EQ(event_get_fd(&bev->ev_write), sp.a());
  EXPECT_EQ(event_get_base(&bev->ev_read), base);
  EXPECT_EQ(event_get_base(&bev->ev_write), base);
  EXPECT_EQ(event_get_events(&bev->ev_read), EV_READ | EV_PERSIST | EV_FINALIZE);
  EXPECT_EQ(event_get_events(&bev->ev_write), EV_WRITE | EV_PERSIST | EV_FINALIZE);

  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  EXPECT_EQ(bev->enabled, EV_READ | EV_WRITE);
  EXPECT_TRUE(event_pending(&bev->ev_read, EV_READ, nullptr));
  bufferevent_setwatermark(bev, EV_READ, 3, 70);
  EXPECT_EQ(bev->wm_read.low, 3u);
  EXPECT_EQ(bev->wm_read.high, 70u);
  timeval r = tv_ms(1500), w = tv_ms(250);
  ASSERT_EQ(bufferevent_set_timeouts(bev, &r, &w), 0);
  EXPECT_EQ(bev->timeout_read.tv_sec, 1);
  EXPECT_EQ(bev->timeout_read.tv_usec, 500000);
  EXPECT_EQ(bev->timeout_write.tv_sec, 0);
  EXPECT_EQ(bev->timeout_write.tv_usec, 250000);
  ASSERT_EQ(bufferevent_disable(bev, EV_READ | EV_WRITE), 0);
  EXPECT_EQ(bev->enabled, 0);
  EXPECT_FALSE(event_pending(&bev->ev_read, EV_READ, nullptr));
}

TEST_P(BevSocket, NewWithoutFd) {
  Bev bev(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
  ASSERT_NE(bev.get(), nullptr);
  EXPECT_EQ(bufferevent_getfd(bev), -1);
  EXPECT_EQ(event_get_fd(&bev->ev_read), -1);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
  // Enabling without a socket succeeds and is remembered.
  EXPECT_EQ(bufferevent_enable(bev, EV_READ), 0);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
  // Writing buffers the data; nothing can go anywhere.
  EXPECT_EQ(bufferevent_write(bev, "abc", 3), 0);
  run_for(base, 20);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 3u);
}

TEST_P(BevSocket, SetcbAndGetcb) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  int token = 0;
  bufferevent_setcb(bev, dummy_read, dummy_write, dummy_event, &token);
  bufferevent_data_cb r = nullptr, w = nullptr;
  bufferevent_event_cb e = nullptr;
  void* arg = nullptr;
  bufferevent_getcb(bev, &r, &w, &e, &arg);
  EXPECT_EQ(r, &dummy_read);
  EXPECT_EQ(w, &dummy_write);
  EXPECT_EQ(e, &dummy_event);
  EXPECT_EQ(arg, &token);
  // Any output pointer may be NULL.
  bufferevent_getcb(bev, nullptr, nullptr, nullptr, nullptr);
  r = nullptr;
  bufferevent_getcb(bev, &r, nullptr, nullptr, nullptr);
  EXPECT_EQ(r, &dummy_read);
  arg = nullptr;
  bufferevent_getcb(bev, nullptr, nullptr, nullptr, &arg);
  EXPECT_EQ(arg, &token);
  // setcb replaces all four at once.
  bufferevent_setcb(bev, nullptr, dummy_write, nullptr, nullptr);
  bufferevent_getcb(bev, &r, &w, &e, &arg);
  EXPECT_EQ(r, nullptr);
  EXPECT_EQ(w, &dummy_write);
  EXPECT_EQ(e, nullptr);
  EXPECT_EQ(arg, nullptr);
}

// ---------------------------------------------------------- read/write ----

TEST_P(BevSocket, WriteReachesPeerAndWriteCallbackRunsOnceDrained) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  rec.in_call = true;
  ASSERT_EQ(bufferevent_write(bev, "hello ", 6), 0);
  ASSERT_EQ(bufferevent_write(bev, "world", 5), 0);
  rec.in_call = false;
  EXPECT_EQ(rec.called_inside, 0);  // writing never calls back synchronously
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 11u);
  // Data goes out from the loop, not from bufferevent_write.
  EXPECT_EQ(kernel_readable(sp.b()), 0);
  EXPECT_TRUE(event_pending(&bev->ev_write, EV_WRITE, nullptr));
  ASSERT_TRUE(run_until(base, [&] { return rec.writes >= 1; }));
  run_for(base, 20);
  EXPECT_EQ(drain_fd(sp.b()), "hello world");
  EXPECT_EQ(rec.writes, 1);
  ASSERT_EQ(rec.out_len.size(), 1u);
  EXPECT_EQ(rec.out_len[0], 0u);
  EXPECT_EQ(rec.reads, 0);
  EXPECT_TRUE(rec.events.empty());
  // With the output empty the write event is no longer registered.
  EXPECT_FALSE(event_pending(&bev->ev_write, EV_WRITE, nullptr));
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
}

TEST_P(BevSocket, WriteBufferMovesTheWholeEvbuffer) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  evbuffer* src = evbuffer_new();
  evbuffer_add(src, "moved ", 6);
  evbuffer_add(src, "data", 4);
  ASSERT_EQ(bufferevent_write_buffer(bev, src), 0);
  EXPECT_EQ(evbuffer_get_length(src), 0u);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 10u);
  evbuffer_free(src);
  std::string got;
  ASSERT_TRUE(run_until(base, [&] {
    got += drain_fd(sp.b());
    return got.size() >= 10;
  }));
  EXPECT_EQ(got, "moved data");
}

// The bufferevent watches its output for additions only; a callback of the program's
// own on that buffer still hears about both the additions and the bytes written out.
TEST_P(BevSocket, OwnCallbackOnOutputSeesAdditionsAndWrites) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  using Change = std::pair<size_t, size_t>;  // n_added, n_deleted
  std::vector<Change> seen;
  evbuffer* out = bufferevent_get_output(bev);
  evbuffer_cb_entry* ent = evbuffer_add_cb(
      out,
      [](evbuffer*, const evbuffer_cb_info* info, void* arg) {
        static_cast<std::vector<Change>*>(arg)->emplace_back(info->n_added, info->n_deleted);
      },
      &seen);
  ASSERT_NE(ent, nullptr);
  ASSERT_EQ(bufferevent_write(bev, "hello", 5), 0);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], Change(5, 0));
  std::string got;
  ASSERT_TRUE(run_until(base, [&] {
    got += drain_fd(sp.b());
    return got.size() >= 5;
  }));
  EXPECT_EQ(got, "hello");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1], Change(0, 5));
  // Once it is gone, the bufferevent's own watch still sends what is added.
  ASSERT_EQ(evbuffer_remove_cb_entry(out, ent), 0);
  ASSERT_EQ(bufferevent_write(bev, "again", 5), 0);
  got.clear();
  ASSERT_TRUE(run_until(base, [&] {
    got += drain_fd(sp.b());
    return got.size() >= 5;
  }));
  EXPECT_EQ(got, "again");
  EXPECT_EQ(seen.size(), 2u);
}

TEST_P(BevSocket, ReadCallbackAndReadFunctions) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.auto_drain = false;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(put(sp.b(), "0123456789"), 10);
  ASSERT_TRUE(run_until(base, [&] { return rec.reads >= 1; }));
  EXPECT_EQ(rec.reads, 1);
  ASSERT_EQ(rec.in_len.size(), 1u);
  EXPECT_EQ(rec.in_len[0], 10u);
  // bufferevent_read takes at most what was asked for.
  char buf[32] = {};
  EXPECT_EQ(bufferevent_read(bev, buf, 4), 4u);
  EXPECT_EQ(std::string(buf, 4), "0123");
  // and at most what is there.
  EXPECT_EQ(bufferevent_read(bev, buf, 2), 2u);
  evbuffer* dst = evbuffer_new();
  evbuffer_add(dst, "<", 1);
  EXPECT_EQ(bufferevent_read_buffer(bev, dst), 0);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 0u);
  ASSERT_EQ(evbuffer_get_length(dst), 5u);
  std::string moved(5, '\0');
  evbuffer_remove(dst, moved.data(), 5);
  EXPECT_EQ(moved, "<6789");
  evbuffer_free(dst);
  EXPECT_EQ(bufferevent_read(bev, buf, sizeof buf), 0u);
  // Reading did not disturb anything else.
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(rec.writes, 0);
}

TEST_P(BevSocket, InputCannotBeAppendedOutputCannotBeDrainedByUser) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  ASSERT_EQ(bufferevent_disable(bev, EV_WRITE), 0);
  ASSERT_EQ(bufferevent_write(bev, "xyz", 3), 0);
  // The input's end belongs to the socket, the output's start too.
  EXPECT_EQ(evbuffer_add(bufferevent_get_input(bev), "in", 2), -1);
  EXPECT_EQ(evbuffer_drain(bufferevent_get_output(bev), 1), -1);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 0u);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 3u);
  // The other ends work as usual.
  EXPECT_EQ(evbuffer_add(bufferevent_get_output(bev), "w", 1), 0);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 4u);
}

TEST_P(BevSocket, ReadingIsOffUntilEnabledAndDataStaysInTheKernel) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(put(sp.b(), "pending"), 7);
  run_for(base, 30);
  EXPECT_EQ(rec.reads, 0);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 0u);
  EXPECT_EQ(kernel_readable(sp.a()), 7);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_TRUE(run_until(base, [&] { return rec.got.size() >= 7; }));
  EXPECT_EQ(rec.got, "pending");
  EXPECT_EQ(kernel_readable(sp.a()), 0);
  // Disabling reading stops it again.
  ASSERT_EQ(bufferevent_disable(bev, EV_READ), 0);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
  ASSERT_EQ(put(sp.b(), "more"), 4);
  run_for(base, 30);
  EXPECT_EQ(rec.reads, 1);
  EXPECT_EQ(kernel_readable(sp.a()), 4);
}

TEST_P(BevSocket, WriteWhileDisabledIsHeldUntilEnabled) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_disable(bev, EV_WRITE), 0);
  EXPECT_EQ(bufferevent_get_enabled(bev), 0);
  ASSERT_EQ(bufferevent_write(bev, "held", 4), 0);
  EXPECT_FALSE(event_pending(&bev->ev_write, EV_WRITE, nullptr));
  run_for(base, 30);
  EXPECT_EQ(kernel_readable(sp.b()), 0);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 4u);
  EXPECT_EQ(rec.writes, 0);
  ASSERT_EQ(bufferevent_enable(bev, EV_WRITE), 0);
  ASSERT_TRUE(run_until(base, [&] { return rec.writes >= 1; }));
  EXPECT_EQ(drain_fd(sp.b()), "held");
  EXPECT_EQ(rec.writes, 1);
}

// A fresh bufferevent does not call its write callback by itself, but enabling EV_WRITE
// on an idle writable socket produces one write callback with an empty output.
TEST_P(BevSocket, EnablingWriteOnIdleSocketCallsWriteCallbackOnce) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  run_for(base, 30);
  EXPECT_EQ(rec.writes, 0);
  ASSERT_EQ(bufferevent_enable(bev, EV_WRITE), 0);
  EXPECT_EQ(rec.writes, 0);  // not from inside enable
  EXPECT_TRUE(event_pending(&bev->ev_write, EV_WRITE, nullptr));
  ASSERT_TRUE(run_until(base, [&] { return rec.writes >= 1; }));
  run_for(base, 30);
  EXPECT_EQ(rec.writes, 1);
  ASSERT_EQ(rec.out_len.size(), 1u);
  EXPECT_EQ(rec.out_len[0], 0u);
  EXPECT_FALSE(event_pending(&bev->ev_write, EV_WRITE, nullptr));
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
  EXPECT_TRUE(rec.events.empty());
}

TEST_P(BevSocket, EnableAndDisableReturnValuesAndFlags) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  EXPECT_EQ(bufferevent_enable(bev, 0), 0);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
  EXPECT_EQ(bufferevent_enable(bev, EV_READ | EV_WRITE), 0);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
  EXPECT_EQ(bufferevent_enable(bev, EV_READ), 0);  // idempotent
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
  EXPECT_EQ(bufferevent_disable(bev, EV_WRITE), 0);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_READ);
  EXPECT_EQ(bufferevent_disable(bev, EV_WRITE), 0);  // idempotent
  EXPECT_EQ(bufferevent_disable(bev, 0), 0);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_READ);
  EXPECT_EQ(bufferevent_disable(bev, EV_READ), 0);
  EXPECT_EQ(bufferevent_get_enabled(bev), 0);
}

// --------------------------------------------------------- watermarks ----

TEST_P(BevSocket, SetwatermarkAndGetwatermark) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  bufferevent_setwatermark(bev, EV_READ, 3, 7);
  size_t lo = 0, hi = 0;
  EXPECT_EQ(bufferevent_getwatermark(bev, EV_READ, &lo, &hi), 0);
  EXPECT_EQ(lo, 3u);
  EXPECT_EQ(hi, 7u);
  EXPECT_EQ(bufferevent_getwatermark(bev, EV_WRITE, &lo, &hi), 0);
  EXPECT_EQ(lo, 0u);
  EXPECT_EQ(hi, 0u);
  bufferevent_setwatermark(bev, EV_WRITE, 11, 13);
  EXPECT_EQ(bufferevent_getwatermark(bev, EV_WRITE, &lo, &hi), 0);
  EXPECT_EQ(lo, 11u);
  EXPECT_EQ(hi, 13u);
  // Both directions at once.
  bufferevent_setwatermark(bev, EV_READ | EV_WRITE, 1, 2);
  EXPECT_EQ(bufferevent_getwatermark(bev, EV_READ, &lo, &hi), 0);
  EXPECT_EQ(lo, 1u);
  EXPECT_EQ(hi, 2u);
  EXPECT_EQ(bufferevent_getwatermark(bev, EV_WRITE, &lo, &hi), 0);
  EXPECT_EQ(lo, 1u);
  EXPECT_EQ(hi, 2u);
  // getwatermark wants exactly one direction.
  lo = hi = 42;
  EXPECT_EQ(bufferevent_getwatermark(bev, EV_READ | EV_WRITE, &lo, &hi), -1);
  EXPECT_EQ(bufferevent_getwatermark(bev, 0, &lo, &hi), -1);
  EXPECT_EQ(lo, 42u);
  EXPECT_EQ(hi, 42u);
  // Either output may be NULL.
  EXPECT_EQ(bufferevent_getwatermark(bev, EV_READ, nullptr, &hi), 0);
  EXPECT_EQ(hi, 2u);
  EXPECT_EQ(bufferevent_getwatermark(bev, EV_READ, &lo, nullptr), 0);
  EXPECT_EQ(lo, 1u);
  EXPECT_EQ(bufferevent_getwatermark(bev, EV_READ, nullptr, nullptr), 0);
  // Setting with no direction changes nothing.
  bufferevent_setwatermark(bev, 0, 100, 200);
  EXPECT_EQ(bufferevent_getwatermark(bev, EV_READ, &lo, &hi), 0);
  EXPECT_EQ(lo, 1u);
  EXPECT_EQ(hi, 2u);
}

// Reading stops at the high-water mark: the rest stays in the kernel until the user
// drains the input below the mark. Meanwhile libevent 2.1.12 calls the read callback
// again (deferred) after every read callback that leaves the input at or above the
// mark while EV_READ is enabled, so an undrained input means repeated read callbacks.
TEST_P(BevSocket, ReadHighWatermarkSuspendsReading) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.auto_drain = false;
  rec.attach(bev);
  bufferevent_setwatermark(bev, EV_READ, 0, 10);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  const std::string data = pattern(100);
  ASSERT_EQ(put(sp.b(), data), 100);
  run_for(base, 40);
  EXPECT_GE(rec.reads, 2);  // re-invoked although nothing new arrived
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 10u);
  EXPECT_EQ(kernel_readable(sp.a()), 90);
  for (size_t n : rec.in_len) EXPECT_EQ(n, 10u);
  // Suspension does not show in the enabled flags.
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
  EXPECT_FALSE(event_pending(&bev->ev_read, EV_READ, nullptr));

  // Draining part of the input below the mark resumes reading, up to the mark again.
  std::string part(4, '\0');
  ASSERT_EQ(bufferevent_read(bev, part.data(), 4), 4u);
  EXPECT_EQ(part, data.substr(0, 4));
  EXPECT_TRUE(event_pending(&bev->ev_read, EV_READ, nullptr));
  run_for(base, 30);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 10u);
  EXPECT_EQ(kernel_readable(sp.a()), 86);

  // Draining everything in each callback gets the rest through, 10 bytes at a time.
  std::string got = part;
  rec.on_read = [&](bufferevent* b) {
    std::string chunk(evbuffer_get_length(bufferevent_get_input(b)), '\0');
    EXPECT_LE(chunk.size(), 10u);
    bufferevent_read(b, chunk.data(), chunk.size());
    got += chunk;
  };
  const int before = rec.reads;
  std::string first(10, '\0');
  ASSERT_EQ(bufferevent_read(bev, first.data(), 10), 10u);
  got += first;
  ASSERT_TRUE(run_until(base, [&] { return got.size() >= 100; }));
  run_for(base, 20);
  EXPECT_EQ(got, data);
  // Nine reads of 10 bytes; a read callback re-scheduled by the spin above may run once
  // more, with whatever the input holds then.
  EXPECT_GE(rec.reads - before, 9);
  EXPECT_LE(rec.reads - before, 10);
  EXPECT_EQ(kernel_readable(sp.a()), 0);
}

// The repeated read callback stops once the callback disables reading.
TEST_P(BevSocket, ReadHighWatermarkRecallStopsWhenReadingIsDisabled) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.on_read = [](bufferevent* b) { bufferevent_disable(b, EV_READ); };
  rec.attach(bev);
  bufferevent_setwatermark(bev, EV_READ, 0, 10);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(put(sp.b(), pattern(100)), 100);
  ASSERT_TRUE(run_until(base, [&] { return rec.reads >= 1; }));
  run_for(base, 40);
  EXPECT_EQ(rec.reads, 1);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 10u);
  EXPECT_EQ(kernel_readable(sp.a()), 90);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
}

TEST_P(BevSocket, LoweringHighWatermarkBelowBufferedDataSuspends) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.auto_drain = false;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(put(sp.b(), std::string(20, 'a')), 20);
  ASSERT_TRUE(run_until(base, [&] { return rec.reads >= 1; }));
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 20u);
  bufferevent_setwatermark(bev, EV_READ, 0, 10);
  EXPECT_FALSE(event_pending(&bev->ev_read, EV_READ, nullptr));
  ASSERT_EQ(put(sp.b(), std::string(5, 'b')), 5);
  run_for(base, 40);
  EXPECT_EQ(rec.reads, 1);
  EXPECT_EQ(kernel_readable(sp.a()), 5);
  // Removing the high-water mark resumes reading at once.
  bufferevent_setwatermark(bev, EV_READ, 0, 0);
  EXPECT_TRUE(event_pending(&bev->ev_read, EV_READ, nullptr));
  ASSERT_TRUE(run_until(base, [&] { return rec.reads >= 2; }));
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_input(bev)), 25u);
}

TEST_P(BevSocket, ReadLowWatermarkGatesTheReadCallback) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.auto_drain = false;
  rec.attach(bev);
  bufferevent_setwatermark(bev, EV_READ, 5, 0);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(put(sp.b(), "abc"), 3);
  // The bytes are read into the input, but the callback waits for 5.
  ASSERT_TRUE(run_until(base, [&] { return evbuffer_get_length(bufferevent_get_input(bev)) == 3; }));
  run_for(base, 30);
  EXPECT_EQ(rec.reads, 0);
  EXPECT_EQ(kernel_readable(sp.a()), 0);
  ASSERT_EQ(put(sp.b(), "de"), 2);
  ASSERT_TRUE(run_until(base, [&] { return rec.reads >= 1; }));
  EXPECT_EQ(rec.reads, 1);
  EXPECT_EQ(rec.in_len[0], 5u);
  EXPECT_EQ(input_str(bev), "abcde");
}

// The write callback runs after a write leaves the output at or below the low-water
// mark, not only when it is empty.
TEST_P(BevSocket, WriteLowWatermarkTriggersWriteCallback) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  constexpr size_t kLow = 64 * 1024;
  bufferevent_setwatermark(bev, EV_WRITE, kLow, 0);
  const size_t prefill = fill_until_full(sp.a());
  ASSERT_GT(prefill, 0u);
  const std::string data = pattern(256 * 1024);
  ASSERT_EQ(bufferevent_write(bev, data.data(), data.size()), 0);
  run_for(base, 30);
  EXPECT_EQ(rec.writes, 0);  // the socket is full; nothing drained yet
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), data.size());
  size_t drained = 0;
  ASSERT_TRUE(run_until(base, [&] {
    drained += drain_fd(sp.b()).size();
    return rec.writes >= 1;
  }, 5000));
  ASSERT_FALSE(rec.out_len.empty());
  // Each write moves at most 16384 bytes, so the first callback sees the output
  // between the mark and the mark minus one write.
  EXPECT_LE(rec.out_len[0], kLow);
  EXPECT_GT(rec.out_len[0], 0u);
  ASSERT_TRUE(run_until(base, [&] {
    drained += drain_fd(sp.b()).size();
    return drained >= prefill + data.size();
  }, 5000));
  EXPECT_EQ(drained, prefill + data.size());
  EXPECT_EQ(rec.out_len.back(), 0u);
  for (size_t n : rec.out_len) EXPECT_LE(n, kLow);
}

// ------------------------------------------------------------ timeouts ----

TEST_P(BevSocket, ReadTimeoutReportsTimeoutReadingAndDisablesReading) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  timeval tv = tv_ms(50);
  ASSERT_EQ(bufferevent_set_timeouts(bev, &tv, nullptr), 0);
  const double start = coarse_now_ms();
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  const double elapsed = rec.event_ms[0] - start;
  EXPECT_GE(elapsed, 50 - kMicrosecond);
  EXPECT_LT(elapsed, 50 + kLate);
  EXPECT_EQ(rec.events[0], kTimeoutReading) << flags_str(rec.events[0]);
  // The timeout turned reading off (writing stays on), so it does not fire again.
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
  EXPECT_FALSE(event_pending(&bev->ev_read, EV_READ, nullptr));
  ASSERT_EQ(put(sp.b(), "late"), 4);
  run_for(base, 120);
  EXPECT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.reads, 0);
  EXPECT_EQ(kernel_readable(sp.a()), 4);
  // The timeout stays configured; re-enabling reads the waiting data.
  EXPECT_EQ(bev->timeout_read.tv_usec, 50000);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_TRUE(run_until(base, [&] { return rec.got.size() >= 4; }));
  EXPECT_EQ(rec.got, "late");
}

TEST_P(BevSocket, ReadTimeoutIsRestartedByIncomingData) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  timeval tv = tv_ms(300);
  ASSERT_EQ(bufferevent_set_timeouts(bev, &tv, nullptr), 0);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  // Data every 20 ms for ~400 ms (longer than the timeout) keeps it from firing. Each
  // send is timed before the loop that re-arms the timeout on reading it starts.
  double last_send = coarse_now_ms();
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(put(sp.b(), "x"), 1);
    last_send = coarse_now_ms();
    run_for(base, 20);
  }
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(rec.got, std::string(20, 'x'));
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  EXPECT_EQ(rec.events[0], kTimeoutReading);
  EXPECT_GE(rec.event_ms[0] - last_send, 300 - kMicrosecond);
  EXPECT_LT(rec.event_ms[0] - last_send, 300 + kLate);
}

TEST_P(BevSocket, SettingTimeoutsOnAnEnabledBufferevent) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  // Applies to the already-pending read event.
  timeval tv = tv_ms(40);
  ASSERT_EQ(bufferevent_set_timeouts(bev, &tv, nullptr), 0);
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  EXPECT_EQ(rec.events[0], kTimeoutReading);
  // Clearing the timeouts with NULL leaves reading untimed.
  ASSERT_EQ(bufferevent_set_timeouts(bev, nullptr, nullptr), 0);
  EXPECT_EQ(bev->timeout_read.tv_sec, 0);
  EXPECT_EQ(bev->timeout_read.tv_usec, 0);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  run_for(base, 120);
  EXPECT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
}

TEST_P(BevSocket, WriteTimeoutReportsTimeoutWritingAndDisablesWriting) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  const size_t prefill = fill_until_full(sp.a());
  timeval tv = tv_ms(50);
  ASSERT_EQ(bufferevent_set_timeouts(bev, nullptr, &tv), 0);
  const double start = coarse_now_ms();
  ASSERT_EQ(bufferevent_write(bev, "blocked", 7), 0);
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  EXPECT_EQ(rec.events[0], kTimeoutWriting) << flags_str(rec.events[0]);
  EXPECT_GE(rec.event_ms[0] - start, 50 - kMicrosecond);
  EXPECT_LT(rec.event_ms[0] - start, 50 + kLate);
  EXPECT_EQ(bufferevent_get_enabled(bev), 0);
  EXPECT_FALSE(event_pending(&bev->ev_write, EV_WRITE, nullptr));
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 7u);
  EXPECT_EQ(rec.writes, 0);
  // Once the peer reads and writing is re-enabled, the data goes out.
  size_t drained = drain_fd(sp.b()).size();
  EXPECT_EQ(drained, prefill);
  run_for(base, 30);
  EXPECT_EQ(kernel_readable(sp.b()), 0);  // still disabled
  ASSERT_EQ(bufferevent_enable(bev, EV_WRITE), 0);
  std::string tail;
  ASSERT_TRUE(run_until(base, [&] {
    tail += drain_fd(sp.b());
    return rec.writes >= 1 && tail.size() >= 7;
  }));
  EXPECT_EQ(tail, "blocked");
  EXPECT_EQ(rec.events.size(), 1u);
}

// An idle write side (empty output) never times out.
TEST_P(BevSocket, WriteTimeoutNeedsPendingOutput) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  timeval tv = tv_ms(30);
  ASSERT_EQ(bufferevent_set_timeouts(bev, nullptr, &tv), 0);
  run_for(base, 100);
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
}

// -------------------------------------------------------- EOF and errors ----

TEST_P(BevSocket, PeerCloseDeliversDataThenEofReading) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(put(sp.b(), "bye"), 3);
  sp.close_end(1);
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  run_for(base, 30);
  EXPECT_EQ(rec.got, "bye");
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], kEofReading) << flags_str(rec.events[0]);
  EXPECT_EQ(rec.order, "re");
  // EOF turns reading off; writing stays enabled.
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
  EXPECT_FALSE(event_pending(&bev->ev_read, EV_READ, nullptr));
}

TEST_P(BevSocket, PeerShutdownWriteGivesEofButWritingStillWorks) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(shutdown(sp.b(), SHUT_WR), 0);
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  EXPECT_EQ(rec.events[0], kEofReading);
  EXPECT_EQ(rec.reads, 0);
  ASSERT_EQ(bufferevent_write(bev, "still", 5), 0);
  ASSERT_TRUE(run_until(base, [&] { return rec.writes >= 1; }));
  EXPECT_EQ(drain_fd(sp.b()), "still");
  EXPECT_EQ(rec.events.size(), 1u);
}

TEST_P(BevSocket, WriteToClosedPeerIsErrorWritingWithEpipe) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  sp.close_end(1);
  ASSERT_EQ(bufferevent_write(bev, "lost", 4), 0);
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  run_for(base, 30);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], kErrorWriting) << flags_str(rec.events[0]);
  EXPECT_EQ(rec.errnos[0], EPIPE) << strerror(rec.errnos[0]);
  EXPECT_EQ(rec.writes, 0);
  // The failed write leaves the data in the output and turns writing off.
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 4u);
  EXPECT_EQ(bufferevent_get_enabled(bev), 0);
  EXPECT_FALSE(event_pending(&bev->ev_write, EV_WRITE, nullptr));
}

TEST_P(BevSocket, TcpWriteAfterPeerClosedEventuallyErrorsWriting) {
  TcpServer srv;
  TcpPair tp(srv);
  ASSERT_GE(tp.server.fd, 0);
  Bev bev(bufferevent_socket_new(base, tp.client.fd, 0));
  Rec rec;
  rec.attach(bev);
  tp.server.reset();
  // Keep writing until the connection reset surfaces.
  rec.on_write = [](bufferevent* b) { bufferevent_write(b, "more", 4); };
  ASSERT_EQ(bufferevent_write(bev, "first", 5), 0);
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  EXPECT_EQ(rec.events[0], kErrorWriting) << flags_str(rec.events[0]);
  EXPECT_TRUE(rec.errnos[0] == EPIPE || rec.errnos[0] == ECONNRESET) << strerror(rec.errnos[0]);
  EXPECT_EQ(bufferevent_get_enabled(bev) & EV_WRITE, 0);
}

TEST_P(BevSocket, TcpResetWhileReadingIsErrorReadingWithEconnreset) {
  TcpServer srv;
  TcpPair tp(srv);
  ASSERT_GE(tp.server.fd, 0);
  Bev bev(bufferevent_socket_new(base, tp.client.fd, 0));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  linger lg{1, 0};
  ASSERT_EQ(setsockopt(tp.server.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
  tp.server.reset();  // abortive close: RST
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  EXPECT_EQ(rec.events[0], kErrorReading) << flags_str(rec.events[0]);
  EXPECT_EQ(rec.errnos[0], ECONNRESET) << strerror(rec.errnos[0]);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
}

// -------------------------------------------------------------- connect ----

TEST_P(BevSocket, ConnectToListeningLoopback) {
  TcpServer srv;
  Bev bev(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  sockaddr_in sin = srv.addr();
  rec.in_call = true;
  ASSERT_EQ(bufferevent_socket_connect(bev, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  rec.in_call = false;
  EXPECT_EQ(rec.called_inside, 0);
  // The library made a non-blocking TCP socket and attached it at once.
  const evutil_socket_t fd = bufferevent_getfd(bev);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
  int type = 0;
  socklen_t len = sizeof type;
  ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
  EXPECT_EQ(type, SOCK_STREAM);
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  run_for(base, 30);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], BEV_EVENT_CONNECTED) << flags_str(rec.events[0]);
  // Connecting with an empty output does not call the write callback.
  EXPECT_EQ(rec.writes, 0);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
  EXPECT_EQ(bufferevent_socket_get_dns_error(bev), 0);

  Fd peer = srv.accept_one();
  ASSERT_GE(peer.fd, 0);
  ASSERT_EQ(bufferevent_write(bev, "ping", 4), 0);
  std::string at_peer;
  ASSERT_TRUE(run_until(base, [&] {
    at_peer += drain_fd(peer.fd);
    return at_peer.size() >= 4;
  }));
  EXPECT_EQ(at_peer, "ping");
  ASSERT_EQ(put(peer.fd, "pong"), 4);
  ASSERT_TRUE(run_until(base, [&] { return rec.got.size() >= 4; }));
  EXPECT_EQ(rec.got, "pong");
  // CLOSE_ON_FREE closes the socket the library created.
  bev.reset();
  run_nonblock(base);
  EXPECT_FALSE(fd_is_open(fd));
  ASSERT_TRUE(wait_readable(peer.fd, 2000));
  EXPECT_TRUE(peer_sees_eof(peer.fd));
}

TEST_P(BevSocket, DataWrittenBeforeConnectCompletesGoesOutAfterConnected) {
  TcpServer srv;
  Bev bev(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
  Rec rec;
  rec.attach(bev);
  sockaddr_in sin = srv.addr();
  ASSERT_EQ(bufferevent_write(bev, "early", 5), 0);
  ASSERT_EQ(bufferevent_socket_connect(bev, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  ASSERT_TRUE(run_until(base, [&] { return rec.writes >= 1; }));
  run_for(base, 20);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], BEV_EVENT_CONNECTED);
  EXPECT_EQ(rec.order, "ew");
  EXPECT_EQ(rec.writes, 1);
  Fd peer = srv.accept_one();
  ASSERT_GE(peer.fd, 0);
  std::string at_peer;
  ASSERT_TRUE(run_until(base, [&] {
    at_peer += drain_fd(peer.fd);
    return at_peer.size() >= 5;
  }));
  EXPECT_EQ(at_peer, "early");
}

TEST_P(BevSocket, ConnectToClosedPortIsError) {
  const unsigned port = closed_port();
  ASSERT_NE(port, 0u);
  Bev bev(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
  Rec rec;
  rec.attach(bev);
  sockaddr_in sin = loopback4(port);
  rec.in_call = true;
  ASSERT_EQ(bufferevent_socket_connect(bev, reinterpret_cast<sockaddr*>(&sin), sizeof sin), 0);
  rec.in_call = false;
  EXPECT_EQ(rec.called_inside, 0);
  const evutil_socket_t fd = bufferevent_getfd(bev);
  EXPECT_GE(fd, 0);
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  run_for(base, 30);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], BEV_EVENT_ERROR) << flags_str(rec.events[0]);
  EXPECT_EQ(rec.errnos[0], ECONNREFUSED) << strerror(rec.errnos[0]);
  EXPECT_EQ(rec.writes, 0);
  EXPECT_EQ(rec.reads, 0);
  // The failed socket stays attached until the bufferevent is freed.
  EXPECT_EQ(bufferevent_getfd(bev), fd);
  EXPECT_TRUE(fd_is_open(fd));
  EXPECT_EQ(bufferevent_socket_get_dns_error(bev), 0);
  bev.reset();
  run_nonblock(base);
  EXPECT_FALSE(fd_is_open(fd));
}

TEST_P(BevSocket, ConnectWithoutFdOrAddressFails) {
  Bev bev(bufferevent_socket_new(base, -1, 0));
  Rec rec;
  rec.attach(bev);
  rec.in_call = true;
  EXPECT_EQ(bufferevent_socket_connect(bev, nullptr, 0), -1);
  rec.in_call = false;
  EXPECT_EQ(bufferevent_getfd(bev), -1);
  run_for(base, 20);
  EXPECT_TRUE(rec.events.empty());
}

// A connect(2) failure other than "refused" or "in progress" makes
// bufferevent_socket_connect return -1 and close the socket the library made; 2.1.12
// reports no event for it.
TEST_P(BevSocket, ConnectWithBadAddressLengthFailsSynchronously) {
  Bev bev(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
  Rec rec;
  rec.attach(bev);
  sockaddr_in sin = loopback4(1);
  EXPECT_EQ(bufferevent_socket_connect(bev, reinterpret_cast<sockaddr*>(&sin), 1), -1);
  EXPECT_EQ(bufferevent_getfd(bev), -1);
  run_for(base, 20);
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
}

// connect with no address on a bufferevent that already has a connected socket just
// waits for writability and reports CONNECTED.
TEST_P(BevSocket, ConnectWithNullAddressOnConnectedSocketReportsConnected) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_socket_connect(bev, nullptr, 0), 0);
  EXPECT_EQ(bufferevent_getfd(bev), sp.a());
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  run_for(base, 20);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], BEV_EVENT_CONNECTED);
  EXPECT_EQ(rec.writes, 0);
  ASSERT_EQ(bufferevent_write(bev, "ok", 2), 0);
  ASSERT_TRUE(run_until(base, [&] { return rec.writes >= 1; }));
  EXPECT_EQ(drain_fd(sp.b()), "ok");
}

TEST_P(BevSocket, ConnectHostnameNumericAddress) {
  TcpServer srv;
  Bev bev(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(bufferevent_socket_connect_hostname(bev, nullptr, AF_UNSPEC, "127.0.0.1",
                                                static_cast<int>(srv.port)),
            0);
  EXPECT_GE(bufferevent_getfd(bev), 0);  // resolved and connecting already
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  EXPECT_EQ(rec.events[0], BEV_EVENT_CONNECTED) << flags_str(rec.events[0]);
  EXPECT_EQ(bufferevent_socket_get_dns_error(bev), 0);
  Fd peer = srv.accept_one();
  ASSERT_GE(peer.fd, 0);
  ASSERT_EQ(put(peer.fd, "hi"), 2);
  ASSERT_TRUE(run_until(base, [&] { return rec.got.size() >= 2; }));
  EXPECT_EQ(rec.got, "hi");
}

TEST_P(BevSocket, ConnectHostnameLocalhost) {
  TcpServer srv;
  Bev bev(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_socket_connect_hostname(bev, nullptr, AF_INET, "localhost",
                                                static_cast<int>(srv.port)),
            0);
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  EXPECT_EQ(rec.events[0], BEV_EVENT_CONNECTED) << flags_str(rec.events[0]);
  EXPECT_EQ(bufferevent_socket_get_dns_error(bev), 0);
  Fd peer = srv.accept_one();
  ASSERT_GE(peer.fd, 0);
  ASSERT_EQ(bufferevent_write(bev, "via name", 8), 0);
  std::string at_peer;
  ASSERT_TRUE(run_until(base, [&] {
    at_peer += drain_fd(peer.fd);
    return at_peer.size() >= 8;
  }));
  EXPECT_EQ(at_peer, "via name");
}

// Without a DNS base the lookup is synchronous: the error callback runs inside
// bufferevent_socket_connect_hostname, which still returns 0.
TEST_P(BevSocket, ConnectHostnameUnresolvableReportsDnsError) {
  // Keep a slow or absent name server from stretching the test (glibc reads this at
  // the first lookup, and every test runs in its own process).
  EnvVar res("RES_OPTIONS", "timeout:1 attempts:1");
  Bev bev(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
  Rec rec;
  rec.attach(bev);
  rec.in_call = true;
  EXPECT_EQ(bufferevent_socket_connect_hostname(bev, nullptr, AF_UNSPEC, "no-such-host.invalid", 80), 0);
  rec.in_call = false;
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }, 10000));
  EXPECT_EQ(rec.called_inside, 1);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], BEV_EVENT_ERROR) << flags_str(rec.events[0]);
  const int err = bufferevent_socket_get_dns_error(bev);
  EXPECT_NE(err, 0);
  EXPECT_NE(evutil_gai_strerror(err), nullptr);
  EXPECT_EQ(bufferevent_getfd(bev), -1);
  run_for(base, 20);
  EXPECT_EQ(rec.events.size(), 1u);

  // The next lookup clears the error.
  TcpServer srv;
  ASSERT_EQ(bufferevent_socket_connect_hostname(bev, nullptr, AF_INET, "127.0.0.1",
                                                static_cast<int>(srv.port)),
            0);
  EXPECT_EQ(bufferevent_socket_get_dns_error(bev), 0);
  ASSERT_TRUE(run_until(base, [&] { return rec.events.size() >= 2; }));
  EXPECT_EQ(rec.events[1], BEV_EVENT_CONNECTED);
}

TEST_P(BevSocket, ConnectHostnameRejectsBadFamilyAndPort) {
  Bev bev(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
  Rec rec;
  rec.attach(bev);
  EXPECT_EQ(bufferevent_socket_connect_hostname(bev, nullptr, AF_UNIX, "127.0.0.1", 80), -1);
  EXPECT_EQ(bufferevent_socket_connect_hostname(bev, nullptr, AF_INET, "127.0.0.1", 0), -1);
  EXPECT_EQ(bufferevent_socket_connect_hostname(bev, nullptr, AF_INET, "127.0.0.1", -1), -1);
  EXPECT_EQ(bufferevent_socket_connect_hostname(bev, nullptr, AF_INET, "127.0.0.1", 65536), -1);
  run_for(base, 20);
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(bufferevent_getfd(bev), -1);
  EXPECT_EQ(bufferevent_socket_get_dns_error(bev), 0);
}

TEST_P(BevSocket, ConnectHostnameToClosedPortIsErrorWithoutDnsError) {
  const unsigned port = closed_port();
  Bev bev(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_socket_connect_hostname(bev, nullptr, AF_INET, "127.0.0.1", static_cast<int>(port)), 0);
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  EXPECT_EQ(rec.events[0], BEV_EVENT_ERROR);
  EXPECT_EQ(bufferevent_socket_get_dns_error(bev), 0);
}

// ---------------------------------------------------------------- setfd ----

TEST_P(BevSocket, SetfdAttachesSocketAndHonoursEnabledFlags) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(bufferevent_setfd(bev, sp.a()), 0);
  EXPECT_EQ(bufferevent_getfd(bev), sp.a());
  EXPECT_EQ(event_get_fd(&bev->ev_read), sp.a());
  EXPECT_EQ(event_get_fd(&bev->ev_write), sp.a());
  // Both enabled directions are registered for the new socket, so the idle
  // writable socket produces one write callback.
  EXPECT_TRUE(event_pending(&bev->ev_read, EV_READ, nullptr));
  EXPECT_TRUE(event_pending(&bev->ev_write, EV_WRITE, nullptr));
  ASSERT_EQ(put(sp.b(), "after setfd"), 11);
  ASSERT_TRUE(run_until(base, [&] { return rec.got.size() >= 11 && rec.writes >= 1; }));
  EXPECT_EQ(rec.got, "after setfd");
  EXPECT_EQ(rec.writes, 1);

  // Detaching: no more reads, and the old socket is not closed (even with CLOSE_ON_FREE).
  ASSERT_EQ(bufferevent_setfd(bev, -1), 0);
  EXPECT_EQ(bufferevent_getfd(bev), -1);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
  ASSERT_EQ(put(sp.b(), "ignored"), 7);
  run_for(base, 30);
  EXPECT_EQ(rec.got, "after setfd");
  EXPECT_TRUE(fd_is_open(sp.a()));
  bev.reset();
  run_nonblock(base);
  EXPECT_TRUE(fd_is_open(sp.a()));
}

TEST_P(BevSocket, SetfdSwitchesToAnotherSocket) {
  SocketPair one, two;
  Bev bev(bufferevent_socket_new(base, one.a(), 0));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(bufferevent_setfd(bev, two.a()), 0);
  ASSERT_EQ(put(one.b(), "one"), 3);
  ASSERT_EQ(put(two.b(), "two"), 3);
  ASSERT_TRUE(run_until(base, [&] { return rec.got.size() >= 3; }));
  run_for(base, 20);
  EXPECT_EQ(rec.got, "two");
  EXPECT_EQ(kernel_readable(one.a()), 3);
  ASSERT_EQ(bufferevent_write(bev, "out", 3), 0);
  ASSERT_TRUE(run_until(base, [&] { return kernel_readable(two.b()) == 3; }));
  EXPECT_EQ(kernel_readable(one.b()), 0);
}

// ------------------------------------------------------------- priority ----

TEST_P(BevSocket, PrioritySetAndGet) {
  ASSERT_EQ(event_base_priority_init(base, 3), 0);
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  EXPECT_EQ(bufferevent_get_priority(bev), 1);  // npriorities / 2
  EXPECT_EQ(bufferevent_priority_set(bev, 0), 0);
  EXPECT_EQ(bufferevent_get_priority(bev), 0);
  EXPECT_EQ(event_get_priority(&bev->ev_read), 0);
  EXPECT_EQ(event_get_priority(&bev->ev_write), 0);
  EXPECT_EQ(bufferevent_priority_set(bev, 2), 0);
  EXPECT_EQ(bufferevent_get_priority(bev), 2);
  EXPECT_EQ(bufferevent_priority_set(bev, 3), -1);
  EXPECT_EQ(bufferevent_priority_set(bev, -1), -1);
  EXPECT_EQ(bufferevent_get_priority(bev), 2);
}

TEST_P(BevSocket, PriorityOnSinglePriorityBase) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  EXPECT_EQ(bufferevent_get_priority(bev), 0);
  EXPECT_EQ(bufferevent_priority_set(bev, 0), 0);
  EXPECT_EQ(bufferevent_priority_set(bev, 1), -1);
  EXPECT_EQ(bufferevent_get_priority(bev), 0);
}

TEST_P(BevSocket, PriorityOrdersCallbacks) {
  ASSERT_EQ(event_base_priority_init(base, 3), 0);
  SocketPair pa, pb;
  Bev low(bufferevent_socket_new(base, pa.a(), 0));
  Bev high(bufferevent_socket_new(base, pb.a(), 0));
  ASSERT_EQ(bufferevent_priority_set(low, 2), 0);
  ASSERT_EQ(bufferevent_priority_set(high, 0), 0);
  std::string order;
  Rec rl, rh;
  rl.on_read = [&](bufferevent* b) {
    order += 'L';
    evbuffer_drain(bufferevent_get_input(b), evbuffer_get_length(bufferevent_get_input(b)));
  };
  rh.on_read = [&](bufferevent* b) {
    order += 'H';
    evbuffer_drain(bufferevent_get_input(b), evbuffer_get_length(bufferevent_get_input(b)));
  };
  rl.attach(low);
  rh.attach(high);
  ASSERT_EQ(bufferevent_enable(low, EV_READ), 0);
  ASSERT_EQ(bufferevent_enable(high, EV_READ), 0);
  ASSERT_EQ(put(pa.b(), "l"), 1);
  ASSERT_EQ(put(pb.b(), "h"), 1);
  run_nonblock(base);
  EXPECT_EQ(order, "HL");
}

// ------------------------------------------------- refcounts and locks ----

TEST_P(BevSocket, IncrefKeepsAFreedBuffereventWorkingUntilDecref) {
  SocketPair sp;
  const evutil_socket_t fd = sp.release(0);
  bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(bev, nullptr);
  Rec rec;
  rec.attach(bev);
  bufferevent_incref(bev);
  bufferevent_free(bev);
  // free cleared the callbacks but the object lives on, still writing.
  bufferevent_data_cb r = dummy_read;
  bufferevent_event_cb e = dummy_event;
  void* arg = &r;
  bufferevent_getcb(bev, &r, nullptr, &e, &arg);
  EXPECT_EQ(r, nullptr);
  EXPECT_EQ(e, nullptr);
  EXPECT_EQ(arg, nullptr);
  ASSERT_EQ(bufferevent_write(bev, "zombie", 6), 0);
  std::string at_peer;
  ASSERT_TRUE(run_until(base, [&] {
    at_peer += drain_fd(sp.b());
    return at_peer.size() >= 6;
  }));
  EXPECT_EQ(at_peer, "zombie");
  EXPECT_EQ(rec.writes, 0);
  EXPECT_TRUE(fd_is_open(fd));
  // Dropping the last reference frees it (and closes the fd once the loop runs).
  bufferevent_incref(bev);
  EXPECT_EQ(bufferevent_decref(bev), 0);
  EXPECT_EQ(bufferevent_decref(bev), 1);
  run_nonblock(base);
  EXPECT_FALSE(fd_is_open(fd));
  EXPECT_TRUE(peer_sees_eof(sp.b()));
}

TEST_P(BevSocket, LockHoldsAReference) {
  SocketPair sp;
  const evutil_socket_t fd = sp.release(0);
  bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(bev, nullptr);
  // Without BEV_OPT_THREADSAFE the lock calls are no-ops apart from the reference.
  bufferevent_lock(bev);
  bufferevent_lock(bev);
  bufferevent_unlock(bev);
  bufferevent_free(bev);
  run_nonblock(base);
  EXPECT_TRUE(fd_is_open(fd));
  EXPECT_EQ(bufferevent_get_base(bev), base);
  bufferevent_unlock(bev);  // the last reference
  run_nonblock(base);
  EXPECT_FALSE(fd_is_open(fd));
}

// ---------------------------------------------------------------- trigger ----

TEST_P(BevSocket, TriggerReadHonoursLowWatermarkUnlessIgnored) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  // Reading is not enabled and the input is empty: with the default low mark of 0
  // the read callback still runs, synchronously.
  rec.in_call = true;
  bufferevent_trigger(bev, EV_READ, 0);
  rec.in_call = false;
  EXPECT_EQ(rec.reads, 1);
  EXPECT_EQ(rec.called_inside, 1);
  bufferevent_setwatermark(bev, EV_READ, 5, 0);
  bufferevent_trigger(bev, EV_READ, 0);
  EXPECT_EQ(rec.reads, 1);
  bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
  EXPECT_EQ(rec.reads, 2);
  // Deferred: not now, but from the loop.
  rec.in_call = true;
  bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
  rec.in_call = false;
  EXPECT_EQ(rec.reads, 2);
  run_nonblock(base);
  EXPECT_EQ(rec.reads, 3);
  EXPECT_EQ(rec.called_inside, 1);
  EXPECT_EQ(rec.writes, 0);
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
}

TEST_P(BevSocket, TriggerWriteHonoursLowWatermarkUnlessIgnored) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  bufferevent_trigger(bev, EV_WRITE, 0);
  EXPECT_EQ(rec.writes, 1);
  ASSERT_EQ(bufferevent_disable(bev, EV_WRITE), 0);
  ASSERT_EQ(bufferevent_write(bev, "abc", 3), 0);
  bufferevent_trigger(bev, EV_WRITE, 0);
  EXPECT_EQ(rec.writes, 1);
  bufferevent_trigger(bev, EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS);
  EXPECT_EQ(rec.writes, 2);
  EXPECT_EQ(rec.out_len.back(), 3u);
  bufferevent_setwatermark(bev, EV_WRITE, 3, 0);
  bufferevent_trigger(bev, EV_WRITE, 0);
  EXPECT_EQ(rec.writes, 3);
  // Options outside BEV_TRIG_* are ignored.
  bufferevent_trigger(bev, EV_WRITE, BEV_OPT_CLOSE_ON_FREE);
  EXPECT_EQ(rec.writes, 4);
  EXPECT_EQ(rec.reads, 0);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 3u);
}

TEST_P(BevSocket, TriggerBothDirectionsRunsReadThenWrite) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  bufferevent_trigger(bev, EV_READ | EV_WRITE, 0);
  EXPECT_EQ(rec.order, "rw");
  bufferevent_trigger(bev, EV_READ | EV_WRITE, BEV_TRIG_DEFER_CALLBACKS);
  EXPECT_EQ(rec.order, "rw");
  run_nonblock(base);
  EXPECT_EQ(rec.order, "rwrw");
}

TEST_P(BevSocket, TriggerEventPassesFlagsThrough) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  rec.in_call = true;
  bufferevent_trigger_event(bev, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
  rec.in_call = false;
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], kEofReading);
  EXPECT_EQ(rec.called_inside, 1);
  // Triggering does not disable anything.
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
  bufferevent_trigger_event(bev, BEV_EVENT_CONNECTED, 0);
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[1], BEV_EVENT_CONNECTED);
  // Deferred: from the loop.
  bufferevent_trigger_event(bev, BEV_EVENT_ERROR | BEV_EVENT_WRITING, BEV_TRIG_DEFER_CALLBACKS);
  EXPECT_EQ(rec.events.size(), 2u);
  run_nonblock(base);
  ASSERT_EQ(rec.events.size(), 3u);
  EXPECT_EQ(rec.events[2], kErrorWriting);
}

TEST_P(BevSocket, TriggerWithNoCallbacksIsHarmless) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  bufferevent_trigger(bev, EV_READ | EV_WRITE, 0);
  bufferevent_trigger(bev, EV_READ | EV_WRITE, BEV_TRIG_DEFER_CALLBACKS);
  bufferevent_trigger_event(bev, BEV_EVENT_EOF, 0);
  bufferevent_trigger_event(bev, BEV_EVENT_EOF, BEV_TRIG_DEFER_CALLBACKS);
  run_nonblock(base);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);
}

// -------------------------------------------------- max single read/write ----

TEST_P(BevSocket, MaxSingleReadAndWriteSettings) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  EXPECT_EQ(bufferevent_set_max_single_read(bev, 100), 0);
  EXPECT_EQ(bufferevent_get_max_single_read(bev), 100);
  EXPECT_EQ(bufferevent_get_max_to_read(bev), 100);
  EXPECT_EQ(bufferevent_set_max_single_write(bev, 200), 0);
  EXPECT_EQ(bufferevent_get_max_single_write(bev), 200);
  EXPECT_EQ(bufferevent_get_max_to_write(bev), 200);
  // 0 and anything above EV_SSIZE_MAX restore the default.
  EXPECT_EQ(bufferevent_set_max_single_read(bev, 0), 0);
  EXPECT_EQ(bufferevent_get_max_single_read(bev), 16384);
  EXPECT_EQ(bufferevent_set_max_single_write(bev, 0), 0);
  EXPECT_EQ(bufferevent_get_max_single_write(bev), 16384);
  EXPECT_EQ(bufferevent_set_max_single_read(bev, SIZE_MAX), 0);
  EXPECT_EQ(bufferevent_get_max_single_read(bev), 16384);
  EXPECT_EQ(bufferevent_set_max_single_write(bev, SIZE_MAX), 0);
  EXPECT_EQ(bufferevent_get_max_single_write(bev), 16384);
  EXPECT_EQ(bufferevent_set_max_single_read(bev, static_cast<size_t>(EV_SSIZE_MAX)), 0);
  EXPECT_EQ(bufferevent_get_max_single_read(bev), EV_SSIZE_MAX);
  EXPECT_EQ(bufferevent_set_max_single_read(bev, 1), 0);
  EXPECT_EQ(bufferevent_get_max_single_read(bev), 1);
}

TEST_P(BevSocket, MaxSingleReadLimitsEachRead) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_set_max_single_read(bev, 50), 0);
  const std::string data = pattern(1000);
  ASSERT_EQ(put(sp.b(), data), 1000);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_TRUE(run_until(base, [&] { return rec.got.size() >= 1000; }));
  EXPECT_EQ(rec.got, data);
  EXPECT_EQ(rec.reads, 20);
  for (size_t n : rec.in_len) EXPECT_EQ(n, 50u);
}

// evbuffer_read caps one read at 4096 bytes, below the 16384 max_single_read default.
TEST_P(BevSocket, DefaultReadSizeIsCapped) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  const std::string data = pattern(20000);
  ASSERT_EQ(put(sp.b(), data), 20000);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_TRUE(run_until(base, [&] { return rec.got.size() >= data.size(); }));
  EXPECT_EQ(rec.got, data);
  ASSERT_FALSE(rec.in_len.empty());
#ifdef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
  EXPECT_EQ(rec.in_len[0], 4096u);
  for (size_t n : rec.in_len) EXPECT_LE(n, 4096u);
  EXPECT_EQ(rec.reads, 5);
#else
  // vigil reads up to max_single_read (16384) at once, without libevent's 4096 cap.
  EXPECT_EQ(rec.in_len[0], 16384u);
  for (size_t n : rec.in_len) EXPECT_LE(n, 16384u);
  EXPECT_EQ(rec.reads, 2);
#endif
}

TEST_P(BevSocket, MaxSingleWriteLimitsEachWrite) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_set_max_single_write(bev, 100), 0);
  // A low-water mark above the whole output makes every write call back.
  bufferevent_setwatermark(bev, EV_WRITE, 1000, 0);
  const std::string data = pattern(1000);
  ASSERT_EQ(bufferevent_write(bev, data.data(), data.size()), 0);
  ASSERT_TRUE(run_until(base, [&] { return !rec.out_len.empty() && rec.out_len.back() == 0; }));
  std::vector<size_t> want;
  for (size_t left = 900;; left -= 100) {
    want.push_back(left);
    if (left == 0) break;
  }
  EXPECT_EQ(rec.out_len, want);
  EXPECT_EQ(drain_fd(sp.b()), data);
}

TEST_P(BevSocket, DefaultWritesAreAtMost16384Bytes) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  const std::string data = pattern(40000);
  bufferevent_setwatermark(bev, EV_WRITE, data.size(), 0);
  ASSERT_EQ(bufferevent_write(bev, data.data(), data.size()), 0);
  std::string at_peer;
  ASSERT_TRUE(run_until(base, [&] {
    at_peer += drain_fd(sp.b());
    return !rec.out_len.empty() && rec.out_len.back() == 0;
  }));
  at_peer += drain_fd(sp.b());
  EXPECT_EQ(at_peer, data);
  ASSERT_GE(rec.out_len.size(), 3u);
  EXPECT_EQ(rec.out_len[0], 40000u - 16384u);
  size_t prev = data.size();
  for (size_t n : rec.out_len) {
    EXPECT_LE(prev - n, 16384u);
    prev = n;
  }
}

// --------------------------------------------------------------- flush ----

TEST_P(BevSocket, FlushOnSocketReturnsZeroAndWritesNothing) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  ASSERT_EQ(bufferevent_write(bev, "unflushed", 9), 0);
  EXPECT_EQ(bufferevent_flush(bev, EV_WRITE, BEV_NORMAL), 0);
  EXPECT_EQ(bufferevent_flush(bev, EV_WRITE, BEV_FLUSH), 0);
  EXPECT_EQ(bufferevent_flush(bev, EV_WRITE, BEV_FINISHED), 0);
  EXPECT_EQ(bufferevent_flush(bev, EV_READ, BEV_FLUSH), 0);
  EXPECT_EQ(bufferevent_flush(bev, EV_READ | EV_WRITE, BEV_FINISHED), 0);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 9u);
  EXPECT_EQ(kernel_readable(sp.b()), 0);
}

// ---------------------------------------------------------------- free ----

TEST_P(BevSocket, CloseOnFreeClosesTheFdOnceTheLoopRuns) {
  SocketPair sp;
  const evutil_socket_t fd = sp.release(0);
  bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(bev, nullptr);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  bufferevent_free(bev);
  // libevent finalizes a freed bufferevent from the loop.
  EXPECT_TRUE(fd_is_open(fd));
  run_nonblock(base);
  EXPECT_FALSE(fd_is_open(fd));
  errno = 0;
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
  EXPECT_TRUE(peer_sees_eof(sp.b()));
}

TEST_P(BevSocket, CloseOnFreeFdIsClosedWhenTheBaseIsFreedInstead) {
  SocketPair sp;
  const evutil_socket_t fd = sp.release(0);
  event_base* other = make_base(GetParam());
  ASSERT_NE(other, nullptr);
  bufferevent* bev = bufferevent_socket_new(other, fd, BEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(bev, nullptr);
  bufferevent_free(bev);
  event_base_free(other);
  EXPECT_FALSE(fd_is_open(fd));
}

TEST_P(BevSocket, WithoutCloseOnFreeTheFdSurvives) {
  SocketPair sp;
  bufferevent* bev = bufferevent_socket_new(base, sp.a(), 0);
  ASSERT_NE(bev, nullptr);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  bufferevent_free(bev);
  run_for(base, 20);
  EXPECT_TRUE(fd_is_open(sp.a()));
  ASSERT_EQ(put(sp.a(), "alive"), 5);
  EXPECT_EQ(drain_fd(sp.b()), "alive");
}

TEST_P(BevSocket, FreeDiscardsUnsentOutput) {
  SocketPair sp;
  bufferevent* bev = bufferevent_socket_new(base, sp.release(0), BEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(bev, nullptr);
  ASSERT_EQ(bufferevent_write(bev, "never sent", 10), 0);
  bufferevent_free(bev);
  run_for(base, 20);
  ASSERT_TRUE(wait_readable(sp.b(), 1000));
  EXPECT_EQ(kernel_readable(sp.b()), 0);
  EXPECT_TRUE(peer_sees_eof(sp.b()));
}

TEST_P(BevSocket, FreeFromInsideReadCallback) {
  SocketPair sp;
  const evutil_socket_t fd = sp.release(0);
  bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(bev, nullptr);
  Rec rec;
  rec.on_read = [&](bufferevent* b) { bufferevent_free(b); };
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(put(sp.b(), pattern(10000)), 10000);
  ASSERT_TRUE(run_until(base, [&] { return rec.reads >= 1; }));
  run_for(base, 30);
  sp.close_end(1);
  run_for(base, 30);
  EXPECT_EQ(rec.reads, 1);
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(rec.writes, 0);
  EXPECT_FALSE(fd_is_open(fd));
}

// A reply added by the read callback goes out, and the write callback follows it.
TEST_P(BevSocket, ReplyFromTheReadCallbackReachesThePeer) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.release(0), BEV_OPT_CLOSE_ON_FREE));
  ASSERT_NE(bev.get(), nullptr);
  Rec rec;
  rec.on_read = [&](bufferevent* b) { write_str(b, "re:" + take(bufferevent_get_input(b))); };
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  for (const char* msg : {"ping", "pong"}) {
    ASSERT_EQ(put(sp.b(), msg), 4);
    EXPECT_EQ(receive(base, sp.b(), 7), std::string("re:") + msg);
  }
  ASSERT_TRUE(run_until(base, [&] { return rec.writes >= 2; }));
  EXPECT_EQ(rec.order, "rwrw");
  EXPECT_EQ(outlen(bev), 0u);
}

// A bufferevent freed by its read callback sends nothing it was given in that call.
TEST_P(BevSocket, ReplyThenFreeInTheReadCallbackSendsNothing) {
  SocketPair sp;
  const evutil_socket_t fd = sp.release(0);
  bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(bev, nullptr);
  Rec rec;
  rec.on_read = [&](bufferevent* b) {
    write_str(b, "bye");
    bufferevent_free(b);
  };
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(put(sp.b(), "x"), 1);
  ASSERT_TRUE(run_until(base, [&] { return rec.reads >= 1; }));
  run_for(base, 20);
  EXPECT_FALSE(fd_is_open(fd));
  EXPECT_EQ(drain_fd(sp.b()), "");
  EXPECT_TRUE(peer_sees_eof(sp.b()));
}

// Writing turned off by the read callback after it added a reply holds the reply back.
TEST_P(BevSocket, ReplyWithWritingDisabledInTheReadCallbackWaits) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.release(0), BEV_OPT_CLOSE_ON_FREE));
  ASSERT_NE(bev.get(), nullptr);
  Rec rec;
  rec.on_read = [&](bufferevent* b) {
    write_str(b, "held " + take(bufferevent_get_input(b)));
    bufferevent_disable(b, EV_WRITE);
  };
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(put(sp.b(), "x"), 1);
  ASSERT_TRUE(run_until(base, [&] { return rec.reads >= 1; }));
  run_for(base, 20);
  EXPECT_EQ(drain_fd(sp.b()), "");
  EXPECT_EQ(outlen(bev), 6u);
  ASSERT_EQ(bufferevent_enable(bev, EV_WRITE), 0);
  EXPECT_EQ(receive(base, sp.b(), 6), "held x");
}

// A reply added while earlier output waits for room in the socket goes out after it.
TEST_P(BevSocket, ReplyQueuesBehindOutputWaitingForRoom) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.release(0), BEV_OPT_CLOSE_ON_FREE));
  ASSERT_NE(bev.get(), nullptr);
  Rec rec;
  rec.on_read = [&](bufferevent* b) { write_str(b, "reply:" + take(bufferevent_get_input(b))); };
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  const std::string big = pattern(1 << 20);
  ASSERT_EQ(write_str(bev, big), 0);
  run_for(base, 20);  // the socket fills; the rest waits in the output
  ASSERT_GT(outlen(bev), 0u);
  ASSERT_EQ(put(sp.b(), "q"), 1);
  ASSERT_TRUE(run_until(base, [&] { return rec.reads >= 1; }));
  const std::string got = receive(base, sp.b(), big.size() + 7, 5000);
  ASSERT_EQ(got.size(), big.size() + 7);
  EXPECT_TRUE(got.compare(0, big.size(), big) == 0);
  EXPECT_EQ(got.substr(big.size()), "reply:q");
}

TEST_P(BevSocket, FreeFromInsideEventCallbackOnEof) {
  SocketPair sp;
  const evutil_socket_t fd = sp.release(0);
  bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(bev, nullptr);
  Rec rec;
  rec.on_event = [&](bufferevent* b, short) { bufferevent_free(b); };
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  sp.close_end(1);
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  run_for(base, 20);
  EXPECT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], kEofReading);
  EXPECT_FALSE(fd_is_open(fd));
}

TEST_P(BevSocket, FreeFromInsideWriteCallback) {
  SocketPair sp;
  const evutil_socket_t fd = sp.release(0);
  bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(bev, nullptr);
  Rec rec;
  rec.on_write = [&](bufferevent* b) { bufferevent_free(b); };
  rec.attach(bev);
  ASSERT_EQ(bufferevent_write(bev, "last words", 10), 0);
  ASSERT_TRUE(run_until(base, [&] { return rec.writes >= 1; }));
  run_for(base, 20);
  EXPECT_EQ(rec.writes, 1);
  EXPECT_FALSE(fd_is_open(fd));
  EXPECT_EQ(drain_fd(sp.b()), "last words");
  EXPECT_TRUE(peer_sees_eof(sp.b()));
}

// ------------------------------------------------------------- options ----

TEST_P(BevSocket, DeferCallbacksRunFromTheLoopNotFromTheCall) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), BEV_OPT_DEFER_CALLBACKS));
  ASSERT_NE(bev.get(), nullptr);
  Rec rec;
  rec.attach(bev);
  rec.in_call = true;
  bufferevent_trigger(bev, EV_READ, 0);
  bufferevent_trigger(bev, EV_WRITE, 0);
  bufferevent_trigger_event(bev, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
  rec.in_call = false;
  EXPECT_EQ(rec.order, "");
  run_nonblock(base);
  EXPECT_EQ(rec.called_inside, 0);
  EXPECT_EQ(rec.order, "rwe");
  // Real I/O callbacks are deferred the same way and still see the data.
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_EQ(put(sp.b(), "deferred"), 8);
  ASSERT_TRUE(run_until(base, [&] { return rec.got.size() >= 8; }));
  EXPECT_EQ(rec.got, "deferred");
}

// Pending deferred callbacks coalesce: one read, one write and one event callback per
// run, the event flags OR-ed together, in the order connected, read, write, event.
TEST_P(BevSocket, DeferredCallbacksCoalesceInFixedOrder) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), BEV_OPT_DEFER_CALLBACKS));
  Rec rec;
  rec.attach(bev);
  bufferevent_trigger_event(bev, BEV_EVENT_EOF | BEV_EVENT_READING, 0);
  bufferevent_trigger(bev, EV_WRITE, 0);
  bufferevent_trigger(bev, EV_READ, 0);
  bufferevent_trigger(bev, EV_READ, 0);
  bufferevent_trigger_event(bev, BEV_EVENT_ERROR | BEV_EVENT_WRITING, 0);
  bufferevent_trigger_event(bev, BEV_EVENT_CONNECTED, 0);
  run_nonblock(base);
  EXPECT_EQ(rec.order, "erwe");
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[0], BEV_EVENT_CONNECTED);
  EXPECT_EQ(rec.events[1],
            BEV_EVENT_EOF | BEV_EVENT_READING | BEV_EVENT_ERROR | BEV_EVENT_WRITING);
  EXPECT_EQ(rec.reads, 1);
  EXPECT_EQ(rec.writes, 1);
}

TEST_P(BevSocket, DeferredEventCallbackSeesTheOriginalErrno) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), BEV_OPT_DEFER_CALLBACKS));
  Rec rec;
  rec.attach(bev);
  sp.close_end(1);
  ASSERT_EQ(bufferevent_write(bev, "x", 1), 0);
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  EXPECT_EQ(rec.events[0], kErrorWriting);
  EXPECT_EQ(rec.errnos[0], EPIPE) << strerror(rec.errnos[0]);
}

TEST_P(BevSocket, UnlockCallbacksRequiresDeferCallbacks) {
  SocketPair sp;
  LogCapture log;
  bufferevent* bev = bufferevent_socket_new(base, sp.a(), BEV_OPT_UNLOCK_CALLBACKS | BEV_OPT_CLOSE_ON_FREE);
  EXPECT_EQ(bev, nullptr);
  EXPECT_TRUE(log.has("UNLOCK_CALLBACKS requires DEFER_CALLBACKS", EVENT_LOG_WARN)) << log.dump();
  run_nonblock(base);
  EXPECT_TRUE(fd_is_open(sp.a()));  // a failed constructor does not close the fd
  // Together with DEFER_CALLBACKS it is accepted and callbacks are deferred.
  Bev ok(bufferevent_socket_new(base, sp.a(), BEV_OPT_DEFER_CALLBACKS | BEV_OPT_UNLOCK_CALLBACKS));
  ASSERT_NE(ok.get(), nullptr);
  Rec rec;
  rec.attach(ok);
  bufferevent_trigger(ok, EV_READ, 0);
  EXPECT_EQ(rec.reads, 0);
  run_nonblock(base);
  EXPECT_EQ(rec.reads, 1);
}

// Without evthread_use_*() there is no lock to allocate, so THREADSAFE fails.
TEST_P(BevSocket, ThreadsafeWithoutThreadSupportFails) {
  SocketPair sp;
  bufferevent* bev = bufferevent_socket_new(base, sp.a(), BEV_OPT_THREADSAFE | BEV_OPT_CLOSE_ON_FREE);
  EXPECT_EQ(bev, nullptr);
  run_nonblock(base);
  EXPECT_TRUE(fd_is_open(sp.a()));
}

// ------------------------------------------------------------- big data ----

TEST_P(BevSocket, EightMegabytesThroughASocketpair) {
  SocketPair sp;
  Bev src(bufferevent_socket_new(base, sp.a(), 0));
  Bev dst(bufferevent_socket_new(base, sp.b(), 0));
  constexpr size_t kTotal = 8u << 20;
  const std::string data = pattern(kTotal, 12345);
  const uint64_t want = fnv1a(data.data(), data.size());
  size_t received = 0;
  uint64_t hash = 1469598103934665603ull;
  bool mismatch = false;
  Rec rs, rd;
  rs.attach(src);
  rd.on_read = [&](bufferevent* b) {
    evbuffer* in = bufferevent_get_input(b);
    while (evbuffer_get_length(in)) {
      char buf[16384];
      size_t n = bufferevent_read(b, buf, sizeof buf);
      if (received + n > kTotal || memcmp(buf, data.data() + received, n) != 0) mismatch = true;
      hash = fnv1a(buf, n, hash);
      received += n;
    }
  };
  rd.attach(dst);
  ASSERT_EQ(bufferevent_enable(dst, EV_READ), 0);
  ASSERT_EQ(bufferevent_write(src, data.data(), data.size()), 0);
  const double start = now_ms();
  ASSERT_TRUE(run_until(base, [&] { return received >= kTotal && rs.writes >= 1; }, 20000))
      << "received " << received;
  EXPECT_LT(now_ms() - start, 20000);
  EXPECT_EQ(received, kTotal);
  EXPECT_FALSE(mismatch);
  EXPECT_EQ(hash, want);
  EXPECT_EQ(rs.writes, 1);
  EXPECT_TRUE(rs.events.empty());
  EXPECT_TRUE(rd.events.empty());
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(src)), 0u);
}

// ----------------------------------------------------------- bad input ----

TEST_P(BevSocket, HarmlessOddArguments) {
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.a(), 0));
  Rec rec;
  rec.attach(bev);
  // Zero-length transfers.
  EXPECT_EQ(bufferevent_write(bev, "", 0), 0);
  EXPECT_EQ(evbuffer_get_length(bufferevent_get_output(bev)), 0u);
  char c = 'q';
  EXPECT_EQ(bufferevent_read(bev, &c, 0), 0u);
  EXPECT_EQ(bufferevent_read(bev, &c, 1), 0u);
  EXPECT_EQ(c, 'q');
  evbuffer* empty = evbuffer_new();
  EXPECT_EQ(bufferevent_write_buffer(bev, empty), 0);
  EXPECT_EQ(bufferevent_read_buffer(bev, empty), 0);
  EXPECT_EQ(evbuffer_get_length(empty), 0u);
  evbuffer_free(empty);
  // All-NULL callbacks, NULL timeouts.
  bufferevent_setcb(bev, nullptr, nullptr, nullptr, nullptr);
  EXPECT_EQ(bufferevent_set_timeouts(bev, nullptr, nullptr), 0);
  ASSERT_EQ(put(sp.b(), "data with no readcb"), 19);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  ASSERT_TRUE(run_until(base, [&] { return evbuffer_get_length(bufferevent_get_input(bev)) == 19; }));
  sp.close_end(1);
  run_for(base, 30);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_WRITE);  // EOF handled without an event callback
  EXPECT_EQ(rec.reads + rec.writes, 0);
  EXPECT_TRUE(rec.events.empty());
}

// --------------------------------------------- connect on the caller's socket ----

// Sends "ping" from bev to peer and "pong" back, through the loop.
void expect_data_flows(event_base* base, bufferevent* bev, Rec& rec, int peer) {
  ASSERT_EQ(bufferevent_write(bev, "ping", 4), 0);
  EXPECT_EQ(receive(base, peer, 4), "ping");
  ASSERT_EQ(put(peer, "pong"), 4);
  ASSERT_TRUE(run_until(base, [&] { return rec.got.size() >= 4; }));
  EXPECT_EQ(rec.got, "pong");
}

// Connects bev to sa: the call must succeed without running any callback, and the
// loop then reports CONNECTED, once.
void expect_connected_from_loop(event_base* base, bufferevent* bev, Rec& rec, const sockaddr* sa, int len) {
  rec.in_call = true;
  ASSERT_EQ(bufferevent_socket_connect(bev, const_cast<sockaddr*>(sa), len), 0);
  rec.in_call = false;
  EXPECT_EQ(rec.called_inside, 0);
  EXPECT_TRUE(rec.order.empty()) << rec.order;
  ASSERT_TRUE(run_until(base, [&] { return !rec.events.empty(); }));
  run_for(base, 30);
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0], BEV_EVENT_CONNECTED) << flags_str(rec.events[0]);
}

// A socket the caller made and left unconnected is the one connected: no other is
// made, and CONNECTED comes from the loop once the handshake completes.
TEST_P(BevSocket, ConnectUsesTheCallersUnconnectedSocket) {
  TcpServer srv;
  Fd own(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  ASSERT_GE(own.fd, 0);
  Bev bev(bufferevent_socket_new(base, own.fd, 0));
  ASSERT_NE(bev.get(), nullptr);
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  sockaddr_in sin = srv.addr();
  expect_connected_from_loop(base, bev, rec, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  EXPECT_EQ(bufferevent_getfd(bev), own.fd);
  EXPECT_EQ(rec.writes, 0);
  EXPECT_EQ(bufferevent_get_enabled(bev), EV_READ | EV_WRITE);
  // connect(2) was issued on the caller's descriptor.
  sockaddr_in to{};
  socklen_t len = sizeof to;
  ASSERT_EQ(getpeername(own.fd, reinterpret_cast<sockaddr*>(&to), &len), 0);
  EXPECT_EQ(ntohs(to.sin_port), srv.port);
  Fd peer = srv.accept_one();
  ASSERT_GE(peer.fd, 0);
  expect_data_flows(base, bev, rec, peer.fd);
  // Without BEV_OPT_CLOSE_ON_FREE the socket stays the caller's.
  bev.reset();
  EXPECT_TRUE(fd_is_open(own.fd));
}

// libevent's documented use: the caller started a non-blocking connect() itself and
// hands the socket over; connecting with no address waits for that attempt to finish.
TEST_P(BevSocket, ConnectWithNullAddressFinishesTheCallersPendingConnect) {
  TcpServer srv;
  Fd own(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  ASSERT_GE(own.fd, 0);
  sockaddr_in sin = srv.addr();
  // Loopback normally answers EINPROGRESS; an immediate success changes nothing below.
  const int r = connect(own.fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  ASSERT_TRUE(r == 0 || errno == EINPROGRESS) << std::strerror(errno);
  Bev bev(bufferevent_socket_new(base, own.fd, 0));
  ASSERT_NE(bev.get(), nullptr);
  Rec rec;
  rec.attach(bev);
  ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
  expect_connected_from_loop(base, bev, rec, nullptr, 0);
  EXPECT_EQ(bufferevent_getfd(bev), own.fd);
  EXPECT_EQ(rec.writes, 0);
  Fd peer = srv.accept_one();
  ASSERT_GE(peer.fd, 0);
  expect_data_flows(base, bev, rec, peer.fd);
  bev.reset();
  EXPECT_TRUE(fd_is_open(own.fd));
}

// A listening AF_UNIX stream socket in a fresh directory, removed on destruction.
struct UnixServer {
  std::string dir, path;
  Fd lfd;
  UnixServer() {
    char tmpl[] = "/tmp/vigil-bev-unix-XXXXXX";
    if (!mkdtemp(tmpl)) {
      ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
      return;
    }
    dir = tmpl;
    path = dir + "/s";
    lfd = Fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_un ua = addr();
    if (bind(lfd.fd, reinterpret_cast<sockaddr*>(&ua), sizeof ua) != 0 || listen(lfd.fd, 16) != 0)
      ADD_FAILURE() << "listen on " << path << ": " << std::strerror(errno);
  }
  ~UnixServer() {
    lfd.reset();
    if (!path.empty()) unlink(path.c_str());
    if (!dir.empty()) rmdir(dir.c_str());
  }
  sockaddr_un addr() const {
    sockaddr_un ua{};
    ua.sun_family = AF_UNIX;
    std::snprintf(ua.sun_path, sizeof ua.sun_path, "%s", path.c_str());
    return ua;
  }
  Fd accept_one(int ms = 3000) {
    if (!wait_readable(lfd.fd, ms)) return Fd();
    return Fd(accept4(lfd.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  }
};

// connect(2) on an AF_UNIX stream socket succeeds at once when the listener has room;
// CONNECTED is still delivered from the loop, never from inside the call. Both with a
// socket the caller made and with one the library makes for the address's family.
TEST_P(BevSocket, UnixConnectThatSucceedsAtOnceReportsConnectedFromTheLoop) {
  for (bool callers_socket : {true, false}) {
    SCOPED_TRACE(callers_socket ? "caller's socket" : "library's socket");
    UnixServer srv;
    Fd own;
    if (callers_socket) {
      own = Fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      ASSERT_GE(own.fd, 0);
    }
    Bev bev(bufferevent_socket_new(base, callers_socket ? own.fd : -1, callers_socket ? 0 : BEV_OPT_CLOSE_ON_FREE));
    ASSERT_NE(bev.get(), nullptr);
    Rec rec;
    rec.attach(bev);
    ASSERT_EQ(bufferevent_enable(bev, EV_READ), 0);
    sockaddr_un ua = srv.addr();
    expect_connected_from_loop(base, bev, rec, reinterpret_cast<sockaddr*>(&ua), sizeof ua);
    const evutil_socket_t fd = bufferevent_getfd(bev);
    ASSERT_GE(fd, 0);
    if (callers_socket) {
      EXPECT_EQ(fd, own.fd);
    }
    sockaddr_un to{};
    socklen_t len = sizeof to;
    ASSERT_EQ(getpeername(fd, reinterpret_cast<sockaddr*>(&to), &len), 0);
    EXPECT_EQ(to.sun_family, AF_UNIX);
    // The immediate success schedules the write callback (the empty output is at its
    // low watermark), deferred; the write event then finishes connecting and reports
    // CONNECTED, after it.
    EXPECT_EQ(rec.order, "we");
    Fd peer = srv.accept_one();
    ASSERT_GE(peer.fd, 0);
    expect_data_flows(base, bev, rec, peer.fd);
    bev.reset();
    run_nonblock(base);  // libevent closes the socket when the freed bufferevent is finalized
    EXPECT_EQ(fd_is_open(fd), callers_socket);
  }
}

}  // namespace
