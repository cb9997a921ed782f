// A program-wide descriptor-leak check for suites made of plain TEST()s: including this
// header registers a gtest environment that records the open descriptors before the
// first test and fails the run if the set differs after the last. ctest runs every
// test in a process of its own, so there the check is per test.
#pragma once

#include <gtest/gtest.h>

#include "fds.h"

namespace vigil_test {

class FdLeakCheck : public ::testing::Environment {
 public:
  void SetUp() override { before_ = open_fds(); }
  void TearDown() override {
    const std::vector<int> after = open_fds();
    EXPECT_EQ(after, before_) << "open before:" << describe_fds(before_) << "\nopen after:" << describe_fds(after);
  }

 private:
  std::vector<int> before_;
};

inline ::testing::Environment* const kFdLeakCheck = ::testing::AddGlobalTestEnvironment(new FdLeakCheck);

}  // namespace vigil_test
