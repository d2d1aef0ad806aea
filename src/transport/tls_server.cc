#include "meshd/transport/tls_server.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <utility>

#include "meshd/core/log.h"
#include "meshd/core/spawn.h"
#include "meshd/core/timeout.h"
#include "transport/tls_files.h"

namespace meshd::transport {

using tcp = asio::ip::tcp;
using namespace detail;

/// What `TlsServerOptions` say about every context, worked out once by `create`.
struct TlsServerContext::Settings {
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  bool custom_ciphers = false;  // else OpenSSL's defaults
  std::string tls12_ciphers;    // OpenSSL names, ':'-separated
  std::string tls13_ciphers;
  std::string alpn_wire;  // ALPN wire format: length-prefixed names; empty: no ALPN
};


namespace {

/// Server-side session cache entries per context (OpenSSL's default, made explicit).
constexpr long kSessionCacheSize = 20 * 1024;
constexpr std::string_view kSessionIdContext = "meshd";
/// RFC 8446 §B.4: every TLS 1.3 cipher suite; OpenSSL names them the same way.
constexpr std::array<std::string_view, 5> kTls13Suites = {
    "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"};

/// Sorts `ciphers` into TLS 1.2 and TLS 1.3 lists of OpenSSL names.
void parse_ciphers(const std::vector<std::string>& ciphers, std::string& tls12, std::string& tls13,
                   std::vector<std::string>& errors) {
  SslCtxPtr every(SSL_CTX_new(TLS_server_method()));
  if (!every || SSL_CTX_set_cipher_list(every.get(), "ALL:COMPLEMENTOFALL") != 1) {
    errors.push_back("ciphers: " + take_openssl_error("cannot list OpenSSL's ciphers"));
    return;
  }
  STACK_OF(SSL_CIPHER)* known = SSL_CTX_get_ciphers(every.get());
  auto append = [](std::string& list, std::string_view name) {
    list.append(list.empty() ? "" : ":").append(name);
  };
  for (std::size_t i = 0; i < ciphers.size(); ++i) {
    const std::string& name = ciphers[i];
    if (std::find(kTls13Suites.begin(), kTls13Suites.end(), name) != kTls13Suites.end()) {
      append(tls13, name);
      continue;
    }
    const char* openssl_name = nullptr;
    for (int k = 0; k < sk_SSL_CIPHER_num(known) && openssl_name == nullptr; ++k) {
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(known, k);
      if (name == SSL_CIPHER_get_name(c) || name == SSL_CIPHER_standard_name(c)) {
        openssl_name = SSL_CIPHER_get_name(c);
      }
    }
    if (openssl_name == nullptr) {
      errors.push_back("ciphers[" + std::to_string(i) + "]: unknown cipher " + quoted(name));
      continue;
    }
    append(tls12, openssl_name);
  }
}

/// Picks our most preferred protocol the client offers; none: no ALPN (Finagle NO_ADVERTISE).
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_size,
                const unsigned char* offered, unsigned int offered_size, void* arg) {
  const auto* ours = static_cast<const std::string*>(arg);
  unsigned char* selected = nullptr;
  unsigned char selected_size = 0;
  if (SSL_select_next_proto(&selected, &selected_size,
                            reinterpret_cast<const unsigned char*>(ours->data()),
                            static_cast<unsigned int>(ours->size()), offered,
                            offered_size) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  *out_size = selected_size;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

namespace {

/// Sets the server certificate, its chain and the private key from the files of `options`.
bool load_identity(SSL_CTX* ctx, const TlsServerOptions& options, std::string& error) {
  return detail::load_identity(ctx, "", options.cert_path, options.key_path,
                               options.intermediate_certs_path, error);
}

/// Sets how client certificates are requested and verified.
bool load_client_trust(SSL_CTX* ctx, const TlsServerOptions& options, std::string& error) {
  std::vector<X509Ptr> cas;
  if (!options.ca_cert_path.empty() &&
      !load_certificates("caCertPath", options.ca_cert_path, cas, error)) {
    return false;
  }
  for (const auto& ca : cas) {
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca.get()) != 1 ||
        (options.require_client_auth && SSL_CTX_add_client_CA(ctx, ca.get()) != 1)) {
      error = "caCertPath " + options.ca_cert_path + ": " + take_openssl_error("unusable CA");
      return false;
    }
  }
  if (!options.require_client_auth) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return true;
  }
  if (options.ca_cert_path.empty() && SSL_CTX_set_default_verify_paths(ctx) != 1) {
    error = "requireClientAuth: cannot load the system CA store: " +
            take_openssl_error("unknown error");
    return false;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return true;
}

}  // namespace

std::shared_ptr<TlsServerContext> TlsServerContext::create(TlsServerOptions options,
                                                           std::vector<std::string>& errors) {
  const std::size_t errors_before = errors.size();
  if (options.cert_path.empty()) {
    errors.push_back("certPath: required");
  }
  if (options.key_path.empty()) {
    errors.push_back("keyPath: required");
  }
  auto settings = std::make_unique<Settings>();
  parse_protocols(options.protocols, settings->min_version, settings->max_version, errors);
  settings->custom_ciphers = !options.ciphers.empty();
  parse_ciphers(options.ciphers, settings->tls12_ciphers, settings->tls13_ciphers, errors);
  settings->alpn_wire = alpn_wire(options.alpn, errors);
  if (errors.size() != errors_before) {
    return nullptr;
  }
  // As with JSSE, a version none of the listed suites can use is not offered.
  if (settings->custom_ciphers && settings->tls12_ciphers.empty()) {
    settings->min_version = TLS1_3_VERSION;
  }
  if (settings->custom_ciphers && settings->tls13_ciphers.empty()) {
    settings->max_version = TLS1_2_VERSION;
  }
  if (settings->min_version > settings->max_version) {
    errors.push_back("ciphers: none of them can be used with the enabled protocols");
    return nullptr;
  }
  std::shared_ptr<TlsServerContext> context(
      new TlsServerContext(std::move(options), std::move(settings)));
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

TlsServerContext::TlsServerContext(TlsServerOptions options,
                                   std::unique_ptr<const Settings> settings)
    : options_(std::move(options)), settings_(std::move(settings)) {}

TlsServerContext::~TlsServerContext() = default;

TlsServerContext::SslCtxSharedPtr TlsServerContext::load(std::string& error) const {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    error = take_openssl_error("cannot create a TLS context");
    return nullptr;
  }
  const Settings& s = *settings_;
  if (SSL_CTX_set_min_proto_version(ctx.get(), s.min_version) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), s.max_version) != 1 ||
      (!s.tls12_ciphers.empty() &&
       SSL_CTX_set_cipher_list(ctx.get(), s.tls12_ciphers.c_str()) != 1) ||
      (s.custom_ciphers && SSL_CTX_set_ciphersuites(ctx.get(), s.tls13_ciphers.c_str()) != 1)) {
    error = "protocols/ciphers: " + take_openssl_error("rejected by OpenSSL");
    return nullptr;
  }
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                     SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  // A session id context is required to resume sessions whose client certificate was verified.
  SSL_CTX_set_session_id_context(ctx.get(),
                                 reinterpret_cast<const unsigned char*>(kSessionIdContext.data()),
                                 static_cast<unsigned int>(kSessionIdContext.size()));
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(ctx.get(), kSessionCacheSize);
  if (!s.alpn_wire.empty()) {
    // The callback runs only during handshakes, which `accept_tls` performs while holding this
    // context, so the settings outlive every call.
    SSL_CTX_set_alpn_select_cb(ctx.get(), &select_alpn, const_cast<std::string*>(&s.alpn_wire));
  }
  if (!load_identity(ctx.get(), options_, error) ||
      !load_client_trust(ctx.get(), options_, error)) {
    return nullptr;
  }
  return SslCtxSharedPtr(ctx.release(), CtxFree{});
}

