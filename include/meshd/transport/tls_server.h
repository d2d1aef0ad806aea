#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/transport/listener.h"
#include "meshd/transport/tls.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace meshd::transport {

namespace detail {
struct FileStamp;
}  // namespace detail

/// A server TLS configuration: Linkerd's server `tls` object (`certPath`, `keyPath`,
/// `intermediateCertsPath`, `caCertPath`, `requireClientAuth`, `ciphers`, `protocols`) plus the
/// ALPN protocols the server speaks.
struct TlsServerOptions {
  /// `certPath`: PEM; the server certificate first, optionally followed by its chain.
  std::string cert_path;
  /// `keyPath`: PEM private key, RSA or EC, PKCS#8 (`BEGIN PRIVATE KEY`), PKCS#1
  /// (`BEGIN RSA PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`); not encrypted. (Linkerd 1.2+
  /// takes PKCS#8 only; accepting more breaks no config.)
  std::string key_path;
  /// `intermediateCertsPath`: PEM certificates sent after the server certificate; "" for none.
  std::string intermediate_certs_path;
  /// `caCertPath`: PEM CAs that client certificates must chain to. Loaded (so a bad file is
  /// reported) even when `require_client_auth` is false, but then unused, as in Finagle.
  std::string ca_cert_path;
  /// `requireClientAuth`: true requests a client certificate and fails handshakes without a
  /// valid one (chaining to `ca_cert_path`, or to the system store when that is empty). False
  /// requests none at all, even with `ca_cert_path` (Finagle `ClientAuth.Off`).
  bool require_client_auth = false;
  /// `ciphers`: the complete list of enabled suites, by OpenSSL name
  /// (`ECDHE-RSA-AES128-GCM-SHA256`) or IANA name (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`,
  /// as Java configs spell them); TLS 1.3 suites by their one name (`TLS_AES_128_GCM_SHA256`).
  /// A TLS version none of the listed suites can use is disabled, as with JSSE. Empty: OpenSSL's
  /// defaults.
  std::vector<std::string> ciphers;
  /// `protocols`: `TLSv1.2` and/or `TLSv1.3`. Empty: both.
  std::vector<std::string> protocols;
  /// ALPN protocols in order of preference (`{"h2", "http/1.1"}`). A client offering none of
  /// them still connects, without ALPN (Finagle's NO_ADVERTISE). Empty: no ALPN.
  std::vector<std::string> alpn;
  /// How often, at most, a handshake checks the files for changes (mtime, size, inode); zero
  /// checks on every handshake.
  std::chrono::milliseconds reload_check_interval{1000};
};

/// The shared server side of TLS for one listener: a validated configuration and the current
/// certificate material, reloaded when its files change. Thread-safe: every worker's accepts
/// use the same context.
///
/// Reload: the files are checked lazily, by the handshake that finds `reload_check_interval`
/// elapsed (so an idle server does no work, and a check costs a few `stat` calls). When any
/// stamp changed, the files are read into a new OpenSSL context that later handshakes use;
/// established connections keep theirs. A reload that fails (unparsable PEM, key not matching
/// the certificate, a file half-written) logs an error naming the file and keeps the previous
/// material; the next change of a stamp retries. A new context has a fresh session cache and
/// ticket key, so clients resume no session across a change of certificate.
///
/// Sessions: a server-side cache (bounded) and stateless tickets, with a random ticket key
/// per context. The server's cipher order wins; client-initiated renegotiation is refused.
class TlsServerContext {
 public:
  /// Counters, for stats and tests.
  struct Stats {
    std::uint64_t handshakes = 0;          ///< completed server handshakes
    std::uint64_t handshake_failures = 0;  ///< failed or timed-out server handshakes
    std::uint64_t reloads = 0;             ///< successful reloads after a file change
    std::uint64_t reload_failures = 0;     ///< reloads that kept the previous material
  };

  /// Validates `options` and loads the files. On failure returns null and appends every
  /// problem found to `errors`, each naming the option and, for files, the path with OpenSSL's
  /// reason: `keyPath /x/key.pem: no private key found`, `certPath /c.pem and keyPath /k.pem do
  /// not match`, `ciphers[1]: unknown cipher "FOO"`, `protocols[0]: unsupported protocol
  /// "TLSv1.1" (supported: TLSv1.2, TLSv1.3)`.
  static std::shared_ptr<TlsServerContext> create(TlsServerOptions options,
                                                  std::vector<std::string>& errors);

  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  /// A connection object in accept state on the current material, after the reload check.
  /// Null only when OpenSSL cannot allocate one. Thread-safe.
  SslPtr new_connection();

  const TlsServerOptions& options() const noexcept { return options_; }
  Stats stats() const noexcept;

  /// Records the outcome of a handshake on a connection from `new_connection` (`accept_tls`).
  void count_handshake(bool ok) noexcept;

 private:
  struct Settings;
  using FileStamp = detail::FileStamp;
  using SslCtxSharedPtr = std::shared_ptr<ssl_ctx_st>;

  TlsServerContext(TlsServerOptions options, std::unique_ptr<const Settings> settings);
  /// Reads the files into a new OpenSSL context, or returns null with `error` set.
  SslCtxSharedPtr load(std::string& error) const;
  std::vector<FileStamp> stat_files() const;
  void maybe_reload();

  const TlsServerOptions options_;
  const std::unique_ptr<const Settings> settings_;  // derived from options_ once
  mutable std::mutex current_mutex_;                // guards current_ (held for a copy only)
  SslCtxSharedPtr current_;
  std::mutex reload_mutex_;  // one reload at a time; guards stamps_
  std::vector<FileStamp> stamps_;
  std::atomic<std::int64_t> next_check_ns_{0};  // steady clock; when a handshake checks again
  std::atomic<std::uint64_t> handshakes_{0};
  std::atomic<std::uint64_t> handshake_failures_{0};
  std::atomic<std::uint64_t> reloads_{0};
  std::atomic<std::uint64_t> reload_failures_{0};
};

/// Netty's default handshake timeout, which Finagle servers inherit.
inline constexpr std::chrono::milliseconds kDefaultTlsHandshakeTimeout{10000};

/// Performs the server handshake on the accepted `socket` within `timeout` (zero: none), on
/// the socket's executor. Returns the TLS stream (ALPN result in `alpn()`), or an error:
/// `errc::tls_handshake_failed` (a client without a required certificate, no common protocol
/// or cipher, not TLS at all), `errc::timeout`, or `operation_aborted` on cancellation. Every
/// failure is logged at debug with the peer and the reason and counted in `context`; the
/// socket is closed.
asio::awaitable<Result<std::unique_ptr<TlsStream>>> accept_tls(
    asio::ip::tcp::socket socket, std::shared_ptr<TlsServerContext> context,
    std::chrono::milliseconds timeout);

/// Adapts a `Listener` handler to TLS: each accepted connection is handed to `on_accept` (on
/// the same executor) as a `TlsStream` once its handshake completes within `timeout`, and
/// dropped otherwise. Handshakes run concurrently, each bounded by `timeout`; the returned
/// handler keeps `context` and `on_accept` alive for them.
Listener::Handler tls_accept_handler(std::shared_ptr<TlsServerContext> context,
                                     std::chrono::milliseconds timeout,
                                     Listener::Handler on_accept);

}  // namespace meshd::transport
