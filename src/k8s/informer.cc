#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

#include "k8s/api_client_internal.h"
#include "meshd/core/log.h"
#include "meshd/core/spawn.h"
#include "meshd/core/timeout.h"
#include "meshd/k8s/api_client.h"
#include "meshd/k8s/json_stream.h"

// client-go's reflector, reduced to what meshd needs: LIST, then WATCH from the list's
// resourceVersion with bookmarks; resume from the last resourceVersion after a clean end or a
// transport failure; relist (replacing the store) after a 410 or anything we cannot trust.
// resourceVersions are opaque: only stored and sent back, never compared (api.md §1.3, §2.4).

namespace meshd::k8s::detail {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Failures in a row before one is logged at warn, and the gap between such warnings.
constexpr std::uint32_t kWarnAfterFailures = 3;
constexpr auto kWarnInterval = std::chrono::seconds(30);
// The part of a failed watch's body read for its error text.
constexpr std::size_t kMaxErrorBody = 64 * 1024;

std::shared_ptr<spdlog::logger> logger() { return log::get("k8s"); }

/// Holds the `watch/active` gauge up while a watch stream is open.
class ActiveWatch {
 public:
  explicit ActiveWatch(telemetry::GaugeSharedPtr gauge) : gauge_(std::move(gauge)) {
    gauge_->incr();
  }
  ~ActiveWatch() { gauge_->decr(); }
  ActiveWatch(const ActiveWatch&) = delete;
  ActiveWatch& operator=(const ActiveWatch&) = delete;

 private:
  telemetry::GaugeSharedPtr gauge_;
};

class InformerImpl final : public Informer, public std::enable_shared_from_this<InformerImpl> {
 public:
  InformerImpl(std::shared_ptr<Connector> connector, ResourceRef ref)
      : connector_(std::move(connector)),
        ref_(std::move(ref)),
        store_(std::make_shared<const ObjectStore>()) {}

  /// Spawns the list+watch loop on the control executor.
  void start();

  // k8s::Informer
  ObjectStoreConstSharedPtr store() const override { return store_; }
  bool synced() const override { return synced_; }
  std::string last_error() const override { return last_error_; }
  const ResourceRef& ref() const override { return ref_; }
  std::shared_ptr<void> subscribe(std::function<void()> on_change) override;

 private:
  /// How a watch ended, which decides what comes next.
  enum class End {
    Clean,   ///< the server ended it: resume from the last resourceVersion
    Failed,  ///< transport error, 5xx/429, idle: resume with the backoff
    Relist,  ///< an ERROR event, malformed data, another 4xx: relist with the backoff
    Gone,    ///< 410: the resourceVersion is too old, relist
  };
  struct Outcome {
    End end = End::Failed;
    bool delivered = false;  ///< at least one event or bookmark arrived
  };
  /// What one watch event did.
  enum class Applied { Changed, Bookmark, Ignored, Relist, Gone };

  static asio::awaitable<void> guarded(std::shared_ptr<Connector> connector,
                                       std::shared_ptr<InformerImpl> self);
  static asio::awaitable<Result<void>> run(std::shared_ptr<InformerImpl> self);
  asio::awaitable<bool> list();
  asio::awaitable<Outcome> watch();
  asio::awaitable<Outcome> stream(http::Body& body);
  Applied apply(boost::json::value& event);
  bool replace(boost::json::value& list, std::string& why);
  milliseconds next_delay(const Outcome& outcome);

  std::string list_target() const;
  std::string watch_target() const;
  void fail(std::string error);
  void progress();
  void notify();

