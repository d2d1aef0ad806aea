#include "transport/tls_files.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "meshd/transport/tls.h"

namespace meshd::transport::detail {
namespace {

constexpr std::size_t kMaxPemFileBytes = 1 << 20;

BioPtr memory_bio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

}  // namespace

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

/// Reads all of `path` (at most kMaxPemFileBytes), or returns false with `error` set.
bool read_file(const std::string& path, std::string& out, std::string& error) {
  std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    error = std::strerror(errno);
    return false;
  }
  out.assign(kMaxPemFileBytes + 1, '\0');
  const std::size_t n = std::fread(out.data(), 1, out.size(), file.get());
  if (std::ferror(file.get()) != 0) {
    error = std::strerror(errno);
    return false;
  }
  if (n > kMaxPemFileBytes) {
    error = "larger than " + std::to_string(kMaxPemFileBytes) + " bytes";
    return false;
  }
  out.resize(n);
  return true;
}

/// Every certificate in PEM `text` (other blocks, such as a key, are skipped).
bool parse_certificates(std::string_view text, std::vector<X509Ptr>& out, std::string& error) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  std::size_t expected = 0;
  for (auto at = text.find(kBegin); at != std::string_view::npos; at = text.find(kBegin, at + 1)) {
    ++expected;
  }
  if (expected == 0) {
    error = "no certificate found";
    return false;
  }
  auto bio = memory_bio(text);
  ERR_clear_error();
  for (std::size_t i = 0; i < expected; ++i) {
    X509* cert = bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (cert == nullptr) {
      error = "certificate " + std::to_string(i + 1) + ": " + take_openssl_error("unreadable");
      return false;
    }
    out.emplace_back(cert);
  }
  return true;
}

/// The private key in PEM `text`: PKCS#8, PKCS#1 or SEC1, unencrypted.
PkeyPtr parse_private_key(std::string_view text, std::string& error) {
  if (text.find("PRIVATE KEY-----") == std::string_view::npos) {
    error = "no private key found";
    return nullptr;
  }
  if (text.find("ENCRYPTED PRIVATE KEY") != std::string_view::npos ||
      text.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos) {
    error = "encrypted private keys are not supported";
    return nullptr;
  }
  // Never let OpenSSL prompt on the terminal for a password.
  pem_password_cb* refuse = [](char*, int, int, void*) { return -1; };
  auto bio = memory_bio(text);
  ERR_clear_error();
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse, nullptr) : nullptr);
  if (!key) {
    error = take_openssl_error("unreadable private key");
  }
  return key;
}

/// Reads and parses the certificates of option `name` at `path`.
bool load_certificates(std::string_view name, const std::string& path, std::vector<X509Ptr>& out,
                       std::string& error) {
  std::string text;
  std::string why;
  if (!read_file(path, text, why) || !parse_certificates(text, out, why)) {
    error = std::string(name) + " " + path + ": " + why;
    return false;
  }
  return true;
}

/// `protocols` as an OpenSSL version range.
void parse_protocols(const std::vector<std::string>& protocols, int& min, int& max,
                     std::vector<std::string>& errors) {
  if (protocols.empty()) {
    return;
  }
  min = TLS1_3_VERSION;
  max = TLS1_2_VERSION;
  for (std::size_t i = 0; i < protocols.size(); ++i) {
    int version = 0;
    if (protocols[i] == "TLSv1.2") {
      version = TLS1_2_VERSION;
    } else if (protocols[i] == "TLSv1.3") {
      version = TLS1_3_VERSION;
    } else {
      errors.push_back("protocols[" + std::to_string(i) + "]: unsupported protocol " +
                       quoted(protocols[i]) + " (supported: TLSv1.2, TLSv1.3)");
      continue;
    }
    min = std::min(min, version);
    max = std::max(max, version);
  }
}

bool load_identity(SSL_CTX* ctx, std::string_view names, const std::string& cert_path,
                   const std::string& key_path, const std::string& intermediate_path,
                   std::string& error) {
  const std::string cert_name = std::string(names) + "certPath";
  const std::string key_name = std::string(names) + "keyPath";
  std::vector<X509Ptr> certs;
  if (!load_certificates(cert_name, cert_path, certs, error)) {
    return false;
  }
  std::string text;
  std::string why;
  PkeyPtr key;
  if (read_file(key_path, text, why)) {
    key = parse_private_key(text, why);
  }
  if (!key) {
    error = key_name + " " + key_path + ": " + why;
    return false;
  }
  if (!intermediate_path.empty() && !load_certificates(std::string(names) + "intermediateCertsPath",
                                                       intermediate_path, certs, error)) {
    return false;
  }
  ERR_clear_error();
  if (X509_check_private_key(certs.front().get(), key.get()) != 1) {
    ERR_clear_error();
    error = cert_name + " " + cert_path + " and " + key_name + " " + key_path + " do not match";
    return false;
  }
  if (SSL_CTX_use_certificate(ctx, certs.front().get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    error = cert_name + " " + cert_path + ": " + take_openssl_error("unusable certificate");
    return false;
  }
  for (std::size_t i = 1; i < certs.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, certs[i].get()) != 1) {
      error = "certificate chain: " + take_openssl_error("unusable certificate");
      return false;
    }
  }
  return true;
}

/// `alpn` in ALPN wire format.
std::string alpn_wire(const std::vector<std::string>& alpn, std::vector<std::string>& errors) {
  std::string wire;
  for (std::size_t i = 0; i < alpn.size(); ++i) {
    if (alpn[i].empty() || alpn[i].size() > 255) {
      errors.push_back("alpn[" + std::to_string(i) + "]: a protocol name has 1 to 255 bytes");
      continue;
    }
    wire.push_back(static_cast<char>(alpn[i].size()));
    wire.append(alpn[i]);
  }
  return wire;
}

FileStamp stamp_file(const std::string& path) {
  FileStamp stamp;
  struct stat st {};
  if (!path.empty() && ::stat(path.c_str(), &st) == 0) {
    stamp.exists = true;
    stamp.mtime_ns =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    stamp.size = st.st_size;
    stamp.inode = st.st_ino;
    stamp.device = st.st_dev;
  }
  return stamp;
}

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool reload_check_due(std::atomic<std::int64_t>& next_check_ns,
                      std::chrono::milliseconds interval) {
  const std::int64_t step = std::chrono::nanoseconds(interval).count();
  if (step <= 0) {
    return true;
  }
  const std::int64_t now = steady_now_ns();
  std::int64_t next = next_check_ns.load(std::memory_order_relaxed);
  return now >= next &&
         next_check_ns.compare_exchange_strong(next, now + step, std::memory_order_relaxed);
}

}  // namespace meshd::transport::detail
