#include "meshd/http/headers.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

namespace meshd::http {
namespace {

/// The definition `iequals` must keep: same size, bytes equal once ASCII upper case is lowered.
bool slow_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) {
      return false;
    }
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> fields(const Headers& h) {
  std::vector<std::pair<std::string, std::string>> out;
  h.for_each([&](Headers::Field f) { out.emplace_back(f.name, f.value); });
  return out;
}

std::string serialized(const Headers& h) {
  std::string out;
  h.serialize(out);
  return out;
}

/// What `serialize` wrote before the arena held the wire form: one append per piece.
std::string serialized_slowly(const Headers& h) {
  std::string out;
  h.for_each(
      [&](Headers::Field f) { out.append(f.name).append(": ").append(f.value).append("\r\n"); });
  return out;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

TEST(IEquals, AgreesWithTheByteDefinitionAtEveryLength) {
  // Every byte that matters to ASCII case folding: the letters' edges, their neighbours, and
  // bytes from 0x80 up (which have no case here, though 0xC1 and 0xE1 differ by 0x20).
  const std::string interesting = std::string("@AZ[`az{09-_ ") + "\x80\xc1\xe1\xff\x7f";
  std::mt19937 rng(7);
  std::size_t checked = 0;
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string base;
    for (std::size_t i = 0; i < n; ++i) {
      base.push_back(static_cast<char>('a' + rng() % 26));
    }
    EXPECT_TRUE(iequals(base, base)) << n;
    EXPECT_FALSE(iequals(base, base + "x")) << n;
    for (std::size_t i = 0; i < n; ++i) {
      // The same text with byte i upper-cased, or replaced by each interesting byte, compared
      // both ways round against the base and against the upper-cased base.
      std::string upper = base;
      for (char& c : upper) {
        c = static_cast<char>(c - 'a' + 'A');
      }
      std::string flipped = base;
      flipped[i] = static_cast<char>(flipped[i] - 'a' + 'A');
      for (const std::string* other : {&flipped, &upper}) {
        EXPECT_EQ(iequals(base, *other), slow_iequals(base, *other)) << n << " " << *other;
        EXPECT_TRUE(iequals(base, *other)) << n << " " << *other;
        ++checked;
      }
      for (char c : interesting) {
        std::string changed = base;
        changed[i] = c;
        for (const std::string* other : {&base, &upper}) {
          EXPECT_EQ(iequals(changed, *other), slow_iequals(changed, *other)) << n << " " << i;
          EXPECT_EQ(iequals(*other, changed), slow_iequals(*other, changed)) << n << " " << i;
          ++checked;
        }
        for (char d : interesting) {
          std::string other = base;
          other[i] = d;
          EXPECT_EQ(iequals(changed, other), slow_iequals(changed, other))
              << n << " " << i << " " << static_cast<int>(c) << " " << static_cast<int>(d);
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 100000u);
  // Non-ASCII bytes have no case: 0xC1 and 0xE1 differ only by the ASCII case bit.
  EXPECT_FALSE(iequals("\xc1", "\xe1"));
  EXPECT_FALSE(iequals("abcdefgh\xc1", "abcdefgh\xe1"));
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("[abc", "{abc"));
  EXPECT_TRUE(iequals("Content-Length", "content-LENGTH"));
}

TEST(Headers, SetReplacesEveryCaseVariantWithOneFieldAtTheEnd) {
  Headers h;
  h.add("X-Id", "1");
  h.add("Host", "a");
  h.add("x-id", "2");
  h.add("Accept", "*/*");
  h.add("X-ID", "3");
  h.set("x-Id", "4");
  EXPECT_EQ(fields(h), (Fields{{"Host", "a"}, {"Accept", "*/*"}, {"x-Id", "4"}}));
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.get("X-ID"), "4");
  EXPECT_EQ(h.get_all("x-id"), std::vector<std::string_view>{"4"});
  EXPECT_EQ(serialized(h), "Host: a\r\nAccept: */*\r\nx-Id: 4\r\n");
}

TEST(Headers, SetAppendsWhenAbsentAndReplacesTheLastFieldToo) {
  Headers h;
  h.set("Via", "1.1 a");
  h.set("via", "1.1 b");
  h.add("Host", "h");
  h.set("Host", "i");
  EXPECT_EQ(fields(h), (Fields{{"via", "1.1 b"}, {"Host", "i"}}));
  EXPECT_EQ(serialized(h), "via: 1.1 b\r\nHost: i\r\n");
}

TEST(Headers, SetAndAddAcceptViewsIntoTheirOwnFields) {
  Headers h;
  h.add("Name", "value");
  // Enough fields that the next additions reallocate the arena while reading from it.
  for (int i = 0; i < 200; ++i) {
    Headers::Field first{};
    h.for_each([&](Headers::Field f) {
      if (first.name.empty()) {
        first = f;
      }
    });
    h.add(first.value, first.name);
  }
  EXPECT_EQ(h.size(), 201u);
  EXPECT_EQ(h.get_all("value").size(), 200u);
  std::string_view v = h.get("Name");
  h.set("Name", v);  // the view points at a field that set() removes
  EXPECT_EQ(h.get("name"), "value");
  EXPECT_EQ(h.get_all("name").size(), 1u);
  std::string_view n = h.get("value");  // "Name", in a field that stays
  h.set(n, n);
  EXPECT_EQ(h.get_all("name"), std::vector<std::string_view>{"Name"});
  EXPECT_EQ(h.get_all("value").size(), 200u);
}

TEST(Headers, RemoveCountsAndIgnoresCase) {
  Headers h;
  h.add("Connection", "close");
  h.add("TE", "trailers");
  h.add("connection", "x-a");
  EXPECT_EQ(h.remove("CONNECTION"), 2u);
  EXPECT_EQ(h.remove("connection"), 0u);
  EXPECT_EQ(h.remove("Absent"), 0u);
  EXPECT_FALSE(h.contains("Connection"));
  EXPECT_TRUE(h.contains("te"));
  EXPECT_EQ(h.get("connection"), "");
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.remove("te"), 1u);
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(serialized(h), "");
}

TEST(Headers, RemovePrefixAndRemoveIf) {
  Headers h;
  h.add("l5d-dst-service", "/svc/a");
  h.add("Host", "a");
  h.add("L5D-CTX-TRACE", "x");
  h.add("l5d", "short");
  h.add("X-Keep", "1");
  EXPECT_EQ(h.remove_prefix("l5d-"), 2u);
  EXPECT_EQ(fields(h), (Fields{{"Host", "a"}, {"l5d", "short"}, {"X-Keep", "1"}}));
  EXPECT_EQ(h.remove_if([](Headers::Field f) { return f.value == "short" || f.name == "Host"; }),
            2u);
  EXPECT_EQ(fields(h), (Fields{{"X-Keep", "1"}}));
  EXPECT_EQ(h.remove_if([](Headers::Field) { return false; }), 0u);
  EXPECT_EQ(h.size(), 1u);
}

TEST(Headers, SerializeSkipsRemovedFieldsWherever) {
  Headers h;
  for (int i = 0; i < 6; ++i) {
    h.add("F" + std::to_string(i), std::string(static_cast<std::size_t>(i), 'v'));
  }
  h.add("", "");  // an empty name and value are kept as they are
  EXPECT_EQ(serialized(h), serialized_slowly(h));
  h.remove("F0");
  h.remove("F2");
  h.remove("F3");
  h.remove("F5");
  EXPECT_EQ(serialized(h), "F1: v\r\nF4: vvvv\r\n: \r\n");
  std::string out = "GET / HTTP/1.1\r\n";
  h.serialize(out);
  EXPECT_EQ(out, "GET / HTTP/1.1\r\nF1: v\r\nF4: vvvv\r\n: \r\n");
  h.remove("");
  h.remove("F4");
  EXPECT_EQ(serialized(h), "F1: v\r\n");
  h.remove("F1");
  EXPECT_EQ(serialized(h), "");
}

TEST(Headers, AgreesWithAListModelOnRandomOperations) {
  // Names of many lengths and cases, so that lookups of absent names (most of them) meet every
  // kind of near miss: same length, same first and last letters, other case.
  std::vector<std::string> names;
  for (std::string n : {"a",
                        "A",
                        "te",
                        "TE",
                        "Host",
                        "host",
                        "Via",
                        "Content-Length",
                        "content-length",
                        "Content-Lengtx",
                        "Transfer-Encoding",
                        "l5d-dst-service",
                        "L5D-DST-SERVICE",
                        "l5d-dst-client",
                        "l5d-ctx-trace",
                        "l5d-reqid",
                        "x-b3-traceid",
                        "Connection",
                        "Keep-Alive",
                        "User-Agent",
                        ""}) {
    names.push_back(n);
  }
  for (int i = 0; i < 40; ++i) {
    names.push_back("x-" + std::string(static_cast<std::size_t>(i), 'k') + "-end");
  }
  Fields model;
  Headers h;
  std::mt19937 rng(2024);
  for (int step = 0; step < 4000; ++step) {
    const std::string& name = names[rng() % names.size()];
    std::string value(rng() % 40, static_cast<char>('a' + rng() % 26));
    switch (rng() % 6) {
      case 0:
      case 1:
        h.add(name, value);
        model.emplace_back(name, value);
        break;
      case 2: {
        h.set(name, value);
        std::erase_if(model, [&](const auto& f) { return slow_iequals(f.first, name); });
        model.emplace_back(name, value);
        break;
      }
      case 3: {
        std::size_t removed = h.remove(name);
        EXPECT_EQ(removed,
                  std::erase_if(model, [&](const auto& f) { return slow_iequals(f.first, name); }));
        break;
      }
      case 4:
        if (rng() % 50 == 0) {
          h.clear();
          model.clear();
        }
        break;
      default:
        break;
    }
    ASSERT_EQ(fields(h), model) << step;
    ASSERT_EQ(h.size(), model.size());
    for (const std::string& probe : names) {
      std::vector<std::string_view> all;
      for (const auto& f : model) {
        if (slow_iequals(f.first, probe)) {
          all.push_back(f.second);
        }
      }
      ASSERT_EQ(h.get_all(probe), all) << step << " " << probe;
      ASSERT_EQ(h.contains(probe), !all.empty());
      ASSERT_EQ(h.get(probe), all.empty() ? std::string_view() : all.front());
    }
    ASSERT_EQ(serialized(h), serialized_slowly(h));
  }
}

TEST(Headers, CopiesAreIndependentAndMovesLeaveEmptyHeaders) {
  Headers h;
  h.add("A", "1");
  h.add("B", "2");
  h.remove("A");
  Headers copy(h);
  copy.add("C", "3");
  EXPECT_EQ(fields(h), (Fields{{"B", "2"}}));
  EXPECT_EQ(fields(copy), (Fields{{"B", "2"}, {"C", "3"}}));
  Headers assigned;
  assigned.add("Z", std::string(1000, 'z'));
  assigned = copy;
  EXPECT_EQ(fields(assigned), fields(copy));
  EXPECT_EQ(serialized(assigned), "B: 2\r\nC: 3\r\n");
  Headers small;
  small = assigned;  // grows an empty arena
  EXPECT_EQ(serialized(small), "B: 2\r\nC: 3\r\n");

  Headers moved(std::move(copy));
  EXPECT_EQ(fields(moved), (Fields{{"B", "2"}, {"C", "3"}}));
  EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): documented as left empty
  EXPECT_EQ(serialized(copy), "");
  EXPECT_FALSE(copy.contains("B"));
  copy.add("D", "4");
  EXPECT_EQ(fields(copy), (Fields{{"D", "4"}}));
  moved = std::move(copy);
  EXPECT_EQ(fields(moved), (Fields{{"D", "4"}}));
  EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(copy.contains("D"));
}

