// File segments in a buffer that drains to a descriptor (a socket bufferevent's output,
// EVBUFFER_FLAG_DRAINS_TO_FD) are sent with sendfile(2); a plain buffer, or a segment
// made with EVBUF_FS_DISABLE_SENDFILE, is written from the mapped or read copy. The
// binary interposes sendfile (the executable's definition wins over libc's for the
// library's calls; the CMake target exports it) and counts the bytes it moved.
#include <dlfcn.h>
#include <stdlib.h>

#include "bev_support.h"

using namespace bt;

namespace {
size_t g_sendfile_bytes = 0;
}  // namespace

extern "C" __attribute__((visibility("default"))) ssize_t sendfile(int out_fd, int in_fd, off_t* offset,
                                                                  size_t count) {
  using Fn = ssize_t (*)(int, int, off_t*, size_t);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "sendfile"));
  ssize_t r = real(out_fd, in_fd, offset, count);
  if (r > 0) g_sendfile_bytes += size_t(r);
  return r;
}

namespace {

class BevSendfile : public BevTest {};
INSTANTIATE_TEST_SUITE_P(Backends, BevSendfile, ::testing::ValuesIn(backends()), backend_name);

// An unlinked temporary file holding data; the descriptor is the test's to close or hand over.
int temp_file(const std::string& data) {
  char name[] = "/tmp/vigil-sendfile-XXXXXX";
  int fd = mkstemp(name);
  EXPECT_GE(fd, 0);
  unlink(name);
  EXPECT_EQ(write(fd, data.data(), data.size()), ssize_t(data.size()));
  return fd;
}

// More than a socketpair holds, so the segment goes out over several writable rounds,
// between data added from memory before and after it.
TEST_P(BevSendfile, FileOnASocketBuffereventsOutputGoesBySendfile) {
  const std::string file = pattern(300000);
  int ffd = temp_file(file);
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.release(0), BEV_OPT_CLOSE_ON_FREE));
  ASSERT_NE(bev.get(), nullptr);
  g_sendfile_bytes = 0;
  ASSERT_EQ(write_str(bev, "head"), 0);
  ASSERT_EQ(evbuffer_add_file(bufferevent_get_output(bev), ffd, 1000, 250000), 0);  // takes ffd
  ASSERT_EQ(write_str(bev, "tail"), 0);
  const std::string want = "head" + file.substr(1000, 250000) + "tail";
  EXPECT_EQ(receive(base, sp.b(), want.size(), 5000), want);
  EXPECT_EQ(g_sendfile_bytes, 250000u);
  EXPECT_EQ(outlen(bev), 0u);
}

TEST_P(BevSendfile, SegmentWithSendfileDisabledGoesFromMemory) {
  const std::string file = pattern(20000, 7);
  int ffd = temp_file(file);
  evbuffer_file_segment* seg = evbuffer_file_segment_new(ffd, 0, -1, EVBUF_FS_DISABLE_SENDFILE);
  ASSERT_NE(seg, nullptr);
  SocketPair sp;
  Bev bev(bufferevent_socket_new(base, sp.release(0), BEV_OPT_CLOSE_ON_FREE));
  ASSERT_NE(bev.get(), nullptr);
  g_sendfile_bytes = 0;
  ASSERT_EQ(evbuffer_add_file_segment(bufferevent_get_output(bev), seg, 10, 15000), 0);
  evbuffer_file_segment_free(seg);
  EXPECT_EQ(receive(base, sp.b(), 15000), file.substr(10, 15000));
  EXPECT_EQ(g_sendfile_bytes, 0u);
  close(ffd);
}

// A buffer without EVBUFFER_FLAG_DRAINS_TO_FD may be read by the program, so its copy
// of the file is the one written.
TEST(Sendfile, PlainBufferIsWrittenFromMemory) {
  const std::string file = pattern(5000, 3);
  int ffd = temp_file(file);
  SocketPair sp;
  evbuffer* out = evbuffer_new();
  ASSERT_EQ(evbuffer_add_file(out, ffd, 0, -1), 0);
  g_sendfile_bytes = 0;
  EXPECT_EQ(evbuffer_write(out, sp.a()), 5000);
  EXPECT_EQ(drain_fd(sp.b()), file);
  EXPECT_EQ(g_sendfile_bytes, 0u);
  evbuffer_free(out);
}

// A full socket: vigil reports it as writev would (-1, EAGAIN), so a bufferevent waits
// for room. libevent 2.1.12 returns 0 here, which its bufferevents take for end of file.
TEST(Sendfile, FullSocketIsRetriable) {
  int ffd = temp_file(pattern(1000, 9));
  SocketPair sp;
  fill_until_full(sp.a());
  evbuffer* out = evbuffer_new();
  ASSERT_EQ(evbuffer_set_flags(out, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
  ASSERT_EQ(evbuffer_add_file(out, ffd, 0, -1), 0);
  errno = 0;
  const int r = evbuffer_write(out, sp.a());
#ifdef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
  EXPECT_EQ(r, 0);
#else
  EXPECT_EQ(r, -1);
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;
#endif
  EXPECT_EQ(evbuffer_get_length(out), 1000u);
  evbuffer_free(out);
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
// libevent 2.1.12 sends the whole first segment whatever the limit (so a rate-limited
// bufferevent overshoots its bucket); vigil keeps to it.
TEST(Sendfile, WriteAtmostKeepsToItsLimit) {
  const std::string file = pattern(5000, 5);
  int ffd = temp_file(file);
  SocketPair sp;
  evbuffer* out = evbuffer_new();
  ASSERT_EQ(evbuffer_set_flags(out, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
  ASSERT_EQ(evbuffer_add_file(out, ffd, 0, -1), 0);
  g_sendfile_bytes = 0;
  EXPECT_EQ(evbuffer_write_atmost(out, sp.a(), 100), 100);
  EXPECT_EQ(evbuffer_get_length(out), 4900u);
  EXPECT_EQ(evbuffer_write(out, sp.a()), 4900);
  EXPECT_EQ(drain_fd(sp.b()), file);
  EXPECT_EQ(g_sendfile_bytes, 5000u);
  evbuffer_free(out);
}
#endif

}  // namespace
