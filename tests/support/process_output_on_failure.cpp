// When an assertion fails, show what the test's child processes printed: the reason is usually there.
#include "support/process.hpp"

// Listener base classes are only declared with external interfaces enabled.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include <iostream>

namespace liveproxy::test {
namespace {

/// Dumps the live processes' output once per test case, at its first failed assertion.
class process_output_on_failure : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;

  void testCaseStarting(Catch::TestCaseInfo const& info) override {
    TestEventListenerBase::testCaseStarting(info);
    dumped_ = false;
  }

  bool assertionEnded(Catch::AssertionStats const& stats) override {
    // Runs before a failed REQUIRE unwinds the test, so the processes are still alive here.
    if (!stats.assertionResult.succeeded() && !dumped_) {
      dumped_ = true;
      dump_live_process_outputs(std::cerr);
    }
    return TestEventListenerBase::assertionEnded(stats);
  }

 private:
  bool dumped_ = false;
};

}  // namespace

CATCH_REGISTER_LISTENER(process_output_on_failure)

// Referenced from process.cpp: an object in a static library is linked only if something uses it.
extern const bool process_output_on_failure_linked = true;

}  // namespace liveproxy::test
