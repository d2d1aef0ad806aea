#pragma once

// Entry points of the config decoders, split across decode_*.cc and validate.cc.

#include <string>

#include "config/decoder_internal.h"
#include "meshd/config/model.h"

namespace meshd::config::detail {

/// Decodes the document root into `out`, reporting every local error (types, ranges, unknown,
/// duplicate, unsupported and removed keys, bad dtabs and paths, missing routers and servers).
void decode_config(Decoder& d, const YAML::Node& root, Config& out);

/// Decodes one `routers[]` element at `path`.
void decode_router(Decoder& d, const YAML::Node& node, const std::string& path, RouterConfig& out);

/// Checks what needs the whole config: unique router labels and listener address conflicts.
void validate(Decoder& d, const Config& config);

}  // namespace meshd::config::detail
