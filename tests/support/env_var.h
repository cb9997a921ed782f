// Scoped environment variables, shared by the suites that check how libevent reads
// EVENT_* variables. Plain POSIX, so it builds for the oracle runs too.
#pragma once

#include <cstdlib>
#include <string>

namespace vigil_test {

// Sets or unsets an environment variable for its lifetime, restoring it after.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    const char* old = getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~EnvVar() {
    if (had_)
      setenv(name_.c_str(), old_.c_str(), 1);
    else
      unsetenv(name_.c_str());
  }
  EnvVar(const EnvVar&) = delete;
  EnvVar& operator=(const EnvVar&) = delete;

 private:
  std::string name_;
  std::string old_;
  bool had_ = false;
};

}  // namespace vigil_test
