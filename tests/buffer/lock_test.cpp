// evbuffer locking with thread support enabled (evthread_use_pthreads). A separate
// binary: thread callbacks, once installed, stay installed for the process.
#include <event2/buffer.h>
#include <event2/thread.h>

#include <gtest/gtest.h>

#include <thread>

#include "../support/fd_leak_check.h"

namespace {

TEST(BufferLocking, EnableOnceAndShareAcrossThreads) {
    ASSERT_EQ(evthread_use_pthreads(), 0);
    evbuffer* b = evbuffer_new();
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(evbuffer_enable_locking(b, nullptr), 0);
    // A buffer has one lock; a second one is refused.
    EXPECT_EQ(evbuffer_enable_locking(b, nullptr), -1);
    auto worker = [b](char c) {
        for (int i = 0; i < 20000; ++i) {
            evbuffer_lock(b);
            size_t before = evbuffer_get_length(b);
            evbuffer_add(b, &c, 1);
            // Nobody else can change the buffer while we hold its lock.
            EXPECT_EQ(evbuffer_get_length(b), before + 1);
            evbuffer_unlock(b);
        }
    };
    std::thread t1(worker, 'a'), t2(worker, 'b');
    t1.join();
    t2.join();
    EXPECT_EQ(evbuffer_get_length(b), 40000u);
    evbuffer_free(b);
}

TEST(BufferLocking, LockedWithUnlockedBuffer) {
    ASSERT_EQ(evthread_use_pthreads(), 0);
    evbuffer* a = evbuffer_new();
    evbuffer* c = evbuffer_new();
    ASSERT_EQ(evbuffer_enable_locking(a, nullptr), 0);
    // Two-buffer operations work when only one of the buffers has a lock.
    evbuffer_lock(a);
    evbuffer_unlock(a);
    evbuffer_add(a, "xy", 2);
    evbuffer_add(c, "z", 1);
    EXPECT_EQ(evbuffer_add_buffer(a, c), 0);
    EXPECT_EQ(evbuffer_get_length(a), 3u);
    evbuffer_free(a);
    evbuffer_free(c);
}

}  // namespace
