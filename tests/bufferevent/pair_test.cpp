// Behaviour tests for bufferevent pairs (bufferevent_pair_new and friends).
//
// Written against the public API only and proven against the system libevent
// 2.1.12 first (run_against_system_libevent.sh defines
// VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT). Every expectation here is libevent's
// behaviour; a failure on vigil is a vigil bug.
//
// Facts about 2.1.12 pairs that these tests pin (see each test for details):
//  * bufferevent_pair_new always ORs in BEV_OPT_DEFER_CALLBACKS: user callbacks
//    never run inside bufferevent_write, only from the loop.
//  * the hand-over itself is synchronous: when both sides are willing, data
//    written on one end is already in the partner's input when
//    bufferevent_write returns.
//  * both ends start with EV_WRITE enabled and EV_READ disabled.
//  * flush: BEV_NORMAL does nothing and returns 0; BEV_FLUSH/BEV_FINISHED move
//    data even to a partner that has not enabled EV_READ; BEV_FINISHED then
//    reports BEV_EVENT_EOF to the partner, plus READING for EV_WRITE and
//    WRITING for EV_READ. Without a partner every mode returns -1.
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>

#include <gtest/gtest.h>

#include "bev_support.h"

#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// The loop drivers (run_until, run_for, spin), buffer peeks (contents, take, inlen,
// outlen, write_str), raw socket I/O and NamedRec, the callback recorder installed by
// watch(), come from bev_support.h.
using namespace bt;

namespace {

// ---------------------------------------------------------------- fixture ----

// bt::BevTest (bev_support.h) supplies the per-backend base and the descriptor
// leak check; this adds pair ends that are freed before that check.
class BevPair : public bt::BevTest {
 protected:
  void TearDown() override {
    for (bufferevent* x : owned_)
      if (x) bufferevent_free(x);
    owned_.clear();
    // Let already-scheduled deferred callbacks run and drop the references
    // they hold, so the bufferevents are finalized rather than leaked.
    if (base) spin(base);
    bt::BevTest::TearDown();
  }

  // A pair freed at teardown unless the test frees (and forgets) an end itself.
  void make_pair(int options = 0) {
    bufferevent* p[2] = {nullptr, nullptr};
    ASSERT_EQ(bufferevent_pair_new(base, options, p), 0);
    ASSERT_NE(p[0], nullptr);
    ASSERT_NE(p[1], nullptr);
    a = p[0];
    b = p[1];
    owned_.push_back(a);
    owned_.push_back(b);
  }
  void free_end(bufferevent*& which) {
    for (auto& o : owned_)
      if (o == which) o = nullptr;
    bufferevent_free(which);
    which = nullptr;
  }

  bufferevent* a = nullptr;
  bufferevent* b = nullptr;

 private:
  std::vector<bufferevent*> owned_;
};

// ------------------------------------------------------------------- tests ----

TEST_P(BevPair, NewLinksTwoEndsWithOnlyWriteEnabled) {
  make_pair();
  EXPECT_NE(a, b);
  EXPECT_EQ(bufferevent_pair_get_partner(a), b);
  EXPECT_EQ(bufferevent_pair_get_partner(b), a);
  EXPECT_EQ(bufferevent_get_base(a), base);
  EXPECT_EQ(bufferevent_get_base(b), base);
  EXPECT_EQ(bufferevent_get_enabled(a), EV_WRITE);
  EXPECT_EQ(bufferevent_get_enabled(b), EV_WRITE);
  EXPECT_EQ(inlen(a), 0u);
  EXPECT_EQ(outlen(a), 0u);
  // A pair has no descriptor and nothing underneath it.
  EXPECT_EQ(bufferevent_getfd(a), -1);
  EXPECT_EQ(bufferevent_getfd(b), -1);
  EXPECT_EQ(bufferevent_setfd(a, 0), -1);
  EXPECT_EQ(bufferevent_get_underlying(a), nullptr);
  EXPECT_EQ(bufferevent_get_underlying(b), nullptr);
  // And the pair ends are distinct objects with distinct buffers.
  EXPECT_NE(bufferevent_get_input(a), bufferevent_get_input(b));
  EXPECT_NE(bufferevent_get_output(a), bufferevent_get_input(b));
}

TEST_P(BevPair, GetPartnerOfNonPairIsNull) {
  bufferevent* s = bufferevent_socket_new(base, -1, 0);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(bufferevent_pair_get_partner(s), nullptr);
  bufferevent_free(s);
}

// The transfer is synchronous, the callbacks are deferred, with or without the
// DEFER_CALLBACKS option (bufferevent_pair_new adds it unconditionally).
TEST_P(BevPair, WriteArrivesInPartnerInputAndReadCallbackRunsFromLoop) {
  for (int opts : {0, static_cast<int>(BEV_OPT_DEFER_CALLBACKS), static_cast<int>(BEV_OPT_CLOSE_ON_FREE)}) {
    SCOPED_TRACE("options=" + std::to_string(opts));
    make_pair(opts);
    std::vector<std::string> log;
    NamedRec ra{"a", &log}, rb{"b", &log};
    watch(a, &ra);
    watch(b, &rb);
    ASSERT_EQ(bufferevent_enable(b, EV_READ), 0);
    ASSERT_EQ(write_str(a, "hello"), 0);
    // Already handed over...
    EXPECT_EQ(outlen(a), 0u);
    EXPECT_EQ(contents(bufferevent_get_input(b)), "hello");
    // ...but nobody was told yet.
    EXPECT_EQ(rb.reads, 0);
    EXPECT_EQ(ra.writes, 0);
    spin(base);
    EXPECT_EQ(rb.reads, 1);
    EXPECT_EQ(ra.writes, 1);  // a's output drained to 0 <= low watermark 0
    EXPECT_EQ(ra.reads, 0);
    EXPECT_EQ(rb.writes, 0);
    EXPECT_TRUE(ra.events.empty());
    EXPECT_TRUE(rb.events.empty());
    // The receiver was scheduled first.
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0], "b:read");
    EXPECT_EQ(log[1], "a:write");
    EXPECT_EQ(bufferevent_read(b, nullptr, 0), 0u);
    char buf[16] = {};
    EXPECT_EQ(bufferevent_read(b, buf, sizeof buf), 5u);
    EXPECT_STREQ(buf, "hello");

