#include "meshd/http/body.h"

#include <boost/asio/error.hpp>

namespace meshd::http {

const Headers& Body::trailers() const {
  static const Headers kNone;
  return kNone;
}

boost::asio::awaitable<bool> Body::await_progress() { co_return false; }

boost::asio::awaitable<Result<std::string_view>> BufferBody::read() { co_return *poll(); }

std::optional<Result<std::string_view>> BufferBody::poll() {
  if (done_) {
    return Result<std::string_view>(std::string_view{});
  }
  done_ = true;
  return Result<std::string_view>(std::string_view(data_));
}

boost::asio::awaitable<Result<std::string_view>> EmptyBody::read() { co_return std::string_view{}; }

ObservedBody::~ObservedBody() {
  if (ended_) {
    return;
  }
  if (inner_->arrived() == std::optional<std::uint64_t>{0}) {
    trailers_ = inner_->trailers();
    finish({});
  } else {
    finish(boost::asio::error::operation_aborted);
  }
}

boost::asio::awaitable<Result<std::string_view>> ObservedBody::read() {
  if (ended_) {
    co_return std::string_view{};
  }
  auto piece = co_await inner_->read();
  note(piece);
  co_return piece;
}

boost::asio::awaitable<bool> ObservedBody::await_progress() {
  if (ended_) {
    co_return false;
  }
  co_return co_await inner_->await_progress();
}

std::optional<Result<std::string_view>> ObservedBody::poll() {
  if (ended_) {
    return Result<std::string_view>(std::string_view{});
  }
  auto piece = inner_->poll();
  if (piece) {
    note(*piece);
  }
  return piece;
}

void ObservedBody::note(const Result<std::string_view>& piece) {
  if (!piece) {
    finish(piece.error());
  } else if (piece->empty()) {
    trailers_ = inner_->trailers();
    finish({});
  } else {
    bytes_ += piece->size();
  }
}

void ObservedBody::finish(boost::system::error_code ec) noexcept {
  if (ended_) {
    return;
  }
  ended_ = true;
  if (ec) {
    trailers_ = Headers();
  }
  BodyEnd end{ec, bytes_, trailers_, std::chrono::steady_clock::now()};
  for (auto& observer : observers_) {
    observer(end);
  }
  observers_.clear();  // what they hold (stats, endpoints) goes with the stream
}

void observe(BodyPtr& body, ObservedBody::Observer observer) {
  auto* observed = body ? body->as_observed() : nullptr;
  if (observed == nullptr || observed->ended()) {
    auto wrapper = std::make_unique<ObservedBody>(std::move(body));
    observed = wrapper.get();
    body = std::move(wrapper);
  }
  observed->add(std::move(observer));
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
