// Every evbuffer allocation goes through event_set_mem_functions' hooks, including
// the lines evbuffer_readln returns. Installs a counting allocator in its own main()
// before anything else runs.
#include <event2/buffer.h>
#include <event2/event.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "../support/fd_leak_check.h"

namespace {

long g_live = 0;
long g_total = 0;

// Each block carries a header so the hooks can tell their own blocks apart.
constexpr size_t kHeader = 16;
constexpr unsigned kMagic = 0x5eedf00d;

void* counting_malloc(size_t n) {
    unsigned char* p = static_cast<unsigned char*>(malloc(n + kHeader));
    if (!p) return nullptr;
    memcpy(p, &kMagic, sizeof kMagic);
    ++g_live;
    ++g_total;
    return p + kHeader;
}
void counting_free(void* q) {
    if (!q) return;
    unsigned char* p = static_cast<unsigned char*>(q) - kHeader;
    unsigned m;
    memcpy(&m, p, sizeof m);
    EXPECT_EQ(m, kMagic) << "freed a block our malloc did not make";
    --g_live;
    free(p);
}
void* counting_realloc(void* q, size_t n) {
    if (!q) return counting_malloc(n);
    unsigned char* p = static_cast<unsigned char*>(realloc(static_cast<unsigned char*>(q) - kHeader, n + kHeader));
    return p ? p + kHeader : nullptr;
}

TEST(BufferMem, AllAllocationsThroughHooks) {
    long live0 = g_live, total0 = g_total;
    evbuffer* b = evbuffer_new();
    ASSERT_NE(b, nullptr);
    std::string big(20000, 'x');
    evbuffer_add(b, big.data(), big.size());
    evbuffer_add_printf(b, "line %d\n", 7);
    evbuffer_add_reference(b, "ref\n", 4, nullptr, nullptr);
    evbuffer_add_cb(b, [](evbuffer*, const evbuffer_cb_info*, void*) {}, nullptr);
    evbuffer* c = evbuffer_new();
    evbuffer_add_buffer_reference(c, b);
    evbuffer_pullup(c, -1);
    EXPECT_GT(g_total, total0);
    size_t n = 0;
    char* line = evbuffer_readln(b, &n, EVBUFFER_EOL_LF);
    ASSERT_NE(line, nullptr);
    EXPECT_EQ(n, big.size() + 6);
    counting_free(line);  // the line comes from the user's allocator
    evbuffer_free(b);
    evbuffer_free(c);
    EXPECT_EQ(g_live, live0);
}

}  // namespace

int main(int argc, char** argv) {
    event_set_mem_functions(counting_malloc, counting_realloc, counting_free);
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