    // And the other direction.
    ASSERT_EQ(bufferevent_enable(a, EV_READ), 0);
    ASSERT_EQ(write_str(b, "world!"), 0);
    EXPECT_EQ(contents(bufferevent_get_input(a)), "world!");
    spin(base);
    EXPECT_EQ(ra.reads, 1);
    EXPECT_EQ(rb.writes, 1);
    bufferevent_setcb(a, nullptr, nullptr, nullptr, nullptr);
    bufferevent_setcb(b, nullptr, nullptr, nullptr, nullptr);
    free_end(a);
    free_end(b);
    spin(base);
  }
}

// A callback of the program's own on an end's output hears about the bytes written
// and about the transfer that takes them away.
TEST_P(BevPair, OwnCallbackOnOutputSeesAdditionsAndTheTransfer) {
  make_pair();
  ASSERT_EQ(bufferevent_enable(b, EV_READ), 0);
  struct Totals {
    size_t added = 0, deleted = 0;
    int calls = 0;
  } t;
  evbuffer_cb_entry* ent = evbuffer_add_cb(
      bufferevent_get_output(a),
      [](evbuffer*, const evbuffer_cb_info* info, void* arg) {
        auto* t = static_cast<Totals*>(arg);
        t->added += info->n_added;
        t->deleted += info->n_deleted;
        ++t->calls;
      },
      &t);
  ASSERT_NE(ent, nullptr);
  ASSERT_EQ(write_str(a, "hello"), 0);
  EXPECT_EQ(contents(bufferevent_get_input(b)), "hello");
  EXPECT_EQ(t.added, 5u);
  EXPECT_EQ(t.deleted, 5u);
  EXPECT_GE(t.calls, 2);
  // Without it the transfer goes on as before.
  ASSERT_EQ(evbuffer_remove_cb_entry(bufferevent_get_output(a), ent), 0);
  const int calls = t.calls;
  ASSERT_EQ(write_str(a, "again"), 0);
  EXPECT_EQ(contents(bufferevent_get_input(b)), "helloagain");
  EXPECT_EQ(t.calls, calls);
}

TEST_P(BevPair, SeveralWritesBeforeTheLoopCoalesceIntoOneReadCallback) {
  make_pair();
  NamedRec rb{"b"};
  rb.drain = true;
  watch(b, &rb);
  bufferevent_enable(b, EV_READ);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(write_str(a, "ab"), 0);
  EXPECT_EQ(inlen(b), 10u);
  spin(base);
  EXPECT_EQ(rb.reads, 1);
  EXPECT_EQ(rb.data, "ababababab");
}

TEST_P(BevPair, NothingMovesUntilPartnerEnablesRead) {
  make_pair();
  NamedRec ra{"a"}, rb{"b"};
  watch(a, &ra);
  watch(b, &rb);
  ASSERT_EQ(write_str(a, "pending"), 0);
  EXPECT_EQ(outlen(a), 7u);
  EXPECT_EQ(inlen(b), 0u);
  run_for(base, 50);
  EXPECT_EQ(rb.reads, 0);
  EXPECT_EQ(ra.writes, 0);  // 7 bytes still queued: above the write low-water mark
  EXPECT_EQ(outlen(a), 7u);
  // Enabling reading pulls the data over at once.
  ASSERT_EQ(bufferevent_enable(b, EV_READ), 0);
  EXPECT_EQ(outlen(a), 0u);
  EXPECT_EQ(contents(bufferevent_get_input(b)), "pending");
  EXPECT_EQ(rb.reads, 0);
  spin(base);
  EXPECT_EQ(rb.reads, 1);
  EXPECT_EQ(ra.writes, 1);
}

