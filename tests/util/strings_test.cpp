// evutil_snprintf / evutil_vsnprintf, evutil_strtoll, evutil_ascii_strcasecmp /
// evutil_ascii_strncasecmp and evutil_date_rfc1123.
#include "util_support.h"

#include <clocale>
#include <climits>
#include <cstdarg>
#include <ctime>

namespace {

int call_vsnprintf(char* buf, size_t len, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = evutil_vsnprintf(buf, len, fmt, ap);
  va_end(ap);
  return r;
}

struct tm make_tm(int year, int mon, int mday, int hour, int min, int sec, int wday) {
  struct tm t;
  memset(&t, 0, sizeof t);
  t.tm_year = year - 1900;
  t.tm_mon = mon;
  t.tm_mday = mday;
  t.tm_hour = hour;
  t.tm_min = min;
  t.tm_sec = sec;
  t.tm_wday = wday;
  return t;
}

}  // namespace

// ------------------------------------------------------------------- snprintf ----

TEST(Snprintf, FitsAndReturnsLength) {
  char buf[32];
  EXPECT_EQ(evutil_snprintf(buf, sizeof buf, "%d-%s-%c", 42, "ab", 'z'), 7);
  EXPECT_STREQ(buf, "42-ab-z");
  EXPECT_EQ(evutil_snprintf(buf, sizeof buf, "%s", ""), 0);
  EXPECT_STREQ(buf, "");
  EXPECT_EQ(evutil_snprintf(buf, sizeof buf, "%lld %x %5.2f", -9223372036854775807LL - 1, 255u, 3.14159), 29);
  EXPECT_STREQ(buf, "-9223372036854775808 ff  3.14");
}

TEST(Snprintf, TruncatesAndTerminates) {
  char buf[8];
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(evutil_snprintf(buf, 4, "abcdef"), 6);  // the length the output needed
  EXPECT_STREQ(buf, "abc");
  EXPECT_EQ(buf[4], 'x');
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(evutil_snprintf(buf, 1, "abcdef"), 6);
  EXPECT_EQ(buf[0], '\0');
  EXPECT_EQ(buf[1], 'x');
  std::string big(10000, 'q');
  char small[16];
  EXPECT_EQ(evutil_snprintf(small, sizeof small, "%s!", big.c_str()), 10001);
  EXPECT_EQ(std::string(small), std::string(15, 'q'));
}

TEST(Snprintf, ZeroLengthWritesNothingAndReturnsZero) {
  // Unlike C99 snprintf, libevent returns 0 (not the needed length) for buflen 0.
  char buf[4] = {'x', 'x', 'x', 'x'};
  EXPECT_EQ(evutil_snprintf(buf, 0, "abcdef"), 0);
  EXPECT_EQ(buf[0], 'x');
  EXPECT_EQ(evutil_snprintf(nullptr, 0, "abcdef"), 0);
  EXPECT_EQ(call_vsnprintf(buf, 0, "%d", 12345), 0);
  EXPECT_EQ(buf[0], 'x');
}

TEST(Snprintf, LastByteOfTheBufferIsAlwaysCleared) {
  // libevent sets buf[buflen - 1] = '\0' after every call, even when the output was
  // shorter; the bytes between the two terminators are left alone.
  char buf[10];
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(evutil_snprintf(buf, sizeof buf, "ab"), 2);
  EXPECT_STREQ(buf, "ab");
  EXPECT_EQ(buf[3], 'x');
  EXPECT_EQ(buf[8], 'x');
  EXPECT_EQ(buf[9], '\0');
}

TEST(Snprintf, VaListForm) {
  char buf[16];
  EXPECT_EQ(call_vsnprintf(buf, sizeof buf, "%s=%d", "x", 7), 3);
  EXPECT_STREQ(buf, "x=7");
  EXPECT_EQ(call_vsnprintf(buf, 3, "%s=%d", "x", 7), 3);
  EXPECT_STREQ(buf, "x=");
}

// -------------------------------------------------------------------- strtoll ----

TEST(Strtoll, LikeTheCLibrary) {
  char* end = nullptr;
  const char* s = "  -1234xyz";
  EXPECT_EQ(evutil_strtoll(s, &end, 10), -1234);
  EXPECT_EQ(end, s + 7);
  EXPECT_EQ(evutil_strtoll("0x1F", nullptr, 16), 31);
  EXPECT_EQ(evutil_strtoll("0x1F", nullptr, 0), 31);
  EXPECT_EQ(evutil_strtoll("017", nullptr, 0), 15);
  EXPECT_EQ(evutil_strtoll("017", nullptr, 10), 17);
  EXPECT_EQ(evutil_strtoll("zz", nullptr, 36), 36 * 35 + 35);
  EXPECT_EQ(evutil_strtoll("9223372036854775807", nullptr, 10), INT64_MAX);
  EXPECT_EQ(evutil_strtoll("-9223372036854775808", nullptr, 10), INT64_MIN);
  errno = 0;
  EXPECT_EQ(evutil_strtoll("9223372036854775808", nullptr, 10), INT64_MAX);
  EXPECT_EQ(errno, ERANGE);
  errno = 0;
  EXPECT_EQ(evutil_strtoll("-99999999999999999999", nullptr, 10), INT64_MIN);
  EXPECT_EQ(errno, ERANGE);
}

