// --upstream: the app is the user's; liveproxy forwards to it and follows its restarts.
#include "proxy/app/upstream_source.hpp"

#include "proxy/base/log.hpp"

namespace liveproxy {

upstream_source::upstream_source(net::any_io_executor ex, const config& cfg)
    : ex_(ex), url_(*cfg.upstream), grace_(cfg.upstream_grace) {
  tcp::resolver resolver(ex);
  error_code ec;
  for (const auto& r : resolver.resolve(url_.host, std::to_string(url_.port), ec))
    target_.endpoints.push_back(r.endpoint());
  if (ec || target_.endpoints.empty())
    throw std::runtime_error("--upstream " + url_.text() + ": cannot resolve " + url_.host + ": " + ec.message());
  target_.name = url_.text();
  if (url_.tls) {
    target_.tls = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
    target_.tls->set_default_verify_paths();  // the system's CAs (and SSL_CERT_FILE / SSL_CERT_DIR if set)
    target_.tls->set_verify_mode(cfg.upstream_insecure ? net::ssl::verify_none : net::ssl::verify_peer);
    target_.tls_host = url_.host;
  }
}

app_origin upstream_source::origin() const { return make_app_origin(url_.tls, url_.host, url_.port); }

void upstream_source::start(events e) {
  events_ = std::move(e);
  monitor_.emplace(ex_, upstream_monitor::options{target_.endpoints, url_.authority, url_.tls, grace_},
                   upstream_monitor::callbacks{
                       [this] {
                         if (monitor_->generation() == 0)
                           log::info("nothing answers at " + target_.name + " yet: holding requests until it does");
                         else
                           log::detail(target_.name + " is restarting: holding requests until it answers again");
                         if (events_.went_down) events_.went_down();
                       },
                       [this] {
                         if (events_.ready) events_.ready(monitor_->generation(), {});
                       },
                       [this] {
                         if (events_.stayed_up) events_.stayed_up();
                       }});
  monitor_->start();
}

void upstream_source::stop(bool, std::function<void()> done) {
  if (monitor_) monitor_->stop();
  net::post(ex_, std::move(done));  // nothing of ours to stop
}

void upstream_source::reconfigure(const config& next) {
  grace_ = next.upstream_grace;
  if (monitor_) monitor_->set_grace(grace_);
}

std::string upstream_source::describe() const { return target_.name + " (an app liveproxy does not start)"; }

app_failure upstream_source::failure(bool, std::optional<std::chrono::milliseconds>) const {
  app_failure info;
  if (monitor_ && !monitor_->up()) {
    info.cause_title = "Nothing answers at " + target_.name;
    info.cause = "liveproxy forwards to " + target_.name +
                 ", which does not accept connections now. Start your app there (or wait for its own reloader); "
                 "this page reloads by itself once it answers.";
  }
  return info;
}

}  // namespace liveproxy
