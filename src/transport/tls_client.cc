#include "meshd/transport/tls_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <utility>

#include "meshd/core/errc.h"
#include "meshd/core/log.h"
#include "meshd/core/timeout.h"
#include "transport/tls_files.h"

namespace meshd::transport {

using tcp = asio::ip::tcp;
using namespace detail;

/// What `TlsClientContextOptions` say about every context, worked out once by `create`.
struct TlsClientContext::Settings {
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  std::string alpn_wire;
};

namespace {

/// What a connection's new-session callback needs: where to keep the session, under which key.
/// Owned by the connection (freed with it); the context may be gone by the time a TLS 1.3
/// ticket arrives, hence the weak pointer.
struct SessionSink {
  std::weak_ptr<TlsClientContext> owner;
  std::string key;
};

void free_sink(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<SessionSink*>(ptr);
}

int sink_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_sink);
  return index;
}

/// Sets SNI (host names only, RFC 6066) and, when verifying, the identity the certificate must
/// carry: a DNS name, or an IP address for an IP literal.
bool set_peer_name(SSL* ssl, const std::string& name, bool verify, std::string& failure) {
  if (name.empty()) {
    return true;
  }
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(name, ec);
  if (!ec) {
    if (verify && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip.to_string().c_str()) != 1) {
      failure = take_openssl_error("cannot set the expected IP address");
      return false;
    }
    return true;
  }
  if (SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    failure = take_openssl_error("cannot set SNI " + quoted(name));
    return false;
  }
  if (verify && SSL_set1_host(ssl, name.c_str()) != 1) {
    failure = take_openssl_error("cannot set the expected host name " + quoted(name));
    return false;
  }
  return true;
}

}  // namespace

void TlsClientContext::SessionFree::operator()(ssl_session_st* s) const noexcept {
  SSL_SESSION_free(s);
}

std::shared_ptr<TlsClientContext> TlsClientContext::create(TlsClientContextOptions options,
                                                           std::vector<std::string>& errors) {
  const std::size_t errors_before = errors.size();
  if (options.cert_path.empty() != options.key_path.empty()) {
    errors.push_back(options.cert_path.empty() ? "clientAuth.certPath: required"
                                               : "clientAuth.keyPath: required");
  }
  if (!options.verify && !options.cert_path.empty()) {
    errors.push_back("clientAuth: cannot be used with disableValidation");
  }
  auto settings = std::make_unique<Settings>();
  parse_protocols(options.protocols, settings->min_version, settings->max_version, errors);
  settings->alpn_wire = alpn_wire(options.alpn, errors);
  if (errors.size() != errors_before) {
    return nullptr;
  }
  std::shared_ptr<TlsClientContext> context(
      new TlsClientContext(std::move(options), std::move(settings)));
  context->stamps_ = context->stat_files();
  std::string error;
  context->current_ = context->load(error);
  if (!context->current_) {
    errors.push_back(std::move(error));
    return nullptr;
  }
  context->next_check_ns_ =
      steady_now_ns() + std::chrono::nanoseconds(context->options_.reload_check_interval).count();
  return context;
}

TlsClientContext::TlsClientContext(TlsClientContextOptions options,
                                   std::unique_ptr<const Settings> settings)
    : options_(std::move(options)), settings_(std::move(settings)) {}

TlsClientContext::~TlsClientContext() = default;

TlsClientContext::SslCtxSharedPtr TlsClientContext::load(std::string& error) const {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) {
    error = take_openssl_error("cannot create a TLS context");
    return nullptr;
  }
  const Settings& s = *settings_;
  if (SSL_CTX_set_min_proto_version(ctx.get(), s.min_version) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), s.max_version) != 1) {
    error = "protocols: " + take_openssl_error("rejected by OpenSSL");
    return nullptr;
  }
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  // Sessions live in this object's cache (keyed by server name and address), not OpenSSL's.
  SSL_CTX_set_session_cache_mode(ctx.get(),
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx.get(), &TlsClientContext::on_new_session);
  if (!s.alpn_wire.empty() &&
      SSL_CTX_set_alpn_protos(ctx.get(), reinterpret_cast<const unsigned char*>(s.alpn_wire.data()),
                              static_cast<unsigned int>(s.alpn_wire.size())) != 0) {
    error = "alpn: " + take_openssl_error("rejected by OpenSSL");
    return nullptr;
  }
  if (!options_.verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (options_.trust_files.empty() && SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      error = "cannot load the system CA store: " + take_openssl_error("unknown error");
      return nullptr;
    }
  }
  for (const auto& path : options_.trust_files) {
    std::vector<X509Ptr> cas;
    // Loaded even when not verifying, so a wrong path is reported either way.
    if (!load_certificates("trust certificates", path, cas, error)) {
      return nullptr;
    }
    for (const auto& ca : cas) {
      if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca.get()) != 1) {
        error = "trust certificates " + path + ": " + take_openssl_error("unusable CA");
        return nullptr;
      }
    }
  }
  if (!options_.cert_path.empty() &&
      !load_identity(ctx.get(), "clientAuth.", options_.cert_path, options_.key_path,
                     options_.intermediate_certs_path, error)) {
    return nullptr;
  }
  return SslCtxSharedPtr(ctx.release(), CtxFree{});
}

std::vector<FileStamp> TlsClientContext::stat_files() const {
  std::vector<FileStamp> out;
  for (const auto& path : options_.trust_files) {
    out.push_back(stamp_file(path));
  }
  for (const std::string* path :
       {&options_.cert_path, &options_.key_path, &options_.intermediate_certs_path}) {
    out.push_back(stamp_file(*path));
  }
  return out;
}