TEST(Strtoll, NothingToParse) {
  char* end = nullptr;
  const char* s = "abc";
  EXPECT_EQ(evutil_strtoll(s, &end, 10), 0);
  EXPECT_EQ(end, s);
  const char* empty = "";
  EXPECT_EQ(evutil_strtoll(empty, &end, 10), 0);
  EXPECT_EQ(end, empty);
  errno = 0;
  EXPECT_EQ(evutil_strtoll("12", &end, 1), 0);  // invalid base
  EXPECT_EQ(errno, EINVAL);
}

// --------------------------------------------------------------- strcasecmp ----

TEST(AsciiStrcasecmp, FoldsAsciiLettersOnly) {
  EXPECT_EQ(evutil_ascii_strcasecmp("Hello", "hELLO"), 0);
  EXPECT_EQ(evutil_ascii_strcasecmp("", ""), 0);
  EXPECT_EQ(evutil_ascii_strcasecmp("abc", "ABD"), -1);
  EXPECT_EQ(evutil_ascii_strcasecmp("abd", "ABC"), 1);
  EXPECT_EQ(evutil_ascii_strcasecmp("ab", "abc"), -1);
  EXPECT_EQ(evutil_ascii_strcasecmp("abc", "ab"), 1);
  EXPECT_EQ(evutil_ascii_strcasecmp("Content-Length", "content-length"), 0);
  // Letters fold to lower case, so '_' (0x5f) sorts before 'A' (as 'a', 0x61).
  EXPECT_EQ(evutil_ascii_strcasecmp("_", "A"), -1);
  EXPECT_EQ(evutil_ascii_strcasecmp("[", "a"), -1);
  // Only -1, 0 and 1 are returned.
  EXPECT_EQ(evutil_ascii_strcasecmp("a", "z"), -1);
  EXPECT_EQ(evutil_ascii_strcasecmp("z", "A"), 1);
}

TEST(AsciiStrcasecmp, NonAsciiBytes) {
  // Bytes above 0x7f are not folded (Latin-1 E-acute vs e-acute differ) and compare as
  // signed chars: below every ASCII character.
  EXPECT_NE(evutil_ascii_strcasecmp("\xc9", "\xe9"), 0);
  EXPECT_EQ(evutil_ascii_strcasecmp("\xe9", "a"), -1);
  EXPECT_EQ(evutil_ascii_strcasecmp("a", "\xe9"), 1);
  EXPECT_EQ(evutil_ascii_strcasecmp("\x80", "\x7f"), -1);
  EXPECT_EQ(evutil_ascii_strcasecmp("\xff", "\x80"), 1);
}

TEST(AsciiStrcasecmp, IndependentOfTheLocale) {
  // Whatever locale the program runs in (tr_TR, where 'I' lowers to a dotless i, would
  // be the classic trap), only ASCII A-Z fold.
  const char* old = setlocale(LC_CTYPE, nullptr);
  std::string saved = old ? old : "C";
  for (const char* loc : {"tr_TR.UTF-8", "tr_TR.ISO-8859-9", "C.UTF-8", "en_US.ISO-8859-1"}) {
    if (!setlocale(LC_CTYPE, loc)) continue;
    EXPECT_EQ(evutil_ascii_strcasecmp("TITLE", "title"), 0) << loc;
    EXPECT_EQ(evutil_ascii_strncasecmp("I", "i", 1), 0) << loc;
    EXPECT_NE(evutil_ascii_strcasecmp("\xc9", "\xe9"), 0) << loc;
  }
  setlocale(LC_CTYPE, saved.c_str());
}

