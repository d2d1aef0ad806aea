#include "meshd/admin/delegator.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "meshd/naming/global_namer.h"
#include "meshd/naming/inet_resolver.h"
#include "unit/admin/run_internal.h"

namespace meshd::admin {
namespace {

using std::chrono::milliseconds;
using test::body_of;
using test::request;
using Lookup = dtab::Activity<dtab::NameTree<dtab::Name>>;

/// Serves `/web` bound to 127.0.0.1:8080 under `/#/io.l5d.fs`, and `/slow` Pending for the
/// first `pending_lookups` lookups (forever when negative), then bound like `/web`.
class ScriptedNamer final : public naming::Namer {
 public:
  explicit ScriptedNamer(int pending_lookups)
      : Namer(dtab::Path::of({"#", "io.l5d.fs"})), pending_lookups_(pending_lookups) {}

  int slow_lookups() const { return slow_lookups_; }

  // naming::Namer
  Lookup lookup(const dtab::Path& residual) const override {
    if (residual == dtab::Path::of({"slow"})) {
      ++slow_lookups_;
      if (pending_lookups_ < 0 || slow_lookups_ <= pending_lookups_) {
        return Lookup::pending();
      }
    } else if (residual != dtab::Path::of({"web"})) {
      return Lookup::ok(dtab::NameTree<dtab::Name>::neg());
    }
    auto addr =
        std::make_shared<const dtab::Addr>(dtab::Addr::bound({{"127.0.0.1", 8080, {}, 1.0}}));
    return Lookup::ok(dtab::NameTree<dtab::Name>::leaf(
        dtab::BoundName{prefix() + residual, dtab::Path(), std::move(addr), 1.0}));
  }

 private:
  int pending_lookups_;
  mutable int slow_lookups_ = 0;
};

// Percent-encodes everything but unreserved characters, for query values.
std::string encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

telemetry::Registry::Options registry_options() {
  telemetry::Registry::Options o;
  o.workers = 1;
  return o;
}

constexpr std::string_view kWebJson =
    R"({"type":"delegate","path":"/svc/web","delegate":{"type":"leaf",)"
    R"("path":"/#/io.l5d.fs/web","dentry":{"prefix":"/svc","dst":"/#/io.l5d.fs"},)"
    R"("bound":{"addr":{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8080,"meta":{}}],)"
    R"("meta":{}},"id":"/#/io.l5d.fs/web","path":"/"}}})";

class DelegatorTest : public ::testing::Test {
 protected:
  struct Answer {
    int status;
    std::string content_type;
    std::string body;
  };

  // An admin service with the delegator handlers; router "outgoing" uses `namer`.
  std::unique_ptr<AdminService> service(std::shared_ptr<ScriptedNamer> namer,
                                        milliseconds timeout = milliseconds(2000)) {
    auto routed = std::make_shared<const naming::Interpreter>(
        std::vector<naming::NamerSharedPtr>{std::move(namer)}, global_);
    DelegatorOptions d;
    d.interpreter = [routed](std::string_view label) {
      return label == "outgoing" ? routed : nullptr;
    };
    d.namers_only =
        std::make_shared<const naming::Interpreter>(std::vector<naming::NamerSharedPtr>{}, global_);
    d.timeout = timeout;
    AdminService::Options options;
    options.handlers["/delegator.json"] = delegator_json_handler(std::move(d));
    options.handlers["/delegator"] = delegator_page_handler();
    options.handlers["/bound-names.json"] = bound_names_handler([] {
      return std::vector<std::string>{"/#/io.l5d.fs/a", "/#/io.l5d.fs/b", "/#/io.l5d.fs/a"};
    });
    return std::make_unique<AdminService>(registry_, std::move(options));
  }

  Answer serve(AdminService& s, http::Request req) {
    auto result = test::run(io_, s.call(req));
    EXPECT_TRUE(result.has_value());
    http::Response& rsp = *result;
    std::string body = body_of(io_, rsp);
    return {rsp.status, std::string(rsp.headers.get("Content-Type")), std::move(body)};
  }

  Answer post(AdminService& s, std::string body, std::string content_type = "application/json") {
    auto req = request("POST", "/delegator.json", std::move(body));
    req.headers.add("Content-Type", content_type);
    return serve(s, std::move(req));
  }

  boost::asio::io_context io_;
  naming::GlobalNamer global_{naming::InetResolver::create(io_)};
  telemetry::Registry registry_{registry_options()};
};

TEST_F(DelegatorTest, GetWithoutNamespaceUsesOnlyTheGivenDtab) {
  auto s = service(std::make_shared<ScriptedNamer>(0));

  auto rsp = serve(*s, request("GET", "/delegator.json?path=" + encode("/svc/a/b") +
                                          "&dtab=" + encode("/svc=>/$/inet/127.0.0.1/8080")));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.content_type, "application/json");
  EXPECT_EQ(rsp.body, R"({"type":"delegate","path":"/svc/a/b","delegate":{"type":"leaf",)"
                      R"("path":"/$/inet/127.0.0.1/8080/a/b","dentry":{"prefix":"/svc",)"
                      R"("dst":"/$/inet/127.0.0.1/8080"},"bound":{"addr":{"type":"bound","addrs":)"
                      R"([{"ip":"127.0.0.1","port":8080,"meta":{}}],"meta":{}},)"
                      R"("id":"/$/inet/127.0.0.1/8080","path":"/a/b"}}})");
}

TEST_F(DelegatorTest, GetWithoutDtabIsTheEmptyDtab) {
  auto s = service(std::make_shared<ScriptedNamer>(0));

  auto rsp = serve(*s, request("GET", "/delegator.json?path=/svc/web"));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.body, R"({"type":"neg","path":"/svc/web"})");
}

