//===- JsonTest.cpp - Minimal JSON parser and formatting ------------------===//

#include "flops/Runtime/Json.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdlib>
#include <limits>

using namespace flops::rt;
using namespace flops::rt::test;

namespace {

TEST(Json, ParsesNestedDocumentInOrder) {
  JsonValue v;
  std::string err;
  ASSERT_TRUE(parseJson(R"( {"b": [1, -2.5e3, true, false, null],
                             "a": {"s": "x\"\\\/\n\u00e9\ud83d\ude00"}} )",
                        &v, &err))
      << err;
  ASSERT_TRUE(v.isObject());
  EXPECT_EQ(v.keys, (std::vector<std::string>{"b", "a"}));
  const JsonValue *b = v.find("b");
  ASSERT_TRUE(b && b->isArray());
  ASSERT_EQ(b->items.size(), 5u);
  EXPECT_EQ(b->items[0].number, 1.0);
  EXPECT_EQ(b->items[1].number, -2500.0);
  EXPECT_EQ(b->items[1].text, "-2.5e3");
  EXPECT_TRUE(b->items[2].boolean);
  EXPECT_EQ(b->items[3].kind, JsonValue::Kind::Bool);
  EXPECT_FALSE(b->items[3].boolean);
  EXPECT_EQ(b->items[4].kind, JsonValue::Kind::Null);
  const JsonValue *s = v.find("a")->find("s");
  ASSERT_TRUE(s && s->isString());
  EXPECT_EQ(s->text, "x\"\\/\n\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(v.find("missing"), nullptr);
}

TEST(Json, Uint64OnlyForPlainIntegers) {
  JsonValue v;
  ASSERT_TRUE(parseJson("[0, 18446744073709551615, 18446744073709551616, "
                        "-1, 1.0, 1e3]",
                        &v));
  uint64_t x = 7;
  EXPECT_TRUE(v.items[0].getUint64(&x));
  EXPECT_EQ(x, 0u);
  EXPECT_TRUE(v.items[1].getUint64(&x));
  EXPECT_EQ(x, std::numeric_limits<uint64_t>::max());
  for (int i = 2; i < 6; ++i)
    EXPECT_FALSE(v.items[i].getUint64(&x)) << i;
}

TEST(Json, RejectsMalformedInput) {
  const char *bad[] = {
      "",           "{",          "{\"a\":1,}",   "[1 2]",        "{\"a\" 1}",
      "{'a':1}",    "01",         "1.",           "-",            "1e",
      "tru",        "nul",        "\"abc",        "\"\\x\"",      "\"\\u12\"",
      "\"\\ud800\"", "\"\\udc00\"", "\"a\nb\"",    "{\"a\":1,\"a\":2}", "[] []",
      "\"\xC3\"",   "\"\xED\xA0\x80\"", "\"\xC0\xAF\"", "NaN",     "[1,]",
  };
  for (const char *text : bad) {
    JsonValue v;
    std::string err;
    EXPECT_FALSE(parseJson(text, &v, &err)) << "accepted: " << text;
    EXPECT_TRUE(contains(err, "at byte ")) << err;
  }
}

TEST(Json, NestingLimit) {
  std::string ok(60, '['), tooDeep(100, '[');
  ok += std::string(60, ']');
  tooDeep += std::string(100, ']');
  JsonValue v;
  std::string err;
  EXPECT_TRUE(parseJson(ok, &v, &err)) << err;
  EXPECT_FALSE(parseJson(tooDeep, &v, &err));
  EXPECT_TRUE(contains(err, "nesting")) << err;
}

TEST(Json, StringEscapingRoundTrips) {
  std::string raw = std::string("quote\" back\\ nl\n tab\t ctl\x01 nul") +
                    '\0' + " \xC3\xA9";
  std::string quoted = jsonString(raw);
  EXPECT_EQ(quoted.find('\n'), std::string::npos);
  EXPECT_TRUE(contains(quoted, "\\u0001")) << quoted;
  EXPECT_TRUE(contains(quoted, "\\u0000")) << quoted;
  JsonValue v;
  std::string err;
  ASSERT_TRUE(parseJson(quoted, &v, &err)) << err;
  EXPECT_EQ(v.text, raw);
}

TEST(Json, NumbersRoundTripAndNonFiniteIsNull) {
  EXPECT_EQ(jsonNumber(0.1), "0.1");
  EXPECT_EQ(jsonNumber(0.1f), "0.1");
  EXPECT_EQ(jsonNumber(3.0), "3");
  EXPECT_EQ(jsonNumber(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(jsonNumber(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(jsonNumber(-std::numeric_limits<float>::infinity()), "null");
  const double ds[] = {1.0 / 3.0, -2.5e-310, 1.7976931348623157e308,
                       123456789.123456789, -0.0};
  for (double d : ds) {
    JsonValue v;
    std::string text = jsonNumber(d), err;
    ASSERT_TRUE(parseJson(text, &v, &err)) << text << ": " << err;
    EXPECT_EQ(std::signbit(v.number), std::signbit(d)) << text;
    EXPECT_EQ(v.number, d) << text;
  }
  const float fs[] = {1.0f / 3.0f, 2.3025851f, 1e-40f, 3.4028235e38f};
  for (float f : fs) {
    std::string text = jsonNumber(f);
    EXPECT_EQ(std::strtof(text.c_str(), nullptr), f) << text;
  }
}

} // namespace
