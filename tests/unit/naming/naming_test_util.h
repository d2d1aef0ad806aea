#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include "testing/temp_dir.h"

#include "meshd/dtab/bind.h"
#include "meshd/dtab/name_tree.h"
#include "meshd/dtab/path.h"
#include "meshd/naming/namer.h"

namespace meshd::naming::testing {

using meshd::testing::TempDir;

/// Drives `io` in short slices until `done()` holds or `timeout` passes; returns `done()`.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    if (io.stopped()) {
      io.restart();
    }
    io.run_for(std::chrono::milliseconds(10));
  }
  return true;
}

inline dtab::Path path(std::string_view text) { return dtab::Path::read(text).value(); }

/// A namer answering scripted trees per residual (Neg otherwise) and counting lookups.
class FakeNamer final : public Namer {
 public:
  explicit FakeNamer(std::string_view prefix) : Namer(path(prefix)) {}

  void answer(std::string_view residual, dtab::Activity<dtab::NameTree<dtab::Name>> a) {
    answers_[path(residual)] = std::move(a);
  }

  /// Binds `residual` to a leaf with id `prefix ++ residual` (the whole residual consumed).
  void bind(std::string_view residual) {
    const dtab::Path r = path(residual);
    answer(residual,
           dtab::Activity<dtab::NameTree<dtab::Name>>::ok(dtab::NameTree<dtab::Name>::leaf(
               dtab::BoundName{prefix() + r, dtab::Path(), nullptr, 1.0})));
  }

  int lookups() const { return lookups_; }

  // naming::Namer
  dtab::Activity<dtab::NameTree<dtab::Name>> lookup(const dtab::Path& residual) const override {
    ++lookups_;
    if (auto it = answers_.find(residual); it != answers_.end()) {
      return it->second;
    }
    return dtab::Activity<dtab::NameTree<dtab::Name>>::ok(dtab::NameTree<dtab::Name>::neg());
  }

 private:
  std::map<dtab::Path, dtab::Activity<dtab::NameTree<dtab::Name>>> answers_;
  mutable int lookups_ = 0;
};

/// `Ok` trees as their `show`, otherwise `pending` / `failed: <message>`.
template <class T>
std::string show(const dtab::Activity<dtab::NameTree<T>>& a) {
  using State = typename dtab::Activity<dtab::NameTree<T>>::State;
  if (a.state == State::Pending) {
    return "pending";
  }
  if (a.state == State::Failed) {
    return "failed: " + a.failure;
  }
  return a.value.show();
}

/// An address set as the tests compare it: `host:port,...`, or `pending`, `neg`,
/// `failed: <why>`.
inline std::string show_addr(const dtab::Addr& addr) {
  switch (addr.kind) {
    case dtab::Addr::Kind::Pending:
      return "pending";
    case dtab::Addr::Kind::Neg:
      return "neg";
    case dtab::Addr::Kind::Failed:
      return "failed: " + addr.failure;
    case dtab::Addr::Kind::Bound:
      break;
  }
  std::string out;
  for (const auto& a : addr.addresses) {
    out += (out.empty() ? "" : ",") + a.host + ":" + std::to_string(a.port);
  }
  return out;
}

}  // namespace meshd::naming::testing
