#include "meshd/filters/classifier.h"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
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

TEST(Classify, OptionsOverloadMatchesTheKindOverloadForHttpKinds) {
  for (const auto& k : kinds()) {
    for (const auto& o : outcomes()) {
      Attempt a;
      a.method = "GET";
      a.status = o.status;
      a.error = o.error;
      ClassifierOptions options;
      options.kind = k.kind;

      EXPECT_EQ(classify(options, a), classify(k.kind, a)) << k.name << " " << o.name;
      EXPECT_EQ(classify_early(options, a), classify(k.kind, a)) << k.name << " " << o.name;
    }
  }
}

// ---- h2 kinds (inventory §12.5, H2Classifiers.scala) ------------------------------------------

struct H2Outcome {
  const char* name;
  int status;                              // 0: no response
  boost::system::error_code error;         // the attempt failed without a response
  boost::system::error_code stream_error;  // the response stream failed after the head
};

const std::vector<H2Outcome>& h2_outcomes() {
  static const std::vector<H2Outcome> all = {
      {"200", 200, {}, {}},
      {"404", 404, {}, {}},
      {"500", 500, {}, {}},
      {"503", 503, {}, {}},
      {"timeout", 0, make_error_code(errc::timeout), {}},
      {"asio_timed_out", 0, boost::asio::error::timed_out, {}},
      {"connect_failed", 0, make_error_code(errc::connect_failed), {}},
      {"upstream_reset", 0, make_error_code(errc::upstream_reset), {}},
      {"protocol_error", 0, make_error_code(errc::protocol_error), {}},
      {"client_gone", 0, make_error_code(errc::client_gone), {}},
      {"200 then stream timeout", 200, {}, make_error_code(errc::timeout)},
      {"200 then stream reset", 200, {}, make_error_code(errc::upstream_reset)},
      {"200 then stream protocol_error", 200, {}, make_error_code(errc::protocol_error)},
      {"200 then stream client_gone", 200, {}, make_error_code(errc::client_gone)},
  };
  return all;
}

// One letter per h2 outcome; `-` in the early rows: not classifiable from the head.
constexpr std::string_view kH2Retrying = "SSRRRRRRNNRRNN";
constexpr std::string_view kH2NotRetrying = "SSNNNNNNNNNNNN";
constexpr std::string_view kH2AllSuccessful = "SSSSNNNNNNNNNN";
constexpr std::string_view kH2RetryingEarly = "--RRRRRRNN----";
constexpr std::string_view kH2NotRetryingEarly = "--NNNNNNNN----";
constexpr std::string_view kH2AllSuccessfulEarly = "----NNNNNN----";

const std::vector<KindRow>& h2_kinds() {
  static const std::vector<KindRow> all = {
      {ClassifierKind::H2NonRetryable5XX, "h2.nonRetryable5XX", {}},
      {ClassifierKind::H2RetryableRead5XX,
       "h2.retryableRead5XX",
       {"GET", "HEAD", "OPTIONS", "TRACE"}},
      {ClassifierKind::H2RetryableIdempotent5XX,
       "h2.retryableIdempotent5XX",
       {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}},
      {ClassifierKind::H2RetryableAll5XX,
       "h2.retryableAll5XX",
       {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "POST", "PATCH"}},
      {ClassifierKind::H2AllSuccessful, "h2.allSuccessful", {}},
  };
  return all;
}

std::optional<RC> early_letter(char c) {
  return c == '-' ? std::nullopt : std::optional{letter(c)};
}