std::vector<FileStamp> TlsServerContext::stat_files() const {
  std::vector<FileStamp> out;
  for (const std::string* path : {&options_.cert_path, &options_.key_path,
                                  &options_.intermediate_certs_path, &options_.ca_cert_path}) {
    out.push_back(stamp_file(*path));
  }
  return out;
}

void TlsServerContext::maybe_reload() {
  std::string error;
  const auto result = reload_if_changed(
      next_check_ns_, options_.reload_check_interval, reload_mutex_, stamps_,
      [this] { return stat_files(); }, [this](std::string& e) { return load(e); },
      [this](SslCtxSharedPtr loaded) {
        std::lock_guard guard(current_mutex_);
        current_.swap(loaded);
      },
      error);
  if (result == ReloadResult::Failed) {
    reload_failures_.fetch_add(1, std::memory_order_relaxed);
    log::get("transport")
        ->error("tls reload failed, keeping the previous certificate error=\"{}\"", error);
  } else if (result == ReloadResult::Reloaded) {
    reloads_.fetch_add(1, std::memory_order_relaxed);
    log::get("transport")->info("tls certificate reloaded cert={}", options_.cert_path);
  }
}

SslPtr TlsServerContext::new_connection() {
  maybe_reload();
  SslCtxSharedPtr ctx;
  {
    std::lock_guard guard(current_mutex_);
    ctx = current_;
  }
  SslPtr ssl(SSL_new(ctx.get()));  // holds its own reference to the context
  if (ssl) {
    SSL_set_accept_state(ssl.get());
  }
  return ssl;
}