TEST_P(BevPair, DisablingWriteHoldsDataAndEnablingPushesIt) {
  make_pair();
  NamedRec ra{"a"}, rb{"b"};
  watch(a, &ra);
  watch(b, &rb);
  bufferevent_enable(b, EV_READ);
  ASSERT_EQ(bufferevent_disable(a, EV_WRITE), 0);
  EXPECT_EQ(bufferevent_get_enabled(a), 0);
  ASSERT_EQ(write_str(a, "held"), 0);
  EXPECT_EQ(outlen(a), 4u);
  EXPECT_EQ(inlen(b), 0u);
  run_for(base, 30);
  EXPECT_EQ(rb.reads, 0);
  ASSERT_EQ(bufferevent_enable(a, EV_WRITE), 0);
  EXPECT_EQ(outlen(a), 0u);
  EXPECT_EQ(contents(bufferevent_get_input(b)), "held");
  spin(base);
  EXPECT_EQ(rb.reads, 1);
  EXPECT_EQ(ra.writes, 1);
}

TEST_P(BevPair, DisablingReadOnReceiverHoldsData) {
  make_pair();
  NamedRec rb{"b"};
  watch(b, &rb);
  bufferevent_enable(b, EV_READ);
  ASSERT_EQ(write_str(a, "one"), 0);
  EXPECT_EQ(inlen(b), 3u);
  ASSERT_EQ(bufferevent_disable(b, EV_READ), 0);
  EXPECT_EQ(bufferevent_get_enabled(b), EV_WRITE);
  ASSERT_EQ(write_str(a, "two"), 0);
  EXPECT_EQ(inlen(b), 3u);
  EXPECT_EQ(outlen(a), 3u);
  ASSERT_EQ(bufferevent_enable(b, EV_READ), 0);
  EXPECT_EQ(contents(bufferevent_get_input(b)), "onetwo");
  EXPECT_EQ(outlen(a), 0u);
}

// A read high-water mark on the receiver caps each hand-over at (high - queued);
// draining below it pulls more over synchronously.
TEST_P(BevPair, ReadHighWatermarkStopsTransferAndDrainingResumesIt) {
  make_pair();
  NamedRec ra{"a"};
  watch(a, &ra);
  bufferevent_setwatermark(b, EV_READ, 0, 10);
  size_t lo = 99, hi = 99;
  EXPECT_EQ(bufferevent_getwatermark(b, EV_READ, &lo, &hi), 0);
  EXPECT_EQ(lo, 0u);
  EXPECT_EQ(hi, 10u);
  bufferevent_enable(b, EV_READ);
  std::string payload;
  for (int i = 0; i < 25; ++i) payload += static_cast<char>('a' + i);
  ASSERT_EQ(write_str(a, payload), 0);
  EXPECT_EQ(inlen(b), 10u);
  EXPECT_EQ(outlen(a), 15u);
  spin(base);
  EXPECT_EQ(ra.writes, 0);  // 15 bytes still queued on a
  // Draining part of the input moves exactly enough to refill to the mark.
  char buf[32];
  ASSERT_EQ(bufferevent_read(b, buf, 4), 4u);
  EXPECT_EQ(std::string(buf, 4), "abcd");
  EXPECT_EQ(inlen(b), 10u);
  EXPECT_EQ(outlen(a), 11u);
  // Drain the rest from the read callback; every callback sees at most 10.
  NamedRec rb{"b"};
  rb.drain = true;
  watch(b, &rb);
  rb.data = take(bufferevent_get_input(b));  // empties b, refills to 10
  EXPECT_EQ(inlen(b), 10u);
  EXPECT_EQ(outlen(a), 1u);
  ASSERT_TRUE(run_until(base, [&] { return rb.data.size() == 21; })) << rb.data.size();
  EXPECT_EQ(rb.data, payload.substr(4));
  for (size_t s : rb.seen) EXPECT_LE(s, 10u);
  EXPECT_EQ(outlen(a), 0u);
  spin(base);
  EXPECT_GE(ra.writes, 1);
}

TEST_P(BevPair, ReadLowWatermarkDelaysReadCallback) {
  make_pair();
  NamedRec rb{"b"};
  watch(b, &rb);
  bufferevent_setwatermark(b, EV_READ, 8, 0);
  bufferevent_enable(b, EV_READ);
  ASSERT_EQ(write_str(a, "12345"), 0);
  EXPECT_EQ(inlen(b), 5u);  // data moves regardless of the low mark
  run_for(base, 30);
  EXPECT_EQ(rb.reads, 0);
  ASSERT_EQ(write_str(a, "678"), 0);
  spin(base);
  EXPECT_EQ(rb.reads, 1);
  EXPECT_EQ(rb.seen.at(0), 8u);
}

