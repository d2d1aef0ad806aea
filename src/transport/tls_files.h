// PEM files, OpenSSL handles and settings shared by the server and client TLS contexts.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace meshd::transport::detail {

struct CtxFree {
  void operator()(SSL_CTX* p) const noexcept { SSL_CTX_free(p); }
};
struct X509Free {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

/// `"s"`, as error messages quote values.
std::string quoted(std::string_view s);

/// Reads all of `path` (at most 1 MiB, as no PEM file needs more), or returns false with
/// `error` set to the reason (`No such file or directory`).
bool read_file(const std::string& path, std::string& out, std::string& error);

/// Every certificate in PEM `text` (other blocks, such as a key, are skipped); false with
/// `error` set when there is none or one is unreadable.
bool parse_certificates(std::string_view text, std::vector<X509Ptr>& out, std::string& error);

/// The private key in PEM `text`: PKCS#8, PKCS#1 or SEC1, unencrypted.
PkeyPtr parse_private_key(std::string_view text, std::string& error);

/// Reads and parses the certificates of option `name` at `path`, appending to `out`; the error
/// names both (`certPath /c.pem: no certificate found`).
bool load_certificates(std::string_view name, const std::string& path, std::vector<X509Ptr>& out,
                       std::string& error);

/// Reads the certificate chain at `cert_path` (plus `intermediate_path` when not empty) and the
/// key at `key_path`, checks they match and installs them in `ctx`. `names` prefix the option
/// names in errors (`clientAuth.` gives `clientAuth.certPath /c.pem: …`).
bool load_identity(SSL_CTX* ctx, std::string_view names, const std::string& cert_path,
                   const std::string& key_path, const std::string& intermediate_path,
                   std::string& error);

/// `protocols` (`TLSv1.2`, `TLSv1.3`) as an OpenSSL version range; unchanged when empty. Each
/// unknown entry appends `protocols[i]: unsupported protocol "X" (supported: …)` to `errors`.
void parse_protocols(const std::vector<std::string>& protocols, int& min, int& max,
                     std::vector<std::string>& errors);

/// `alpn` in ALPN wire format (length-prefixed names).
std::string alpn_wire(const std::vector<std::string>& alpn, std::vector<std::string>& errors);

/// The identity of a file's current content, as far as `stat` tells.
struct FileStamp {
  bool exists = false;
  std::int64_t mtime_ns = 0;
  std::int64_t size = 0;
  std::uint64_t inode = 0;
  std::uint64_t device = 0;
  bool operator==(const FileStamp&) const = default;
};

/// The stamp of `path`; a default (not existing) one for "" or a file that cannot be stat'ed.
FileStamp stamp_file(const std::string& path);

/// The steady clock in ns, for reload-check deadlines kept in atomics.
std::int64_t steady_now_ns();

/// Whether the caller should check its files now: true at most once per `interval` across all
/// threads sharing `next_check_ns` (the winner moves the deadline), always for a zero interval.
bool reload_check_due(std::atomic<std::int64_t>& next_check_ns, std::chrono::milliseconds interval);

/// What a reload check of a TLS context found.
enum class ReloadResult { NotChecked, Unchanged, Reloaded, Failed };

/// The file reload of both TLS contexts. When `reload_check_due` lets this caller check and no
/// other thread holds `reload_mutex`: compares `stat()` with `stamps`; when they differ, keeps
/// the new stamps and calls `load(error)`, and hands a context it returns to `install` (a null
/// one leaves the previous material in place: `Failed`, `error` says why). Thread-safe as the
/// contexts use it: `stamps` is only touched under `reload_mutex`.
template <class Stat, class Load, class Install>
ReloadResult reload_if_changed(std::atomic<std::int64_t>& next_check_ns,
                               std::chrono::milliseconds interval, std::mutex& reload_mutex,
                               std::vector<FileStamp>& stamps, Stat&& stat, Load&& load,
                               Install&& install, std::string& error) {
  if (!reload_check_due(next_check_ns, interval)) {
    return ReloadResult::NotChecked;  // checked recently, or another worker is checking now
  }
  std::unique_lock lock(reload_mutex, std::try_to_lock);
  if (!lock.owns_lock()) {
    return ReloadResult::NotChecked;
  }
  auto now = stat();
  if (now == stamps) {
    return ReloadResult::Unchanged;
  }
  stamps = std::move(now);
  auto loaded = load(error);
  if (!loaded) {
    return ReloadResult::Failed;
  }
  install(std::move(loaded));
  return ReloadResult::Reloaded;
}

}  // namespace meshd::transport::detail
