// bench-fire — posts request bodies (one per stdin line) to a loopback server from N client
// threads, each with its own keep-alive connection, and prints one machine-readable line.
// bench/run.sh uses it where wrk does not fit:
//   --batch: the bodies are cut into batches of N; all N threads wait at a barrier and post their
//            body of the batch at once (64 reserve_slot on one slot), then the next batch. The
//            replies containing --match are counted per batch (the winners of that slot).
//   stream:  (default) each thread takes the next body until none is left (10,000 live calls).
// Before the first body each thread opens its connection with GET --warm (default /healthz), so
// the latencies are the server's, not the TCP handshake's.
//
//   bench-fire --port N --path /webhooks/vapi --threads 64 [--batch] [--match hold_id]
//              [--header "X-Vapi-Secret: …"]... [--warm /healthz] [--replies FILE] < bodies
// Prints: FIRE requests= ok= non2xx= failed= matched= batches= batches_one= batches_zero=
//         batches_max= p50_us= p90_us= p99_us= max_us= elapsed_ms= rps=
// The exit code is 0 when every body got a reply (any status), 1 otherwise, 2 on bad usage.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
  int port = 0;
  std::string path = "/webhooks/vapi";
  std::string warm = "/healthz";
  std::string match;
  std::string replies;  // file for "<status> <body>" per request, in input order
  int threads = 32;
  bool batch = false;
  httplib::Headers headers;
};

// One post's outcome.
struct outcome {
  std::int64_t micros = 0;
  int status = 0;  // 0 = no reply
  bool matched = false;
  std::string body;  // kept only with --replies
};

// A reusable barrier for `n` threads (generation counter).
class barrier {
 public:
  explicit barrier(int n) : n_(n) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock{m_};
    auto gen = generation_;
    if (++waiting_ == n_) {
      waiting_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation_ != gen; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int n_, waiting_ = 0;
  long generation_ = 0;
};

outcome post(httplib::Client& cli, const options& o, const std::string& body) {
  outcome r;
  auto t0 = clock_type::now();
  auto res = cli.Post(o.path.c_str(), o.headers, body, "application/json");
  r.micros = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t0).count();
  if (res) {
    r.status = res->status;
    r.matched = !o.match.empty() && res->body.find(o.match) != std::string::npos;
    if (!o.replies.empty()) r.body = res->body;
  }
  return r;
}

bool parse(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--port") o.port = std::atoi(value().c_str());
    else if (a == "--path") o.path = value();
    else if (a == "--warm") o.warm = value();
    else if (a == "--match") o.match = value();
    else if (a == "--threads") o.threads = std::atoi(value().c_str());
    else if (a == "--replies") o.replies = value();
    else if (a == "--batch") o.batch = true;
    else if (a == "--header") {
      auto h = value();
      auto colon = h.find(':');
      if (colon == std::string::npos) return false;
      auto v = h.substr(colon + 1);
      v.erase(0, v.find_first_not_of(' '));
      o.headers.emplace(h.substr(0, colon), v);
    } else return false;
  }
  return o.port > 0 && o.port < 65536 && o.threads >= 1 && o.threads <= 1024;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  if (!parse(argc, argv, o)) {
    std::cerr << "usage: bench-fire --port N [--path P] [--threads N] [--batch] [--match S]\n"
                 "                  [--header 'K: V']... [--warm PATH] [--replies FILE] < bodies\n";
    return 2;
  }
  std::vector<std::string> bodies;
  for (std::string line; std::getline(std::cin, line);)
    if (!line.empty()) bodies.push_back(line);
  const std::size_t n = bodies.size();
  std::vector<outcome> out(n);
  std::atomic<std::size_t> next{0};
  barrier gate{o.threads};

  auto worker = [&](int t) {
    httplib::Client cli{"127.0.0.1", o.port};
    cli.set_keep_alive(true);
    cli.set_tcp_nodelay(true);
    cli.set_connection_timeout(10);
    cli.set_read_timeout(30);
    if (!o.warm.empty()) cli.Get(o.warm.c_str(), o.headers);
    if (o.batch) {
      // Body k of each batch belongs to thread k; every thread passes every barrier.
      for (std::size_t base = 0; base < n; base += o.threads) {
        gate.arrive_and_wait();
        if (base + t < n) out[base + t] = post(cli, o, bodies[base + t]);
      }
      return;
    }
    for (std::size_t i; (i = next.fetch_add(1)) < n;) out[i] = post(cli, o, bodies[i]);
  };
  auto t0 = clock_type::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < o.threads; ++t) pool.emplace_back(worker, t);
  for (auto& th : pool) th.join();
  auto elapsed = std::chrono::duration<double>(clock_type::now() - t0).count();

  std::size_t ok = 0, non2xx = 0, failed = 0, matched = 0;
  std::vector<std::int64_t> lat;
  for (const auto& r : out) {
    if (r.status == 0) ++failed;
    else if (r.status >= 200 && r.status < 300) ++ok;
    else ++non2xx;
    matched += r.matched;
    if (r.status != 0) lat.push_back(r.micros);
  }
  std::size_t batches = 0, one = 0, zero = 0, most = 0;
  if (o.batch)
    for (std::size_t base = 0; base < n; base += o.threads, ++batches) {
      std::size_t m = 0;
      for (std::size_t i = base; i < std::min(n, base + o.threads); ++i) m += out[i].matched;
      one += m == 1;
      zero += m == 0;
      most = std::max(most, m);
    }
  if (!o.replies.empty()) {
    if (FILE* f = std::fopen(o.replies.c_str(), "w")) {
      for (const auto& r : out) {
        auto b = r.body;
        std::replace(b.begin(), b.end(), '\n', ' ');
        std::fprintf(f, "%d %s\n", r.status, b.c_str());
      }
      std::fclose(f);
    }
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) -> std::int64_t {
    if (lat.empty()) return 0;
    auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(lat.size() - 1) + 0.5);
    return lat[std::min(idx, lat.size() - 1)];
  };
  std::printf(
      "FIRE requests=%zu ok=%zu non2xx=%zu failed=%zu matched=%zu batches=%zu batches_one=%zu "
      "batches_zero=%zu batches_max=%zu p50_us=%lld p90_us=%lld p99_us=%lld max_us=%lld "
      "elapsed_ms=%.0f rps=%.1f\n",
      n, ok, non2xx, failed, matched, batches, one, zero, most,
      static_cast<long long>(pct(50)), static_cast<long long>(pct(90)),
      static_cast<long long>(pct(99)), static_cast<long long>(lat.empty() ? 0 : lat.back()),
      elapsed * 1000, elapsed > 0 ? static_cast<double>(n) / elapsed : 0.0);
  return failed == 0 ? 0 : 1;
}