TEST(AsciiStrncasecmp, StopsAfterNOrAtTheEnd) {
  EXPECT_EQ(evutil_ascii_strncasecmp("abcX", "ABCY", 3), 0);
  EXPECT_EQ(evutil_ascii_strncasecmp("abcX", "ABCY", 4), -1);
  EXPECT_EQ(evutil_ascii_strncasecmp("abcY", "ABCX", 4), 1);
  EXPECT_EQ(evutil_ascii_strncasecmp("abc", "ABC", 100), 0);
  EXPECT_EQ(evutil_ascii_strncasecmp("ab", "ABC", 100), -1);
  EXPECT_EQ(evutil_ascii_strncasecmp("x", "y", 0), 0);
  EXPECT_EQ(evutil_ascii_strncasecmp("\xe9", "a", 1), -1);
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
TEST(AsciiStrcasecmp, NullStrings) {
  // libevent dereferences them; vigil orders NULL before every string.
  EXPECT_EQ(evutil_ascii_strcasecmp(nullptr, nullptr), 0);
  EXPECT_LT(evutil_ascii_strcasecmp(nullptr, ""), 0);
  EXPECT_GT(evutil_ascii_strcasecmp("", nullptr), 0);
  EXPECT_LT(evutil_ascii_strncasecmp(nullptr, "a", 1), 0);
  EXPECT_EQ(evutil_ascii_strncasecmp(nullptr, "a", 0), 0);
  EXPECT_EQ(evutil_snprintf(nullptr, 4, "x"), -1);
  errno = 0;
  char* end = reinterpret_cast<char*>(1);
  EXPECT_EQ(evutil_strtoll(nullptr, &end, 10), 0);
  EXPECT_EQ(end, nullptr);
}
#endif

// --------------------------------------------------------------- date_rfc1123 ----

TEST(DateRfc1123, FormatsTheGivenTime) {
  char buf[64];
  struct tm t = make_tm(1994, 10, 6, 8, 49, 37, 0);
  EXPECT_EQ(evutil_date_rfc1123(buf, sizeof buf, &t), 29);
  EXPECT_STREQ(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
  t = make_tm(2024, 1, 29, 23, 59, 60, 4);
  EXPECT_EQ(evutil_date_rfc1123(buf, sizeof buf, &t), 29);
  EXPECT_STREQ(buf, "Thu, 29 Feb 2024 23:59:60 GMT");
  const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int m = 0; m < 12; ++m) {
    t = make_tm(2000, m, 1, 0, 0, 0, m % 7);
    ASSERT_EQ(evutil_date_rfc1123(buf, sizeof buf, &t), 29);
    EXPECT_EQ(std::string(buf).substr(0, 3), days[m % 7]);
    EXPECT_EQ(std::string(buf).substr(8, 3), months[m]);
  }
}

TEST(DateRfc1123, FieldsArePrintedAsTheyAre) {
  // No normalisation: the numbers are printed with %02d / %4d.
  char buf[64];
  struct tm t = make_tm(999, 0, 99, 25, 61, 7, 1);
  EXPECT_EQ(evutil_date_rfc1123(buf, sizeof buf, &t), 29);
  EXPECT_STREQ(buf, "Mon, 99 Jan  999 25:61:07 GMT");
  t = make_tm(12345, 11, 1, 0, 0, 0, 6);
  EXPECT_EQ(evutil_date_rfc1123(buf, sizeof buf, &t), 30);
  EXPECT_STREQ(buf, "Sat, 01 Dec 12345 00:00:00 GMT");
  t = make_tm(2000, 0, -1, 0, 0, 0, 0);
  EXPECT_EQ(evutil_date_rfc1123(buf, sizeof buf, &t), 29);
  EXPECT_STREQ(buf, "Sun, -1 Jan 2000 00:00:00 GMT");
}

TEST(DateRfc1123, SmallBuffers) {
  char buf[16];
  struct tm t = make_tm(1994, 10, 6, 8, 49, 37, 0);
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(evutil_date_rfc1123(buf, 10, &t), 29);  // like snprintf: the full length
  EXPECT_STREQ(buf, "Sun, 06 N");
  EXPECT_EQ(buf[10], 'x');
  memset(buf, 'x', sizeof buf);
  EXPECT_EQ(evutil_date_rfc1123(buf, 0, &t), 0);  // evutil_snprintf's 0 for no room
  EXPECT_EQ(buf[0], 'x');
}

TEST(DateRfc1123, NullMeansNow) {
  char buf[64];
  const time_t before = time(nullptr);
  ASSERT_EQ(evutil_date_rfc1123(buf, sizeof buf, nullptr), 29);
  const time_t after = time(nullptr);
  struct tm parsed;
  memset(&parsed, 0, sizeof parsed);
  const char* rest = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &parsed);
  ASSERT_NE(rest, nullptr) << buf;
  EXPECT_EQ(*rest, '\0') << buf;
  const time_t when = timegm(&parsed);
  EXPECT_GE(when, before);
  EXPECT_LE(when, after);
}

#ifndef VIGIL_TEST_AGAINST_SYSTEM_LIBEVENT
TEST(DateRfc1123, OutOfRangeNamesAreRefused) {
  // libevent would index its day and month tables with these.
  char buf[64] = "untouched";
  struct tm t = make_tm(2000, 0, 1, 0, 0, 0, 7);
  EXPECT_EQ(evutil_date_rfc1123(buf, sizeof buf, &t), -1);
  t = make_tm(2000, 12, 1, 0, 0, 0, 0);
  EXPECT_EQ(evutil_date_rfc1123(buf, sizeof buf, &t), -1);
  t = make_tm(2000, -1, 1, 0, 0, 0, -1);
  EXPECT_EQ(evutil_date_rfc1123(buf, sizeof buf, &t), -1);
  EXPECT_STREQ(buf, "untouched");
}
#endif
