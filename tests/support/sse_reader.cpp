#include "tests/support/sse_reader.hpp"

#include <httplib.h>

namespace rm::testing {

sse_reader::sse_reader(int port, std::string path, std::string token,
                       std::map<std::string, std::string> headers)
    : client_(std::make_unique<httplib::Client>("127.0.0.1", port)) {
  client_->set_read_timeout(std::chrono::seconds(120));
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  for (auto& [k, v] : headers) h.emplace(k, v);
  thread_ = std::thread([this, path = std::move(path), h = std::move(h)] {
    auto result = client_->Get(
        path, h,
        [this](const httplib::Response& res) {
          std::lock_guard<std::mutex> g{m_};
          status_ = res.status;
          for (const auto& [k, v] : res.headers) headers_[k] = v;
          cv_.notify_all();
          return true;
        },
        [this](const char* data, std::size_t len) {
          std::lock_guard<std::mutex> g{m_};
          raw_.append(data, len);
          pending_.append(data, len);
          parse_locked();
          cv_.notify_all();
          return !stopping_;
        });
    std::lock_guard<std::mutex> g{m_};
    if (status_ == 0 && result) status_ = result->status;
    if (result && raw_.empty()) raw_ = result->body;
    ended_ = true;
    cv_.notify_all();
  });
}

sse_reader::~sse_reader() { stop(); }

void sse_reader::stop() {
  {
    std::lock_guard<std::mutex> g{m_};
    stopping_ = true;
  }
  client_->stop();  // shuts the socket down: the reading thread returns
  if (thread_.joinable()) thread_.join();
}

// Frames end with a blank line; lines are "field: value" or ": comment".
void sse_reader::parse_locked() {
  for (;;) {
    auto end = pending_.find("\n\n");
    if (end == std::string::npos) return;
    std::string frame = pending_.substr(0, end);
    pending_.erase(0, end + 2);
    sse_event e;
    e.event = "message";
    bool any = false;
    std::size_t pos = 0;
    while (pos <= frame.size()) {
      auto eol = frame.find('\n', pos);
      if (eol == std::string::npos) eol = frame.size();
      std::string line = frame.substr(pos, eol - pos);
      pos = eol + 1;
      if (line.empty()) continue;
      if (line[0] == ':') {
        ++comments_;
        continue;
      }
      auto colon = line.find(':');
      std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      any = true;
      if (field == "event") e.event = value;
      if (field == "id") e.id = value;
      if (field == "data") e.data += (e.data.empty() ? "" : "\n") + value;
    }
    if (!any) continue;
    e.json = nlohmann::json::parse(e.data, nullptr, false);
    e.at = std::chrono::steady_clock::now();
    events_.push_back(std::move(e));
  }
}

int sse_reader::status(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{m_};
  cv_.wait_for(lock, timeout, [this] { return status_ != 0 || ended_; });
  return status_;
}

std::string sse_reader::header(const std::string& name) {
  std::lock_guard<std::mutex> g{m_};
  auto it = headers_.find(name);
  return it == headers_.end() ? "" : it->second;
}

std::string sse_reader::body(std::chrono::milliseconds timeout) {
  wait_ended(timeout);
  std::lock_guard<std::mutex> g{m_};
  return raw_;
}

std::optional<sse_event> sse_reader::wait_for(const std::function<bool(const sse_event&)>& pred,
                                              std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{m_};
  std::optional<sse_event> found;
  cv_.wait_for(lock, timeout, [&] {
    for (const auto& e : events_)
      if (pred(e)) {
        found = e;
        return true;
      }
    return ended_;
  });
  if (!found)
    for (const auto& e : events_)
      if (pred(e)) found = e;
  return found;
}

std::vector<sse_event> sse_reader::events() {
  std::lock_guard<std::mutex> g{m_};
  return events_;
}

std::size_t sse_reader::comments() {
  std::lock_guard<std::mutex> g{m_};
  return comments_;
}

std::string sse_reader::raw() {
  std::lock_guard<std::mutex> g{m_};
  return raw_;
}

bool sse_reader::ended() {
  std::lock_guard<std::mutex> g{m_};
  return ended_;
}

bool sse_reader::wait_ended(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock{m_};
  return cv_.wait_for(lock, timeout, [this] { return ended_; });
}

}  // namespace rm::testing
