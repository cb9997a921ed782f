// File segments in a buffer that drains to a descriptor (a socket bufferevent's output,
// EVBUFFER_FLAG_DRAINS_TO_FD) are sent with sendfile(2) and never mapped or read; a
// plain buffer, or a segment made with EVBUF_FS_DISABLE_SENDFILE, maps the file (reads
// it with EVBUF_FS_DISABLE_MMAP) and is written from memory. The binary interposes
// sendfile, read and pread (the executable's definitions win over libc's for the
// library's calls; the CMake target exports them) and looks for mappings of the file in
// /proc/self/maps (interposing mmap would trip the sanitizers' own start-up).
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fstream>

#include "bev_support.h"

using namespace bt;

namespace {
size_t g_sendfile_bytes = 0;
int g_watched_fd = -1;  // the file whose reads are counted
int g_reads = 0;

// Whether some mapping in this process is of the file open as fd (same device and inode).
bool is_mapped(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  std::ifstream maps("/proc/self/maps");
  std::string range, perms, offset, dev;
  unsigned long inode;
  std::string rest;
  while (maps >> range >> perms >> offset >> dev >> inode) {
    std::getline(maps, rest);
    unsigned maj = 0, min = 0;
    if (std::sscanf(dev.c_str(), "%x:%x", &maj, &min) != 2) continue;
    if (inode == st.st_ino && maj == major(st.st_dev) && min == minor(st.st_dev)) return true;
  }
  return false;
}

template <class Fn>
Fn real_fn(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}
}  // namespace

extern "C" {
__attribute__((visibility("default"))) ssize_t sendfile(int out_fd, int in_fd, off_t* offset, size_t count) {
  static auto real = real_fn<ssize_t (*)(int, int, off_t*, size_t)>("sendfile");
  ssize_t r = real(out_fd, in_fd, offset, count);
  if (r > 0) g_sendfile_bytes += size_t(r);
  return r;
}
__attribute__((visibility("default"))) ssize_t read(int fd, void* buf, size_t n) {
  static auto real = real_fn<ssize_t (*)(int, void*, size_t)>("read");
  if (fd >= 0 && fd == g_watched_fd) ++g_reads;
  return real(fd, buf, n);
}
__attribute__((visibility("default"))) ssize_t pread(int fd, void* buf, size_t n, off_t off) {
  static auto real = real_fn<ssize_t (*)(int, void*, size_t, off_t)>("pread");
  if (fd >= 0 && fd == g_watched_fd) ++g_reads;
  return real(fd, buf, n, off);
}
__attribute__((visibility("default"))) ssize_t pread64(int fd, void* buf, size_t n, off_t off) {
  static auto real = real_fn<ssize_t (*)(int, void*, size_t, off_t)>("pread64");
  if (fd >= 0 && fd == g_watched_fd) ++g_reads;
  return real(fd, buf, n, off);
}
}  // extern "C"

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

