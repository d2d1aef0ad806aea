#include "meshd/app/linker.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "app/naming_setup.h"
#include "app/worker.h"
#include "meshd/admin/admin_service.h"
#include "meshd/admin/dashboard.h"
#include "meshd/admin/delegator.h"
#include "meshd/config/to_json.h"
#include "meshd/core/log.h"
#include "meshd/core/spawn.h"
#include "meshd/router/client_state.h"
#include "meshd/router/stats.h"
#include "meshd/telemetry/per_worker.h"
#include "meshd/telemetry/registry.h"
#include "meshd/trace/trace.h"
#include "meshd/http2/server.h"
#include "meshd/transport/tls_server.h"

namespace meshd::app {
namespace {

using tcp = asio::ip::tcp;

/// Tests and demos set MESHD_LIVE_HISTOGRAMS=1 to see histograms before the first one-minute
/// snapshot (Linkerd serves snapshots only).
bool live_histograms() {
  const char* v = std::getenv("MESHD_LIVE_HISTOGRAMS");
  return v != nullptr && std::string_view(v) == "1";
}

/// The sinks of the `telemetry` entries that take spans, and the recentRequests ring if any.
/// nullopt (after printing why) when one cannot be made.
std::optional<std::vector<std::shared_ptr<trace::Sink>>> make_sinks(
    const config::Config& config, telemetry::Registry& registry,
    std::shared_ptr<trace::RecentRequests>& recent) {
  std::vector<std::shared_ptr<trace::Sink>> sinks;
  for (const auto& t : config.telemetry) {
    std::shared_ptr<trace::Sink> sink;
    if (const auto* z = std::get_if<config::ZipkinTelemeterConfig>(&t.settings)) {
      sink = trace::make_zipkin_scribe_sink(z->host.value, z->port.value, z->sample_rate.value,
                                            &registry);
    } else if (const auto* h = std::get_if<config::ZipkinHttpTelemeterConfig>(&t.settings)) {
      sink = trace::make_zipkin_http_sink(h->host.value, h->host_header.value,
                                          h->compression_enabled.value,
                                          h->initial_sample_rate.value, &registry);
    } else if (const auto* l = std::get_if<config::TraceLogTelemeterConfig>(&t.settings)) {
      sink = trace::make_trace_log_sink(l->sample_rate.value, l->level.value);
    } else if (const auto* r = std::get_if<config::RecentRequestsTelemeterConfig>(&t.settings)) {
      recent = std::make_shared<trace::RecentRequests>(r->sample_rate.value,
                                                       static_cast<std::size_t>(r->capacity.value));
      sink = recent;
    } else {
      continue;  // not a tracer (io.l5d.prometheus)
    }
    if (!sink) {  // config::load checks these values; this is a safety net
      std::cerr << "meshd: " << t.pos.path << ": cannot create telemeter " << t.kind.value << "\n";
      return std::nullopt;
    }
    sinks.push_back(std::move(sink));
  }
  return sinks;
}

std::vector<std::string> values(const config::StringList& list) {
  std::vector<std::string> out;
  for (const auto& item : list) {
    out.push_back(item.value);
  }
  return out;
}

/// The compiled `admin.security` filter, or nullopt after printing what was wrong.
std::optional<admin::SecurityFilter> admin_security(const config::AdminSecurityConfig& s) {
  admin::SecurityOptions security;
  security.ui_enabled = s.ui_enabled.value;
  security.control_enabled = s.control_enabled.value;
  security.diagnostics_enabled = s.diagnostics_enabled.value;
  security.path_whitelist = values(s.path_whitelist);
  security.path_blacklist = values(s.path_blacklist);
  std::vector<std::string> errors;
  auto filter = admin::SecurityFilter::compile(security, errors);
  for (const auto& e : errors) {
    std::cerr << "meshd: admin.security." << e << "\n";
  }
  return filter;
}

/// The TLS context of a server `tls` object (files loaded, advertising `alpn`), or null after
/// printing every problem prefixed by `where` (`admin.tls.`).
std::shared_ptr<transport::TlsServerContext> server_tls(const config::ServerTlsConfig& t,
                                                        const std::string& where,
                                                        std::vector<std::string> alpn) {
  transport::TlsServerOptions tls;
  tls.cert_path = t.cert_path.value;
  tls.key_path = t.key_path.value;
  tls.intermediate_certs_path = t.intermediate_certs_path.value;
  tls.ca_cert_path = t.ca_cert_path.value;
  tls.require_client_auth = t.require_client_auth.value;
  tls.ciphers = values(t.ciphers);
  tls.protocols = values(t.protocols);
  tls.alpn = std::move(alpn);
  std::vector<std::string> errors;
  auto context = transport::TlsServerContext::create(std::move(tls), errors);
  for (const auto& e : errors) {
    std::cerr << "meshd: " << where << e << "\n";
  }
  return context;
}

/// The HTTP/2 settings of an h2 router's server (inventory §13; the codec's defaults unless
/// written).
http2::ServerOptions h2_server_options(const config::ServerConfig& sc) {
  http2::ServerOptions o;
  http2::Settings& s = o.settings;
  s.max_concurrent_streams = static_cast<std::uint32_t>(sc.max_concurrent_streams_per_connection.value);
  const config::H2SettingsConfig& h = sc.h2;
  if (h.initial_stream_window_bytes.value) {
    s.initial_stream_window = static_cast<std::uint32_t>(*h.initial_stream_window_bytes.value);
  }
  if (h.window_update_ratio.value) {
    s.window_update_ratio = *h.window_update_ratio.value;
  }
  if (h.header_table_bytes.value) {
    s.header_table_bytes = static_cast<std::uint32_t>(*h.header_table_bytes.value);
  }
  if (h.max_frame_bytes.value) {
    s.max_frame_bytes = static_cast<std::uint32_t>(*h.max_frame_bytes.value);
  }
  if (h.max_header_list_bytes.value) {
    s.max_header_list_bytes = static_cast<std::uint32_t>(*h.max_header_list_bytes.value);
  }
  return o;
}

std::size_t worker_count(const config::Config& config) {
  if (config.workers.value > 0) {
    return static_cast<std::size_t>(config.workers.value);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

class LinkerImpl final : public Linker {
 public:
  LinkerImpl(const config::Config& config)
      : config_(config),
        registry_(telemetry::Registry::Options{worker_count(config), live_histograms()}) {}

  ~LinkerImpl() override {
    // The admin handlers hold interpreters (and so the naming state); only the admin
    // connections still pending in `control_` may keep the service past this point, and they
    // go while `control_` is destroyed, which is safe for the timers they release.
    admin_.reset();
  }
  LinkerImpl(const LinkerImpl&) = delete;
  LinkerImpl& operator=(const LinkerImpl&) = delete;

  bool init();
  int run() override;
  void shutdown(std::chrono::milliseconds grace) override;

 private:
  bool build_router(const config::RouterConfig& rc);
  bool build_server(const config::RouterConfig& rc, std::size_t router_index,
                    const config::ServerConfig& sc);
  bool build_admin();
  void start_signals();
  void start_snapshots();
  void start_ticks(Worker& worker);
  void worker_drained();
  void finish();

  // Destruction runs bottom-up: everything the control thread's pending coroutine frames refer
  // to is declared above `control_`, which owns those frames. The naming state (namers, dtab
  // files, the resolver) owns timers and watches on `control_`, so every holder of it (naming_,
  // the workers' routers; admin_ is reset by the destructor) goes before `control_` does.
  config::Config config_;
  telemetry::Registry registry_;
  std::vector<telemetry::GaugeSharedPtr> access_log_gauges_;
  std::vector<std::unique_ptr<router::RouterStats>> router_stats_;
  std::vector<std::unique_ptr<router::ServerStats>> server_stats_;
  std::vector<admin::ListenerInfo> listeners_;
  std::shared_ptr<admin::AdminService> admin_;
  http1::ServerOptions admin_options_;
  transport::DrainGroup admin_drain_;
  asio::io_context control_{1};
  // The telemeters send from `control_` (sockets, timers): they go before it, like the naming
  // state. The workers' routers hold them too, and go first.
  std::shared_ptr<trace::RecentRequests> recent_requests_;
  std::shared_ptr<trace::Tracer> tracer_;
  std::unique_ptr<Naming> naming_;
  std::vector<std::unique_ptr<Worker>> workers_;  // each destroys its own io_context first
  std::shared_ptr<transport::Listener> admin_listener_;
  std::optional<asio::signal_set> signals_;
  std::optional<asio::steady_timer> grace_timer_;
  std::optional<asio::steady_timer> snapshot_timer_;
  std::atomic<bool> shutting_down_{false};
  std::size_t workers_busy_ = 0;
  bool finished_ = false;
};

bool LinkerImpl::init() {
  std::vector<std::string> errors;
  naming_ = start_naming(config_, control_, registry_, errors);
  if (!naming_) {
    for (const auto& e : errors) {
      std::cerr << e << "\n";
    }
    return false;
  }
  auto sinks = make_sinks(config_, registry_, recent_requests_);
  if (!sinks) {
    return false;
  }
  tracer_ = std::make_shared<trace::Tracer>(std::move(*sinks));
  std::size_t n = worker_count(config_);
  for (std::size_t i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Worker>(i));
  }
  for (const auto& rc : config_.routers) {
    if (!build_router(rc)) {
      return false;
    }
  }
  return build_admin();
}

bool LinkerImpl::build_router(const config::RouterConfig& rc) {
  auto options = std::make_shared<router::RouterOptions>();
  options->label = rc.label.value;
  options->h2 = rc.protocol.value == "h2";
  options->pool.h2 = options->h2;
  options->base_dtab = rc.dtab.value.parsed;
  options->identifiers = router::make_identifiers(rc, naming_->identifiers);
  options->bind = naming_->routers[static_cast<std::size_t>(&rc - config_.routers.data())].bind;
  options->generation = naming_->generation;
  options->binding_timeout = rc.binding_timeout.value;
  options->cache.paths = static_cast<std::size_t>(rc.binding_cache.paths.value);
  options->cache.clients = static_cast<std::size_t>(rc.binding_cache.clients.value);
  options->cache.idle_ttl = rc.binding_cache.idle_ttl.value;
  options->max_header_bytes = static_cast<std::size_t>(rc.max_headers_kb.value) * 1024;
  options->pool.limits = {static_cast<std::size_t>(rc.max_initial_line_kb.value) * 1024,
                          options->max_header_bytes};
  options->retry_buffer_bytes =
      static_cast<std::size_t>(rc.stream_after_content_length_kb.value) * 1024;
  std::vector<std::string> policy_errors;
  options->policies = std::make_shared<const router::PolicyTable>(
      router::PolicyTable::from_config(rc, &policy_errors));
  for (const auto& e : policy_errors) {
    std::cerr << "meshd: " << e << "\n";
  }
  if (!policy_errors.empty()) {
    return false;
  }
  options->workers = workers_.size();
  options->propagator = trace::make_propagator(rc.trace_propagator.value);
  options->tracer = tracer_;
  if (rc.access_log.path.present) {
    std::string error;
    telemetry::AccessLog::Options log;
    log.path = rc.access_log.path.value;
    log.policy = *telemetry::parse_roll_policy(rc.access_log.roll_policy.value, &error);
    log.append = rc.access_log.append.value;
    log.rotate_count = rc.access_log.rotate_count.value;
    auto opened = telemetry::AccessLog::open(std::move(log), &error);
    if (!opened) {
      std::cerr << "meshd: " << rc.access_log.path.pos.path << ": " << error << "\n";
      return false;
    }
    options->access_log = std::move(*opened);
    // meshd's own: lines the writer could not keep up with (or failed to write).
    access_log_gauges_.push_back(registry_.gauge(
        {"rt", rc.label.value, "access_log", "dropped"},
        [log = options->access_log] { return static_cast<double>(log->dropped()); }));
  }
  router_stats_.push_back(
      std::make_unique<router::RouterStats>(registry_.scope({"rt", rc.label.value}), options->h2));
  std::size_t router_index = router_stats_.size() - 1;
  for (auto& w : workers_) {
    w->routers.push_back(std::make_unique<router::RouterWorker>(options, *router_stats_.back()));
  }
  for (const auto& sc : rc.servers) {
    if (!build_server(rc, router_index, sc)) {
      return false;
    }
  }
  return true;
}

bool LinkerImpl::build_server(const config::RouterConfig& rc, std::size_t router_index,
                              const config::ServerConfig& sc) {
  const bool h2 = rc.protocol.value == "h2";
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(sc.ip.value, ec);
  tcp::endpoint ep(ip, static_cast<unsigned short>(sc.port.value));
  std::shared_ptr<transport::TlsServerContext> tls;
  if (sc.tls) {
    // One context for all workers (thread-safe); it re-reads changed certificate files.
    // Linkerd's h2 servers advertise ALPN `h2` only.
    tls = server_tls(*sc.tls, sc.pos.path + ".tls.",
                     h2 ? std::vector<std::string>{"h2"} : std::vector<std::string>{"http/1.1"});
    if (!tls) {
      return false;
    }
  }
  router::ServerSettings settings;
  settings.clear_context = sc.clear_context.value;
  settings.max_concurrent_requests = sc.max_concurrent_requests.value;
  // Bind the first worker's acceptor before the others: with port 0 the OS picks the port and
  // the other workers share it, and the stats scope names the port actually served.
  std::vector<asio::ip::tcp::acceptor> acceptors;
  for (auto& w : workers_) {
    auto acceptor = transport::open_acceptor(w->io, ep);
    if (!acceptor) {
      std::cerr << "meshd: " << sc.pos.path << ": cannot listen on " << sc.ip.value << ":"
                << ep.port() << ": " << acceptor.error().message() << "\n";
      return false;
    }
    ep.port(acceptor->local_endpoint().port());
    acceptors.push_back(std::move(*acceptor));
  }
  std::string scope = sc.ip.value + "/" + std::to_string(ep.port());
  settings.label = scope;
  server_stats_.push_back(std::make_unique<router::ServerStats>(
      registry_.scope({"rt", rc.label.value, "server", scope})));
  router::ServerStats& stats = *server_stats_.back();
  if (h2) {
    stats.enable_streams();
  }
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    Worker* worker = workers_[i].get();
    auto service =
        std::make_shared<router::ServerService>(*worker->routers[router_index], settings, stats);
    auto& options = worker->server_options.emplace_back();
    options.limits = {static_cast<std::size_t>(rc.max_initial_line_kb.value) * 1024,
                      static_cast<std::size_t>(rc.max_headers_kb.value) * 1024};
    options.on_connection = [&stats](int delta) {
      stats.connections->add(delta);
      if (delta > 0) {
        stats.connects->incr();
      }
    };
    transport::Listener::Handler serve = [worker, service, &options](transport::StreamPtr stream) {
      std::make_shared<http1::ServerConnection>(std::move(stream), service, options, worker->drain)
          ->start();
    };
    if (h2) {
      auto& h2_options = worker->h2_server_options.emplace_back(h2_server_options(sc));
      h2_options.hooks.on_connection = options.on_connection;
      // h2 only: streams open now, and connections ended for abuse or protocol errors.
      auto h2_scope = registry_.scope({"rt", rc.label.value, "server", scope, "h2"});
      h2_options.hooks.on_stream = [g = h2_scope.gauge("open_streams")](int delta) {
        g->add(delta);
      };
      h2_options.hooks.on_protocol_error = [c = h2_scope.counter("protocol_errors")](
                                               std::string_view reason) {
        c->incr();
        log::get("http2")->info("h2 connection closed for a protocol error: {}", reason);
      };
      h2_options.allow_upgrade = !tls;
      serve = [worker, service, &h2_options](transport::StreamPtr stream) {
        // Over TLS, ALPN `h2` means the preface follows at once.
        auto* tls_stream = dynamic_cast<transport::TlsStream*>(stream.get());
        const bool alpn_h2 = tls_stream != nullptr && tls_stream->alpn() == "h2";
        std::make_shared<http2::ServerConnection>(std::move(stream), service, h2_options,
                                                  worker->drain, alpn_h2)
            ->start();
      };
    }
    if (tls) {
      serve = transport::tls_accept_handler(tls, transport::kDefaultTlsHandshakeTimeout,
                                            std::move(serve));
    }
    auto listener =
        std::make_shared<transport::Listener>(std::move(acceptors[i]), std::move(serve));
    worker->services.push_back(service);
    worker->listeners.push_back(listener);
  }
  listeners_.push_back({rc.label.value, sc.ip.value, ep.port()});
  log::get("app")->info("router listening router={} addr={}:{}", rc.label.value, sc.ip.value,
                        ep.port());
  return true;
}

/// An admin response computed before the handler returns.
asio::awaitable<http::Response> ready_response(http::Response rsp) { co_return rsp; }

bool LinkerImpl::build_admin() {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(config_.admin.ip.value, ec);
  tcp::endpoint ep(ip, static_cast<unsigned short>(config_.admin.port.value));
  auto acceptor = transport::open_acceptor(control_, ep);
  if (!acceptor) {
    std::cerr << "meshd: admin: cannot listen on " << config_.admin.ip.value << ":" << ep.port()
              << ": " << acceptor.error().message() << "\n";
    return false;
  }
  ep.port(acceptor->local_endpoint().port());
  listeners_.push_back({"admin", config_.admin.ip.value, ep.port()});
  admin::AdminService::Options opts;
  opts.shutdown_grace = config_.admin.shutdown_grace.value;
  opts.on_shutdown = [this](std::chrono::milliseconds grace) { shutdown(grace); };
  opts.ready = [this] { return !shutting_down_.load() && naming_->synced(); };
  opts.listeners = [this] { return listeners_; };
  opts.config_json = [this] { return boost::json::serialize(config::to_json(config_)); };
  bool prometheus = false;
  for (const auto& t : config_.telemetry) {
    const auto* p = std::get_if<config::PrometheusTelemeterConfig>(&t.settings);
    if (p == nullptr) {
      continue;
    }
    if (prometheus) {
      log::get("app")->warn("{}: only the first io.l5d.prometheus telemeter is served", t.pos.path);
      continue;
    }
    prometheus = true;
    opts.prometheus_path = p->path.value;
    opts.prometheus_prefix = p->prefix.value;
  }
  if (recent_requests_) {
    opts.handlers["/requests.json"] = [recent = recent_requests_](const admin::AdminRequest&) {
      return ready_response(http::Response::text(200, recent->to_json(), "application/json"));
    };
  }
  admin::AdminHandler client_state = [this](const admin::AdminRequest&) {
    std::vector<const router::RouterStats*> routers;
    for (const auto& r : router_stats_) {
      routers.push_back(r.get());
    }
    return ready_response(
        http::Response::text(200, router::client_state_json(routers), "application/json"));
  };
  opts.handlers["/client_state.json"] = client_state;
  opts.handlers["/admin/client_state.json"] = client_state;
  admin::DelegatorOptions delegator;
  delegator.interpreter =
      [this](std::string_view label) -> std::shared_ptr<const naming::Interpreter> {
    for (std::size_t i = 0; i < config_.routers.size(); ++i) {
      if (config_.routers[i].label.value == label) {
        return naming_->routers[i].interpreter;
      }
    }
    return nullptr;
  };
  delegator.namers_only = naming_->namers_only;
  opts.handlers["/delegator.json"] = admin::delegator_json_handler(std::move(delegator));
  for (const auto& [path, state] : naming_->namer_states) {
    opts.handlers[path] = [state](const admin::AdminRequest&) {
      return ready_response(http::Response::text(200, state(), "application/json"));
    };
  }
  opts.handlers["/delegator"] = admin::delegator_page_handler();
  if (config_.admin.security.present) {
    opts.security = admin_security(config_.admin.security);
    if (!opts.security) {
      return false;
    }
  }
  admin::DashboardOptions ui;
  for (const auto& r : config_.routers) {
    ui.routers.push_back(r.label.value);
  }
  ui.paths = [this] { return admin_->paths(); };
  if (recent_requests_) {
    ui.requests_json_path = "/requests.json";
  }
  for (auto& [path, handler] : admin::dashboard_handlers(std::move(ui))) {
    opts.handlers[path] = std::move(handler);
  }
  opts.handlers["/bound-names.json"] = admin::bound_names_handler([this] {
    std::vector<std::string> names;
    for (const auto& namer : naming_->namers) {
      for (const auto& id : namer->enumerate()) {
        names.push_back(id.show());
      }
    }
    return names;
  });
  admin_ = std::make_shared<admin::AdminService>(registry_, std::move(opts));
  transport::Listener::Handler serve = [this](transport::StreamPtr stream) {
    std::make_shared<http1::ServerConnection>(std::move(stream), admin_, admin_options_,
                                              admin_drain_)
        ->start();
  };
  if (config_.admin.tls) {
    auto context = server_tls(*config_.admin.tls, "admin.tls.", {"http/1.1"});
    if (!context) {
      return false;
    }
    serve = transport::tls_accept_handler(std::move(context),
                                          transport::kDefaultTlsHandshakeTimeout, std::move(serve));
  }
  admin_listener_ = std::make_shared<transport::Listener>(std::move(*acceptor), std::move(serve));
  log::get("app")->info("admin listening addr={}:{}", config_.admin.ip.value, ep.port());
  return true;
}

void LinkerImpl::start_signals() {
  signals_.emplace(control_, SIGINT, SIGTERM);
  signals_->async_wait([this](boost::system::error_code ec, int signo) {
    if (!ec) {
      log::get("app")->info("signal received signal={}", signo);
      shutdown(config_.admin.shutdown_grace.value);
    }
  });
}

void LinkerImpl::start_ticks(Worker& worker) {
  // Housekeeping a few times a second on each worker (client watches of slow requests).
  worker.tick_timer.expires_after(std::chrono::milliseconds(50));
  worker.tick_timer.async_wait([this, &worker](boost::system::error_code ec) {
    if (!ec) {
      auto now = std::chrono::steady_clock::now();
      worker.drain.tick(now);
      for (auto& r : worker.routers) {
        r->tick(now);
      }
      start_ticks(worker);
    }
  });
}

void LinkerImpl::start_snapshots() {
  // Linkerd serves histograms as snapshots taken every minute.
  snapshot_timer_.emplace(control_, std::chrono::seconds(60));
  snapshot_timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec) {
      registry_.snapshot_histograms();
      start_snapshots();
    }
  });
}