TEST(Headers, ReuseTheMemoryOfDestroyedHeadersSafely) {
  // Destroyed headers leave their memory to the next ones of the thread: whatever its size was
  // (a copy's is tight), what the next ones add must fit.
  for (int round = 0; round < 3; ++round) {
    {
      Headers small;
      small.add("A", "1");
      Headers copies[6] = {small, small, small, small, small, small};
      Headers big;
      big.add("Big", std::string(5000, 'b'));
      Headers usual;
      usual.add("Usual", "1");
    }
    std::vector<Headers> next(8);
    for (Headers& h : next) {
      std::string value(300 + static_cast<std::size_t>(round) * 100, 'v');
      h.add("Next", value);
      h.add("Other", value);
      for (int i = 0; i < 40; ++i) {
        h.add("F" + std::to_string(i), "x");
      }
      EXPECT_EQ(h.get("next"), value);
      EXPECT_EQ(h.size(), 42u);
      EXPECT_EQ(serialized(h), serialized_slowly(h));
    }
  }
}

TEST(Headers, FieldsMarkedCheckedAreTheOnesAddedBeforeTheMark) {
  auto checked_names = [](const Headers& h) {
    std::vector<std::string> out;
    h.for_each_checked([&](Headers::Field f, bool checked) {
      out.push_back(std::string(f.name) + (checked ? "+" : "-"));
    });
    return out;
  };
  Headers h;
  h.add("server", "nginx");
  h.add("date", "today");
  EXPECT_EQ(checked_names(h), (std::vector<std::string>{"server-", "date-"}));
  h.mark_h2_checked();
  h.remove("server");
  h.add("Via", "h2 linkerd");
  EXPECT_EQ(checked_names(h), (std::vector<std::string>{"date+", "Via-"}));
  Headers copy = h;
  EXPECT_EQ(checked_names(copy), (std::vector<std::string>{"date+", "Via-"}));
  Headers moved = std::move(copy);
  EXPECT_EQ(checked_names(moved), (std::vector<std::string>{"date+", "Via-"}));
  EXPECT_TRUE(checked_names(copy).empty());
  copy.add("x", "1");  // a moved-from object vouches for nothing
  EXPECT_EQ(checked_names(copy), (std::vector<std::string>{"x-"}));
  moved.clear();
  moved.add("a", "1");
  EXPECT_EQ(checked_names(moved), (std::vector<std::string>{"a-"}));
}

