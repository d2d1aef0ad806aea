#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/transport/tls.h"

struct ssl_ctx_st;      // OpenSSL's SSL_CTX
struct ssl_session_st;  // OpenSSL's SSL_SESSION

namespace meshd::transport {

namespace detail {
struct FileStamp;
}  // namespace detail

/// A client TLS configuration: Linkerd's client `tls` object (inventory §3.8) without the
/// per-client `commonName`, which each connection names (`TlsClientContext::connect`).
struct TlsClientContextOptions {
  /// False (`disableValidation: true`) accepts any server certificate.
  bool verify = true;
  /// PEM files of the CAs to trust (`trustCertsBundle`, `trustCerts`); empty trusts the
  /// system store.
  std::vector<std::string> trust_files;
  /// `clientAuth`: the certificate (chain first) and key presented to servers that ask; ""
  /// presents none.
  std::string cert_path;
  std::string key_path;
  std::string intermediate_certs_path;
  /// `protocols`: `TLSv1.2` and/or `TLSv1.3`. Empty: both.
  std::vector<std::string> protocols;
  /// ALPN protocols offered, in order of preference (`{"h2"}`); empty: no ALPN.
  std::vector<std::string> alpn;
  /// How often, at most, a connect checks the files for changes; zero: on every connect.
  std::chrono::milliseconds reload_check_interval{1000};
  /// Sessions kept for resumption, one per server name and address.
  std::size_t session_cache_size = 1024;
};

/// The shared client side of TLS for one `client.tls` config: the trust store and client
/// certificate loaded once (and reloaded when their files change, as `TlsServerContext` does:
/// lazily, by the connect that finds the check interval elapsed; a failed reload keeps the
/// previous material and logs why), and a cache of sessions so reconnecting to a server resumes
/// (TLS 1.2 session ids or tickets, TLS 1.3 tickets) instead of a full handshake. A reload
/// empties the session cache: a resumed session would skip the new trust store. Thread-safe:
/// every worker's connections use the same context.
class TlsClientContext : public std::enable_shared_from_this<TlsClientContext> {
 public:
  /// Counters, for stats and tests.
  struct Stats {
    std::uint64_t handshakes = 0;          ///< completed client handshakes
    std::uint64_t resumed = 0;             ///< of which resumed a cached session
    std::uint64_t handshake_failures = 0;  ///< failed or timed-out handshakes
    std::uint64_t reloads = 0;             ///< successful reloads after a file change
    std::uint64_t reload_failures = 0;     ///< reloads that kept the previous material
  };

  /// Validates `options` and loads the files. On failure returns null and appends every problem
  /// to `errors`, naming the option and file with OpenSSL's reason (`trustCertsBundle /ca.pem:
  /// no certificate found`, `clientAuth.keyPath /k.pem: no private key found`).
  static std::shared_ptr<TlsClientContext> create(TlsClientContextOptions options,
                                                  std::vector<std::string>& errors);

  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  /// Connects to `endpoint` and performs the handshake within `timeout` (zero: none), on the
  /// current executor. `server_name` (Linkerd's `commonName`) is sent as SNI when it is a host
  /// name and verified against the certificate (DNS names, or IP addresses for an IP literal;
  /// the subject CN only when the certificate has no DNS name); "" sends no SNI and, when
  /// verifying, accepts any name a trusted certificate carries. A cached session for
  /// (`server_name`, `endpoint`) is offered for resumption. Errors: `errc::connect_failed`,
  /// `errc::timeout`, `errc::tls_handshake_failed` — `failure` (when not null) says why
  /// (`certificate verify failed: …`), and the failure is logged at debug.
  asio::awaitable<Result<std::unique_ptr<TlsStream>>> connect(asio::ip::tcp::endpoint endpoint,
                                                              std::string server_name,
                                                              std::chrono::milliseconds timeout,
                                                              std::string* failure = nullptr);

  const TlsClientContextOptions& options() const noexcept { return options_; }
  Stats stats() const noexcept;

 private:
  struct Settings;
  using FileStamp = detail::FileStamp;
  using SslCtxSharedPtr = std::shared_ptr<ssl_ctx_st>;
  struct SessionFree {
    void operator()(ssl_session_st* s) const noexcept;
  };
  using SessionPtr = std::unique_ptr<ssl_session_st, SessionFree>;

  TlsClientContext(TlsClientContextOptions options, std::unique_ptr<const Settings> settings);
  SslCtxSharedPtr load(std::string& error) const;
  std::vector<FileStamp> stat_files() const;
  void maybe_reload();
  /// A connection object in connect state with SNI, verification and a cached session set.
  SslPtr new_connection(const std::string& session_key, const std::string& server_name,
                        std::string& failure);
  asio::awaitable<Result<std::unique_ptr<TlsStream>>> connect_and_handshake(
      asio::ip::tcp::endpoint endpoint, std::string server_name, std::string* failure);

  /// OpenSSL's new-session callback: keeps the session under the connection's key.
  static int on_new_session(struct ssl_st* ssl, ssl_session_st* session);
  void store_session(const std::string& key, ssl_session_st* session);

  const TlsClientContextOptions options_;
  const std::unique_ptr<const Settings> settings_;
  mutable std::mutex current_mutex_;  // guards current_ and sessions_
  SslCtxSharedPtr current_;
  std::unordered_map<std::string, SessionPtr> sessions_;
  std::mutex reload_mutex_;  // one reload at a time; guards stamps_
  std::vector<FileStamp> stamps_;
  std::atomic<std::int64_t> next_check_ns_{0};
  std::atomic<std::uint64_t> handshakes_{0};
  std::atomic<std::uint64_t> resumed_{0};
  std::atomic<std::uint64_t> handshake_failures_{0};
  std::atomic<std::uint64_t> reloads_{0};
  std::atomic<std::uint64_t> reload_failures_{0};
};

using TlsClientContextSharedPtr = std::shared_ptr<TlsClientContext>;

}  // namespace meshd::transport