TEST_F(DelegatorTest, PostWithNamespaceUsesThatRoutersNamers) {
  auto s = service(std::make_shared<ScriptedNamer>(0));

  auto routed = post(*s, R"({"namespace":"outgoing","dtab":"/svc=>/#/io.l5d.fs",)"
                         R"("path":"/svc/web","extra":1})");
  auto namers_only = post(*s,
                          R"({"namespace":null,"dtab":"/svc=>/#/io.l5d.fs",)"
                          R"("path":"/svc/web"})",
                          "Application/JSON; charset=utf-8");

  EXPECT_EQ(routed.status, 200);
  EXPECT_EQ(routed.body, kWebJson);
  EXPECT_EQ(namers_only.status, 200);
  EXPECT_NE(namers_only.body.find(R"({"type":"neg","path":"/#/io.l5d.fs/web")"), std::string::npos)
      << namers_only.body;
}

TEST_F(DelegatorTest, RejectsBadRequests) {
  auto s = service(std::make_shared<ScriptedNamer>(0));
  struct Case {
    const char* name;
    Answer got;
    int status;
    std::string body;
  };

  const std::vector<Case> cases = {
      {"post without path", post(*s, R"({"dtab":"/a=>/b"})"), 400,
       R"(Malformed delegation request: {"dtab":"/a=>/b"})"},
      {"post of a non-string path", post(*s, R"({"dtab":"","path":7})"), 400,
       R"(Malformed delegation request: {"dtab":"","path":7})"},
      {"post of no json", post(*s, "dtab=/a"), 400, "Malformed delegation request: dtab=/a"},
      {"post of another media type", post(*s, R"({"dtab":"","path":"/a"})", "text/plain"), 415, ""},
      {"other method", serve(*s, request("PUT", "/delegator.json?path=/a")), 405, ""},
      {"bad dtab", serve(*s, request("GET", "/delegator.json?path=/a&dtab=" + encode("/&!"))), 400,
       "Invalid dtab: '=' expected but '&' found at '/[&]!'"},
      {"bad path", post(*s, R"({"dtab":"","path":"foo"})"), 400,
       "Invalid path: '/' expected but 'f' found at '[f]oo'"},
      {"no path", serve(*s, request("GET", "/delegator.json")), 400, "Invalid path: null"},
      {"unknown namespace", serve(*s, request("GET", "/delegator.json?namespace=nope&path=/a")),
       501, "Name Interpreter for nope cannot show delegations"},
      {"recursion outside any alt", post(*s, R"({"dtab":"/a=>/b;/b=>/a","path":"/a"})"), 500,
       "Max recursion level reached."},
  };

  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.got.status, c.status);
    EXPECT_EQ(c.got.body, c.body);
  }
}

TEST_F(DelegatorTest, WaitsForAPendingLookupToSettle) {
  auto namer = std::make_shared<ScriptedNamer>(3);
  auto s = service(namer);

  auto rsp = post(*s, R"({"namespace":"outgoing","dtab":"/svc=>/#/io.l5d.fs","path":"/svc/slow"})");

  EXPECT_EQ(rsp.status, 200);
  EXPECT_NE(rsp.body.find(R"("id":"/#/io.l5d.fs/slow")"), std::string::npos) << rsp.body;
  EXPECT_EQ(namer->slow_lookups(), 4);
}

TEST_F(DelegatorTest, AnswersRequestTimedOutWhileStillPending) {
  auto namer = std::make_shared<ScriptedNamer>(-1);
  // 200 ms: room for the first three re-evaluations even when the machine stalls the timers,
  // and at most eight (0, 5, 15, 35, 75, 125, 175, 200 ms with the 50 ms cap).
  auto s = service(namer, milliseconds(200));
  const auto start = std::chrono::steady_clock::now();

  auto rsp = post(*s, R"({"namespace":"outgoing","dtab":"/svc=>/#/io.l5d.fs","path":"/svc/slow"})");

  EXPECT_EQ(rsp.status, 503);
  EXPECT_EQ(rsp.body, "Request timed out.");
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(200));
  // 5, 10, 20, 40 ms and then the rest: re-evaluated a few times, not spinning.
  EXPECT_GE(namer->slow_lookups(), 3);
  EXPECT_LE(namer->slow_lookups(), 10);
}

TEST_F(DelegatorTest, BoundNamesAreAJsonArrayWithoutDuplicates) {
  auto s = service(std::make_shared<ScriptedNamer>(0));

  auto rsp = serve(*s, request("GET", "/bound-names.json"));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.content_type, "application/json");
  EXPECT_EQ(rsp.body, R"(["/#/io.l5d.fs/a","/#/io.l5d.fs/b"])");
}

TEST_F(DelegatorTest, PageIsSelfContainedHtmlUsingTheJsonEndpoints) {
  auto s = service(std::make_shared<ScriptedNamer>(0));

  auto rsp = serve(*s, request("GET", "/delegator"));

  EXPECT_EQ(rsp.status, 200);
  EXPECT_EQ(rsp.content_type, "text/html; charset=utf-8");
  EXPECT_NE(rsp.body.find("fetch(\"/delegator.json\""), std::string::npos);
  EXPECT_NE(rsp.body.find("fetch(\"/config.json\")"), std::string::npos);
  EXPECT_EQ(rsp.body.find("<script src"), std::string::npos);
  EXPECT_EQ(rsp.body.find("<link"), std::string::npos);
}

}  // namespace
}  // namespace meshd::admin
