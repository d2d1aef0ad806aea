#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "meshd/core/asio.h"
#include "meshd/core/result.h"
#include "meshd/transport/stream.h"

namespace meshd::transport {

/// How a TLS client verifies and names its peer.
struct TlsClientOptions {
  /// PEM file of the CAs to trust; "" trusts the system store.
  std::string ca_file;
  /// Sent as SNI (when not an IP literal) and verified against the certificate's SANs (DNS name
  /// or IP address).
  std::string server_name;
  /// False skips verification (never for the Kubernetes API).
  bool verify = true;
};

/// Connects to `endpoint` and performs a TLS 1.2+ handshake as a client, within `timeout` in all.
/// Errors: `errc::connect_failed`, `errc::timeout`, and `errc::tls_handshake_failed` with the reason
/// logged (`certificate verify failed: …`). The CA file is read on each call (so a rotated CA is
/// picked up); callers connecting often may cache a context later.
asio::awaitable<Result<StreamPtr>> connect_tls(asio::ip::tcp::endpoint endpoint,
                                               const TlsClientOptions& options,
                                               std::chrono::milliseconds timeout,
                                               std::string* failure = nullptr);

}  // namespace meshd::transport
