// Each part reports to the same sink with paths relative to its own roots, so nothing downstream knows.
#include "watcher/split_backend.hpp"

namespace liveproxy::watcher {
namespace {

class split_backend final : public backend {
 public:
  split_backend(std::unique_ptr<backend> native, std::unique_ptr<backend> polled, std::string polled_roots)
      : native_(std::move(native)), polled_(std::move(polled)), polled_roots_(std::move(polled_roots)) {}

  void start() override {}  // the parts are started by the factory, each with its own fallbacks
  void stop() override {
    if (native_) native_->stop();
    if (polled_) polled_->stop();
  }
  void watch_extra_files(const std::vector<std::filesystem::path>& files) override {
    // Extra files (a traceback's, the config file) are usually local: the native part watches them.
    (native_ ? native_ : polled_)->watch_extra_files(files);
  }
  void read_now() override {
    native_->read_now();
    polled_->read_now();
  }
  std::string name() const override {
    return native_->name() + "; " + polled_->name() + " for " + polled_roots_;
  }

 private:
  std::unique_ptr<backend> native_;
  std::unique_ptr<backend> polled_;
  std::string polled_roots_;
};

}  // namespace

std::unique_ptr<backend> make_split_backend(std::unique_ptr<backend> native, std::unique_ptr<backend> polled,
                                            std::string polled_roots) {
  if (!native) return polled;
  if (!polled) return native;
  return std::make_unique<split_backend>(std::move(native), std::move(polled), std::move(polled_roots));
}

}  // namespace liveproxy::watcher