TlsServerContext::Stats TlsServerContext::stats() const noexcept {
  return {handshakes_.load(std::memory_order_relaxed),
          handshake_failures_.load(std::memory_order_relaxed),
          reloads_.load(std::memory_order_relaxed),
          reload_failures_.load(std::memory_order_relaxed)};
}

void TlsServerContext::count_handshake(bool ok) noexcept {
  (ok ? handshakes_ : handshake_failures_).fetch_add(1, std::memory_order_relaxed);
}

asio::awaitable<Result<std::unique_ptr<TlsStream>>> accept_tls(
    tcp::socket socket, std::shared_ptr<TlsServerContext> context,
    std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  auto ssl = context->new_connection();
  std::unique_ptr<TlsStream> stream;
  Result<void> done = make_error_code(errc::tls_handshake_failed);
  if (ssl) {
    stream = std::make_unique<TlsStream>(std::move(socket), std::move(ssl));
    done = co_await with_timeout(stream->handshake(), timeout);
  }
  context->count_handshake(done.has_value());
  if (done) {
    co_return std::move(stream);
  }
  std::string why;
  if (!stream) {
    why = take_openssl_error("cannot create a TLS connection");
  } else if (done.error() == make_error_code(errc::timeout)) {
    why = "timed out after " + std::to_string(timeout.count()) + " ms";
  } else if (done.error() == make_error_code(errc::tls_handshake_failed)) {
    why = stream->failure();
  } else {
    why = done.error().message();
  }
  log::get("transport")
      ->debug("tls handshake failed peer={}:{} error=\"{}\"", peer.address().to_string(),
              peer.port(), why);
  co_return done.error();  // the stream, and so the socket, is closed on the way out
}

namespace {

asio::awaitable<void> handshake_then_accept(tcp::socket socket,
                                            std::shared_ptr<TlsServerContext> context,
                                            std::chrono::milliseconds timeout,
                                            std::shared_ptr<const Listener::Handler> on_accept) {
  auto stream = co_await accept_tls(std::move(socket), std::move(context), timeout);
  if (stream) {
    (*on_accept)(std::move(*stream));
  }
}

}  // namespace

Listener::Handler tls_accept_handler(std::shared_ptr<TlsServerContext> context,
                                     std::chrono::milliseconds timeout,
                                     Listener::Handler on_accept) {
  auto shared = std::make_shared<const Listener::Handler>(std::move(on_accept));
  return [context = std::move(context), timeout, shared = std::move(shared)](StreamPtr stream) {
    // The Listener hands over TcpStreams; TLS takes their socket.
    auto* tcp_stream = dynamic_cast<TcpStream*>(stream.get());
    if (tcp_stream == nullptr) {
      count_internal_error();
      log::get("transport")->error("tls accept got a stream that is not a TcpStream");
      return;
    }
    auto executor = tcp_stream->socket().get_executor();
    spawn(executor,
          handshake_then_accept(std::move(tcp_stream->socket()), context, timeout, shared),
          "tls-accept");
  };
}

}  // namespace meshd::transport