int LinkerImpl::run() {
  for (auto& w : workers_) {
    w->guard.emplace(w->io.get_executor());
    for (auto& l : w->listeners) {
      asio::post(w->io, [l] { l->start(); });
    }
    start_ticks(*w);
    w->thread = std::thread([worker = w.get()] {
      telemetry::set_worker_index(worker->index);
      worker->io.run();
    });
  }
  admin_listener_->start();
  tracer_->start(control_.get_executor());
  start_signals();
  start_snapshots();
  log::get("app")->info("meshd ready workers={} routers={}", workers_.size(),
                        config_.routers.size());
  control_.run();
  for (auto& w : workers_) {
    w->io.stop();
    if (w->thread.joinable()) {
      w->thread.join();
    }
  }
  log::get("app")->info("meshd stopped");
  return 0;
}

void LinkerImpl::shutdown(std::chrono::milliseconds grace) {
  asio::post(control_, [this, grace] {
    if (shutting_down_.exchange(true)) {
      return;
    }
    log::get("app")->info("draining grace_ms={}", grace.count());
    admin_listener_->stop();
    workers_busy_ = workers_.size();
    for (auto& w : workers_) {
      asio::post(w->io, [this, worker = w.get()] {
        for (auto& l : worker->listeners) {
          l->stop();
        }
        worker->drain.drain([this] { asio::post(control_, [this] { worker_drained(); }); });
      });
    }
    grace_timer_.emplace(control_, grace);
    grace_timer_->async_wait([this](boost::system::error_code ec) {
      if (!ec) {
        log::get("app")->warn("grace period over; closing remaining connections");
        finish();
      }
    });
  });
}

void LinkerImpl::worker_drained() {
  if (workers_busy_ > 0 && --workers_busy_ == 0) {
    finish();
  }
}

void LinkerImpl::finish() {
  if (finished_) {
    return;
  }
  finished_ = true;
  for (auto& w : workers_) {
    w->guard.reset();
    w->io.stop();
  }
  if (grace_timer_) {
    grace_timer_->cancel();
  }
  if (snapshot_timer_) {
    snapshot_timer_->cancel();
  }
  if (signals_) {
    signals_->cancel();
  }
  admin_drain_.drain({});
  tracer_->stop();
  control_.stop();
}

}  // namespace

std::unique_ptr<Linker> Linker::build(const config::Config& config) {
  auto linker = std::make_unique<LinkerImpl>(config);
  if (!linker->init()) {
    return nullptr;
  }
  return linker;
}

}  // namespace meshd::app
