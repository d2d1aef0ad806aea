#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "meshd/admin/admin_service.h"
#include "meshd/naming/interpreter.h"

// The naming endpoints of the admin server (inventory §10.1, §10.3): `/delegator.json`, the
// `/delegator` page and `/bound-names.json`. The lead registers them in
// `AdminService::Options::handlers`.
namespace meshd::admin {

/// What `/delegator.json` needs (outside the function so `= {}` defaults work with GCC).
struct DelegatorOptions {
  /// The interpreter of the router labelled `router_label` (the `namespace` parameter), or null
  /// when there is no such router. Called on the admin executor.
  std::function<std::shared_ptr<const naming::Interpreter>(std::string_view router_label)>
      interpreter;
  /// The interpreter of requests without `namespace`: the configured namers and `/$`, no
  /// transformers, no dtab of its own. Must not be null.
  std::shared_ptr<const naming::Interpreter> namers_only;
  /// How long to wait for pending lookups and addresses before answering 503 (Linkerd: 2 s).
  std::chrono::milliseconds timeout{2000};
};

/// `/delegator.json` (Linkerd `DelegateApiHandler`, dtab-spec §9.1): `GET ?path=&dtab=&namespace=`
/// or `POST` with `Content-Type: application/json` and `{"namespace":…, "dtab":…, "path":…}`.
/// The `dtab` is the whole dtab to explain (the router's is not added; absent on GET = empty).
/// Answers 200 with `naming::to_json` of `naming::delegate`; 400 `Malformed delegation request:
/// <body>` (POST without string `dtab` and `path`), 415 (POST of another media type), 405 (other
/// methods), 400 `Invalid dtab: <msg>` / `Invalid path: <msg>`, 501 `Name Interpreter for <ns>
/// cannot show delegations` (unknown `namespace`), 500 with the message when delegation fails as
/// a whole (`Max recursion level reached.`). While a lookup or bound address is Pending it
/// re-evaluates on a timer of the admin executor (5 ms, doubling up to 50 ms) and answers 503
/// `Request timed out.` after `timeout`. Cancellation abandons the wait.
AdminHandler delegator_json_handler(DelegatorOptions options);

/// `/delegator`: a self-contained HTML page (no external assets) to pick a router from
/// `/config.json`, edit its dtab, enter a path and see the `/delegator.json` tree.
AdminHandler delegator_page_handler();

/// `/bound-names.json`: the names `names()` returns (the ids enumerating namers know, like
/// `/#/io.l5d.fs/web`) as a JSON array of strings, duplicates dropped, in the given order.
/// Called on the admin executor.
AdminHandler bound_names_handler(std::function<std::vector<std::string>()> names);

}  // namespace meshd::admin
