#pragma once

#include <iosfwd>

namespace meshd::app {

/// `meshd dtab …`, the dtab tools: `argv[0]` is the program and `argv[1]` the word `dtab`.
/// - `show DTAB`, `path PATH`, `tree NAMETREE`: print Finagle's canonical `show` form and return
///   0, or print Finagle's parse error text (`'=' expected but '&' found at '/[&]!'`) to `err`
///   and return 1.
/// - `delegate [--config FILE] [--router LABEL] [--dtab DTAB] PATH`: print the `/delegator.json`
///   document explaining PATH. With `--config` the file's namers are started on a local
///   `io_context` and the router LABEL (default: the first router) is used, with its configured
///   dtab unless `--dtab` is given; without it only `/$` names bind and the dtab is `--dtab` (or
///   empty). Waits up to 2 s for pending names; if some are still pending the document is
///   printed with them pending and 1 is returned. Config errors are printed and return 2
///   (unreadable file or namer setup failure: 1); a bad DTAB or PATH or a failed delegation
///   (`Max recursion level reached.`) returns 1.
/// - anything else: usage on `err`, returns 2.
/// Blocking; runs on the calling thread.
int run_dtab_cli(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace meshd::app
