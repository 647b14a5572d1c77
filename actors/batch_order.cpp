#include "actors/batch_order.hpp"

namespace rm::actors {

std::uint64_t batch_order::begin() {
  in_flight_.insert(next_);
  return next_++;
}

void batch_order::committed(std::uint64_t seq, std::vector<token> tokens) {
  in_flight_.erase(seq);
  committed_[seq] = std::move(tokens);
  // Dropping them releases them.
  const auto first_open = in_flight_.empty() ? next_ : *in_flight_.begin();
  committed_.erase(committed_.begin(), committed_.lower_bound(first_open));
}

std::vector<batch_order::token> batch_order::failed(std::uint64_t seq) {
  in_flight_.erase(seq);
  // Only batches after `seq` can be held back by it (earlier ones were released when it was the
  // only thing holding them, or are held by an earlier batch still in flight, which stays).
  std::vector<token> out;
  for (auto it = committed_.upper_bound(seq); it != committed_.end();) {
    for (auto& t : it->second) out.push_back(std::move(t));
    it = committed_.erase(it);
  }
  return out;
}

std::size_t batch_order::held() const {
  std::size_t n = 0;
  for (const auto& [seq, tokens] : committed_) n += tokens.size();
  return n;
}

}  // namespace rm::actors