TEST_P(BevPair, WriteCallbackWaitsForOutputToReachWriteLowWatermark) {
  make_pair();
  NamedRec ra{"a"};
  watch(a, &ra);
  bufferevent_setwatermark(a, EV_WRITE, 8, 0);
  bufferevent_setwatermark(b, EV_READ, 0, 10);
  bufferevent_enable(b, EV_READ);
  ASSERT_EQ(write_str(a, std::string(25, 'x')), 0);
  EXPECT_EQ(outlen(a), 15u);
  spin(base);
  EXPECT_EQ(ra.writes, 0);  // 15 > 8
  evbuffer_drain(bufferevent_get_input(b), 10);  // moves 10 more: a has 5 left
  EXPECT_EQ(outlen(a), 5u);
  spin(base);
  EXPECT_EQ(ra.writes, 1);
}

TEST_P(BevPair, FlushNormalDoesNothingAndReturnsZero) {
  make_pair();
  ASSERT_EQ(write_str(a, "abc"), 0);
  EXPECT_EQ(bufferevent_flush(a, EV_WRITE, BEV_NORMAL), 0);
  EXPECT_EQ(bufferevent_flush(a, EV_READ | EV_WRITE, BEV_NORMAL), 0);
  EXPECT_EQ(bufferevent_flush(b, EV_READ, BEV_NORMAL), 0);
  EXPECT_EQ(outlen(a), 3u);
  EXPECT_EQ(inlen(b), 0u);
}

// BEV_FLUSH hands data over even though the partner never enabled EV_READ, and
// the partner's read callback runs for it.
TEST_P(BevPair, FlushWriteMovesDataToPartnerThatIsNotReading) {
  make_pair();
  NamedRec ra{"a"}, rb{"b"};
  watch(a, &ra);
  watch(b, &rb);
  ASSERT_EQ(write_str(a, "flushed"), 0);
  EXPECT_EQ(bufferevent_flush(a, EV_WRITE, BEV_FLUSH), 0);
  EXPECT_EQ(outlen(a), 0u);
  EXPECT_EQ(contents(bufferevent_get_input(b)), "flushed");
  EXPECT_EQ(bufferevent_get_enabled(b), EV_WRITE);  // flushing enables nothing
  spin(base);
  EXPECT_EQ(rb.reads, 1);
  EXPECT_EQ(ra.writes, 1);
  EXPECT_TRUE(rb.events.empty());
  EXPECT_TRUE(ra.events.empty());
}

TEST_P(BevPair, FlushReadPullsFromPartner) {
  make_pair();
  NamedRec rb{"b"};
  watch(b, &rb);
  ASSERT_EQ(write_str(a, "pulled"), 0);
  EXPECT_EQ(bufferevent_flush(b, EV_READ, BEV_FLUSH), 0);
  EXPECT_EQ(outlen(a), 0u);
  EXPECT_EQ(contents(bufferevent_get_input(b)), "pulled");
  spin(base);
  EXPECT_EQ(rb.reads, 1);
  EXPECT_TRUE(rb.events.empty());
}

// Flushing still respects room below the receiver's high-water mark; it only
// overrides the mark when the receiver is already at or above it.
TEST_P(BevPair, FlushOverridesHighWatermarkOnlyWhenReceiverIsFull) {
  make_pair();
  bufferevent_setwatermark(b, EV_READ, 0, 10);
  ASSERT_EQ(write_str(a, std::string(25, 'q')), 0);
  EXPECT_EQ(inlen(b), 0u);
  EXPECT_EQ(bufferevent_flush(a, EV_WRITE, BEV_FLUSH), 0);
  EXPECT_EQ(inlen(b), 10u);
  EXPECT_EQ(outlen(a), 15u);
  EXPECT_EQ(bufferevent_flush(a, EV_WRITE, BEV_FLUSH), 0);
  EXPECT_EQ(inlen(b), 25u);
  EXPECT_EQ(outlen(a), 0u);
}

struct FinishedCase {
  short iotype;
  short partner_flags;
  std::vector<std::string> log;  // every callback, in order, for one loop pass
};

