#include <gtest/gtest.h>

#include "meshd/trace/trace.h"

namespace meshd::trace {
namespace {

TraceId sample_id() {
  TraceId id;
  id.span_id = 0x1111111111111111;
  id.parent_id = 0x2222222222222222;
  id.trace_id = 0x3333333333333333;
  id.sampled = true;
  return id;
}

TEST(Propagator, KnowsTheTwoKinds) {
  EXPECT_NE(make_propagator("io.l5d.default"), nullptr);
  EXPECT_NE(make_propagator("io.l5d.zipkin"), nullptr);
  EXPECT_EQ(make_propagator("io.l5d.b3"), nullptr);
}

TEST(LinkerdPropagator, WritesCtxTraceAndRequestId) {
  auto p = make_propagator("io.l5d.default");
  http::Headers headers;
  headers.add("l5d-ctx-trace", "stale");

  p->write(headers, sample_id());

  EXPECT_EQ(headers.get_all("l5d-ctx-trace").size(), 1u);
  EXPECT_EQ(decode_ctx_trace(headers.get("l5d-ctx-trace")), sample_id());
  EXPECT_EQ(headers.get("l5d-reqid"), "3333333333333333");
}

TEST(LinkerdPropagator, ReadsAndRemovesItsHeaders) {
  auto p = make_propagator("io.l5d.default");
  http::Headers headers;
  headers.add("L5d-Ctx-Trace", encode_ctx_trace(sample_id()));
  headers.add("l5d-reqid", "3333333333333333");

  auto id = p->read(headers);

  EXPECT_EQ(id, sample_id());
  EXPECT_FALSE(headers.contains("l5d-ctx-trace"));
  EXPECT_TRUE(headers.contains("l5d-reqid"));  // not Linkerd's to consume
}

TEST(LinkerdPropagator, SampleHeaderOverridesTheContextsDecision) {
  auto p = make_propagator("io.l5d.default");
  for (auto [rate, expected] : {std::pair{"1.0", true}, std::pair{"0", false}, std::pair{"7", true},
                                std::pair{"-2", false}}) {
    http::Headers headers;
    TraceId sent = sample_id();
    sent.sampled = !expected;
    headers.add("l5d-ctx-trace", encode_ctx_trace(sent));
    headers.add("l5d-sample", rate);

    auto id = p->read(headers);

    ASSERT_TRUE(id);
    EXPECT_EQ(id->sampled, expected) << rate;
    EXPECT_EQ(id->span_id, sent.span_id);
    EXPECT_FALSE(headers.contains("l5d-sample"));
  }
}

TEST(LinkerdPropagator, SampleHeaderAloneIsADecisionForANewRoot) {
  auto p = make_propagator("io.l5d.default");
  http::Headers headers;
  headers.add("l5d-sample", "1");

  auto id = p->read(headers);

  ASSERT_TRUE(id);
  EXPECT_EQ(id->span_id, 0u);
  EXPECT_NE(id->trace_id, 0u);
  EXPECT_EQ(id->sampled, true);
  TraceId server = child_of(*id);
  EXPECT_FALSE(server.parent_id);
  EXPECT_EQ(server.trace_id, server.span_id);
  EXPECT_EQ(server.sampled, true);
}

TEST(LinkerdPropagator, InvalidContextOrSampleIsIgnoredAndStillRemoved) {
  auto p = make_propagator("io.l5d.default");
  http::Headers headers;
  headers.add("l5d-ctx-trace", "garbage");
  headers.add("l5d-sample", "lots");

  EXPECT_FALSE(p->read(headers));
  EXPECT_TRUE(headers.empty());

  http::Headers none;
  EXPECT_FALSE(p->read(none));
}

TEST(ZipkinPropagator, WritesAllFiveB3Headers) {
  auto p = make_propagator("io.l5d.zipkin");
  http::Headers headers;
  headers.add("X-B3-Sampled", "stale");

  p->write(headers, sample_id());

  EXPECT_EQ(headers.get("x-b3-spanid"), "1111111111111111");
  EXPECT_EQ(headers.get("x-b3-parentspanid"), "2222222222222222");
  EXPECT_EQ(headers.get("x-b3-traceid"), "3333333333333333");
  EXPECT_EQ(headers.get_all("x-b3-sampled").size(), 1u);
  EXPECT_EQ(headers.get("x-b3-sampled"), "1");
  EXPECT_EQ(headers.get("x-b3-flags"), "0");
  EXPECT_FALSE(headers.contains("l5d-ctx-trace"));
}

TEST(ZipkinPropagator, WritesLikeLinkerdWithoutParentOrDecision) {
  // Finagle's parentId of a root is its span id; an undecided trace is written as sampled 0.
  auto p = make_propagator("io.l5d.zipkin");
  TraceId root;
  root.span_id = 0xabc;
  root.trace_id = 0xabc;
  http::Headers headers;

  p->write(headers, root);

  EXPECT_EQ(headers.get("x-b3-parentspanid"), "0000000000000abc");
  EXPECT_EQ(headers.get("x-b3-sampled"), "0");

  root.debug = true;
  p->write(headers, root);
  EXPECT_EQ(headers.get("x-b3-sampled"), "1");
  EXPECT_EQ(headers.get("x-b3-flags"), "1");
}

TEST(ZipkinPropagator, Writes128BitTraceIdsInFull) {
  auto p = make_propagator("io.l5d.zipkin");
  TraceId id = sample_id();
  id.trace_id_high = 0x0102030405060708;
  http::Headers headers;

  p->write(headers, id);

  EXPECT_EQ(headers.get("x-b3-traceid"), "01020304050607083333333333333333");
}

TEST(ZipkinPropagator, ReadsCaseInsensitivelyAndRemovesItsHeaders) {
  auto p = make_propagator("io.l5d.zipkin");
  http::Headers headers;
  headers.add("X-B3-TraceId", "463AC35C9F6413AD48485A3953BB6124");
  headers.add("X-B3-SpanId", "a2fb4a1d1a96d312");
  headers.add("X-B3-ParentSpanId", "0020000000000001");
  headers.add("X-B3-Sampled", "1");
  headers.add("X-B3-Flags", "0");
  headers.add("l5d-ctx-trace", encode_ctx_trace(sample_id()));
  headers.add("l5d-sample", "0");
  headers.add("other", "kept");

  auto id = p->read(headers);

  ASSERT_TRUE(id);
  EXPECT_EQ(id->trace_id, 0x48485a3953bb6124u);
  EXPECT_EQ(id->trace_id_high, 0x463ac35c9f6413adu);
  EXPECT_EQ(id->span_id, 0xa2fb4a1d1a96d312u);
  EXPECT_EQ(id->parent_id, 0x0020000000000001u);
  EXPECT_EQ(id->sampled, true);
  EXPECT_FALSE(id->debug);
  EXPECT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers.get("other"), "kept");
}

TEST(ZipkinPropagator, ReadsTheSampledAndFlagsForms) {
  struct Case {
    const char* sampled;  // nullptr: absent
    const char* flags;
    std::optional<bool> expect_sampled;
    bool expect_debug;
  };
  const Case cases[] = {
      {"1", nullptr, true, false},
      {"0", nullptr, false, false},
      {"true", nullptr, true, false},
      {"TRUE", nullptr, true, false},
      {"false", nullptr, false, false},
      {"bogus", nullptr, false, false},
      {nullptr, nullptr, std::nullopt, false},
      {nullptr, "1", std::nullopt, true},
      {"0", "1", false, true},
      {nullptr, " 7 trailing", std::nullopt, true},
      {nullptr, "2", std::nullopt, false},
      {nullptr, "x", std::nullopt, false},
  };
  auto p = make_propagator("io.l5d.zipkin");
  for (const auto& c : cases) {
    http::Headers headers;
    headers.add("x-b3-spanid", "00000000000000aa");
    headers.add("x-b3-traceid", "00000000000000bb");
    if (c.sampled != nullptr) {
      headers.add("x-b3-sampled", c.sampled);
    }
    if (c.flags != nullptr) {
      headers.add("x-b3-flags", c.flags);
    }

    auto id = p->read(headers);

    ASSERT_TRUE(id);
    EXPECT_EQ(id->sampled, c.expect_sampled) << (c.sampled ? c.sampled : "-");
    EXPECT_EQ(id->debug, c.expect_debug) << (c.flags ? c.flags : "-");
  }
}

TEST(ZipkinPropagator, AFractionalSampledIsARate) {
  auto p = make_propagator("io.l5d.zipkin");
  int sampled = 0;
  for (int i = 0; i < 2000; ++i) {
    TraceId sent;
    sent.trace_id = random_id();
    http::Headers headers;
    headers.add("x-b3-spanid", "00000000000000aa");
    headers.add("x-b3-traceid", request_id(sent));
    headers.add("x-b3-sampled", "0.5");

    auto id = p->read(headers);

    ASSERT_TRUE(id && id->sampled);
    EXPECT_EQ(*id->sampled, sampled_at(0.5, sent.trace_id));
    sampled += *id->sampled ? 1 : 0;
  }
  EXPECT_GT(sampled, 800);
  EXPECT_LT(sampled, 1200);
}

TEST(ZipkinPropagator, MissingPiecesFallBackLikeFinagle) {
  auto p = make_propagator("io.l5d.zipkin");

  http::Headers no_trace;
  no_trace.add("x-b3-spanid", "000000000000000a");
  no_trace.add("x-b3-parentspanid", "000000000000000b");
  auto a = p->read(no_trace);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->trace_id, 0xbu);  // the parent stands in for the trace

  http::Headers only_span;
  only_span.add("x-b3-spanid", "a");
  auto b = p->read(only_span);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->trace_id, 0xau);
  EXPECT_FALSE(b->parent_id);

  http::Headers bad_span;
  bad_span.add("x-b3-spanid", "not-hex");
  bad_span.add("x-b3-traceid", "000000000000000b");
  EXPECT_FALSE(p->read(bad_span));

  http::Headers too_long;
  too_long.add("x-b3-spanid", "0000000000000000a");
  EXPECT_FALSE(p->read(too_long));

  http::Headers decision;
  decision.add("x-b3-sampled", "0");
  auto d = p->read(decision);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->span_id, 0u);
  EXPECT_EQ(d->sampled, false);
}

TEST(ZipkinPropagator, RoundTripsThroughWriteAndRead) {
  auto p = make_propagator("io.l5d.zipkin");
  TraceId id = sample_id();
  id.trace_id_high = 0x77;
  id.debug = true;
  http::Headers headers;

  p->write(headers, id);
  auto back = p->read(headers);

  EXPECT_EQ(back, id);
}

}  // namespace
}  // namespace meshd::trace
