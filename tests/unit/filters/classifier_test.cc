#include "meshd/filters/classifier.h"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "meshd/core/errc.h"

namespace meshd::filters {
namespace {

using RC = ResponseClass;

Attempt response(std::string_view method, int status, bool l5d_retryable = false,
                 bool chunked = false) {
  Attempt a;
  a.method = method;
  a.status = status;
  a.l5d_retryable = l5d_retryable;
  a.request_chunked = chunked;
  return a;
}

Attempt failed(std::string_view method, boost::system::error_code ec, bool chunked = false) {
  Attempt a;
  a.method = method;
  a.error = ec;
  a.request_chunked = chunked;
  return a;
}

// ---- Named cases: the behaviours inventory §12.4 calls out --------------------------------------

TEST(Classify, DefaultKindMakesA5xxANonRetryableFailure) {
  EXPECT_EQ(classify(ClassifierKind::NonRetryable5XX, response("GET", 503)),
            RC::NonRetryableFailure);
  EXPECT_EQ(classify(ClassifierKind::NonRetryable5XX, response("GET", 404)), RC::Success);
}

TEST(Classify, DefaultKindRetriesAResponseMarkedRetryableByTheNextHop) {
  auto a = response("POST", 502, /*l5d_retryable=*/true);

  EXPECT_EQ(classify(ClassifierKind::NonRetryable5XX, a), RC::RetryableFailure);
}

TEST(Classify, RetryableMarkerOnASuccessfulResponseIsIgnored) {
  EXPECT_EQ(classify(ClassifierKind::NonRetryable5XX, response("GET", 200, true)), RC::Success);
}

TEST(Classify, RetryableReadRetriesAGetButNotAPost) {
  EXPECT_EQ(classify(ClassifierKind::RetryableRead5XX, response("GET", 500)), RC::RetryableFailure);
  EXPECT_EQ(classify(ClassifierKind::RetryableRead5XX, response("POST", 500)),
            RC::NonRetryableFailure);
}

TEST(Classify, RetryableKindsRetryTimeoutsButNotOtherErrors) {
  auto timeout = failed("GET", make_error_code(errc::timeout));
  auto gone = failed("GET", make_error_code(errc::client_gone));

  EXPECT_EQ(classify(ClassifierKind::RetryableRead5XX, timeout), RC::RetryableFailure);
  EXPECT_EQ(classify(ClassifierKind::RetryableRead5XX, gone), RC::NonRetryableFailure);
  EXPECT_EQ(classify(ClassifierKind::NonRetryable5XX, timeout), RC::NonRetryableFailure);
}

TEST(Classify, AChunkedRequestIsNeverRetryable) {
  EXPECT_EQ(classify(ClassifierKind::RetryableAll5XX, response("POST", 503, false, true)),
            RC::NonRetryableFailure);
  EXPECT_EQ(classify(ClassifierKind::NonRetryable5XX, response("GET", 503, true, true)),
            RC::NonRetryableFailure);
}

TEST(Classify, AllSuccessfulTakesEveryResponseButNoError) {
  EXPECT_EQ(classify(ClassifierKind::AllSuccessful, response("GET", 503, true)), RC::Success);
  EXPECT_EQ(classify(ClassifierKind::AllSuccessful, failed("GET", make_error_code(errc::timeout))),
            RC::NonRetryableFailure);
}

TEST(Classify, MethodsAreCaseSensitive) {
  EXPECT_EQ(classify(ClassifierKind::RetryableAll5XX, response("get", 500)),
            RC::NonRetryableFailure);
}

// ---- The whole table ----------------------------------------------------------------------------

struct Outcome {
  const char* name;
  int status;
  boost::system::error_code error;
};

const std::vector<Outcome>& outcomes() {
  static const std::vector<Outcome> all = {
      {"200", 200, {}},
      {"404", 404, {}},
      {"500", 500, {}},
      {"503", 503, {}},
      {"599", 599, {}},
      {"600", 600, {}},
      {"timeout", 0, make_error_code(errc::timeout)},
      {"asio_timed_out", 0, boost::asio::error::timed_out},
      {"connect_failed", 0, make_error_code(errc::connect_failed)},
      {"upstream_reset", 0, make_error_code(errc::upstream_reset)},
      {"protocol_error", 0, make_error_code(errc::protocol_error)},
      {"client_gone", 0, make_error_code(errc::client_gone)},
      {"overloaded", 0, make_error_code(errc::overloaded)},
  };
  return all;
}

// One letter per outcome above, for a request without a chunked body and a response without
// `l5d-retryable`: S Success, N NonRetryableFailure, R RetryableFailure.
constexpr std::string_view kRetrying = "SSRRRSRRRRRNN";     // method in the kind's set
constexpr std::string_view kNotRetrying = "SSNNNSNNNNNNN";  // method outside it
constexpr std::string_view kAllSuccessful = "SSSSSSNNNNNNN";

struct KindRow {
  ClassifierKind kind;
  const char* name;
  std::vector<std::string_view> retrying_methods;
};

const std::vector<KindRow>& kinds() {
  static const std::vector<KindRow> all = {
      {ClassifierKind::NonRetryable5XX, "nonRetryable5XX", {}},
      {ClassifierKind::RetryableRead5XX, "retryableRead5XX", {"GET", "HEAD", "OPTIONS", "TRACE"}},
      {ClassifierKind::RetryableIdempotent5XX,
       "retryableIdempotent5XX",
       {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}},
      {ClassifierKind::RetryableAll5XX,
       "retryableAll5XX",
       {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "POST", "PATCH"}},
      {ClassifierKind::AllSuccessful, "allSuccessful", {}},
  };
  return all;
}

const std::vector<std::string_view> kMethods = {"GET",    "HEAD", "OPTIONS", "TRACE",   "PUT",
                                                "DELETE", "POST", "PATCH",   "CONNECT", "get"};

RC letter(char c) {
  return c == 'S' ? RC::Success : c == 'R' ? RC::RetryableFailure : RC::NonRetryableFailure;
}

TEST(Classify, Table) {
  int checked = 0;
  for (const auto& k : kinds()) {
    for (auto method : kMethods) {
      bool retrying = std::find(k.retrying_methods.begin(), k.retrying_methods.end(), method) !=
                      k.retrying_methods.end();
      std::string_view row = k.kind == ClassifierKind::AllSuccessful ? kAllSuccessful
                             : retrying                              ? kRetrying
                                                                     : kNotRetrying;
      for (std::size_t i = 0; i < outcomes().size(); ++i) {
        const Outcome& o = outcomes()[i];
        for (bool marked : {false, true}) {
          for (bool chunked : {false, true}) {
            Attempt a;
            a.method = method;
            a.status = o.status;
            a.error = o.error;
            a.l5d_retryable = marked;
            a.request_chunked = chunked;
            RC want = letter(row[i]);
            // HeaderRetryable upgrades a failed *response*; then NonRetryableChunked downgrades.
            if (marked && o.status != 0 && want == RC::NonRetryableFailure) {
              want = RC::RetryableFailure;
            }
            if (chunked && want == RC::RetryableFailure) {
              want = RC::NonRetryableFailure;
            }

            EXPECT_EQ(classify(k.kind, a), want)
                << k.name << " " << method << " " << o.name << (marked ? " l5d-retryable" : "")
                << (chunked ? " chunked" : "");
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, 5 * 10 * 13 * 4);
}

// ---- Helpers ------------------------------------------------------------------------------------

TEST(IsRetryableError, AcceptsTimeoutsUnwrittenRequestsResetsAndFramingErrors) {
  EXPECT_TRUE(is_retryable_error(make_error_code(errc::timeout)));
  EXPECT_TRUE(is_retryable_error(boost::asio::error::timed_out));
  EXPECT_TRUE(is_retryable_error(make_error_code(errc::connect_failed)));
  EXPECT_TRUE(is_retryable_error(make_error_code(errc::upstream_reset)));
  EXPECT_TRUE(is_retryable_error(make_error_code(errc::protocol_error)));

  EXPECT_FALSE(is_retryable_error({}));
  EXPECT_FALSE(is_retryable_error(make_error_code(errc::deadline_exceeded)));
  EXPECT_FALSE(is_retryable_error(make_error_code(errc::no_endpoints)));
  EXPECT_FALSE(is_retryable_error(boost::asio::error::operation_aborted));
  EXPECT_FALSE(is_retryable_error(boost::asio::error::connection_refused));
}

TEST(MethodSets, ReadOnlyAndIdempotent) {
  for (auto m : {"GET", "HEAD", "OPTIONS", "TRACE"}) {
    EXPECT_TRUE(is_read_only_method(m)) << m;
    EXPECT_TRUE(is_idempotent_method(m)) << m;
  }
  for (auto m : {"PUT", "DELETE"}) {
    EXPECT_FALSE(is_read_only_method(m)) << m;
    EXPECT_TRUE(is_idempotent_method(m)) << m;
  }
  for (auto m : {"POST", "PATCH", "CONNECT", "get", ""}) {
    EXPECT_FALSE(is_read_only_method(m)) << m;
    EXPECT_FALSE(is_idempotent_method(m)) << m;
  }
}

TEST(SuccessClassValue, IsOneForSuccessAndZeroForFailures) {
  EXPECT_EQ(success_class_value(RC::Success), "1.0");
  EXPECT_EQ(success_class_value(RC::NonRetryableFailure), "0.0");
  EXPECT_EQ(success_class_value(RC::RetryableFailure), "0.0");
}

}  // namespace
}  // namespace meshd::filters
