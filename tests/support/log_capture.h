// Captures the event log for the life of the object: every test suite uses it to
// check that a failing call said why. Plain C++ over the public API, so it also
// builds against the system libevent for the oracle runs.
#pragma once

#include <event2/event.h>

#include <string>
#include <vector>

namespace vigil_test {

struct LogLine {
  int severity;
  std::string msg;
};

// Installs a log callback for its lifetime and records every message.
class LogCapture {
 public:
  LogCapture() {
    lines().clear();
    event_set_log_callback(&LogCapture::on_log);
  }
  ~LogCapture() {
    event_set_log_callback(nullptr);
    lines().clear();
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  static std::vector<LogLine>& lines() {
    static std::vector<LogLine> v;
    return v;
  }
  void clear() { lines().clear(); }
  size_t size() const { return lines().size(); }
  // True when some message contains `needle` (and has `severity`, if >= 0).
  bool has(const std::string& needle, int severity = -1) const {
    for (const auto& l : lines())
      if (l.msg.find(needle) != std::string::npos && (severity < 0 || l.severity == severity))
        return true;
    return false;
  }
  size_t count(int severity) const {
    size_t n = 0;
    for (const auto& l : lines())
      if (l.severity == severity) ++n;
    return n;
  }
  std::string dump() const {
    std::string s;
    for (const auto& l : lines()) s += "[" + std::to_string(l.severity) + "] " + l.msg + "\n";
    return s.empty() ? std::string("<no log messages>") : s;
  }

 private:
  static void on_log(int severity, const char* msg) {
    lines().push_back({severity, msg ? msg : ""});
  }
};

}  // namespace vigil_test