// A buffer that drains to a descriptor, holding the whole of a temporary file with
// `file` in it (the buffer owns the file's descriptor).
evbuffer* draining_buffer_with(const std::string& file) {
  evbuffer* out = evbuffer_new();
  EXPECT_EQ(evbuffer_set_flags(out, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
  EXPECT_EQ(evbuffer_add_file(out, temp_file(file), 0, -1), 0);
  return out;
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

// A segment on its way to a socket by sendfile is never mapped or read, whether or not
// mapping is allowed.
TEST_P(BevSendfile, SegmentSentBySendfileIsNeverMappedOrRead) {
  for (unsigned flags : {0u, unsigned(EVBUF_FS_DISABLE_MMAP)}) {
    SCOPED_TRACE(flags);
    const std::string file = pattern(50000, 11);
    int ffd = temp_file(file);
    evbuffer_file_segment* seg = evbuffer_file_segment_new(ffd, 0, -1, flags | EVBUF_FS_CLOSE_ON_FREE);
    ASSERT_NE(seg, nullptr);
    SocketPair sp;
    Bev bev(bufferevent_socket_new(base, sp.release(0), BEV_OPT_CLOSE_ON_FREE));
    ASSERT_NE(bev.get(), nullptr);
    g_watched_fd = ffd;
    g_reads = 0;
    g_sendfile_bytes = 0;
    ASSERT_EQ(evbuffer_add_file_segment(bufferevent_get_output(bev), seg, 0, -1), 0);
    EXPECT_FALSE(is_mapped(ffd));
    std::string got;
    ASSERT_TRUE(run_until(base, [&] {
      EXPECT_FALSE(is_mapped(ffd));
      got += drain_fd(sp.b());
      return got.size() >= file.size();
    }, 5000));
    EXPECT_EQ(got, file);
    EXPECT_EQ(g_sendfile_bytes, file.size());
    EXPECT_EQ(g_reads, 0);
    g_watched_fd = -1;
    evbuffer_file_segment_free(seg);
  }
}

// A plain buffer's segment is brought into memory when it is added: mapped, or read
// with EVBUF_FS_DISABLE_MMAP.
TEST(Sendfile, PlainBufferMapsOrReadsTheSegment) {
  for (unsigned flags : {0u, unsigned(EVBUF_FS_DISABLE_MMAP)}) {
    SCOPED_TRACE(flags);
    const std::string file = pattern(9000, 13);
    int ffd = temp_file(file);
    evbuffer_file_segment* seg = evbuffer_file_segment_new(ffd, 100, 8000, flags | EVBUF_FS_CLOSE_ON_FREE);
    ASSERT_NE(seg, nullptr);
    evbuffer* b = evbuffer_new();
    g_watched_fd = ffd;
    g_reads = 0;
    ASSERT_EQ(evbuffer_add_file_segment(b, seg, 0, -1), 0);
    std::string got(8000, '\0');
    EXPECT_EQ(evbuffer_copyout(b, got.data(), got.size()), 8000);
    EXPECT_EQ(got, file.substr(100, 8000));
    if (flags & EVBUF_FS_DISABLE_MMAP) {
      EXPECT_FALSE(is_mapped(ffd));
      EXPECT_GE(g_reads, 1);
    } else {
      EXPECT_TRUE(is_mapped(ffd));
      EXPECT_EQ(g_reads, 0);
    }
    g_watched_fd = -1;
    evbuffer_free(b);
    evbuffer_file_segment_free(seg);
  }
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
  SocketPair sp;
  fill_until_full(sp.a());
  evbuffer* out = draining_buffer_with(pattern(1000, 9));
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
// Reading a segment that was to go by sendfile brings it into memory first; the rest
// still goes by sendfile. (libevent 2.1.12 has no bytes for such a segment: its copyout
// and peek hand out whatever lies at a null pointer plus the file offset.)
TEST(Sendfile, ReadingAnUnsentSegmentBringsItIn) {
  const std::string file = pattern(6000, 17);
  SocketPair sp;
  evbuffer* out = draining_buffer_with(file);
  std::string head(10, '\0');
  EXPECT_EQ(evbuffer_copyout(out, head.data(), head.size()), 10);
  EXPECT_EQ(head, file.substr(0, 10));
  evbuffer_iovec v[2];
  ASSERT_EQ(evbuffer_peek(out, -1, nullptr, v, 2), 1);
  EXPECT_EQ(std::string(static_cast<const char*>(v[0].iov_base), v[0].iov_len), file);
  g_sendfile_bytes = 0;
  EXPECT_EQ(evbuffer_write(out, sp.a()), 6000);
  EXPECT_EQ(g_sendfile_bytes, 6000u);
  EXPECT_EQ(drain_fd(sp.b()), file);
  evbuffer_free(out);
}

// Clearing EVBUFFER_FLAG_DRAINS_TO_FD brings waiting segments in and stops sendfile.
TEST(Sendfile, ClearingDrainsToFdWritesFromMemory) {
  const std::string file = pattern(3000, 19);
  SocketPair sp;
  evbuffer* out = draining_buffer_with(file);
  ASSERT_EQ(evbuffer_clear_flags(out, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
  g_sendfile_bytes = 0;
  EXPECT_EQ(evbuffer_write(out, sp.a()), 3000);
  EXPECT_EQ(g_sendfile_bytes, 0u);
  EXPECT_EQ(drain_fd(sp.b()), file);
  evbuffer_free(out);
}

// libevent 2.1.12 sends the whole first segment whatever the limit (so a rate-limited
// bufferevent overshoots its bucket); vigil keeps to it.
TEST(Sendfile, WriteAtmostKeepsToItsLimit) {
  const std::string file = pattern(5000, 5);
  SocketPair sp;
  evbuffer* out = draining_buffer_with(file);
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