TEST(ClassifyH2, Table) {
  int checked = 0;
  for (const auto& k : h2_kinds()) {
    for (auto method : kMethods) {
      const bool retrying = std::find(k.retrying_methods.begin(), k.retrying_methods.end(),
                                      method) != k.retrying_methods.end();
      const bool all = k.kind == ClassifierKind::H2AllSuccessful;
      std::string_view row = all ? kH2AllSuccessful : retrying ? kH2Retrying : kH2NotRetrying;
      std::string_view early_row = all        ? kH2AllSuccessfulEarly
                                   : retrying ? kH2RetryingEarly
                                              : kH2NotRetryingEarly;
      for (std::size_t i = 0; i < h2_outcomes().size(); ++i) {
        const H2Outcome& o = h2_outcomes()[i];
        // h2 has no l5d-retryable, and retries buffer the request: both flags are ignored.
        for (bool flags : {false, true}) {
          Attempt a;
          a.method = method;
          a.status = o.status;
          a.error = o.error;
          a.stream_error = o.stream_error;
          a.l5d_retryable = flags;
          a.request_chunked = flags;
          ClassifierOptions options;
          options.kind = k.kind;

          EXPECT_EQ(classify(options, a), letter(row[i]))
              << k.name << " " << method << " " << o.name << (flags ? " flags" : "");
          EXPECT_EQ(classify(k.kind, a), letter(row[i]))
              << k.name << " " << method << " " << o.name;
          EXPECT_EQ(classify_early(options, a), early_letter(early_row[i]))
              << "early " << k.name << " " << method << " " << o.name;
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 5 * 10 * 14 * 2);
}

// ---- gRPC kinds (inventory §12.5, GrpcClassifier.scala) ----------------------------------------

struct GrpcOutcome {
  const char* name;
  int status;
  std::optional<int> grpc_status;
  boost::system::error_code error;
  boost::system::error_code stream_error;
};

const std::vector<GrpcOutcome>& grpc_outcomes() {
  static const std::vector<GrpcOutcome> all = {
      {"grpc 0", 200, 0, {}, {}},
      {"grpc 14", 200, 14, {}, {}},
      {"grpc 4", 200, 4, {}, {}},
      {"grpc 5", 200, 5, {}, {}},
      {"grpc 2", 200, 2, {}, {}},
      {"503 with grpc 0", 503, 0, {}, {}},
      {"503 with grpc 14", 503, 14, {}, {}},
      {"no grpc-status at end of stream", 200, std::nullopt, {}, {}},
      {"stream reset", 200, std::nullopt, {}, make_error_code(errc::upstream_reset)},
      {"404 without grpc-status", 404, std::nullopt, {}, {}},
      {"503 without grpc-status", 503, std::nullopt, {}, {}},
      {"429 without grpc-status", 429, std::nullopt, {}, {}},
      {"timeout", 0, std::nullopt, make_error_code(errc::timeout), {}},
      {"connect_failed", 0, std::nullopt, make_error_code(errc::connect_failed), {}},
  };
  return all;
}

struct GrpcRow {
  ClassifierOptions options;
  const char* name;
  std::string_view classes;  ///< one letter per grpc outcome
  std::string_view early;    ///< `-`: not classifiable from the head
};

ClassifierOptions grpc(ClassifierKind kind, std::vector<int> success = {0},
                       std::vector<int> retryable = {}) {
  return ClassifierOptions{kind, std::move(success), std::move(retryable)};
}

TEST(ClassifyGrpc, Table) {
  using K = ClassifierKind;
  // Early classification sees grpc-status only in headers (a trailers-only response), which is
  // how these attempts read from the head.
  const std::vector<GrpcRow> rows = {
      {grpc(K::GrpcDefault), "default", "SRNNNSRNNNNNNN", "SRNNNSR--NNNNN"},
      {grpc(K::GrpcCompliant), "compliant (== default in 1.7.5)", "SRNNNSRNNNNNNN",
       "SRNNNSR--NNNNN"},
      {grpc(K::GrpcNeverRetryable), "neverRetryable", "SNNNNSNNNNNNNN", "SNNNNSN--NNNNN"},
      {grpc(K::GrpcAlwaysRetryable), "alwaysRetryable", "SRRRRSRNNNNNNN", "SRRRRSR--NNNNN"},
      {grpc(K::GrpcRetryableStatusCodes, {0}, {4, 5}), "retryableStatusCodes [4, 5]",
       "SNRRNSNNNNNNNN", "SNRRNSN--NNNNN"},
      {grpc(K::GrpcRetryableStatusCodes, {0}, {}), "retryableStatusCodes []", "SNNNNSNNNNNNNN",
       "SNNNNSN--NNNNN"},
      {grpc(K::GrpcDefault, {0, 5}), "default, success [0, 5]", "SRNSNSRNNNNNNN", "SRNSNSR--NNNNN"},
      {grpc(K::GrpcAlwaysRetryable, {}), "alwaysRetryable, success []", "RRRRRRRNNNNNNN",
       "RRRRRRR--NNNNN"},
  };
  int checked = 0;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < grpc_outcomes().size(); ++i) {
      const GrpcOutcome& o = grpc_outcomes()[i];
      Attempt a;
      a.method = "POST";
      a.status = o.status;
      a.grpc_status = o.grpc_status;
      a.error = o.error;
      a.stream_error = o.stream_error;

      EXPECT_EQ(classify(row.options, a), letter(row.classes[i])) << row.name << " " << o.name;
      // A stream error is only known at the end: the head of that attempt had no grpc-status.
      EXPECT_EQ(classify_early(row.options, a), early_letter(row.early[i]))
          << "early " << row.name << " " << o.name;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 8 * 14);
}

TEST(ClassifyGrpc, KindOverloadUsesSuccessCodeZero) {
  Attempt ok;
  ok.method = "POST";
  ok.status = 200;
  ok.grpc_status = 0;
  Attempt unavailable = ok;
  unavailable.grpc_status = 14;

  EXPECT_EQ(classify(ClassifierKind::GrpcDefault, ok), RC::Success);
  EXPECT_EQ(classify(ClassifierKind::GrpcDefault, unavailable), RC::RetryableFailure);
  EXPECT_EQ(classify(ClassifierKind::GrpcRetryableStatusCodes, unavailable),
            RC::NonRetryableFailure);
}

TEST(ClassifyGrpc, TrailersDecideWhatTheHeadCouldNot) {
  ClassifierOptions options = grpc(ClassifierKind::GrpcDefault);
  Attempt a;
  a.method = "POST";
  a.status = 200;

  const auto at_head = classify_early(options, a);
  a.grpc_status = grpc_status_from("14", /*in_trailers=*/true);
  const auto at_end = classify(options, a);

  EXPECT_FALSE(at_head.has_value());
  EXPECT_EQ(at_end, RC::RetryableFailure);
}

// ---- Kind names and helpers --------------------------------------------------------------------

TEST(ClassifierKindNames, RoundTripEveryLinkerdName) {
  const std::vector<std::string_view> names = {
      "io.l5d.http.nonRetryable5XX",
      "io.l5d.http.retryableRead5XX",
      "io.l5d.http.retryableIdempotent5XX",
      "io.l5d.http.retryableAll5XX",
      "io.l5d.http.allSuccessful",
      "io.l5d.h2.nonRetryable5XX",
      "io.l5d.h2.retryableRead5XX",
      "io.l5d.h2.retryableIdempotent5XX",
      "io.l5d.h2.retryableAll5XX",
      "io.l5d.h2.allSuccessful",
      "io.l5d.h2.grpc.default",
      "io.l5d.h2.grpc.neverRetryable",
      "io.l5d.h2.grpc.alwaysRetryable",
      "io.l5d.h2.grpc.retryableStatusCodes",
      "io.l5d.h2.grpc.compliant",
  };
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto kind = parse_classifier_kind(names[i]);

    ASSERT_TRUE(kind.has_value()) << names[i];
    EXPECT_EQ(static_cast<std::size_t>(*kind), i) << names[i];
    EXPECT_EQ(classifier_kind_name(*kind), names[i]);
    EXPECT_EQ(is_h2_kind(*kind), i >= 5) << names[i];
    EXPECT_EQ(is_grpc_kind(*kind), i >= 10) << names[i];
  }
  EXPECT_FALSE(parse_classifier_kind("io.l5d.nonRetryable5XX"));
  EXPECT_FALSE(parse_classifier_kind("io.l5d.h2.grpc.Default"));
  EXPECT_FALSE(parse_classifier_kind(""));
}

TEST(GrpcStatusFrom, ReadsIntegersAndTreatsGarbageLikeLinkerd) {
  EXPECT_EQ(grpc_status_from("0", false), 0);
  EXPECT_EQ(grpc_status_from("14", true), 14);
  EXPECT_EQ(grpc_status_from("+3", true), 3);
  EXPECT_EQ(grpc_status_from("99", false), 99);
  EXPECT_EQ(grpc_status_from("abc", false), 2);            // headers: UNKNOWN
  EXPECT_EQ(grpc_status_from("abc", true), std::nullopt);  // trailers: no status
  EXPECT_EQ(grpc_status_from("", false), 2);
  EXPECT_EQ(grpc_status_from("1 ", true), std::nullopt);
}

TEST(IsRetryableH2Error, IsTheHttpSetWithoutMalformedResponses) {
  EXPECT_TRUE(is_retryable_h2_error(make_error_code(errc::timeout)));
  EXPECT_TRUE(is_retryable_h2_error(boost::asio::error::timed_out));
  EXPECT_TRUE(is_retryable_h2_error(make_error_code(errc::connect_failed)));
  EXPECT_TRUE(is_retryable_h2_error(make_error_code(errc::upstream_reset)));

  EXPECT_FALSE(is_retryable_h2_error(make_error_code(errc::protocol_error)));
  EXPECT_FALSE(is_retryable_h2_error({}));
  EXPECT_FALSE(is_retryable_h2_error(make_error_code(errc::client_gone)));
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

TEST(MayRetryAtEnd, OnlyKindsThatCanRetryAStreamsEndHoldIt) {
  using K = ClassifierKind;
  auto of = [](K kind) { return ClassifierOptions{kind, {0}, {}}; };
  EXPECT_FALSE(may_retry_at_end(of(K::H2NonRetryable5XX), "GET"));
  EXPECT_FALSE(may_retry_at_end(of(K::H2AllSuccessful), "GET"));
  EXPECT_TRUE(may_retry_at_end(of(K::H2RetryableRead5XX), "GET"));
  EXPECT_FALSE(may_retry_at_end(of(K::H2RetryableRead5XX), "POST"));
  EXPECT_TRUE(may_retry_at_end(of(K::H2RetryableIdempotent5XX), "PUT"));
  EXPECT_TRUE(may_retry_at_end(of(K::H2RetryableAll5XX), "POST"));
  EXPECT_TRUE(may_retry_at_end(grpc(K::GrpcDefault), "POST"));
  EXPECT_TRUE(may_retry_at_end(grpc(K::GrpcAlwaysRetryable), "POST"));
  EXPECT_FALSE(may_retry_at_end(grpc(K::GrpcNeverRetryable), "POST"));
  EXPECT_TRUE(may_retry_at_end(grpc(K::GrpcRetryableStatusCodes, {0}, {4}), "POST"));
  EXPECT_FALSE(may_retry_at_end(grpc(K::GrpcRetryableStatusCodes, {0}, {}), "POST"));
  EXPECT_FALSE(may_retry_at_end(of(K::RetryableRead5XX), "GET")) << "HTTP kinds decide at the head";
}

}  // namespace
}  // namespace meshd::filters
