#include "meshd/http/body.h"

namespace meshd::http {

const Headers& Body::trailers() const {
  static const Headers kNone;
  return kNone;
}

boost::asio::awaitable<Result<std::string_view>> BufferBody::read() {
  if (done_) {
    co_return std::string_view{};
  }
  done_ = true;
  co_return std::string_view(data_);
}

boost::asio::awaitable<Result<void>> read_all(Body& body, std::string& out, std::size_t limit) {
  for (;;) {
    auto piece = co_await body.read();
    if (!piece) {
      co_return piece.error();
    }
    if (piece->empty()) {
      co_return Result<void>{};
    }
    if (out.size() + piece->size() > limit) {
      co_return make_error_code(errc::body_too_large);
    }
    out.append(*piece);
  }
}

}  // namespace meshd::http