TEST(Headers, BuildsAFieldFromPieces) {
  Headers h;
  h.add("First", "1");
  h.append_pending("Content-");
  h.append_pending("Type");
  EXPECT_EQ(h.pending_part(), "Content-Type");
  h.end_pending_name();
  EXPECT_EQ(h.pending_part(), "");
  h.append_pending("text/");
  h.append_pending("plain  \t");
  EXPECT_EQ(h.pending_part(), "text/plain  \t");
  EXPECT_EQ(h.size(), 1u);
  EXPECT_FALSE(h.contains("content-type"));  // not visible until committed
  h.commit_pending(10);                      // without the trailing whitespace
  EXPECT_EQ(h.get("content-type"), "text/plain");
  // An empty value, and a field long enough to move the arena while it is being built.
  h.append_pending("Empty");
  h.end_pending_name();
  h.commit_pending(0);
  std::string big(3000, 'b');
  h.append_pending("Big");
  h.end_pending_name();
  h.append_pending(big);
  h.commit_pending(big.size());
  EXPECT_EQ(fields(h),
            (Fields{{"First", "1"}, {"Content-Type", "text/plain"}, {"Empty", ""}, {"Big", big}}));
  EXPECT_EQ(serialized(h), serialized_slowly(h));
  EXPECT_EQ(h.remove("empty"), 1u);
  EXPECT_EQ(serialized(h), serialized_slowly(h));
}

TEST(Headers, ClearDropsAFieldBeingBuilt) {
  Headers h;
  h.add("A", "1");
  h.append_pending("Half");
  h.end_pending_name();
  h.append_pending("done");
  h.clear();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.pending_part(), "");
  h.add("B", "2");
  h.append_pending("C");
  h.end_pending_name();
  h.append_pending("3");
  h.commit_pending(1);
  EXPECT_EQ(fields(h), (Fields{{"B", "2"}, {"C", "3"}}));
  EXPECT_EQ(serialized(h), "B: 2\r\nC: 3\r\n");
}

}  // namespace
}  // namespace meshd::http