  std::shared_ptr<Connector> connector_;
  ResourceRef ref_;
  ObjectStoreConstSharedPtr store_;
  bool synced_ = false;
  bool listed_before_ = false;
  bool need_list_ = true;
  std::string rv_;
  std::string last_error_;
  std::uint32_t attempt_ = 0;      // failures since the last progress, for the backoff
  std::uint32_t failures_ = 0;     // the same, for logging
  Clock::time_point last_warn_{};  // when the last warning was logged
  bool warned_ = false;
  bool unknown_type_logged_ = false;
  std::optional<std::chrono::seconds> retry_after_;  // from the last 429/503
  std::vector<std::weak_ptr<std::function<void()>>> subscribers_;
};

void InformerImpl::start() {
  spawn(connector_->control().get_executor(), guarded(connector_, shared_from_this()),
        "k8s informer");
}

asio::awaitable<void> InformerImpl::guarded(std::shared_ptr<Connector> connector,
                                            std::shared_ptr<InformerImpl> self) {
  // `connector` is held here because until_stopped's frame outlives run's.
  auto done = co_await connector->until_stopped(run(std::move(self)));
  (void)done;
}

asio::awaitable<Result<void>> InformerImpl::run(std::shared_ptr<InformerImpl> self) {
  Connector& c = *self->connector_;
  for (;;) {
    milliseconds delay{0};
    if (self->need_list_) {
      bool listed = co_await self->list();
      if (!listed) {
        delay = self->next_delay(Outcome{End::Failed, false});
      }
    }
    if (!self->need_list_) {
      Outcome outcome = co_await self->watch();
      delay = self->next_delay(outcome);
    }
    if (c.stopped()) {
      co_return Result<void>{};
    }
    if (delay > milliseconds::zero()) {
      auto slept = co_await c.sleep(delay);
      if (!slept) {
        co_return Result<void>{};
      }
    }
  }
}

std::string InformerImpl::list_target() const {
  std::string target = ref_.collection_path();
  if (!ref_.label_selector.empty()) {
    target += "?labelSelector=" + url_encode(ref_.label_selector);
  }
  return target;
}

std::string InformerImpl::watch_target() const {
  std::string target = ref_.collection_path() + "?watch=true&resourceVersion=" + url_encode(rv_) +
                       "&allowWatchBookmarks=true";
  const auto& config = connector_->config();
  if (config.watch_timeout.count() > 0) {
    target += "&timeoutSeconds=" + std::to_string(config.watch_timeout.count());
  }
  if (!ref_.label_selector.empty()) {
    target += "&labelSelector=" + url_encode(ref_.label_selector);
  }
  return target;
}

asio::awaitable<bool> InformerImpl::list() {
  std::string failure;
  http::Headers headers;
  auto rsp = co_await connector_->fetch(list_target(), &failure, &headers);
  if (connector_->stopped()) {
    co_return false;
  }
  if (!rsp) {
    fail(std::move(failure));
    co_return false;
  }
  if (rsp->status != 200) {
    retry_after_ = retry_after(headers);
    fail(describe_status(ref_.collection_path(), rsp->status, rsp->body));
    co_return false;
  }
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(rsp->body, ec);
  std::string why = ec ? "malformed JSON: " + ec.message() : std::string();
  if (ec || !replace(parsed, why)) {
    fail("GET " + ref_.collection_path() + ": bad list: " + why);
    co_return false;
  }
  co_return true;
}

bool InformerImpl::replace(boost::json::value& list, std::string& why) {
  auto* object = list.if_object();
  auto* items = object != nullptr ? object->if_contains("items") : nullptr;
  std::string rv = object != nullptr ? resource_version(*object) : std::string();
  if (items == nullptr || !(items->is_array() || items->is_null()) || rv.empty()) {
    why = "expected an object with items and metadata.resourceVersion";
    return false;
  }
  auto next = std::make_shared<ObjectStore>();
  if (items->is_array()) {
    for (auto& item : items->as_array()) {
      auto* obj = item.if_object();
      std::string key = obj != nullptr ? object_key(*obj) : std::string();
      if (key.empty()) {
        why = "an item without metadata.name";
        return false;
      }
      (*next)[key] = std::make_shared<const boost::json::object>(std::move(*obj));
    }
  }
  if (listed_before_) {
    connector_->metrics().watch_relists->incr();
    logger()->info("relisted resource=\"{}\" objects={}", ref_.show(), next->size());
  } else {
    logger()->info("listed resource=\"{}\" objects={}", ref_.show(), next->size());
  }
  listed_before_ = true;
  store_ = std::move(next);
  rv_ = std::move(rv);
  need_list_ = false;
  synced_ = true;
  progress();
  notify();
  return true;
}

asio::awaitable<InformerImpl::Outcome> InformerImpl::watch() {
  auto& metrics = connector_->metrics();
  std::string failure;
  auto rsp = co_await connector_->open(watch_target(), &failure);
  if (connector_->stopped()) {
    co_return Outcome{End::Failed, false};
  }
  if (!rsp) {
    metrics.watch_errors->incr();
    fail(std::move(failure));
    co_return Outcome{End::Failed, false};
  }
  if (rsp->status == 410) {
    metrics.watch_gone->incr();
    logger()->info("watch expired, relisting resource=\"{}\" status=410", ref_.show());
    co_return Outcome{End::Gone, false};
  }
  if (rsp->status != 200) {
    metrics.watch_errors->incr();
    retry_after_ = retry_after(rsp->headers);
    std::string body;
    auto read =
        co_await read_body(*rsp->body, body, kMaxErrorBody, connector_->config().request_timeout);
    (void)read;  // the status alone is enough when the body cannot be read
    fail(describe_status(ref_.collection_path(), rsp->status, body));
    bool transient = rsp->status == 429 || rsp->status >= 500;
    co_return Outcome{transient ? End::Failed : End::Relist, false};
  }
  metrics.watch_started->incr();
  last_error_.clear();  // connected: not retrying any more
  ActiveWatch active(metrics.watch_active);
  Outcome outcome = co_await stream(*rsp->body);
  co_return outcome;
}

asio::awaitable<InformerImpl::Outcome> InformerImpl::stream(http::Body& body) {
  auto& metrics = connector_->metrics();
  const auto idle = connector_->config().watch_idle_timeout;
  JsonStream parser;
  std::vector<boost::json::value> events;
  Outcome outcome{End::Clean, false};
  for (;;) {
    auto piece = co_await with_timeout(body.read(), idle);
    if (connector_->stopped()) {
      co_return outcome;
    }
    if (!piece && piece.error() == make_error_code(errc::timeout)) {
      // Quiet for too long: probably a dead connection, possibly just a quiet resource on a
      // server that sends no bookmarks. Not an error worth reporting; resume.
      metrics.watch_errors->incr();
      logger()->debug("watch idle, resuming resource=\"{}\" idle_ms={}", ref_.show(), idle.count());
      outcome.end = End::Failed;
      co_return outcome;
    }
    if (!piece) {
      metrics.watch_errors->incr();
      fail("watch " + ref_.collection_path() + ": stream broken: " + piece.error().message());
      outcome.end = End::Failed;
      co_return outcome;
    }
    if (piece->empty()) {
      if (parser.mid_value()) {
        metrics.watch_errors->incr();
        fail("watch " + ref_.collection_path() + ": the stream ended mid-event");
        outcome.end = End::Failed;
      }
      co_return outcome;
    }
    events.clear();
    auto malformed = parser.feed(*piece, events);
    // The events completed before a parse error are sound: apply them first.
    for (auto& event : events) {
      Applied applied = apply(event);
      if (applied == Applied::Changed || applied == Applied::Bookmark) {
        outcome.delivered = true;
      }
      if (applied == Applied::Relist || applied == Applied::Gone) {
        outcome.end = applied == Applied::Gone ? End::Gone : End::Relist;
        co_return outcome;
      }
    }
    if (malformed) {
      metrics.watch_errors->incr();
      fail("watch " + ref_.collection_path() + ": " + *malformed);
      logger()->info("relisting resource=\"{}\" reason=malformed_json", ref_.show());
      outcome.end = End::Relist;
      co_return outcome;
    }
  }
}

InformerImpl::Applied InformerImpl::apply(boost::json::value& event) {
  auto& metrics = connector_->metrics();
  auto* e = event.if_object();
  const auto* type = e != nullptr ? e->if_contains("type") : nullptr;
  auto* object = e != nullptr ? e->if_contains("object") : nullptr;
  if (type == nullptr || !type->is_string() || object == nullptr || !object->is_object()) {
    metrics.watch_errors->incr();
    fail("watch " + ref_.collection_path() + ": an event without type or object");
    logger()->info("relisting resource=\"{}\" reason=bad_event", ref_.show());
    return Applied::Relist;
  }
  const std::string_view kind = type->as_string();
  auto& obj = object->as_object();
  if (kind == "BOOKMARK") {
    metrics.watch_bookmarks->incr();
    if (std::string rv = resource_version(obj); !rv.empty()) {
      rv_ = std::move(rv);
    }
    return Applied::Bookmark;
  }
  if (kind == "ERROR") {
    const auto* code = obj.if_contains("code");
    if (code != nullptr && code->is_int64() && code->as_int64() == 410) {
      metrics.watch_gone->incr();
      logger()->info("watch expired, relisting resource=\"{}\" status=410", ref_.show());
      return Applied::Gone;
    }
    metrics.watch_errors->incr();
    fail(describe_status(
        ref_.collection_path(),
        code != nullptr && code->is_int64() ? static_cast<int>(code->as_int64()) : 0,
        boost::json::serialize(obj)));
    logger()->info("relisting resource=\"{}\" reason=error_event", ref_.show());
    return Applied::Relist;
  }
  if (kind != "ADDED" && kind != "MODIFIED" && kind != "DELETED") {
    auto level = unknown_type_logged_ ? spdlog::level::debug : spdlog::level::warn;
    logger()->log(level, "ignoring watch event resource=\"{}\" type=\"{}\"", ref_.show(), kind);
    unknown_type_logged_ = true;
    return Applied::Ignored;
  }
  std::string key = object_key(obj);
  if (key.empty()) {
    metrics.watch_errors->incr();
    fail("watch " + ref_.collection_path() + ": a " + std::string(kind) +
         " event without metadata.name");
    logger()->info("relisting resource=\"{}\" reason=bad_object", ref_.show());
    return Applied::Relist;
  }
  if (std::string rv = resource_version(obj); !rv.empty()) {
    rv_ = std::move(rv);
  }
  auto next = std::make_shared<ObjectStore>(*store_);
  if (kind == "DELETED") {
    next->erase(key);
  } else {
    (*next)[key] = std::make_shared<const boost::json::object>(std::move(obj));
  }
  store_ = std::move(next);
  metrics.watch_events->incr();
  progress();
  notify();
  return Applied::Changed;
}

milliseconds InformerImpl::next_delay(const Outcome& outcome) {
  if (outcome.delivered) {
    attempt_ = 0;  // the watch worked: start the backoff over
  }
  switch (outcome.end) {
    case End::Clean:
      connector_->metrics().watch_reconnects->incr();
      if (outcome.delivered) {
        return milliseconds::zero();
      }
      break;  // an empty watch: keep a server that ends every watch at once from spinning us
    case End::Failed:
      if (!need_list_) {
        connector_->metrics().watch_reconnects->incr();
      }
      break;
    case End::Relist:
    case End::Gone:
      need_list_ = true;
      break;
  }
  milliseconds delay = connector_->backoff(++attempt_);
  if (retry_after_) {
    // Honour Retry-After, but never wait longer than the configured ceiling.
    delay =
        std::max(delay, std::min<milliseconds>(*retry_after_, connector_->config().backoff_max));
    retry_after_.reset();
  }
  return delay;
}

void InformerImpl::fail(std::string error) {
  if (connector_->stopped()) {
    return;
  }
  last_error_ = std::move(error);
  ++failures_;
  const auto now = Clock::now();
  if (failures_ >= kWarnAfterFailures && (!warned_ || now - last_warn_ >= kWarnInterval)) {
    logger()->warn("k8s api failing resource=\"{}\" failures={} synced={} error=\"{}\"",
                   ref_.show(), failures_, synced_, last_error_);
    warned_ = true;
    last_warn_ = now;
  } else {
    logger()->debug("k8s api request failed resource=\"{}\" failures={} error=\"{}\"", ref_.show(),
                    failures_, last_error_);
  }
}

void InformerImpl::progress() {
  if (warned_) {
    logger()->info("k8s api recovered resource=\"{}\" after_failures={}", ref_.show(), failures_);
  }
  warned_ = false;
  failures_ = 0;
  last_error_.clear();
}

std::shared_ptr<void> InformerImpl::subscribe(std::function<void()> on_change) {
  auto handle = std::make_shared<std::function<void()>>(std::move(on_change));
  subscribers_.push_back(handle);
  return handle;
}

void InformerImpl::notify() {
  std::vector<std::shared_ptr<std::function<void()>>> live;
  std::erase_if(subscribers_, [&](const auto& weak) {
    auto callback = weak.lock();
    if (!callback) {
      return true;
    }
    live.push_back(std::move(callback));
    return false;
  });
  // A callback may subscribe, unsubscribe or stop the client: run from the copy and check.
  for (const auto& callback : live) {
    if (connector_->stopped()) {
      return;
    }
    (*callback)();
  }
}

}  // namespace

InformerSharedPtr start_informer(std::shared_ptr<Connector> connector, ResourceRef ref) {
  auto informer = std::make_shared<InformerImpl>(std::move(connector), std::move(ref));
  informer->start();
  return informer;
}

}  // namespace meshd::k8s::detail
