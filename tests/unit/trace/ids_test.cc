#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "meshd/trace/trace.h"
#include "trace/format_internal.h"
#include "trace/sampling_internal.h"

namespace meshd::trace {
namespace {

// The Base64 vectors below were computed independently of meshd, with Python's
// base64.b64encode(struct.pack('>QQQQ', span, parent, trace, flags)).

TEST(CtxTrace, EncodesKnownVector) {
  TraceId id;
  id.span_id = 1;
  id.parent_id = 2;
  id.trace_id = 3;
  id.sampled = true;

  EXPECT_EQ(encode_ctx_trace(id), "AAAAAAAAAAEAAAAAAAAAAgAAAAAAAAADAAAAAAAAAAY=");
}

TEST(CtxTrace, EncodesRootWithSpanAsParentAndNoFlags) {
  TraceId id;
  id.span_id = 0x5a5a5a5a5a5a5a5a;
  id.trace_id = 0x5a5a5a5a5a5a5a5a;

  EXPECT_EQ(encode_ctx_trace(id), "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaAAAAAAAAAAA=");
}

TEST(CtxTrace, Encodes128BitIdsAsFortyBytes) {
  TraceId id;
  id.span_id = 0x1122334455667788;
  id.parent_id = 0x99aabbccddeeff00;
  id.trace_id = 0x0123456789abcdef;
  id.trace_id_high = 0xfedcba9876543210;
  id.sampled = true;
  id.debug = true;

  EXPECT_EQ(encode_ctx_trace(id), "ESIzRFVmd4iZqrvM3e7/AAEjRWeJq83vAAAAAAAAAAf+3LqYdlQyEA==");
}

TEST(CtxTrace, DecodesKnownVectors) {
  auto id = decode_ctx_trace("AAAAAAAAAAEAAAAAAAAAAgAAAAAAAAADAAAAAAAAAAY=");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->span_id, 1u);
  EXPECT_EQ(id->parent_id, 2u);
  EXPECT_EQ(id->trace_id, 3u);
  EXPECT_EQ(id->trace_id_high, 0u);
  EXPECT_EQ(id->sampled, true);
  EXPECT_FALSE(id->debug);

  auto wide = decode_ctx_trace("ESIzRFVmd4iZqrvM3e7/AAEjRWeJq83vAAAAAAAAAAf+3LqYdlQyEA==");
  ASSERT_TRUE(wide);
  EXPECT_EQ(wide->trace_id, 0x0123456789abcdefu);
  EXPECT_EQ(wide->trace_id_high, 0xfedcba9876543210u);
  EXPECT_TRUE(wide->debug);
  EXPECT_EQ(wide->sampled, true);
}

TEST(CtxTrace, ParentEqualToSpanReadsAsNoParent) {
  // span = all ones, parent = 1, trace = 1, flags = SamplingKnown only: not sampled.
  auto id = decode_ctx_trace("//////////8AAAAAAAAAAQAAAAAAAAABAAAAAAAAAAI=");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->span_id, 0xffffffffffffffffu);
  EXPECT_EQ(id->parent_id, 1u);
  EXPECT_EQ(id->sampled, false);

  auto root = decode_ctx_trace("WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaAAAAAAAAAAA=");
  ASSERT_TRUE(root);
  EXPECT_FALSE(root->parent_id);
  EXPECT_FALSE(root->sampled);
}

TEST(CtxTrace, RoundTripsEveryFlagCombination) {
  for (std::optional<bool> sampled :
       {std::optional<bool>(), std::optional<bool>(true), std::optional<bool>(false)}) {
    for (bool debug : {false, true}) {
      for (std::uint64_t high : {std::uint64_t{0}, std::uint64_t{42}}) {
        TraceId id;
        id.span_id = random_id();
        id.parent_id = random_id();
        id.trace_id = random_id();
        id.trace_id_high = high;
        id.sampled = sampled;
        id.debug = debug;

        EXPECT_EQ(decode_ctx_trace(encode_ctx_trace(id)), id);
      }
    }
  }
}

TEST(CtxTrace, RejectsWhatIsNotThirtyTwoOrFortyBytesOfBase64) {
  for (std::string_view bad :
       {"", "not base64!", "AAAA", "AAAAAAAAAAEAAAAAAAAAAgAAAAAAAAADAAAAAAAAAA==",
        "AAAAAAAAAAEAAAAAAAAAAgAAAAAAAAADAAAAAAAAAAY=AAAA",
        "AAAAAAAAAAEAAAAAAAAAAgAAAAAAAAAD AAAAAAAAAY="}) {
    EXPECT_FALSE(decode_ctx_trace(bad)) << bad;
  }
  // Padding is optional, as for Java's decoder.
  EXPECT_TRUE(decode_ctx_trace("AAAAAAAAAAEAAAAAAAAAAgAAAAAAAAADAAAAAAAAAAY"));
}

TEST(Ids, RequestIdIsTheTraceIdInSixteenLowerHexDigits) {
  TraceId id;
  id.trace_id = 0xABC;
  id.trace_id_high = 0x1;

  EXPECT_EQ(request_id(id), "0000000000000abc");
}

