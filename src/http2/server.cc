#include "meshd/http2/server.h"

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "http2/server_session_internal.h"
#include "http2/server_upgrade_internal.h"
#include "meshd/core/log.h"
#include "meshd/core/spawn.h"

namespace meshd::http2 {

/// The connection before and after it speaks HTTP/2: the stream until detection hands it to
/// the session.
struct ServerConnection::Impl {
  Impl(transport::StreamPtr s, HttpServiceSharedPtr svc, const ServerOptions& opts,
       transport::DrainGroup& group, bool h2)
      : stream(std::move(s)),
        service(std::move(svc)),
        options(opts),
        drain_group(group),
        alpn_h2(h2) {}

  /// Detects the protocol, then serves HTTP/2 until the connection ends. `self` keeps the
  /// connection (and its drain-group entry) alive meanwhile.
  static asio::awaitable<void> run(std::shared_ptr<ServerConnection> self);
  /// Detection: the first bytes, then the preface or the HTTP/1.1 request.
  asio::awaitable<ServerDetection> detect();

  transport::StreamPtr stream;  ///< null once the session owns it
  HttpServiceSharedPtr service;
  const ServerOptions& options;
  transport::DrainGroup& drain_group;
  const bool alpn_h2;
  std::shared_ptr<ServerSession> session;
  std::chrono::steady_clock::time_point accepted = std::chrono::steady_clock::now();
  bool got_bytes = false;
  bool draining = false;
};

ServerConnection::ServerConnection(transport::StreamPtr stream, HttpServiceSharedPtr service,
                                   const ServerOptions& options, transport::DrainGroup& drain_group,
                                   bool alpn_h2)
    : impl_(std::make_shared<Impl>(std::move(stream), std::move(service), options, drain_group,
                                   alpn_h2)) {
  impl_->drain_group.add(this);
  if (impl_->options.hooks.on_connection) {
    impl_->options.hooks.on_connection(1);
  }
}

ServerConnection::~ServerConnection() {
  if (impl_->options.hooks.on_connection) {
    impl_->options.hooks.on_connection(-1);
  }
  impl_->drain_group.remove(this);
}

void ServerConnection::start() {
  impl_->draining = impl_->drain_group.draining();
  // The stream was created on this worker; the coroutine holds the connection through `self`.
  spawn(impl_->stream->socket().get_executor(), Impl::run(shared_from_this()), "http2-server");
}

void ServerConnection::drain() noexcept {
  Impl& impl = *impl_;
  impl.draining = true;
  if (impl.session) {
    impl.session->drain();
  } else if (impl.stream && !impl.got_bytes) {
    impl.stream->close();  // idle: nothing was asked yet
  }
}

void ServerConnection::tick(std::chrono::steady_clock::time_point now) noexcept {
  Impl& impl = *impl_;
  if (impl.session) {
    impl.session->tick(now);
    return;
  }
  const auto limit = impl.options.preface_timeout;
  if (impl.stream && limit.count() > 0 && now - impl.accepted >= limit) {
    log::get("http2")->debug("no request in time peer={}",
                             impl.stream->remote_endpoint().address().to_string());
    impl.stream->close();
  }
}

asio::awaitable<ServerDetection> ServerConnection::Impl::detect() {
  // Not zero-filled (16 KB per connection): only the bytes read are used, copied out below.
  constexpr std::size_t kFirstRead = 16 * 1024;
  auto buf = std::make_unique_for_overwrite<char[]>(kFirstRead);
  auto n = co_await stream->read_some(asio::buffer(buf.get(), kFirstRead));
  if (!n) {
    co_return ServerDetection{};
  }
  got_bytes = true;
  std::string first(buf.get(), *n);
  buf.reset();
  co_return co_await detect_protocol(*stream, options, std::move(first));
}

asio::awaitable<void> ServerConnection::Impl::run(std::shared_ptr<ServerConnection> self) {
  Impl& impl = *self->impl_;
  if (impl.draining) {
    impl.stream->close();
    co_return;
  }
  ServerDetection d;
  if (impl.alpn_h2) {
    d.kind = ServerDetection::Kind::PriorKnowledge;  // nghttp2 checks the preface
  } else {
    d = co_await impl.detect();
  }
  if (d.kind == ServerDetection::Kind::Done) {
    impl.stream->close();
    co_return;
  }
  auto session =
      std::make_shared<ServerSession>(std::move(impl.stream), impl.service, impl.options);
  if (!session->init()) {
    log::get("http2")->error("cannot create an nghttp2 session");
    co_return;  // the session's destructor closes the stream
  }
  std::string preamble;
  if (d.kind == ServerDetection::Kind::Upgrade) {
    if (!session->upgrade(d.settings, std::move(d.request), d.head)) {
      co_return;  // the session's destructor closes the stream
    }
    preamble = kSwitchingProtocols;
  }
  impl.session = session;
  if (impl.draining) {
    session->drain();
  }
  co_await ServerSession::run(session, std::move(preamble), std::move(d.initial));
}

}  // namespace meshd::http2
