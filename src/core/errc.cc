#include "meshd/core/errc.h"

#include <string>

namespace meshd {
namespace {

class MeshdCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "meshd"; }

  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::ok: return "ok";
      case errc::no_route: return "no route";
      case errc::identification_failed: return "identification failed";
      case errc::binding_failed: return "binding failed";
      case errc::no_endpoints: return "no endpoints";
      case errc::connect_failed: return "connect failed";
      case errc::tls_handshake_failed: return "tls handshake failed";
      case errc::timeout: return "timeout";
      case errc::deadline_exceeded: return "deadline exceeded";
      case errc::upstream_reset: return "upstream reset";
      case errc::protocol_error: return "protocol error";
      case errc::retry_budget_exhausted: return "retry budget exhausted";
      case errc::overloaded: return "overloaded";
      case errc::client_gone: return "client gone";
      case errc::body_too_large: return "body too large";
    }
    return "unknown meshd error";
  }
};

}  // namespace

const boost::system::error_category& meshd_category() noexcept {
  static const MeshdCategory category;
  return category;
}

}  // namespace meshd