void TlsClientContext::maybe_reload() {
  std::string error;
  const auto result = reload_if_changed(
      next_check_ns_, options_.reload_check_interval, reload_mutex_, stamps_,
      [this] { return stat_files(); }, [this](std::string& e) { return load(e); },
      [this](SslCtxSharedPtr loaded) {
        std::lock_guard guard(current_mutex_);
        current_.swap(loaded);
        sessions_.clear();  // a resumed session would skip the new trust store
      },
      error);
  if (result == ReloadResult::Failed) {
    reload_failures_.fetch_add(1, std::memory_order_relaxed);
    log::get("transport")
        ->error("tls client reload failed, keeping the previous material error=\"{}\"", error);
  } else if (result == ReloadResult::Reloaded) {
    reloads_.fetch_add(1, std::memory_order_relaxed);
    log::get("transport")->info("tls client material reloaded");
  }
}

SslPtr TlsClientContext::new_connection(const std::string& session_key,
                                        const std::string& server_name, std::string& failure) {
  maybe_reload();
  SslCtxSharedPtr ctx;
  SSL_SESSION* session = nullptr;
  {
    std::lock_guard guard(current_mutex_);
    ctx = current_;
    auto it = sessions_.find(session_key);
    if (it != sessions_.end()) {
      session = it->second.get();
      SSL_SESSION_up_ref(session);
    }
  }
  SessionPtr held(session);
  SslPtr ssl(SSL_new(ctx.get()));  // holds its own reference to the context
  if (!ssl) {
    failure = take_openssl_error("cannot create a TLS connection");
    return nullptr;
  }
  SSL_set_connect_state(ssl.get());
  if (!set_peer_name(ssl.get(), server_name, options_.verify, failure)) {
    return nullptr;
  }
  auto* sink = new SessionSink{weak_from_this(), session_key};
  SSL_set_ex_data(ssl.get(), sink_index(), sink);
  if (held && SSL_set_session(ssl.get(), held.get()) != 1) {
    ERR_clear_error();  // a session that cannot be offered: a full handshake instead
  }
  return ssl;
}

int TlsClientContext::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* sink = static_cast<SessionSink*>(SSL_get_ex_data(ssl, sink_index()));
  if (sink == nullptr || SSL_SESSION_is_resumable(session) != 1) {
    return 0;
  }
  if (auto owner = sink->owner.lock()) {
    owner->store_session(sink->key, session);
    return 1;  // we took the reference OpenSSL handed us
  }
  return 0;
}

void TlsClientContext::store_session(const std::string& key, SSL_SESSION* session) {
  std::lock_guard guard(current_mutex_);
  if (sessions_.size() >= options_.session_cache_size && sessions_.find(key) == sessions_.end()) {
    sessions_.erase(sessions_.begin());  // any one: the cache only saves handshakes
  }
  sessions_[key] = SessionPtr(session);
}

asio::awaitable<Result<std::unique_ptr<TlsStream>>> TlsClientContext::connect_and_handshake(
    tcp::endpoint endpoint, std::string server_name, std::string* failure) {
  const std::string key =
      server_name + "|" + endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  SslPtr ssl = new_connection(key, server_name, *failure);
  if (!ssl) {
    co_return make_error_code(errc::tls_handshake_failed);
  }
  tcp::socket socket(co_await asio::this_coro::executor);
  auto [ec] = co_await socket.async_connect(endpoint, use_nothrow);
  if (ec) {
    *failure = ec.message();
    co_return make_error_code(errc::connect_failed);
  }
  auto stream = std::make_unique<TlsStream>(std::move(socket), std::move(ssl));
  auto handshake = co_await stream->handshake();
  if (!handshake) {
    *failure = stream->failure();
    co_return handshake.error();
  }
  co_return stream;
}

asio::awaitable<Result<std::unique_ptr<TlsStream>>> TlsClientContext::connect(
    tcp::endpoint endpoint, std::string server_name, std::chrono::milliseconds timeout,
    std::string* failure) {
  std::string why;
  auto r = co_await with_timeout(connect_and_handshake(endpoint, server_name, &why), timeout);
  if (r) {
    handshakes_.fetch_add(1, std::memory_order_relaxed);
    if (SSL_session_reused((*r)->native_handle()) == 1) {
      resumed_.fetch_add(1, std::memory_order_relaxed);
    }
    co_return r;
  }
  if (r.error() == make_error_code(errc::timeout)) {
    why = "timed out after " + std::to_string(timeout.count()) + " ms";
  }
  if (r.error() != make_error_code(errc::connect_failed)) {
    handshake_failures_.fetch_add(1, std::memory_order_relaxed);
  }
  log::get("transport")
      ->debug("tls connect failed peer={}:{} server_name={} error=\"{}\"",
              endpoint.address().to_string(), endpoint.port(), server_name, why);
  if (failure != nullptr) {
    *failure = std::move(why);
  }
  co_return r;
}

TlsClientContext::Stats TlsClientContext::stats() const noexcept {
  return {handshakes_.load(std::memory_order_relaxed), resumed_.load(std::memory_order_relaxed),
          handshake_failures_.load(std::memory_order_relaxed),
          reloads_.load(std::memory_order_relaxed),
          reload_failures_.load(std::memory_order_relaxed)};
}

}  // namespace meshd::transport
