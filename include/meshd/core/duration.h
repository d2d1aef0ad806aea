#pragma once

#include <chrono>
#include <string>

namespace meshd {

/// A duration as twitter-util's `Duration.toString` prints it, which Linkerd's error texts
/// quote: `600.milliseconds`, `1.seconds`, `1.minutes+30.seconds`, `0.seconds`.
std::string show_twitter_duration(std::chrono::nanoseconds d);

}  // namespace meshd
