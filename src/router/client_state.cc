#include "meshd/router/client_state.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace meshd::router {
namespace {

boost::json::object client_state(const dtab::AddrConstSharedPtr& addr) {
  boost::json::object o;
  if (!addr || addr->kind == dtab::Addr::Kind::Pending) {
    o["state"] = "pending";
    return o;
  }
  switch (addr->kind) {
    case dtab::Addr::Kind::Bound: {
      std::vector<std::string> list;
      for (const auto& a : addr->addresses) {
        bool v6 = a.host.find(':') != std::string::npos;
        list.push_back((v6 ? "[" + a.host + "]" : a.host) + ":" + std::to_string(a.port));
      }
      std::sort(list.begin(), list.end());
      o["state"] = "bound";
      boost::json::array arr;
      for (auto& s : list) {
        arr.emplace_back(s);
      }
      o["addresses"] = std::move(arr);
      break;
    }
    case dtab::Addr::Kind::Neg:
      o["state"] = "neg";
      break;
    case dtab::Addr::Kind::Failed:
      o["state"] = "failed";
      o["error"] = addr->failure;
      break;
    case dtab::Addr::Kind::Pending:
      break;
  }
  return o;
}

}  // namespace

std::string client_state_json(const std::vector<const RouterStats*>& routers) {
  boost::json::object out;
  for (const RouterStats* r : routers) {
    for (const auto& entry : r->clients.live()) {
      out[entry->name()] = client_state(entry->addr());
    }
  }
  return boost::json::serialize(out);
}

}  // namespace meshd::router