TEST(Ids, RootsAndChildren) {
  TraceId root = new_root();
  root.sampled = true;
  root.debug = true;

  TraceId child = child_of(root);

  EXPECT_NE(root.span_id, 0u);
  EXPECT_EQ(root.trace_id, root.span_id);
  EXPECT_FALSE(root.parent_id);
  EXPECT_EQ(child.trace_id, root.trace_id);
  EXPECT_EQ(child.parent_id, root.span_id);
  EXPECT_NE(child.span_id, root.span_id);
  EXPECT_EQ(child.sampled, true);
  EXPECT_TRUE(child.debug);
}

TEST(Ids, ChildOfADecisionOnlyContextIsARoot) {
  TraceId decision;
  decision.trace_id = 77;
  decision.sampled = false;

  TraceId child = child_of(decision);

  EXPECT_EQ(child.span_id, 77u);
  EXPECT_EQ(child.trace_id, 77u);
  EXPECT_FALSE(child.parent_id);
  EXPECT_EQ(child.sampled, false);
}

TEST(Ids, RandomIdsAreNonZeroAndDistinct) {
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = random_id();
    EXPECT_NE(id, 0u);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(SampleRate, ParsesAndClampsLikeLinkerd) {
  struct Case {
    std::string_view text;
    std::optional<double> rate;
  };
  const Case cases[] = {
      {"0.5", 0.5},
      {"1", 1.0},
      {"0", 0.0},
      {" 0.25 ", 0.25},
      {"2", 1.0},
      {"-1", 0.0},
      {"1e-2", 0.01},
      {"0.5f", 0.5},
      {"+0.5", 0.5},
      {"1e999", 1.0},
      {"Infinity", 1.0},
      {"-Infinity", 0.0},
      {"", std::nullopt},
      {"abc", std::nullopt},
      {"0.5x", std::nullopt},
      {"NaN", std::nullopt},
      {"true", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_sample_rate(c.text), c.rate) << "\"" << c.text << "\"";
  }
}

TEST(Sampler, FollowsFinaglesFormula) {
  // |id ^ salt| % 10000 < rate * 10000, with salt 0: id 12345 lands in bucket 2345.
  EXPECT_TRUE(detail::sampled_with_salt(0.2346, 12345, 0));
  EXPECT_FALSE(detail::sampled_with_salt(0.2345, 12345, 0));
  // The XOR is read as a signed value and its magnitude taken: -12345 is bucket 2345 too.
  EXPECT_TRUE(detail::sampled_with_salt(0.2346, static_cast<std::uint64_t>(-12345), 0));
  EXPECT_FALSE(detail::sampled_with_salt(0.2345, static_cast<std::uint64_t>(-12345), 0));
  // The salt is XORed in: 12345 ^ 12345 = 0 is bucket 0, sampled at any positive rate.
  EXPECT_TRUE(detail::sampled_with_salt(0.0001, 12345, 12345));
  // Rates clamp to [0, 1].
  EXPECT_FALSE(detail::sampled_with_salt(-3, 0, 0));
  EXPECT_TRUE(detail::sampled_with_salt(7, 9999, 0));
}

TEST(Sampler, IsDeterministicPerTraceAndAllOrNothingAtTheEnds) {
  for (int i = 0; i < 1000; ++i) {
    auto id = random_id();
    EXPECT_EQ(sampled_at(0.3, id), sampled_at(0.3, id));
    EXPECT_TRUE(sampled_at(1.0, id));
    EXPECT_FALSE(sampled_at(0.0, id));
  }
}

TEST(Sampler, SamplesAboutTheRate) {
  // 40 000 random ids at 25 %: the standard deviation of the share is ~0.2 %, so ±1.5 % is a
  // bound that a correct sampler misses with negligible probability.
  constexpr int kIds = 40000;
  for (double rate : {0.01, 0.25, 0.5}) {
    int sampled = 0;
    for (int i = 0; i < kIds; ++i) {
      sampled += sampled_at(rate, random_id()) ? 1 : 0;
    }
    EXPECT_NEAR(static_cast<double>(sampled) / kIds, rate, 0.015) << "rate " << rate;
  }
}

TEST(Format, TagTextIsJavasToString) {
  EXPECT_EQ(detail::tag_text(Tag::Value(1.0)), "1.0");
  EXPECT_EQ(detail::tag_text(Tag::Value(0.25)), "0.25");
  EXPECT_EQ(detail::tag_text(Tag::Value(1e-4)), "1.0E-4");
  EXPECT_EQ(detail::tag_text(Tag::Value(12345678.0)), "1.2345678E7");
  EXPECT_EQ(detail::tag_text(Tag::Value(true)), "true");
  EXPECT_EQ(detail::tag_text(Tag::Value(std::int64_t{-42})), "-42");
  EXPECT_EQ(detail::tag_text(Tag::Value(std::string("GET"))), "GET");
}

TEST(Format, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    EXPECT_EQ(detail::base64_decode(detail::base64_encode(bytes)), bytes) << n;
    bytes += static_cast<char>(n * 37 + 11);
  }
  EXPECT_EQ(detail::base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(detail::base64_encode("fooba"), "Zm9vYmE=");
}

}  // namespace
}  // namespace meshd::trace
