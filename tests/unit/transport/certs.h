#pragma once

// The throw-away PKI of gen_server_certs.sh for the TLS tests, made once per test binary.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "testing/temp_dir.h"

namespace meshd::transport {

/// The PKI of gen_server_certs.sh, made once for the whole suite.
class Certs {
 public:
  static const Certs& get() {
    static const Certs certs;
    return certs;
  }
  std::string file(const std::string& name) const { return dir_.file(name); }
  std::string read(const std::string& name) const {
    std::ifstream in(file(name), std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
  }
  bool ok() const { return ok_; }

 private:
  Certs() {
    const std::string cmd = "sh " MESHD_SOURCE_DIR "/tests/unit/transport/gen_server_certs.sh '" +
                            dir_.path().string() + "'";
    ok_ = std::system(cmd.c_str()) == 0;
  }
  testing::TempDir dir_;
  bool ok_ = false;
};

}  // namespace meshd::transport