// BEV_FINISHED moves data like BEV_FLUSH (in the directions asked for), then
// reports EOF to the partner: EV_WRITE adds READING (the partner will read no
// more), EV_READ adds WRITING. Callbacks are deferred per bufferevent, so each
// end's read, write and event callbacks run together, read first, event last,
// and the end that was scheduled first runs first.
TEST_P(BevPair, FlushFinishedReportsEofToPartnerWithExactFlags) {
  const FinishedCase cases[] = {
      {EV_WRITE, BEV_EVENT_EOF | BEV_EVENT_READING, {"b:read", "b:event", "a:write"}},
      {EV_READ, BEV_EVENT_EOF | BEV_EVENT_WRITING, {"a:read", "b:write", "b:event"}},
      {EV_READ | EV_WRITE, BEV_EVENT_EOF | BEV_EVENT_READING | BEV_EVENT_WRITING,
       {"a:read", "a:write", "b:read", "b:write", "b:event"}},
      {0, BEV_EVENT_EOF, {"b:event"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("iotype=" + std::to_string(c.iotype));
    make_pair();
    std::vector<std::string> log;
    NamedRec ra{"a", &log}, rb{"b", &log};
    rb.drain = true;
    watch(a, &ra);
    watch(b, &rb);
    ASSERT_EQ(write_str(a, "tail"), 0);
    EXPECT_EQ(bufferevent_flush(a, c.iotype, BEV_FINISHED), 0);
    EXPECT_TRUE(log.empty());  // deferred, like everything on a pair
    spin(base);
    ASSERT_EQ(rb.events.size(), 1u);
    EXPECT_EQ(rb.events[0], c.partner_flags);
    EXPECT_TRUE(ra.events.empty());
    EXPECT_EQ(log, c.log);
    if (c.iotype & EV_WRITE) {
      EXPECT_EQ(rb.data, "tail");
      EXPECT_EQ(rb.seen.at(0), 4u);
    } else {
      EXPECT_EQ(outlen(a), 4u);  // nothing was pushed
      EXPECT_EQ(rb.reads, 0);
    }
    if (c.iotype & EV_READ) {
      EXPECT_EQ(ra.seen.at(0), 0u);  // a read callback for 0 bytes
    }
    // The EOF disabled nothing.
    EXPECT_EQ(bufferevent_get_enabled(a), EV_WRITE);
    EXPECT_EQ(bufferevent_get_enabled(b), EV_WRITE);
    bufferevent_setcb(a, nullptr, nullptr, nullptr, nullptr);
    bufferevent_setcb(b, nullptr, nullptr, nullptr, nullptr);
    free_end(a);
    free_end(b);
    spin(base);
  }
}

// A forced hand-over runs the callbacks even when no byte moves: the receiver's
// read callback sees an empty input (its low-water mark of 0 is met).
TEST_P(BevPair, FlushRunsCallbacksEvenWhenNothingMoves) {
  make_pair();
  std::vector<std::string> log;
  NamedRec ra{"a", &log}, rb{"b", &log};
  watch(a, &ra);
  watch(b, &rb);
  EXPECT_EQ(bufferevent_flush(a, EV_WRITE, BEV_FLUSH), 0);
  spin(base);
  EXPECT_EQ(log, (std::vector<std::string>{"b:read", "a:write"}));
  EXPECT_EQ(rb.seen.at(0), 0u);
  // A read low-water mark above 0 suppresses that empty read callback.
  log.clear();
  bufferevent_setwatermark(b, EV_READ, 1, 0);
  EXPECT_EQ(bufferevent_flush(a, EV_WRITE, BEV_FLUSH), 0);
  spin(base);
  EXPECT_EQ(log, (std::vector<std::string>{"a:write"}));
}

TEST_P(BevPair, FlushFinishedCanBeRepeated) {
  make_pair();
  NamedRec rb{"b"};
  watch(b, &rb);
  EXPECT_EQ(bufferevent_flush(a, EV_WRITE, BEV_FINISHED), 0);
  spin(base);
  EXPECT_EQ(bufferevent_flush(a, EV_WRITE, BEV_FINISHED), 0);
  spin(base);
  ASSERT_EQ(rb.events.size(), 2u);
  EXPECT_EQ(rb.events[0], BEV_EVENT_EOF | BEV_EVENT_READING);
  EXPECT_EQ(rb.events[1], BEV_EVENT_EOF | BEV_EVENT_READING);
}

// Two FINISHED flushes before the loop runs are merged into one report, the
// flags ORed together.
TEST_P(BevPair, PendingEventFlagsAreMergedBeforeDelivery) {
  make_pair();
  NamedRec rb{"b"};
  watch(b, &rb);
  EXPECT_EQ(bufferevent_flush(a, EV_WRITE, BEV_FINISHED), 0);
  EXPECT_EQ(bufferevent_flush(a, EV_READ, BEV_FINISHED), 0);
  spin(base);
  ASSERT_EQ(rb.events.size(), 1u);
  EXPECT_EQ(rb.events[0], BEV_EVENT_EOF | BEV_EVENT_READING | BEV_EVENT_WRITING);
}

TEST_P(BevPair, FreeingOneEndUnlinksWithoutNotifyingTheOther) {
  make_pair();
  NamedRec rb{"b"};
  watch(b, &rb);
  bufferevent_enable(b, EV_READ);
  ASSERT_EQ(write_str(a, "kept"), 0);
  free_end(a);
  EXPECT_EQ(bufferevent_pair_get_partner(b), nullptr);
  run_for(base, 30);
  EXPECT_TRUE(rb.events.empty());
  EXPECT_EQ(rb.reads, 1);  // the read that was already pending still runs
  EXPECT_EQ(contents(bufferevent_get_input(b)), "kept");
  // Writes on the orphan stay in its own output.
  ASSERT_EQ(write_str(b, "orphan"), 0);
  EXPECT_EQ(outlen(b), 6u);
  // Flushing an orphan fails in every mode.
  EXPECT_EQ(bufferevent_flush(b, EV_WRITE, BEV_NORMAL), -1);
  EXPECT_EQ(bufferevent_flush(b, EV_WRITE, BEV_FLUSH), -1);
  EXPECT_EQ(bufferevent_flush(b, EV_READ | EV_WRITE, BEV_FINISHED), -1);
  EXPECT_EQ(outlen(b), 6u);
  // Enabling and disabling the orphan are harmless.
  EXPECT_EQ(bufferevent_enable(b, EV_READ | EV_WRITE), 0);
  EXPECT_EQ(bufferevent_disable(b, EV_READ | EV_WRITE), 0);
  run_for(base, 20);
  EXPECT_TRUE(rb.events.empty());
}

TEST_P(BevPair, FreeingAnEndDropsItsQueuedOutput) {
  make_pair();
  ASSERT_EQ(write_str(a, "never delivered"), 0);  // b is not reading
  free_end(a);
  EXPECT_EQ(bufferevent_pair_get_partner(b), nullptr);
  EXPECT_EQ(bufferevent_enable(b, EV_READ), 0);
  run_for(base, 20);
  EXPECT_EQ(inlen(b), 0u);
}

TEST_P(BevPair, ReadTimeoutFiresWithTimeoutReadingAndDisablesRead) {
  make_pair();
  NamedRec rb{"b"};
  watch(b, &rb);
  timeval rt = tv_ms(100);
  ASSERT_EQ(bufferevent_set_timeouts(b, &rt, nullptr), 0);
  // On the base's own clock, from before the timer is armed: the lower bound is exact.
  // (The precise clock once showed 85 ms here, the coarse one having lagged 15 ms.)
  const double t0 = coarse_now_ms();
  ASSERT_EQ(bufferevent_enable(b, EV_READ), 0);
  double fired = 0;
  ASSERT_TRUE(run_until(base, [&] {
    if (!rb.events.empty() && fired == 0) fired = coarse_now_ms();
    return !rb.events.empty();
  }));
  EXPECT_GE(fired - t0, 100 - kMicrosecond);
  EXPECT_LT(fired - t0, 2000.0);
  EXPECT_EQ(rb.events[0], BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
  EXPECT_EQ(bufferevent_get_enabled(b), EV_WRITE);
  run_for(base, 250);
  EXPECT_EQ(rb.events.size(), 1u);  // not repeated: reading is now off
  // Data still flows only once reading is re-enabled.
  ASSERT_EQ(write_str(a, "late"), 0);
  EXPECT_EQ(inlen(b), 0u);
  bufferevent_enable(b, EV_READ);
  EXPECT_EQ(inlen(b), 4u);
}

TEST_P(BevPair, IncomingDataResetsReadTimeout) {
  make_pair();
  NamedRec rb{"b"};
  rb.drain = true;
  watch(b, &rb);
  timeval rt = tv_ms(500);
  ASSERT_EQ(bufferevent_set_timeouts(b, &rt, nullptr), 0);
  ASSERT_EQ(bufferevent_enable(b, EV_READ), 0);
  const double t0 = coarse_now_ms();
  struct Ctx {
    bufferevent* a;
    double at = 0;
  } ctx{a};
  event* t = evtimer_new(
      base,
      [](evutil_socket_t, short, void* arg) {
        auto* c = static_cast<Ctx*>(arg);
        bufferevent_write(c->a, "ping", 4);
        c->at = now_ms();
      },
      &ctx);
  timeval d = tv_ms(60);
  evtimer_add(t, &d);
  ASSERT_TRUE(run_until(base, [&] { return !rb.events.empty(); }, 5000));
  const double fired = coarse_now_ms();
  EXPECT_EQ(rb.data, "ping");
  EXPECT_EQ(rb.events[0], BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
  ASSERT_GT(ctx.at, 0);
  // Measured from the write, not from enable. (Not from ctx.at: the write re-arms the
  // timeout from the loop's time for that round, which may precede ctx.at. That time
  // has reached t0 + 60, or the timer making the write would not have fired.)
  EXPECT_GE(fired - t0, 60 + 500 - kMicrosecond);
  event_free(t);
}

TEST_P(BevPair, WriteTimeoutFiresWhenPartnerDoesNotRead) {
  make_pair();
  NamedRec ra{"a"};
  watch(a, &ra);
  ASSERT_EQ(write_str(a, "stuck"), 0);  // b is not reading
  timeval wt = tv_ms(100);
  const double t0 = coarse_now_ms();
  ASSERT_EQ(bufferevent_set_timeouts(a, nullptr, &wt), 0);
  ASSERT_TRUE(run_until(base, [&] { return !ra.events.empty(); }));
  const double fired = coarse_now_ms();
  EXPECT_GE(fired - t0, 100 - kMicrosecond);
  EXPECT_EQ(ra.events[0], BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING);
  EXPECT_EQ(bufferevent_get_enabled(a), 0);  // EV_WRITE was turned off
  EXPECT_EQ(outlen(a), 5u);
  // With writing disabled, enabling reading on b moves nothing.
  bufferevent_enable(b, EV_READ);
  EXPECT_EQ(inlen(b), 0u);
  bufferevent_enable(a, EV_WRITE);
  EXPECT_EQ(inlen(b), 5u);
}

// The write timeout of a pair end is armed by set_timeouts/enable/hand-over,
// not by bufferevent_write: data queued after the timeouts were set towards a
// partner that never reads does not time out.
TEST_P(BevPair, WriteAfterSettingTimeoutsDoesNotArmWriteTimeout) {
  make_pair();
  NamedRec ra{"a"};
  watch(a, &ra);
  timeval wt = tv_ms(50);
  ASSERT_EQ(bufferevent_set_timeouts(a, nullptr, &wt), 0);
  ASSERT_EQ(write_str(a, "stuck"), 0);
  run_for(base, 250);
  EXPECT_TRUE(ra.events.empty());
  // Re-enabling EV_WRITE with data queued arms it.
  bufferevent_enable(a, EV_WRITE);
  ASSERT_TRUE(run_until(base, [&] { return !ra.events.empty(); }));
  EXPECT_EQ(ra.events[0], BEV_EVENT_TIMEOUT | BEV_EVENT_WRITING);
}

TEST_P(BevPair, NoTimeoutWhileIdleWithoutReadEnabled) {
  make_pair();
  NamedRec rb{"b"};
  watch(b, &rb);
  timeval rt = tv_ms(40);
  ASSERT_EQ(bufferevent_set_timeouts(b, &rt, &rt), 0);  // b: read disabled, no output
  run_for(base, 200);
  EXPECT_TRUE(rb.events.empty());
  // Clearing timeouts then enabling read: nothing fires either.
  ASSERT_EQ(bufferevent_set_timeouts(b, nullptr, nullptr), 0);
  bufferevent_enable(b, EV_READ);
  run_for(base, 150);
  EXPECT_TRUE(rb.events.empty());
}

TEST_P(BevPair, LargeTransferArrivesIntactAndInOrder) {
  make_pair();
  NamedRec rb{"b"};
  rb.drain = true;
  watch(b, &rb);
  bufferevent_setwatermark(b, EV_READ, 0, 4096);
  bufferevent_enable(b, EV_READ);
  std::string payload;
  payload.reserve(200000);
  for (int i = 0; payload.size() < 200000; ++i) payload += std::to_string(i) + ",";
  ASSERT_EQ(write_str(a, payload), 0);
  ASSERT_TRUE(run_until(base, [&] { return rb.data.size() == payload.size(); }, 5000));
  EXPECT_TRUE(rb.data == payload);
  for (size_t s : rb.seen) EXPECT_LE(s, 4096u);
}

TEST_P(BevPair, FreeingFromInsidePartnersCallbackIsSafe) {
  make_pair();
  NamedRec rb{"b"};
  bufferevent* victim = a;
  rb.on_read_hook = [&](bufferevent*) {
    if (victim) {
      free_end(a);
      victim = nullptr;
    }
  };
  watch(b, &rb);
  bufferevent_enable(b, EV_READ);
  ASSERT_EQ(write_str(a, "bye"), 0);
  spin(base);
  EXPECT_EQ(rb.reads, 1);
  EXPECT_EQ(a, nullptr);
  EXPECT_EQ(bufferevent_pair_get_partner(b), nullptr);
  run_for(base, 20);
  EXPECT_TRUE(rb.events.empty());
}

// Callbacks cleared by bufferevent_free never run, even if already scheduled.
TEST_P(BevPair, FreeCancelsPendingCallbacksOfTheFreedEnd) {
  make_pair();
  NamedRec rb{"b"};
  watch(b, &rb);
  bufferevent_enable(b, EV_READ);
  ASSERT_EQ(write_str(a, "x"), 0);  // b's read callback is now pending
  free_end(b);
  run_for(base, 20);
  EXPECT_EQ(rb.reads, 0);
  EXPECT_EQ(bufferevent_pair_get_partner(a), nullptr);
}

// Pairs always defer their callbacks, so UNLOCK_CALLBACKS alone is accepted
// (elsewhere it needs DEFER_CALLBACKS too).
TEST_P(BevPair, UnlockCallbacksAloneIsAcceptedBecauseDeferIsImplied) {
  make_pair(BEV_OPT_UNLOCK_CALLBACKS);
  NamedRec rb{"b"};
  watch(b, &rb);
  bufferevent_enable(b, EV_READ);
  ASSERT_EQ(write_str(a, "u"), 0);
  EXPECT_EQ(rb.reads, 0);
  spin(base);
  EXPECT_EQ(rb.reads, 1);
}

TEST_P(BevPair, LockUnlockAndIncrefDecrefOnPair) {
  make_pair();
  bufferevent_lock(a);
  bufferevent_lock(b);
  bufferevent_unlock(b);
  bufferevent_unlock(a);
  bufferevent_incref(a);
  EXPECT_EQ(bufferevent_decref(a), 0);  // still referenced
  EXPECT_EQ(bufferevent_pair_get_partner(a), b);
}

INSTANTIATE_TEST_SUITE_P(Backends, BevPair, ::testing::ValuesIn(bt::backends()), bt::backend_name);

// ------------------------------------------------------------ thread-safe ----

// Not parameterised: it needs a base created after evthread_use_pthreads().
TEST(BevPairThreadsafe, WritesFromAnotherThreadArriveIntactAndInOrder) {
  alarm(30);
  ASSERT_EQ(evthread_use_pthreads(), 0);
  const std::vector<int> fds_before = bt::open_fds();
  event_base* base = event_base_new();
  ASSERT_NE(base, nullptr);
  bufferevent* p[2] = {nullptr, nullptr};
  ASSERT_EQ(bufferevent_pair_new(base, BEV_OPT_THREADSAFE, p), 0);
  bufferevent* a = p[0];
  bufferevent* b = p[1];
  // The two ends share one recursive lock: holding both from one thread works.
  bufferevent_lock(a);
  bufferevent_lock(b);
  bufferevent_unlock(b);
  bufferevent_unlock(a);

  NamedRec rb{"b"};
  rb.drain = true;
  watch(b, &rb);
  bufferevent_enable(b, EV_READ);
  // A persistent tick keeps the loop turning whatever the wake-up path.
  event* tick = event_new(base, -1, EV_PERSIST, [](evutil_socket_t, short, void*) {}, nullptr);
  timeval ten = tv_ms(10);
  event_add(tick, &ten);

  std::string expected;
  for (int i = 0; i < 300; ++i) expected += "<" + std::to_string(i) + ">";
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 300; ++i) {
      std::string s = "<" + std::to_string(i) + ">";
      bufferevent_write(a, s.data(), s.size());
      if (i % 50 == 0) usleep(1000);
    }
    done = true;
  });
  const bool ok = run_until(base, [&] { return done && rb.data.size() == expected.size(); }, 10000);
  writer.join();
  EXPECT_TRUE(ok) << rb.data.size() << " of " << expected.size();
  EXPECT_TRUE(rb.data == expected);
  EXPECT_GE(rb.reads, 1);

  event_free(tick);
  bufferevent_free(a);
  bufferevent_free(b);
  // The writer's last transfer can queue one more read callback for b after the one
  // that drained its bytes has already been taken off the queue. That queued callback
  // holds a reference on b; event_base_free drops queued callbacks without running
  // them (libevent 2.1.12 does the same), so b would leak. Let the loop run it.
  spin(base);
  event_base_free(base);
  EXPECT_EQ(bt::open_fds(), fds_before);
  alarm(0);
}

TEST(BevPairThreadsafe, ThreadsafePairBehavesLikeAPlainOneOnOneThread) {
  ASSERT_EQ(evthread_use_pthreads(), 0);
  event_base* base = event_base_new();
  ASSERT_NE(base, nullptr);
  bufferevent* p[2] = {nullptr, nullptr};
  ASSERT_EQ(bufferevent_pair_new(base, BEV_OPT_THREADSAFE | BEV_OPT_DEFER_CALLBACKS, p), 0);
  EXPECT_EQ(bufferevent_pair_get_partner(p[0]), p[1]);
  NamedRec rb{"b"};
  watch(p[1], &rb);
  bufferevent_enable(p[1], EV_READ);
  bufferevent_write(p[0], "abc", 3);
  EXPECT_EQ(inlen(p[1]), 3u);
  EXPECT_EQ(rb.reads, 0);
  spin(base);
  EXPECT_EQ(rb.reads, 1);
  EXPECT_EQ(bufferevent_flush(p[0], EV_WRITE, BEV_FINISHED), 0);
  spin(base);
  ASSERT_EQ(rb.events.size(), 1u);
  EXPECT_EQ(rb.events[0], BEV_EVENT_EOF | BEV_EVENT_READING);
  // Free in the order opposite to creation too.
  bufferevent_free(p[1]);
  EXPECT_EQ(bufferevent_pair_get_partner(p[0]), nullptr);
  bufferevent_free(p[0]);
  event_base_free(base);
}

}  // namespace
